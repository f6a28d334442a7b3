"""Filters of the services layer: validation messages, IAM roles, alarms, secret references."""

from __future__ import annotations

import copy

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.solo_saving.infra.plugins.filter import services as f


def service(**changes):
    spec = {
        "cpu": 256, "memory": 512, "desired_count": 2, "min_capacity": 2, "max_capacity": 4, "spot_weight": 0,
        "environment": {"NODE_ENV": "production"}, "secrets": {}, "readonly_root_filesystem": True,
        "writable_paths": ["/tmp"], "health_check_path": "/health", "health_check_command": [],
        "task_policy_statements": [],
    }
    spec.update(changes)
    return spec


VALID = {
    "production": False, "container_insights": "enabled", "cpu_architecture": "X86_64", "image_tag": "",
    "initial_image_tag": "latest", "log_retention_days": 30, "log_kms_key_arn": "",
    "namespace_name": "solo-saving-dev.internal", "wait_timeout": 900, "discovery_ttl": 10,
    "secret_keys": ["db_host", "db_password", "stripe_key"],
    "deployment": {"minimum_healthy_percent": 100, "maximum_percent": 200},
    "scaling": {"cpu_target": 60, "memory_target": 70, "scale_in_cooldown": 300, "scale_out_cooldown": 60},
    "health_check": {"interval": 30, "timeout": 5, "retries": 3, "start_period": 30},
    "alarms": {"email": "ops@example.com", "period": 300, "evaluation_periods": 2,
               "thresholds": {"alb_5xx": 10, "ecs_cpu": 85, "aurora_connections": None}},
    "services": {"frontend": service(health_check_grace_period=60),
                 "backend": service(cpu=512, memory=1024,
                                    secrets={"DB_HOST": "db_host", "DB_PASSWORD": "db_password"})},
}


def with_changes(path, value):
    spec = copy.deepcopy(VALID)
    target = spec
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value
    return spec


def test_valid_inputs_have_no_errors():
    assert f.services_errors(VALID) == []


@pytest.mark.parametrize(("path", "value", "message"), [
    ("services.frontend.cpu", 300, "services_frontend_cpu = 300: Fargate tasks take 256, 512, 1024"),
    ("services.backend.memory", 512, "services_backend_memory = 512: with services_backend_cpu = 512, Fargate "
                                     "accepts 1024 to 4096 MiB in steps of 1024"),
    ("services.frontend.min_capacity", 5, "services_frontend_min_capacity = 5 is above "
                                          "services_frontend_max_capacity = 4"),
    ("services.backend.desired_count", 9, "services_backend_desired_count = 9 is outside "
                                          "services_backend_min_capacity..services_backend_max_capacity (2..4)"),
    ("services.frontend.max_capacity", "four", "services_frontend_max_capacity = 'four': give a whole number"),
    ("services.backend.environment", {"DB_PASSWORD": "x"}, "services_backend_environment.DB_PASSWORD is also in "
                                                           "services_backend_secrets"),
    ("services.frontend.environment", {"API_TOKEN": "abc"}, "services_frontend_environment.API_TOKEN looks like a "
                                                            "secret: put it in Parameter Store"),
    ("services.frontend.environment", {"BACKEND_URL": "http://x"}, "services_frontend_environment.BACKEND_URL: the "
                                                                   "role sets BACKEND_URL itself"),
    ("services.frontend.environment", {"1BAD": "x"}, "'1BAD' is not a valid environment variable name"),
    ("services.backend.secrets", {"DB_HOST": "db_hots"}, "services_backend_secrets.DB_HOST = 'db_hots' is not a "
                                                         "parameter of the secrets role"),
    ("services.frontend.writable_paths", ["tmp"], "services_frontend_writable_paths = ['tmp']: give a list of "
                                                  "absolute paths"),
    ("services.frontend.health_check_command", ["curl", "x"], "services_frontend_health_check_command must start "
                                                              "with CMD or CMD-SHELL"),
    ("services.backend.health_check_path", "health", "services_backend_health_check_path = 'health'"),
    ("services.frontend.task_policy_statements", [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
     "services_frontend_task_policy_statements[0]: Action 's3:*' allows every action of a service"),
    ("services.backend.task_policy_statements", [{"Action": "s3:GetObject"}],
     "services_backend_task_policy_statements[0]: give a statement with Effect"),
    ("container_insights", "on", "services_container_insights = 'on': use one of enabled, enhanced, disabled"),
    ("cpu_architecture", "arm", "services_cpu_architecture = 'arm': use X86_64 or ARM64"),
    ("image_tag", "-bad", "services_image_tag = '-bad' is not a Docker image tag"),
    ("initial_image_tag", "", "services_initial_image_tag = '' is not a Docker image tag"),
    ("log_retention_days", 10, "services_log_retention_days = 10: CloudWatch Logs accepts 1, 3, 5"),
    ("log_kms_key_arn", "alias/x", "services_log_kms_key_arn = 'alias/x': give the ARN of a customer KMS key"),
    ("namespace_name", "Bad_Name", "services_namespace_name = 'Bad_Name': give a private DNS domain"),
    ("namespace_name", "internal", "services_namespace_name = 'internal'"),
    ("deployment.maximum_percent", 100, "services_deployment_maximum_percent = 100 with minimum healthy 100"),
    ("scaling.cpu_target", 99, "services_cpu_target = 99: give a utilisation target from 10 to 95 percent"),
    ("health_check.timeout", 1, "services_health_check_timeout = 1: give a whole number from 2 to 60"),
    ("alarms.email", "ops-at-example", "services_alarm_email = 'ops-at-example' is not an e-mail address"),
    ("alarms.period", 90, "services_alarm_period = 90: CloudWatch takes 10, 20, 30 or a multiple of 60"),
    ("alarms.thresholds", {"ecs_cpu": 150}, "services_alarm_ecs_cpu_threshold = 150: give a number from 0 to 100"),
    ("alarms.thresholds", {"alb_5xx": -1}, "services_alarm_alb_5xx_threshold = -1: give a number from 0"),
])
def test_bad_input_is_named(path, value, message):
    errors = f.services_errors(with_changes(path, value))
    assert any(message in e for e in errors), errors


@pytest.mark.parametrize(("path", "value", "message"), [
    ("services.frontend.min_capacity", 1, "services_frontend_min_capacity = 1: production needs at least 2 tasks"),
    ("services.backend.spot_weight", 1, "services_backend_spot_weight = 1: production runs on on-demand Fargate"),
])
def test_production_rules(path, value, message):
    spec = with_changes(path, value)
    spec["production"] = True
    if path.endswith("min_capacity"):
        spec["services"]["frontend"]["desired_count"] = 1
    errors = f.services_errors(spec)
    assert any(message in e for e in errors), errors
    spec["production"] = False
    assert not any(message in e for e in f.services_errors(spec))


def test_secret_keys_are_only_checked_when_known():
    spec = with_changes("services.backend.secrets", {"X": "anything"})
    spec["secret_keys"] = []
    assert f.services_errors(spec) == []


def test_filter_wrapper_rejects_a_non_mapping():
    with pytest.raises(AnsibleFilterError, match="services_errors expects a mapping, got list"):
        f.FilterModule().filters()["services_errors"]([])


IAM_SPEC = {
    "name_prefix": "ss-dev", "region": "ap-northeast-1", "account_id": "123456789012", "ssm_path": "/ss/dev",
    "kms_key_id": "",
    "services": {
        "frontend": {"repository_arn": "arn:aws:ecr:ap-northeast-1:123456789012:repository/ss-dev/frontend",
                     "log_group": "/ecs/ss-dev/frontend", "has_secrets": False, "task_policy_statements": []},
        "backend": {"repository_arn": "arn:aws:ecr:ap-northeast-1:123456789012:repository/ss-dev/backend",
                    "log_group": "/ecs/ss-dev/backend", "has_secrets": True,
                    "task_policy_statements": [{"Effect": "Allow", "Action": "s3:PutObject",
                                                "Resource": "arn:aws:s3:::uploads/*"}]},
    },
}


def roles_by_name(spec):
    return {r["name"]: r for r in f.services_iam_roles(spec)}


def test_execution_roles_are_least_privilege():
    roles = roles_by_name(IAM_SPEC)
    assert sorted(roles) == ["ss-dev-backend-execution", "ss-dev-backend-task", "ss-dev-frontend-execution",
                             "ss-dev-frontend-task"]
    statements = roles["ss-dev-backend-execution"]["inline_policies"]["execution"]["Statement"]
    actions = [a for s in statements for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])]
    assert not [a for a in actions if "*" in a]
    star = [s["Action"] for s in statements if s["Resource"] == "*"]
    assert star == ["ecr:GetAuthorizationToken"]
    by_sid = {s["Sid"]: s for s in statements}
    assert by_sid["PullServiceImages"]["Resource"] == IAM_SPEC["services"]["backend"]["repository_arn"]
    assert by_sid["ReadEnvironmentParameters"] == {
        "Sid": "ReadEnvironmentParameters", "Effect": "Allow", "Action": "ssm:GetParameters",
        "Resource": "arn:aws:ssm:ap-northeast-1:123456789012:parameter/ss/dev/*"}
    assert by_sid["WriteServiceLogs"]["Resource"] == [
        "arn:aws:logs:ap-northeast-1:123456789012:log-group:/ecs/ss-dev/backend",
        "arn:aws:logs:ap-northeast-1:123456789012:log-group:/ecs/ss-dev/backend:log-stream:*"]
    # A service without secrets cannot read Parameter Store at all.
    frontend = roles["ss-dev-frontend-execution"]["inline_policies"]["execution"]["Statement"]
    assert "ReadEnvironmentParameters" not in {s["Sid"] for s in frontend}


def test_task_roles_are_empty_by_default_and_carry_inventory_statements():
    roles = roles_by_name(IAM_SPEC)
    assert roles["ss-dev-frontend-task"]["inline_policies"] == {}
    assert roles["ss-dev-backend-task"]["inline_policies"]["application"]["Statement"] == \
        IAM_SPEC["services"]["backend"]["task_policy_statements"]
    trust = roles["ss-dev-backend-task"]["assume_role_policy"]["Statement"][0]
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}


@pytest.mark.parametrize(("kms", "resource", "alias_condition"), [
    ("", None, None),
    ("alias/aws/ssm", None, None),
    ("arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd", "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd",
     None),
    ("1234abcd", "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd", None),
    ("alias/solo", "arn:aws:kms:ap-northeast-1:123456789012:key/*", "alias/solo"),
    ("arn:aws:kms:ap-northeast-1:123456789012:alias/solo", "arn:aws:kms:ap-northeast-1:123456789012:key/*",
     "alias/solo"),
])
def test_kms_decrypt_only_for_a_customer_key(kms, resource, alias_condition):
    spec = copy.deepcopy(IAM_SPEC)
    spec["kms_key_id"] = kms
    statements = roles_by_name(spec)["ss-dev-backend-execution"]["inline_policies"]["execution"]["Statement"]
    decrypt = [s for s in statements if s["Action"] == "kms:Decrypt"]
    if resource is None:
        assert decrypt == []
        return
    assert decrypt[0]["Resource"] == resource
    assert decrypt[0]["Condition"]["StringEquals"] == {"kms:ViaService": "ssm.ap-northeast-1.amazonaws.com"}
    if alias_condition:
        assert decrypt[0]["Condition"]["ForAnyValue:StringEquals"] == {"kms:ResourceAliases": alias_condition}


ALARM_SPEC = {
    "name_prefix": "ss-dev", "cluster_name": "ss-dev", "services": ["backend", "frontend"],
    "alb_arn": "arn:aws:elasticloadbalancing:ap-northeast-1:1:loadbalancer/app/ss-dev-alb/50dc6c495c0c9188",
    "target_group_arn": "arn:aws:elasticloadbalancing:ap-northeast-1:1:targetgroup/ss-dev-tg/73e2d6bc24d8a067",
    "db_cluster_identifier": "ss-dev-db", "period": 300, "evaluation_periods": 2,
    "thresholds": {"alb_5xx": 10, "target_5xx": 10, "unhealthy_targets": 1, "ecs_cpu": 85, "ecs_memory": 85,
                   "aurora_cpu": 80, "aurora_acu": 90, "aurora_connections": 200},
}


def test_alarms_cover_alb_ecs_and_rds_with_cloudwatch_dimensions():
    alarms = {a["name"]: a for a in f.services_alarms(ALARM_SPEC)}
    assert len(alarms) == 10
    assert all(name.startswith("ss-dev-alarm-") for name in alarms)
    assert alarms["ss-dev-alarm-alb-5xx"]["dimensions"] == {"LoadBalancer": "app/ss-dev-alb/50dc6c495c0c9188"}
    assert alarms["ss-dev-alarm-frontend-unhealthy-targets"]["dimensions"] == {
        "LoadBalancer": "app/ss-dev-alb/50dc6c495c0c9188", "TargetGroup": "targetgroup/ss-dev-tg/73e2d6bc24d8a067"}
    assert alarms["ss-dev-alarm-backend-memory-high"]["dimensions"] == {"ClusterName": "ss-dev",
                                                                        "ServiceName": "backend"}
    assert alarms["ss-dev-alarm-aurora-acu-high"]["metric"] == "ACUUtilization"
    assert alarms["ss-dev-alarm-aurora-acu-high"]["statistic"] == "Maximum"
    assert alarms["ss-dev-alarm-aurora-acu-high"]["dimensions"] == {"DBClusterIdentifier": "ss-dev-db"}
    assert alarms["ss-dev-alarm-aurora-connections-high"]["threshold"] == 200


def test_a_null_threshold_means_no_alarm():
    spec = copy.deepcopy(ALARM_SPEC)
    spec["thresholds"]["ecs_cpu"] = None
    spec["thresholds"]["aurora_acu"] = None
    names = [a["name"] for a in f.services_alarms(spec)]
    assert len(names) == 7
    assert "ss-dev-alarm-frontend-cpu-high" not in names and "ss-dev-alarm-aurora-acu-high" not in names


def test_planned_arns_pass_through():
    assert f.arn_suffix("planned:alb:x", "loadbalancer") == "planned:alb:x"


def test_secret_arns_resolve_keys_and_name_the_variable_otherwise():
    parameters = {"db_host": {"name": "/s/dev/db_host", "arn": "arn:aws:ssm:r:1:parameter/s/dev/db_host"}}
    assert f.services_secret_arns({"DB_HOST": "db_host"}, parameters, "services_backend_secrets") == {
        "DB_HOST": "arn:aws:ssm:r:1:parameter/s/dev/db_host"}
    with pytest.raises(AnsibleFilterError, match=r"services_backend_secrets.DB_PASS refers to parameter key "
                                                 r"'db_pass', which the secrets role does not manage \(it manages: "
                                                 r"db_host\)"):
        f.FilterModule().filters()["services_secret_arns"]({"DB_PASS": "db_pass"}, parameters,
                                                           "services_backend_secrets")


def test_numbers_given_on_the_command_line_as_text_are_read_as_numbers():
    spec = with_changes("wait_timeout", "60")
    spec["services"]["frontend"]["cpu"] = "256"
    spec["services"]["frontend"]["min_capacity"] = "2"
    spec["alarms"]["period"] = "300"
    assert f.services_errors(spec) == []
    assert f.services_errors(with_changes("wait_timeout", "soon")) == [
        "services_wait_timeout = 'soon': give a whole number from 10 to 7200"]


def test_per_service_image_tags_are_checked():
    spec = with_changes("backend_image_tag", "sha-1234")
    spec["frontend_image_tag"] = ""
    assert f.services_errors(spec) == []
    assert f.services_errors(with_changes("frontend_image_tag", "bad tag")) == [
        "services_frontend_image_tag = 'bad tag' is not a Docker image tag (letters, digits, _ . -, up to 128 "
        "characters, not starting with . or -)"]
