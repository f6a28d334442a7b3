"""No escalation: every privilege escalation method cloudsplaining knows is denied to the deployer.

For each method (cloudsplaining's PRIVILEGE_ESCALATION_METHODS: the Rhino Security Labs set and the
pathfinding.cloud additions) the deployer's requests are built as an attacker holding the deployer's
credentials would make them, on the targets that would pay: the deployer's own role and the
account's other roles, a role of the stack's name without the boundary, any managed policy, any service
to pass a role to. A method is closed when one of its requests is denied. The methods that pass a role
to ECS stay open by design (the stack runs tasks): they are closed by the boundary, which every role the
deployer can pass carries — it cannot create or change a role without it, nor remove it — and which
allows none of the escalation's payoff.
"""

from __future__ import annotations

import json

import pytest
from cloudsplaining.shared.constants import PRIVILEGE_ESCALATION_METHODS

from tests.support.aws import ROOT
from tests.support.iam_eval import Request, evaluate
from tests.support.iam_requests import action_facts, known_action, sar_arn

IAM = ROOT / "docs" / "iam"
DEPLOYER = json.loads((IAM / "deployer-policy.json").read_text())
BOUNDARY = json.loads((IAM / "permissions-boundary.json").read_text())
BOUNDARY_ARN = sar_arn("iam", "policy", "solo-saving-permissions-boundary")
# Roles worth taking over: the deployer's own (under /ci/), an admin role, a role of the stack's name without
# the boundary (made by someone else, or before the boundary).
TARGET_ROLES = [sar_arn("iam", "role", "ci/solo-saving-deployer"), sar_arn("iam", "role", "Admin"),
                sar_arn("iam", "role", "solo-saving-prod-backend-task")]
PASS_TO = ["ec2.amazonaws.com", "lambda.amazonaws.com", "glue.amazonaws.com", "cloudformation.amazonaws.com",
           "datapipeline.amazonaws.com", "codebuild.amazonaws.com", "sagemaker.amazonaws.com",
           "apprunner.amazonaws.com", "bedrock-agentcore.amazonaws.com", "ecs-tasks.amazonaws.com"]
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
# Passing a stack role to ECS tasks and starting them is what the stack does; the boundary closes these.
BOUNDED_BY_DESIGN = {m for m, actions in PRIVILEGE_ESCALATION_METHODS.items()
                     if "iam:passrole" in actions and all(a.startswith(("iam:", "ecs:")) for a in actions)}


def canonical(action: str) -> str:
    prefix, name = action.split(":", 1)
    from tests.support.iam_requests import _service

    data = _service(prefix)
    return f"{prefix}:{data['privileges'][data['privileges_lower_name'][name]]['privilege']}"


def attacker_requests(action: str) -> list[Request]:
    """The requests an attacker with the deployer's credentials would try for ``action``."""
    action = canonical(action)
    prefix, name = action.split(":", 1)
    types = [r for r in action_facts(action) if r]
    if action == "iam:PassRole":
        return [Request(action, role, {"iam:PassedToService": service}, f"pass {role} to {service}")
                for role in TARGET_ROLES for service in PASS_TO if not (
                    service == "ecs-tasks.amazonaws.com" and role.endswith("solo-saving-prod-backend-task"))]
    if prefix == "iam" and "role" in types:
        # Without the boundary, with another one, and (for policy attachment) an admin policy.
        contexts = [{}, {"iam:PermissionsBoundary": sar_arn("iam", "policy", "other")}]
        if name in ("AttachRolePolicy",):
            contexts = [dict(c, **{"iam:PolicyARN": ADMIN})
                        for c in [*contexts, {"iam:PermissionsBoundary": BOUNDARY_ARN}]]
        return [Request(action, role, context, f"{name} on {role}") for role in TARGET_ROLES for context in contexts]
    if prefix == "iam" and "policy" in types:
        return [Request(action, arn, {}, f"{name} on {arn}")
                for arn in (BOUNDARY_ARN, ADMIN, sar_arn("iam", "policy", "solo-saving-deployer"))]
    if prefix == "iam" and "user" in types:
        return [Request(action, sar_arn("iam", "user", "admin"), {}, f"{name} on a user")]
    if prefix == "sts":
        return [Request(action, role, {}, f"{name} {role}") for role in TARGET_ROLES]
    resource = sar_arn(prefix, types[0], *(["solo-saving-x"] * _variables(prefix, types[0]))) if types else "*"
    return [Request(action, resource, {"aws:RequestTag/Project": "solo-saving"}, f"{name}")]


def _variables(prefix, rtype):
    import re

    from tests.support.iam_requests import _arn_format

    return len([v for v in re.findall(r"\$\{([^}]+)\}", _arn_format(prefix, rtype))
                if v not in ("Partition", "Region", "Account")])


def test_cloudsplaining_lists_the_methods_this_test_covers():
    assert len(PRIVILEGE_ESCALATION_METHODS) >= 20
    unknown = sorted({a for actions in PRIVILEGE_ESCALATION_METHODS.values() for a in actions if not known_action(a)})
    assert unknown == [], "actions the reference does not know"


@pytest.mark.parametrize("method", sorted(set(PRIVILEGE_ESCALATION_METHODS) - BOUNDED_BY_DESIGN))
def test_the_escalation_method_is_denied(method):
    steps = PRIVILEGE_ESCALATION_METHODS[method]
    denied = {a: [r.describe() for r in attacker_requests(a) if not evaluate(r, [DEPLOYER]).allowed] for a in steps}
    # Closed: some step is denied on every target the attacker could pick.
    closing = [a for a in steps if len(denied[a]) == len(attacker_requests(a))]
    allowed = {a: [r.describe() for r in attacker_requests(a) if evaluate(r, [DEPLOYER]).allowed] for a in steps}
    assert closing, f"{method}: every step is allowed somewhere: {allowed}"


@pytest.mark.parametrize("method", sorted(BOUNDED_BY_DESIGN))
def test_passing_a_role_to_ecs_gains_nothing_beyond_the_boundary(method):
    assert set(PRIVILEGE_ESCALATION_METHODS[method]) <= {"iam:passrole", "ecs:createcluster",
                                                          "ecs:registertaskdefinition", "ecs:createservice",
                                                          "ecs:runtask", "ecs:starttask"}
    # The roles it may pass are the stack's; it cannot make one without the boundary, nor take the boundary off.
    for action in ("iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy"):
        request = Request(action, sar_arn("iam", "role", "solo-saving-prod-x"), {}, "without the boundary")
        assert not evaluate(request, [DEPLOYER]).allowed, request.describe()
        bounded = Request(action, sar_arn("iam", "role", "solo-saving-prod-x"),
                          {"iam:PermissionsBoundary": BOUNDARY_ARN,
                           "iam:PolicyARN": "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"})
        assert evaluate(bounded, [DEPLOYER]).allowed, bounded.describe()
    for action in ("iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary"):
        request = Request(action, sar_arn("iam", "role", "solo-saving-prod-x"),
                          {"iam:PermissionsBoundary": BOUNDARY_ARN})
        assert evaluate(request, [DEPLOYER]).reason == "explicit deny"
    # Not to other roles, nor to other services.
    assert not evaluate(Request("iam:PassRole", TARGET_ROLES[0], {"iam:PassedToService": "ecs-tasks.amazonaws.com"}),
                        [DEPLOYER]).allowed
    # What a task with the passed role could try, the boundary denies.
    anything = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    for action, resource in [("iam:CreateAccessKey", sar_arn("iam", "user", "admin")),
                             ("iam:AttachRolePolicy", TARGET_ROLES[0]), ("sts:AssumeRole", TARGET_ROLES[1]),
                             ("ec2:RunInstances", "*"), ("s3:GetObject", "arn:aws:s3:::any/x"),
                             ("ssm:GetParameters", "arn:aws:ssm:ap-northeast-1:123456789012:parameter/other/x")]:
        assert not evaluate(Request(action, resource), [anything], BOUNDARY).allowed, action


def test_the_deployer_may_not_change_the_boundary_or_its_own_policies():
    for action in ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy"):
        for arn in (BOUNDARY_ARN, sar_arn("iam", "policy", "solo-saving-deployer")):
            assert evaluate(Request(action, arn), [DEPLOYER]).reason == "explicit deny"
