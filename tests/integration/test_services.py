"""The services stage against the emulator: converge, idempotence, read-only check, acceptance, bad input, waits."""

from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest

from tests.support.aws import (
    BIN,
    ROOT,
    break_lock_after_a_kill,
    is_write,
    kill_run,
    request_action,
    request_service,
    run_playbook,
)

pytestmark = pytest.mark.slow

PREFIX = "solo-saving-local"


def writes(records):
    return [f"{request_service(r)}:{request_action(r)}" for r in records if is_write(r)]


def test_services_stage(aws, playbook):
    # 1. With the wait on, the emulator's deployments never complete: the run fails, bounded, naming each service
    #    and what ECS reported (the wait is off by default where the endpoint is the emulator).
    waited = playbook("site.yml", "-e", "services_wait=true", "-e", "services_wait_timeout=10")
    assert waited.rc != 0
    text = " ".join(waited.output.split())
    assert "the deployment did not reach a steady state within 10 seconds: ECS service backend: rollout " \
           "IN_PROGRESS" in text, waited.output[-4000:]
    assert "0/2 tasks running" in text and "ECS service frontend: rollout IN_PROGRESS" in text

    # 2. The stack converges; a second run and a check run of the stage change nothing and write nothing.
    playbook("site.yml", check=True)
    aws.start_recording()
    again = playbook("site.yml", "--tags", "services", "-vvv", check=True)
    check = playbook("site.yml", "--tags", "services", "--check", "--diff", check=True)
    records = aws.stop_recording()
    assert again.recap()["changed"] == 0, again.output[-6000:]
    assert check.recap()["changed"] == 0, check.output[-6000:]
    assert writes(records) == []
    # The stage handles references only: no secret value reaches even a -vvv output.
    password = aws.client("ssm").get_parameter(Name="/solo-saving/local/db_password",
                                               WithDecryption=True)["Parameter"]["Value"]
    assert password not in again.output and password not in check.output

    assert_acceptance(aws)

    # 3. A deploy's image is not rolled back by the stack: an image tag rolls out once, then stays.
    deploy = playbook("site.yml", "--tags", "services", "-e", "services_image_tag=v2", check=True)
    assert deploy.recap()["changed"] == 1
    rerun = playbook("site.yml", "--tags", "services", check=True)
    assert rerun.recap()["changed"] == 0, rerun.output[-6000:]
    assert_images(aws, {"frontend": (2, "v2"), "backend": (2, "v2")})
    # A deploy of one service leaves the other alone.
    one = playbook("site.yml", "--tags", "services", "-e", "services_backend_image_tag=v3", check=True)
    assert one.recap()["changed"] == 1
    assert_images(aws, {"frontend": (2, "v2"), "backend": (3, "v3")})


def assert_images(aws, expected):
    ecs = aws.client("ecs")
    for name, (revision, tag) in expected.items():
        service = ecs.describe_services(cluster=PREFIX, services=[name])["services"][0]
        assert service["taskDefinition"].endswith(f"{PREFIX}-{name}:{revision}")
        definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
        assert definition["containerDefinitions"][0]["image"].endswith(f"/{name}:{tag}")


def assert_acceptance(aws):
    ecs, ec2 = aws.client("ecs"), aws.client("ec2")
    services = {s["serviceName"]: s for s in ecs.describe_services(cluster=PREFIX,
                                                                   services=["frontend", "backend"])["services"]}
    app_filter = [{"Name": "tag:Tier", "Values": ["app"]}, {"Name": "tag:Project", "Values": ["solo-saving"]}]
    app_subnets = {s["SubnetId"]: s for s in ec2.describe_subnets(Filters=app_filter)["Subnets"]}
    groups = {g["GroupName"]: g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]}
    for name, service in services.items():
        vpc = service["networkConfiguration"]["awsvpcConfiguration"]
        # Private subnets without public IPs, the service's own security group.
        assert vpc["assignPublicIp"] == "DISABLED"
        assert sorted(vpc["subnets"]) == sorted(app_subnets)
        assert not any(app_subnets[s]["MapPublicIpOnLaunch"] for s in vpc["subnets"])
        assert vpc["securityGroups"] == [groups[f"{PREFIX}-{name}"]]
    # Only the frontend is in the ALB target group; the backend is registered in Cloud Map.
    target_groups = aws.client("elbv2").describe_target_groups()["TargetGroups"]
    assert [lb["targetGroupArn"] for lb in services["frontend"]["loadBalancers"]] == \
        [tg["TargetGroupArn"] for tg in target_groups]
    assert services["backend"]["loadBalancers"] == []
    sd = aws.client("servicediscovery")
    namespace = [n for n in sd.list_namespaces()["Namespaces"] if n["Name"] == f"{PREFIX}.internal"]
    assert len(namespace) == 1
    discovery = sd.list_services(Filters=[{"Name": "NAMESPACE_ID", "Values": [namespace[0]["Id"]]}])["Services"]
    assert [s["Name"] for s in discovery] == ["backend"]
    assert services["backend"]["serviceRegistries"] == [{"registryArn": discovery[0]["Arn"]}]
    # The frontend reaches the backend by its Cloud Map name.
    frontend_td = ecs.describe_task_definition(taskDefinition=services["frontend"]["taskDefinition"])["taskDefinition"]
    env = {e["name"]: e["value"] for e in frontend_td["containerDefinitions"][0]["environment"]}
    assert env["BACKEND_URL"] == f"http://backend.{PREFIX}.internal:8000"

    # The backend task definition holds no secret value, only SSM ARNs.
    backend_td = ecs.describe_task_definition(taskDefinition=services["backend"]["taskDefinition"])["taskDefinition"]
    container = backend_td["containerDefinitions"][0]
    assert {s["name"] for s in container["secrets"]} == {"DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD"}
    assert all(s["valueFrom"].startswith("arn:aws:ssm:ap-northeast-1:123456789012:parameter/solo-saving/local/")
               for s in container["secrets"])
    ssm = aws.client("ssm")
    password = ssm.get_parameter(Name="/solo-saving/local/db_password", WithDecryption=True)["Parameter"]["Value"]
    assert password not in json.dumps(backend_td)
    assert container["readonlyRootFilesystem"] is True
    # One revision per family: a re-run registered nothing.
    families = ecs.list_task_definitions()["taskDefinitionArns"]
    assert sorted(a.rsplit("/", 1)[-1] for a in families) == [f"{PREFIX}-backend:1", f"{PREFIX}-frontend:1"]

    # Scaling targets and CPU/memory target-tracking policies for both; no policy put twice.
    aas = aws.client("application-autoscaling")
    targets = aas.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    assert sorted((t["ResourceId"], t["MinCapacity"], t["MaxCapacity"]) for t in targets) == [
        (f"service/{PREFIX}/backend", 2, 4), (f"service/{PREFIX}/frontend", 2, 4)]
    policies = aas.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]
    metrics = sorted((p["ResourceId"].rsplit("/", 1)[-1],
                      p["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"]
                      ["PredefinedMetricType"]) for p in policies)
    assert metrics == [("backend", "ECSServiceAverageCPUUtilization"),
                       ("backend", "ECSServiceAverageMemoryUtilization"),
                       ("frontend", "ECSServiceAverageCPUUtilization"),
                       ("frontend", "ECSServiceAverageMemoryUtilization")]

    # Alarms on ECS, ALB and RDS metrics notify the topic; none duplicated (the emulator adds two alarms per
    # PutScalingPolicy: 8 means each policy was put once).
    alarms = aws.client("cloudwatch").describe_alarms()["MetricAlarms"]
    ours = [a for a in alarms if a["AlarmName"].startswith(f"{PREFIX}-alarm-")]
    assert len([a for a in alarms if a["AlarmName"].startswith("TargetTracking-")]) == 8
    topic = f"arn:aws:sns:ap-northeast-1:123456789012:{PREFIX}-alarms"
    assert len(ours) == 10 and all(a["AlarmActions"] == [topic] for a in ours)
    assert {a["Namespace"] for a in ours} == {"AWS/ECS", "AWS/ApplicationELB", "AWS/RDS"}
    # The topic is encrypted with the stack's customer key (FSBP SNS.1): rotation on, CloudWatch and RDS events
    # may use it for this account only.
    kms = aws.client("kms")
    key_id = aws.client("sns").get_topic_attributes(TopicArn=topic)["Attributes"]["KmsMasterKeyId"]
    key = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert key["KeyManager"] == "CUSTOMER" and key["Arn"] == key_id
    assert kms.describe_key(KeyId=f"alias/{PREFIX}-alarms")["KeyMetadata"]["Arn"] == key_id
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    services = next(s for s in policy["Statement"] if "Service" in s["Principal"])
    assert sorted(services["Principal"]["Service"]) == ["cloudwatch.amazonaws.com", "events.rds.amazonaws.com"]
    assert services["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    # RDS sends the events of the cluster, its instances and the parameter and security groups to the topic.
    rds = aws.client("rds")
    subs = {s["CustSubscriptionId"]: s for s in rds.describe_event_subscriptions()["EventSubscriptionsList"]}
    assert sorted(subs) == [f"{PREFIX}-db-{kind}-events" for kind in
                            ("cluster", "instance", "parameter-group", "security-group")]
    assert all(s["SnsTopicArn"] == topic and s["Enabled"] for s in subs.values())
    assert subs[f"{PREFIX}-db-cluster-events"]["SourceIdsList"] == [f"{PREFIX}-db"]
    members = rds.describe_db_clusters(DBClusterIdentifier=f"{PREFIX}-db")["DBClusters"][0]["DBClusterMembers"]
    assert sorted(subs[f"{PREFIX}-db-instance-events"]["SourceIdsList"]) == \
        sorted(m["DBInstanceIdentifier"] for m in members)
    assert {"failure", "maintenance"} <= set(subs[f"{PREFIX}-db-cluster-events"]["EventCategoriesList"])
    assert subs[f"{PREFIX}-db-parameter-group-events"]["SourceIdsList"] == []

    # The execution roles: no wildcard action, SSM scoped to this environment's path.
    iam = aws.client("iam")
    for name in ("frontend", "backend"):
        document = iam.get_role_policy(RoleName=f"{PREFIX}-{name}-execution", PolicyName="execution")["PolicyDocument"]
        for statement in document["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not [a for a in actions if "*" in a]
            if statement["Resource"] == "*":
                assert actions == ["ecr:GetAuthorizationToken"]
            if "ssm:GetParameters" in actions:
                assert statement["Resource"] == "arn:aws:ssm:ap-northeast-1:123456789012:parameter/solo-saving/local/*"
        assert iam.list_attached_role_policies(RoleName=f"{PREFIX}-{name}-execution")["AttachedPolicies"] == []


@pytest.mark.parametrize(("extra", "expected"), [
    ({"services_frontend_memory": 300},
     "services_frontend_memory = 300: with services_frontend_cpu = 256, Fargate accepts 512 to 2048 MiB"),
    ({"services_backend_min_capacity": 5},
     "services_backend_min_capacity = 5 is above services_backend_max_capacity = 4"),
    ({"services_backend_secrets": {"DB_PASSWORD": "db_pasword"}},
     "services_backend_secrets.DB_PASSWORD = 'db_pasword' is not a parameter of the secrets role"),
    ({"services_alarm_ecs_cpu_threshold": 150}, "services_alarm_ecs_cpu_threshold = 150"),
    ({"services_frontend_environment": {"DB_PASSWORD": "hunter2"}},
     "services_frontend_environment.DB_PASSWORD looks like a secret"),
])
def test_bad_services_input_fails_in_preflight_before_any_aws_call(aws, playbook, extra, expected):
    aws.start_recording()
    run = playbook("site.yml", "-e", json.dumps(extra))
    records = aws.stop_recording()
    assert run.rc != 0
    assert expected in " ".join(run.output.split()), run.output[-4000:]
    assert records == [], [request_action(r) for r in records]


def test_a_run_killed_midway_converges_without_duplicates(aws, playbook):
    playbook("site.yml", "--tags", "network,secrets,registry,database,edge", check=True)
    proc = subprocess.Popen([str(BIN / "ansible-playbook"), "site.yml", "--tags", "services"], cwd=ROOT,
                            env=aws.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    ecs = aws.client("ecs")
    deadline = time.monotonic() + 300
    try:
        # Kill it right after the first task definition is registered, before its service exists.
        while time.monotonic() < deadline and proc.poll() is None:
            if ecs.list_task_definitions(familyPrefix=f"{PREFIX}-backend")["taskDefinitionArns"]:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before it could be interrupted"
    finally:
        if proc.poll() is None:
            kill_run(proc)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    break_lock_after_a_kill(aws)

    rerun = run_playbook(aws, "site.yml", "--tags", "services", check=True)
    assert rerun.recap()["changed"] >= 1
    assert run_playbook(aws, "site.yml", "--tags", "services", check=True).recap()["changed"] == 0
    assert sorted(a.rsplit("/", 1)[-1] for a in ecs.list_task_definitions()["taskDefinitionArns"]) == [
        f"{PREFIX}-backend:1", f"{PREFIX}-frontend:1"]
    assert len(ecs.list_clusters()["clusterArns"]) == 1
    assert len(ecs.list_services(cluster=PREFIX)["serviceArns"]) == 2
    sd = aws.client("servicediscovery")
    assert [n["Name"] for n in sd.list_namespaces()["Namespaces"]] == [f"{PREFIX}.internal"]
    assert [s["Name"] for s in sd.list_services()["Services"]] == ["backend"]
