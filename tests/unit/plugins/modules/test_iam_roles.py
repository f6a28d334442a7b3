"""iam_roles: exact convergence of roles and their policies, check mode, error paths (wrapper layer faked)."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError
from ansible_collections.solo_saving.infra.plugins.modules import iam_roles as mod
from tests.support.modules import ModuleFail

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
    {"Effect": "Allow", "Action": ["logs:PutLogEvents", "logs:CreateLogStream"], "Resource": "arn:aws:logs:r:1:x"}]}
ARGS = {
    "roles": [
        {"name": "t-backend-execution", "description": "exec", "assume_role_policy": TRUST,
         "inline_policies": {"execution": POLICY}},
        {"name": "t-backend-task", "description": "task", "assume_role_policy": TRUST},
    ],
    "account_id": "123456789012",
    "tags": {"Project": "t"},
}


class FakeIam:
    def __init__(self):
        self.roles = {}
        self.policies = {}
        self.attached = {}
        self.writes = []

    def get_role(self, client, name):
        return copy.deepcopy(self.roles.get(name))

    def create_role(self, client, name, path, description, trust, tags, duration, permissions_boundary=""):
        self.writes.append(f"create_role:{name}")
        self.roles[name] = {"RoleName": name, "Path": path, "Description": description,
                            **({"PermissionsBoundary": {"PermissionsBoundaryType": "Policy",
                                                        "PermissionsBoundaryArn": permissions_boundary}}
                               if permissions_boundary else {}),
                            "AssumeRolePolicyDocument": copy.deepcopy(trust), "Tags": tags,
                            "MaxSessionDuration": duration, "Arn": f"arn:aws:iam::123456789012:role{path}{name}",
                            "RoleId": f"AROA{len(self.roles)}"}
        self.policies[name], self.attached[name] = {}, []
        return copy.deepcopy(self.roles[name])

    def put_role_permissions_boundary(self, client, name, arn):
        self.writes.append(f"put_boundary:{name}")
        self.roles[name]["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn}

    def update_role(self, client, name, description, duration):
        self.writes.append(f"update_role:{name}")
        self.roles[name].update(Description=description, MaxSessionDuration=duration)

    def update_assume_role_policy(self, client, name, trust):
        self.writes.append(f"update_trust:{name}")
        self.roles[name]["AssumeRolePolicyDocument"] = copy.deepcopy(trust)

    def inline_policies(self, client, name):
        return copy.deepcopy(self.policies[name])

    def put_role_policy(self, client, name, policy, document):
        self.writes.append(f"put_policy:{name}:{policy}")
        self.policies[name][policy] = copy.deepcopy(document)

    def delete_role_policy(self, client, name, policy):
        self.writes.append(f"delete_policy:{name}:{policy}")
        self.policies[name].pop(policy)

    def attached_policies(self, client, name):
        return list(self.attached[name])

    def attach_role_policy(self, client, name, arn):
        self.writes.append(f"attach:{name}")
        self.attached[name].append(arn)

    def detach_role_policy(self, client, name, arn):
        self.writes.append(f"detach:{name}")
        self.attached[name].remove(arn)

    def list_role_tags(self, client, name):
        return list(self.roles[name].get("Tags", []))

    def tag_role(self, client, name, tags):
        self.writes.append(f"tag_role:{name}")


@pytest.fixture
def fake(monkeypatch):
    fake = FakeIam()
    for name in dir(fake):
        if not name.startswith("_") and hasattr(mod.api, name):
            monkeypatch.setattr(mod.api, name, getattr(fake, name))
    return fake


def test_check_mode_on_empty_account_plans_and_writes_nothing(run_module, fake):
    result = run_module(mod, ARGS, check_mode=True, diff=True)
    assert fake.writes == []
    assert result["actions"] == ["create IAM role t-backend-execution",
                                 "put inline policy execution on IAM role t-backend-execution",
                                 "create IAM role t-backend-task"]
    # The ARN AWS will give the role, so that the task definition plan reads the same as after the run.
    assert result["roles"]["t-backend-task"]["arn"] == "arn:aws:iam::123456789012:role/t-backend-task"
    assert result["diff"]["before"] == {"t-backend-execution": None, "t-backend-task": None}


def test_without_account_the_planned_arn_is_marked(run_module, fake):
    result = run_module(mod, {**ARGS, "account_id": ""}, check_mode=True)
    assert result["roles"]["t-backend-task"]["arn"] == "planned:iam-role:t-backend-task"


def test_run_then_second_run_change_nothing(run_module, fake):
    planned = run_module(mod, ARGS, check_mode=True)
    first = run_module(mod, ARGS)
    assert first["actions"] == planned["actions"]
    writes = list(fake.writes)
    # AWS returns a policy in its own shape: order of actions and statements, scalars for one-element lists.
    fake.policies["t-backend-execution"]["execution"]["Statement"].reverse()
    fake.policies["t-backend-execution"]["execution"]["Statement"][0]["Action"].reverse()
    second = run_module(mod, ARGS)
    check = run_module(mod, ARGS, check_mode=True, diff=True)
    assert second["actions"] == [] and second["changed"] is False
    assert check["diff"]["before"] == check["diff"]["after"]
    assert fake.writes == writes


def test_policies_are_exact(run_module, fake):
    run_module(mod, ARGS)
    fake.policies["t-backend-task"]["added-by-hand"] = {"Statement": [{"Effect": "Allow", "Action": "*",
                                                                       "Resource": "*"}]}
    fake.attached["t-backend-task"].append("arn:aws:iam::aws:policy/AdministratorAccess")
    fake.policies["t-backend-execution"]["execution"]["Statement"][0]["Resource"] = "arn:aws:ecr:r:1:x"
    result = run_module(mod, ARGS)
    assert result["actions"] == [
        "update inline policy execution of IAM role t-backend-execution",
        "delete inline policy added-by-hand of IAM role t-backend-task",
        "detach arn:aws:iam::aws:policy/AdministratorAccess from IAM role t-backend-task",
    ]
    assert fake.policies["t-backend-task"] == {}


def test_trust_description_and_tags_are_converged(run_module, fake):
    run_module(mod, ARGS)
    trust = fake.roles["t-backend-task"]["AssumeRolePolicyDocument"]
    trust["Statement"][0]["Principal"] = {"Service": "ec2.amazonaws.com"}
    fake.roles["t-backend-task"]["Description"] = "old"
    fake.roles["t-backend-task"]["Tags"] = []
    result = run_module(mod, ARGS)
    assert result["actions"] == ["update the trust policy of IAM role t-backend-task",
                                 "update the description and session duration of IAM role t-backend-task",
                                 "update the tags of IAM role t-backend-task: Project"]


def test_a_changed_path_is_refused(run_module, fake):
    run_module(mod, ARGS)
    args = copy.deepcopy(ARGS)
    args["roles"][1]["path"] = "/app/"
    with pytest.raises(ModuleFail, match="IAM role t-backend-task has path /, the inventory asks for /app/"):
        run_module(mod, args)


@pytest.mark.parametrize(("change", "message"), [
    (lambda a: a["roles"].append(copy.deepcopy(a["roles"][0])), "roles: names must be unique"),
    (lambda a: a["roles"][0].update(path="app"), r"roles\[t-backend-execution\].path must start and end with '/'"),
])
def test_input_errors_before_any_call(run_module, fake, change, message):
    args = copy.deepcopy(ARGS)
    change(args)
    with pytest.raises(ModuleFail, match=message):
        run_module(mod, args)
    assert fake.writes == []


def test_aws_error_becomes_fail_json_aws(run_module, fake, monkeypatch):
    def boom(*args, **kwargs):
        raise SoloAwsError("Failed to read an IAM role", exception=RuntimeError("denied"))

    monkeypatch.setattr(mod.api, "get_role", boom)
    with pytest.raises(ModuleFail) as failure:
        run_module(mod, ARGS)
    assert failure.value.result["msg"] == "Failed to read an IAM role"


BOUNDARY = "arn:aws:iam::123456789012:policy/t-permissions-boundary"


def test_every_role_is_created_with_the_permissions_boundary(run_module, fake):
    result = run_module(mod, {**ARGS, "permissions_boundary": BOUNDARY})
    assert {n: r["PermissionsBoundary"]["PermissionsBoundaryArn"] for n, r in fake.roles.items()} == {
        "t-backend-execution": BOUNDARY, "t-backend-task": BOUNDARY}
    again = run_module(mod, {**ARGS, "permissions_boundary": BOUNDARY})
    assert again["changed"] is False and result["changed"] is True


def test_a_role_without_the_boundary_gets_it(run_module, fake):
    run_module(mod, ARGS)
    plan = run_module(mod, {**ARGS, "permissions_boundary": BOUNDARY}, check_mode=True, diff=True)
    assert plan["actions"] == [f"set the permissions boundary of IAM role t-backend-execution to {BOUNDARY}",
                               f"set the permissions boundary of IAM role t-backend-task to {BOUNDARY}"]
    assert plan["diff"]["before"]["t-backend-task"]["permissions_boundary"] == ""
    run_module(mod, {**ARGS, "permissions_boundary": BOUNDARY})
    assert fake.writes[-2:] == ["put_boundary:t-backend-execution", "put_boundary:t-backend-task"]
