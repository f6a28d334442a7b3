"""The IAM policies of docs/iam/ allow every request the stack's runs make, as AWS would evaluate them.

The playbooks run once against the emulator with request recording on —
``site.yml --check`` on the empty account, the cold deploy, a no-op run,
``--check --diff`` on the converged stack, a run after an inventory change,
the verification, a deploy, a deploy with a database migration, the password
rotation and the teardown — and the CI image push is made with the calls
``docker push`` makes. Every recorded request becomes the IAM requests AWS
evaluates for it (action, resource ARN, condition keys; and the requests
authorized beside it), ``tests/support/iam_requests.py``, and each is
evaluated, ``tests/support/iam_eval.py``, against the policy of the role that
runs it in CI:

- the deployer (``deployer-policy.json``): everything but the push;
- the image pusher (``image-push-policy.json``): the push;
- the planner (``plan-policy.json``): ``site.yml --check`` and the verification.

The task execution roles the stack created are evaluated too: the calls ECS
makes with them to start a task (image pull, logs, parameters), against
their inline policy and the permissions boundary. A denial fails naming the
request, the ARN, the condition values and the statement that came closest.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.support.aws import ROOT
from tests.support.iam_eval import Request, denial_report, evaluate
from tests.support.iam_requests import TagIndex, run_authorizations, sar_arn
from tools.iam_policy import MANAGED_POLICY_LIMIT, size, split

IAM = ROOT / "docs" / "iam"
POLICIES = ("deployer-policy.json", "image-push-policy.json", "plan-policy.json", "permissions-boundary.json")
BOUNDARY_NAME = "solo-saving-permissions-boundary"
CHANGE = {"network_alb_ingress_cidrs": ["203.0.113.0/24"]}
MIGRATE = {"deploy_migrate_command": ["alembic", "upgrade", "head"]}


def load(name):
    return json.loads((IAM / name).read_text())


def push_image(aws, repository, tag):
    """The ECR calls ``docker push`` makes: a token, the layer checks and uploads, the manifest."""
    ecr = aws.client("ecr")
    ecr.get_authorization_token()
    blob = b"layer of " + tag.encode()
    digest = "sha256:" + hashlib.sha256(blob).hexdigest()
    ecr.batch_check_layer_availability(repositoryName=repository, layerDigests=[digest])
    upload = ecr.initiate_layer_upload(repositoryName=repository)["uploadId"]
    ecr.upload_layer_part(repositoryName=repository, uploadId=upload, partFirstByte=0, partLastByte=len(blob) - 1,
                          layerPartBlob=blob)
    ecr.complete_layer_upload(repositoryName=repository, uploadId=upload, layerDigests=[digest])
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"digest": digest, "size": len(blob),
                           "mediaType": "application/vnd.docker.container.image.v1+json"},
                "layers": [{"digest": digest, "size": len(blob),
                            "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip"}]}
    ecr.batch_get_image(repositoryName=repository, imageIds=[{"imageTag": tag}])  # buildx looks for the tag first
    ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag=tag)


@pytest.fixture(scope="module")
def runs(aws_emulator, tmp_path_factory):
    """Every run's recorded requests by label, and what the emulator held before the teardown."""
    from tests.support.aws import run_playbook

    aws = aws_emulator
    aws.reset()
    index = TagIndex()
    recorded = {}

    def record(label, *args, fails=False):
        aws.start_recording()
        try:
            run = run_playbook(aws, *args)
        finally:
            recorded[label] = aws.stop_recording()
        assert (run.rc != 0) == fails, f"{label}: rc={run.rc}\n{run.output[-4000:]}"

    def push(label, tag):
        aws.start_recording()
        try:
            for service in ("frontend", "backend"):
                push_image(aws, f"solo-saving-local/{service}", tag)
        finally:
            recorded[label] = aws.stop_recording()

    record("site.yml --check (empty account)", "site.yml", "--check", "--diff")
    record("site.yml (cold)", "site.yml")
    record("site.yml (no-op)", "site.yml")
    record("site.yml --check (converged)", "site.yml", "--check", "--diff")
    record("site.yml (after a change)", "site.yml", "-e", json.dumps(CHANGE))
    record("verify.yml", "playbooks/verify.yml")
    push("image push v2", "v2")
    record("deploy.yml", "playbooks/deploy.yml", "-e", "deploy_service=all", "-e", "deploy_image_tag=v2")
    push("image push v3", "v3")
    # The emulator cannot start the migration task (see test_deploy.py): the run fails at RunTask, after the
    # requests that matter here were made.
    record("deploy.yml with a migration", "playbooks/deploy.yml", "-e", "deploy_service=backend", "-e",
           "deploy_image_tag=v3", "-e", json.dumps(MIGRATE), fails=True)
    record("rotate-db-password.yml", "playbooks/rotate-db-password.yml")
    index.read(aws.client)
    task_definitions = task_definitions_of(aws)
    roles = roles_of(aws)
    record("teardown.yml", "playbooks/teardown.yml", "-e", "teardown_confirm=local")
    return {"records": recorded, "index": index, "task_definitions": task_definitions, "roles": roles}


def task_definitions_of(aws):
    """The task definitions the services run."""
    ecs = aws.client("ecs")
    services = ecs.describe_services(cluster="solo-saving-local", services=["frontend", "backend"])["services"]
    return [ecs.describe_task_definition(taskDefinition=s["taskDefinition"])["taskDefinition"] for s in services]


def roles_of(aws):
    iam = aws.client("iam")
    found = {}
    for role in iam.list_roles()["Roles"]:
        name = role["RoleName"]
        if not name.startswith("solo-saving-"):
            continue
        detail = iam.get_role(RoleName=name)["Role"]
        found[name] = {"boundary": (detail.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
                       "inline": {p: iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
                                  for p in iam.list_role_policies(RoleName=name)["PolicyNames"]}}
    return found


def denials(requests, policies, boundary=None):
    found = []
    for request in requests:
        decision = evaluate(request, policies, boundary)
        if not decision.allowed:
            found.append(denial_report(request, decision))
    return found


def evaluate_runs(runs, labels, policy):
    index = runs["index"]
    found, evaluated = [], []
    for label in labels:
        requests = run_authorizations(runs["records"][label], index, label)
        evaluated.extend(requests)
        found.extend(denials(requests, [policy]))
    return found, evaluated


# Requests AWS authorizes beside a call, and condition keys, that the evaluation must have seen.
BESIDE = {"ec2:CreateTags", "ecs:TagResource", "iam:PassRole", "iam:TagRole", "elasticloadbalancing:SetWebAcl",
          "elasticloadbalancing:CreateWebACLAssociation", "elasticloadbalancing:DeleteWebACLAssociation",
          "elasticloadbalancing:GetLoadBalancerWebACL", "ec2:DescribeRegions", "logs:CreateLogDelivery",
          "iam:CreateServiceLinkedRole", "rds:AddTagsToResource", "ssm:AddTagsToResource"}
KEYS = {"aws:RequestTag/Project", "aws:ResourceTag/Project", "aws:TagKeys", "ec2:CreateAction", "ecs:cluster",
        "iam:PassedToService", "iam:PermissionsBoundary", "iam:AWSServiceName"}


DEPLOYER_RUNS = ["site.yml --check (empty account)", "site.yml (cold)", "site.yml (no-op)",
                 "site.yml --check (converged)", "site.yml (after a change)", "verify.yml", "deploy.yml",
                 "deploy.yml with a migration", "rotate-db-password.yml", "teardown.yml"]
PLAN_RUNS = ["site.yml --check (empty account)", "site.yml --check (converged)", "verify.yml"]
PUSH_RUNS = ["image push v2", "image push v3"]


def test_policies_are_well_formed_and_fit_managed_policies():
    for name in POLICIES:
        policy = load(name)
        assert policy["Version"] == "2012-10-17", name
        sids = [s["Sid"] for s in policy["Statement"]]
        assert len(sids) == len(set(sids)), f"{name}: statement ids must be unique"
        for statement in policy["Statement"]:
            actions = statement.get("Action", statement.get("NotAction"))
            assert actions == sorted(set(actions)), f"{name} {statement['Sid']}: sort, no duplicates"
        documents = split(policy)
        assert all(size(d) <= MANAGED_POLICY_LIMIT for d in documents), name
        assert [s for d in documents for s in d["Statement"]] == policy["Statement"]


@pytest.mark.slow
def test_the_deployer_policy_allows_every_request_of_the_stack(runs):
    found, evaluated = evaluate_runs(runs, DEPLOYER_RUNS, load("deployer-policy.json"))
    assert len(evaluated) > 500
    assert {r.action for r in evaluated} >= BESIDE
    assert {k for r in evaluated for k in r.context} >= KEYS
    # The og of CreateDBCluster, the VPC of CreateSubnet: resources AWS checks beside the one created.
    assert any(r.action == "rds:CreateDBCluster" and ":og:default:aurora-postgresql-" in r.resource for r in evaluated)
    assert any(r.action == "ec2:CreateSubnet" and ":vpc/vpc-" in r.resource
               and r.context.get("aws:ResourceTag/Project") == "solo-saving" for r in evaluated)
    assert not found, f"{len(found)} denied:\n" + "\n".join(found)


@pytest.mark.slow
def test_the_plan_policy_runs_check_mode_and_the_verification(runs):
    found, evaluated = evaluate_runs(runs, PLAN_RUNS, load("plan-policy.json"))
    assert len(evaluated) > 100
    assert not found, f"{len(found)} denied:\n" + "\n".join(found)


@pytest.mark.slow
def test_the_plan_policy_changes_nothing(runs):
    """Every write of the cold deploy is denied to the planner."""
    writes = [r for r in run_authorizations(runs["records"]["site.yml (cold)"], TagIndex(), "cold")
              if r.action.split(":", 1)[1].startswith(("Create", "Put", "Delete", "Modify", "Update", "Attach",
                                                        "Authorize", "Register", "Request", "Associate", "Tag"))]
    assert len(writes) > 50
    allowed = [r.describe() for r in writes if evaluate(r, [load("plan-policy.json")]).allowed]
    assert not allowed, "\n".join(allowed)


@pytest.mark.slow
def test_the_image_push_policy_allows_the_push_and_nothing_of_the_stack(runs):
    found, evaluated = evaluate_runs(runs, PUSH_RUNS, load("image-push-policy.json"))
    assert len(evaluated) >= 14
    assert not found, "\n".join(found)
    stack = run_authorizations(runs["records"]["deploy.yml"], TagIndex(), "deploy")
    assert not [r for r in stack if r.action.startswith(("ecs:", "iam:"))
                and evaluate(r, [load("image-push-policy.json")]).allowed]


@pytest.mark.slow
def test_every_role_of_the_stack_carries_the_boundary(runs):
    roles = runs["roles"]
    assert len(roles) == 5, sorted(roles)  # two execution roles, two task roles, the flow log's delivery role
    expected = sar_arn("iam", "policy", BOUNDARY_NAME)
    assert {name: r["boundary"] for name, r in roles.items()} == {name: expected for name in roles}


def task_start_requests(task_definition):
    """What ECS does with a task execution role to start a task of ``task_definition``."""
    label = f"start of {task_definition['family']}:{task_definition['revision']}"
    requests = [Request("ecr:GetAuthorizationToken", "*", {}, label)]
    for container in task_definition["containerDefinitions"]:
        _, _, rest = container["image"].partition("/")
        repository = rest.rsplit(":", 1)[0]
        for action in ("ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"):
            requests.append(Request(action, sar_arn("ecr", "repository", repository), {}, label))
        options = (container.get("logConfiguration") or {}).get("options", {})
        if options.get("awslogs-group"):
            stream = f"{options.get('awslogs-stream-prefix', 'ecs')}/{container['name']}/0123456789abcdef"
            for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
                requests.append(Request(action, sar_arn("logs", "log-stream", options["awslogs-group"], stream),
                                        {}, label))
        for secret in container.get("secrets", []):
            requests.append(Request("ssm:GetParameters", secret["valueFrom"], {}, label))
    return requests


@pytest.mark.slow
def test_the_flow_log_role_writes_its_log_group_and_nothing_else(runs):
    boundary = load("permissions-boundary.json")
    role = runs["roles"]["solo-saving-local-vpc-flow-logs"]
    policies = [json.loads(d) if isinstance(d, str) else d for d in role["inline"].values()]
    group = "solo-saving-local-vpc-flow-logs"
    stream = sar_arn("logs", "log-stream", group, "eni-0123456789abcdef0-reject")
    label = "flow log delivery"
    # What VPC Flow Logs does with the role (VPC User Guide, "IAM role for publishing flow logs to CloudWatch Logs").
    delivery = [Request("logs:CreateLogStream", stream, {}, label), Request("logs:PutLogEvents", stream, {}, label),
                Request("logs:DescribeLogStreams", sar_arn("logs", "log-group", group), {}, label),
                Request("logs:DescribeLogGroups", "*", {}, label)]
    assert not denials(delivery, policies, boundary)
    elsewhere = sar_arn("logs", "log-stream", "/ecs/solo-saving-local/backend", "ecs/backend/0123")
    assert denials([Request("logs:PutLogEvents", elsewhere, {}, label)], policies, boundary)


@pytest.mark.slow
def test_the_task_execution_roles_start_their_tasks(runs):
    boundary = load("permissions-boundary.json")
    latest = {}
    for definition in runs["task_definitions"]:
        if definition["revision"] > latest.get(definition["family"], {}).get("revision", 0):
            latest[definition["family"]] = definition
    assert sorted(latest) == ["solo-saving-local-backend", "solo-saving-local-frontend"]
    found = []
    for definition in latest.values():
        role = runs["roles"][definition["executionRoleArn"].rsplit("/", 1)[-1]]
        policies = [json.loads(d) if isinstance(d, str) else d for d in role["inline"].values()]
        found.extend(denials(task_start_requests(definition), policies, boundary))
    assert not found, "\n".join(found)

