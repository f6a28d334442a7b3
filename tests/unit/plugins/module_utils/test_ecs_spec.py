"""ecs_spec: task definitions compared the way AWS returns them, service and scaling comparisons, rollout states."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.solo_saving.infra.plugins.module_utils import ecs_spec

REPO = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/solo-saving-dev/backend"
SPEC = {
    "name": "backend",
    "container_name": "backend",
    "family": "solo-saving-dev-backend",
    "cpu": 512,
    "memory": 1024,
    "cpu_architecture": "X86_64",
    "execution_role_arn": "arn:aws:iam::123456789012:role/x-backend-execution",
    "task_role_arn": "arn:aws:iam::123456789012:role/x-backend-task",
    "container_port": 8000,
    "environment": {"PORT": 8000, "LOG_LEVEL": "info"},
    "secrets": {"DB_PASSWORD": "arn:aws:ssm:ap-northeast-1:123456789012:parameter/s/dev/db_password",
                "DB_HOST": "arn:aws:ssm:ap-northeast-1:123456789012:parameter/s/dev/db_host"},
    "readonly_root_filesystem": True,
    "writable_paths": ["/tmp"],
    "health_check": {"command": ["CMD", "true"], "interval": 30, "timeout": 5, "retries": 3, "start_period": 10},
    "log_group": {"name": "/ecs/x/backend"},
}


def described(request, revision=3):
    """What DescribeTaskDefinition returns on real AWS for ``request``: defaults filled in, order changed."""
    td = copy.deepcopy(request)
    container = td["containerDefinitions"][0]
    container["cpu"] = 0
    container["portMappings"] = [{"containerPort": 8000, "hostPort": 8000, "protocol": "tcp"}]
    container["environment"] = list(reversed(container["environment"]))
    container["secrets"] = list(reversed(container["secrets"]))
    container["volumesFrom"] = []
    container["systemControls"] = []
    container["logConfiguration"]["secretOptions"] = []
    td["volumes"] = [{"name": v["name"], "host": {}} for v in td["volumes"]]
    arn = f"arn:aws:ecs:ap-northeast-1:123456789012:task-definition/{td['family']}:{revision}"
    td.update({"taskDefinitionArn": arn,
               "revision": revision, "status": "ACTIVE", "compatibilities": ["EC2", "FARGATE"],
               "requiresAttributes": [{"name": "com.amazonaws.ecs.capability.ecr-auth"}],
               "placementConstraints": [], "registeredAt": "2026-01-01", "registeredBy": "arn:aws:sts::1:x",
               "cpu": "512", "memory": "1024"})
    return td


def request(**changes):
    spec = copy.deepcopy(SPEC)
    spec.update(changes)
    return ecs_spec.task_definition_request(spec, f"{REPO}:v1", "ap-northeast-1")


def test_request_holds_arns_never_values_and_the_awslogs_group():
    container = request()["containerDefinitions"][0]
    assert container["secrets"] == [
        {"name": "DB_HOST", "valueFrom": "arn:aws:ssm:ap-northeast-1:123456789012:parameter/s/dev/db_host"},
        {"name": "DB_PASSWORD", "valueFrom": "arn:aws:ssm:ap-northeast-1:123456789012:parameter/s/dev/db_password"}]
    assert container["environment"] == [{"name": "LOG_LEVEL", "value": "info"}, {"name": "PORT", "value": "8000"}]
    assert container["readonlyRootFilesystem"] is True
    assert container["mountPoints"] == [{"sourceVolume": "writable-0", "containerPath": "/tmp", "readOnly": False}]
    assert container["logConfiguration"]["options"]["awslogs-group"] == "/ecs/x/backend"
    assert container["healthCheck"]["startPeriod"] == 10


def test_what_aws_returns_equals_what_was_sent():
    desired = request()
    assert ecs_spec.task_definitions_equal(desired, described(desired))


@pytest.mark.parametrize("change", [
    {"environment": {"PORT": 8000, "LOG_LEVEL": "debug"}},
    {"secrets": {"DB_PASSWORD": "arn:aws:ssm:ap-northeast-1:123456789012:parameter/s/dev/other"}},
    {"cpu": 1024, "memory": 2048},
    {"writable_paths": []},
    {"readonly_root_filesystem": False},
    {"task_role_arn": None},
    {"health_check": {"command": ["CMD", "false"]}},
    {"cpu_architecture": "ARM64"},
])
def test_a_real_difference_is_seen(change):
    current = described(request())
    assert not ecs_spec.task_definitions_equal(request(**change), current)


def test_an_image_change_is_seen():
    current = described(request())
    desired = ecs_spec.task_definition_request(SPEC, f"{REPO}:v2", "ap-northeast-1")
    assert not ecs_spec.task_definitions_equal(desired, current)


def test_health_check_defaults_equal_explicit_values():
    desired = request()
    current = described(desired)
    current["containerDefinitions"][0]["healthCheck"] = {"command": ["CMD", "true"], "startPeriod": 10}
    assert ecs_spec.task_definitions_equal(desired, current)


def test_non_tcp_or_other_host_port_is_a_difference():
    desired = request()
    current = described(desired)
    current["containerDefinitions"][0]["portMappings"] = [{"containerPort": 8000, "hostPort": 80, "protocol": "tcp"}]
    assert not ecs_spec.task_definitions_equal(desired, current)


@pytest.mark.parametrize(("tag", "current", "expected"), [
    ("v9", f"{REPO}:v1", f"{REPO}:v9"),              # an explicit tag wins
    ("", f"{REPO}:abc123", f"{REPO}:abc123"),         # a deployed image is kept
    (None, f"{REPO}@sha256:00ff", f"{REPO}@sha256:00ff"),
    ("", None, f"{REPO}:latest"),                     # a first deployment
    ("", "public.ecr.aws/x/other:1", f"{REPO}:latest"),  # another repository is not kept
    ("", f"{REPO}-old:1", f"{REPO}:latest"),          # a repository that only starts the same is not kept
])
def test_resolve_image(tag, current, expected):
    assert ecs_spec.resolve_image(REPO, tag, "latest", current) == expected


def test_family_revision():
    assert ecs_spec.family_revision("arn:aws:ecs:r:1:task-definition/app:7") == "app:7"
    assert ecs_spec.family_revision("app:7") == "app:7"
    assert ecs_spec.family_revision(None) is None


SERVICE_SPEC = {
    "container_name": "frontend", "container_port": 3000, "subnets": ["subnet-a", "subnet-c"],
    "security_groups": ["sg-f"], "load_balancers": [{"target_group_arn": "arn:tg"}],
    "health_check_grace_period": 60, "spot_weight": 0,
}


def real_service(settings, **extra):
    """A DescribeServices entry of real AWS for a service created with ``settings``."""
    service = copy.deepcopy(settings)
    service["taskDefinition"] = "arn:aws:ecs:ap-northeast-1:1:task-definition/" + settings["taskDefinition"]
    service["capacityProviderStrategy"] = [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}]
    service["networkConfiguration"]["awsvpcConfiguration"]["subnets"].reverse()
    service.update(extra)
    return service


def test_a_service_as_aws_returns_it_has_no_changes():
    desired = ecs_spec.service_settings(SERVICE_SPEC, "app:3")
    assert ecs_spec.service_changes(desired, real_service(desired)) == {}


def test_a_service_as_the_emulator_returns_it_has_no_changes():
    desired = ecs_spec.service_settings(SERVICE_SPEC, "app:3")
    emulated = real_service(desired, launchType="EC2")
    for key in ("deploymentConfiguration", "healthCheckGracePeriodSeconds", "enableECSManagedTags",
                "enableExecuteCommand", "capacityProviderStrategy"):
        emulated.pop(key)
    emulated["taskDefinition"] = "app:3"  # UpdateService on the emulator stores what it was given
    assert ecs_spec.service_changes(desired, emulated) == {}


@pytest.mark.parametrize(("mutate", "key"), [
    (lambda s: s.update(taskDefinition="arn:aws:ecs:r:1:task-definition/app:2"), "taskDefinition"),
    (lambda s: s["networkConfiguration"]["awsvpcConfiguration"].update(assignPublicIp="ENABLED"),
     "networkConfiguration"),
    (lambda s: s["networkConfiguration"]["awsvpcConfiguration"].update(securityGroups=["sg-other"]),
     "networkConfiguration"),
    (lambda s: s["deploymentConfiguration"]["deploymentCircuitBreaker"].update(rollback=False),
     "deploymentConfiguration"),
    (lambda s: s.update(loadBalancers=[]), "loadBalancers"),
    (lambda s: s.update(healthCheckGracePeriodSeconds=0), "healthCheckGracePeriodSeconds"),
    (lambda s: s.update(capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT", "weight": 1}]),
     "capacityProviderStrategy"),
    # A real service started with launchType FARGATE moves to the capacity provider strategy.
    (lambda s: (s.pop("capacityProviderStrategy"), s.update(launchType="FARGATE")), "capacityProviderStrategy"),
])
def test_a_service_difference_is_seen(mutate, key):
    desired = ecs_spec.service_settings(SERVICE_SPEC, "app:3")
    current = real_service(desired)
    mutate(current)
    assert list(ecs_spec.service_changes(desired, current)) == [key]


def test_spot_weight_adds_fargate_spot():
    strategy = ecs_spec.capacity_strategy({"spot_weight": 3, "on_demand_base": 1})
    assert strategy == [{"capacityProvider": "FARGATE", "base": 1, "weight": 1},
                        {"capacityProvider": "FARGATE_SPOT", "base": 0, "weight": 3}]


@pytest.mark.parametrize(("current", "desired", "scaling", "expected"), [
    (3, 2, {"min_capacity": 2, "max_capacity": 4}, None),  # auto scaling owns the count
    (1, 2, {"min_capacity": 2, "max_capacity": 4}, 2),     # below the minimum: brought back
    (9, 2, {"min_capacity": 2, "max_capacity": 4}, 4),     # above the maximum: brought back
    (3, 2, None, 2),                                       # no scaling: the inventory's count
    (2, 2, None, None),
])
def test_desired_count_change(current, desired, scaling, expected):
    assert ecs_spec.desired_count_change(current, desired, scaling) == expected


def deployment(td, status="PRIMARY", rollout="COMPLETED", **extra):
    return {"taskDefinition": f"arn:aws:ecs:r:1:task-definition/{td}", "status": status, "rolloutState": rollout,
            **extra}


@pytest.mark.parametrize(("service", "state", "reason"), [
    ({"deployments": [deployment("app:4")], "runningCount": 2, "desiredCount": 2}, "steady", "steady"),
    ({"deployments": [deployment("app:4", rollout="IN_PROGRESS", rolloutStateReason="ECS deployment x in progress."),
                      deployment("app:3", status="ACTIVE")], "runningCount": 3, "desiredCount": 2},
     "pending", "rollout IN_PROGRESS (ECS deployment x in progress.), 3/2 tasks running, 0 failed, 2 deployment(s)"),
    ({"deployments": [deployment("app:4", rollout="FAILED", rolloutStateReason="tasks failed to start")],
      "runningCount": 0, "desiredCount": 2}, "failed", "the deployment of app:4 failed: tasks failed to start"),
    ({"deployments": [deployment("app:3", rollout="IN_PROGRESS")], "runningCount": 1, "desiredCount": 2},
     "failed", "ECS rolled the service back to app:3 (the deployment of app:4 failed)"),
    ({"deployments": [deployment("app:4", rollout=None)], "runningCount": 2, "desiredCount": 2}, "steady", "steady"),
    ({"deployments": [], "runningCount": 0, "desiredCount": 2}, "pending", "no primary deployment yet"),
])
def test_deployment_state(service, state, reason):
    assert ecs_spec.deployment_state(service, "app:4") == (state, reason)


def test_policy_equal_with_aws_defaults():
    desired = ecs_spec.target_tracking_configuration("cpu", 60, 300, 60)
    current = {"PolicyType": "TargetTrackingScaling", "TargetTrackingScalingPolicyConfiguration": {
        "TargetValue": 60.0, "ScaleOutCooldown": 60, "ScaleInCooldown": 300,
        "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}}}
    assert ecs_spec.policy_equal(desired, current)


@pytest.mark.parametrize("change", [
    {"TargetValue": 70.0},
    {"ScaleOutCooldown": 300},
    {"DisableScaleIn": True},
    {"PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageMemoryUtilization"}},
])
def test_policy_difference_is_seen(change):
    desired = ecs_spec.target_tracking_configuration("cpu", 60, 300, 60)
    current = {"PolicyType": "TargetTrackingScaling", "TargetTrackingScalingPolicyConfiguration": {**desired, **change}}
    assert not ecs_spec.policy_equal(desired, current)


def test_a_step_policy_is_not_equal():
    desired = ecs_spec.target_tracking_configuration("memory", 70, 300, 60)
    assert not ecs_spec.policy_equal(desired, {"PolicyType": "StepScaling"})
