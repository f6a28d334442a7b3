"""ecs_fargate_services: plan/compare logic, check mode, waits and error paths, with the wrapper layer faked."""

from __future__ import annotations

import copy
import itertools

import pytest

from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError
from ansible_collections.solo_saving.infra.plugins.modules import ecs_fargate_services as mod
from tests.support.modules import ModuleFail

ACCOUNT = "123456789012"
REPO = f"{ACCOUNT}.dkr.ecr.ap-northeast-1.amazonaws.com/t-dev"
ARGS = {
    "cluster": {"name": "t-dev"},
    "namespace": {"name": "t-dev.internal", "vpc_id": "vpc-1", "timeout": 30},
    "services": [
        {"name": "backend", "family": "t-dev-backend", "cpu": 512, "memory": 1024,
         "execution_role_arn": f"arn:aws:iam::{ACCOUNT}:role/t-dev-backend-execution",
         "task_role_arn": f"arn:aws:iam::{ACCOUNT}:role/t-dev-backend-task",
         "image_repository": f"{REPO}/backend", "container_port": 8000,
         "environment": {"PORT": "8000"},
         "secrets": {"DB_PASSWORD": f"arn:aws:ssm:ap-northeast-1:{ACCOUNT}:parameter/t/dev/db_password"},
         "writable_paths": ["/tmp"],
         "health_check": {"command": ["CMD", "true"]},
         "log_group": {"name": "/ecs/t-dev/backend", "retention_days": 30},
         "desired_count": 2, "subnets": ["subnet-a", "subnet-c"], "security_groups": ["sg-backend"],
         "discovery": {"name": "backend"},
         "scaling": {"min_capacity": 2, "max_capacity": 4, "cpu_target": 60, "memory_target": 70}},
        {"name": "frontend", "family": "t-dev-frontend", "cpu": 256, "memory": 512,
         "execution_role_arn": f"arn:aws:iam::{ACCOUNT}:role/t-dev-frontend-execution",
         "image_repository": f"{REPO}/frontend", "container_port": 3000,
         "environment": {"BACKEND_URL": "http://backend.t-dev.internal:8000"},
         "log_group": {"name": "/ecs/t-dev/frontend", "retention_days": 30},
         "desired_count": 2, "subnets": ["subnet-a", "subnet-c"], "security_groups": ["sg-frontend"],
         "load_balancers": [{"target_group_arn": "arn:aws:elasticloadbalancing:r:1:targetgroup/tg/1"}],
         "health_check_grace_period": 60,
         "scaling": {"min_capacity": 2, "max_capacity": 4, "cpu_target": 60}},
    ],
    "tags": {"Project": "t"},
    "wait": False,
}


class FakeAws:
    """In-memory stand-in for the ecs, logs, servicediscovery and application_autoscaling wrappers."""

    def __init__(self):
        self.ids = itertools.count(1)
        self.writes = []
        self.cluster = None
        self.namespaces = []
        self.operations = {}
        self.operation_states = []  # statuses GetOperation reports in turn
        self.log_groups = {}
        self.log_tags = {}
        self.sd_services = []
        self.sd_tags = {}
        self.task_definitions = []  # (definition, tags)
        self.services = {}
        self.targets = {}
        self.policies = {}
        self.describe_states = []  # successive DescribeServices overrides while waiting
        self.stopped = []
        self.service_linked_role = False
        self.tokens = []

    # -- iam -------------------------------------------------------------------------
    def get_role(self, client, name):
        return {"RoleName": name} if self.service_linked_role else None

    def create_service_linked_role(self, client, service):
        self.writes.append(f"create_service_linked_role:{service}")
        self.service_linked_role = True

    # -- ecs -------------------------------------------------------------------------
    def describe_cluster(self, client, name):
        return copy.deepcopy(self.cluster)

    def create_cluster(self, client, name, settings, tags, providers, strategy):
        self.writes.append("create_cluster")
        self.cluster = {"clusterArn": f"arn:aws:ecs:r:1:cluster/{name}", "clusterName": name, "status": "ACTIVE",
                        "settings": settings, "tags": tags, "capacityProviders": providers,
                        "defaultCapacityProviderStrategy": strategy}
        return copy.deepcopy(self.cluster)

    def update_cluster_settings(self, client, name, settings):
        self.writes.append("update_cluster_settings")
        self.cluster["settings"] = settings

    def put_cluster_capacity_providers(self, client, name, providers, strategy):
        self.writes.append("put_cluster_capacity_providers")
        self.cluster["capacityProviders"] = providers

    def tag_resource(self, client, arn, tags):
        self.writes.append(f"tag:{arn}")

    def latest_task_definition_arn(self, client, family):
        revisions = [d for d, _ in self.task_definitions if d["family"] == family]
        return revisions[-1]["taskDefinitionArn"] if revisions else None

    def describe_task_definition(self, client, ref):
        ref = ref.rsplit("/", 1)[-1]
        for definition, tags in self.task_definitions:
            if f"{definition['family']}:{definition['revision']}" == ref:
                return copy.deepcopy(definition), copy.deepcopy(tags)
        return None

    def register_task_definition(self, client, definition, tags):
        family = definition["family"]
        revision = len([d for d, _ in self.task_definitions if d["family"] == family]) + 1
        self.writes.append(f"register:{family}:{revision}")
        stored = copy.deepcopy(definition)
        # AWS fills in defaults: the module must still see it as equal next time.
        for container in stored["containerDefinitions"]:
            container["cpu"] = 0
            container["volumesFrom"] = []
            for mapping in container["portMappings"]:
                mapping["hostPort"] = mapping["containerPort"]
        stored.update(revision=revision, status="ACTIVE",
                      taskDefinitionArn=f"arn:aws:ecs:r:1:task-definition/{family}:{revision}")
        self.task_definitions.append((stored, copy.deepcopy(tags)))
        return copy.deepcopy(stored)

    def describe_services(self, client, cluster, names):
        if self.describe_states:
            overrides = self.describe_states.pop(0)
            for name, change in overrides.items():
                self.services[name].update(change)
        return {n: copy.deepcopy(self.services[n]) for n in names if n in self.services}

    def create_service(self, client, args):
        name = args["serviceName"]
        self.writes.append(f"create_service:{name}")
        self.tokens.append(args["clientToken"])
        service = {k: copy.deepcopy(v) for k, v in args.items() if k not in ("cluster", "clientToken",
                                                                               "serviceName")}
        service.update(serviceName=name, serviceArn=f"arn:aws:ecs:r:1:service/t-dev/{name}", status="ACTIVE",
                       taskDefinition=f"arn:aws:ecs:r:1:task-definition/{args['taskDefinition']}",
                       runningCount=args["desiredCount"],
                       deployments=[{"status": "PRIMARY", "rolloutState": "COMPLETED",
                                     "taskDefinition": args["taskDefinition"]}])
        self.services[name] = service
        return copy.deepcopy(service)

    def update_service(self, client, args):
        name = args["service"]
        self.writes.append(f"update_service:{name}:{','.join(sorted(set(args) - {'cluster', 'service'}))}")
        for key, value in args.items():
            if key not in ("cluster", "service", "forceNewDeployment"):
                self.services[name][key] = copy.deepcopy(value)
        return copy.deepcopy(self.services[name])

    def stopped_tasks(self, client, cluster, service, limit=5):
        return self.stopped

    # -- logs ---------------------------------------------------------------------------
    def describe_log_groups(self, client, prefix):
        return {k: copy.deepcopy(v) for k, v in self.log_groups.items() if k.startswith(prefix)}

    def create_log_group(self, client, name, kms, tags):
        self.writes.append(f"create_log_group:{name}")
        self.log_groups[name] = {"logGroupName": name}
        self.log_tags[name] = dict(tags)

    def put_retention_policy(self, client, name, days):
        self.writes.append(f"retention:{name}:{days}")
        self.log_groups[name]["retentionInDays"] = days

    def delete_retention_policy(self, client, name):
        self.writes.append(f"no_retention:{name}")
        self.log_groups[name].pop("retentionInDays", None)

    def associate_kms_key(self, client, name, key):
        self.writes.append(f"kms:{name}")
        self.log_groups[name]["kmsKeyId"] = key

    def disassociate_kms_key(self, client, name):
        self.writes.append(f"no_kms:{name}")
        self.log_groups[name].pop("kmsKeyId", None)

    def list_tags(self, client, name):
        return dict(self.log_tags.get(name, {}))

    def tag_log_group(self, client, name, tags):
        self.writes.append(f"tag_log_group:{name}")

    # -- servicediscovery --------------------------------------------------------------------
    def list_private_dns_namespaces(self, client):
        return copy.deepcopy(self.namespaces)

    def create_private_dns_namespace(self, client, name, vpc_id, token, description, tags, ttl):
        self.writes.append(f"create_namespace:{name}")
        op = f"op-{next(self.ids)}"
        self.operations[op] = (name, token)
        return op

    def get_operation(self, client, op):
        status = self.operation_states.pop(0) if self.operation_states else "SUCCESS"
        result = {"Id": op, "Status": status}
        if status == "SUCCESS":
            name, _ = self.operations[op]
            if not any(n["Name"] == name for n in self.namespaces):
                self.namespaces.append({"Id": "ns-1", "Arn": "arn:aws:servicediscovery:r:1:namespace/ns-1",
                                        "Name": name})
            result["Targets"] = {"NAMESPACE": "ns-1"}
        if status == "FAIL":
            result.update(ErrorCode="CANNOT_CREATE_HOSTED_ZONE", ErrorMessage="the VPC has no DNS support")
        return result

    def list_services(self, client, namespace_id):
        return copy.deepcopy([s for s in self.sd_services if s["NamespaceId"] == namespace_id])

    def sd_create_service(self, client, name, namespace_id, token, description, records, tags):
        self.writes.append(f"create_discovery:{name}")
        self.tokens.append(token)
        service = {"Id": "srv-1", "Arn": "arn:aws:servicediscovery:r:1:service/srv-1", "Name": name,
                   "NamespaceId": namespace_id, "Description": description,
                   "DnsConfig": {"RoutingPolicy": "MULTIVALUE", "DnsRecords": records}}
        self.sd_services.append(service)
        self.sd_tags[service["Arn"]] = tags
        return copy.deepcopy(service)

    def sd_update_service(self, client, service_id, description, records):
        self.writes.append(f"update_discovery:{service_id}")
        self.sd_services[0]["DnsConfig"]["DnsRecords"] = records

    def sd_list_tags(self, client, arn):
        return copy.deepcopy(self.sd_tags.get(arn, []))

    def sd_tag_resource(self, client, arn, tags):
        self.writes.append(f"tag_discovery:{arn}")

    # -- application auto scaling -----------------------------------------------------------------
    def describe_scalable_targets(self, client, resource_ids):
        return {r: copy.deepcopy(self.targets[r]) for r in resource_ids if r in self.targets}

    def register_scalable_target(self, client, resource_id, low, high, tags=None):
        self.writes.append(f"register_target:{resource_id}:{low}-{high}")
        self.targets[resource_id] = {"ResourceId": resource_id, "MinCapacity": low, "MaxCapacity": high}

    def describe_scaling_policies(self, client, resource_id):
        return copy.deepcopy(list(self.policies.get(resource_id, {}).values()))

    def put_target_tracking_policy(self, client, resource_id, name, configuration):
        self.writes.append(f"put_policy:{name}")
        self.policies.setdefault(resource_id, {})[name] = {
            "PolicyName": name, "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": copy.deepcopy(configuration)}

    def delete_scaling_policy(self, client, resource_id, name):
        self.writes.append(f"delete_policy:{name}")
        self.policies[resource_id].pop(name)


class FakeTime:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake(monkeypatch):
    fake = FakeAws()
    for name in ("describe_cluster", "create_cluster", "update_cluster_settings", "put_cluster_capacity_providers",
                 "tag_resource", "latest_task_definition_arn", "describe_task_definition", "register_task_definition",
                 "describe_services", "create_service", "update_service", "stopped_tasks"):
        monkeypatch.setattr(mod.api, name, getattr(fake, name))
    for name in ("describe_log_groups", "create_log_group", "put_retention_policy", "delete_retention_policy",
                 "associate_kms_key", "disassociate_kms_key", "list_tags", "tag_log_group"):
        monkeypatch.setattr(mod.logs_api, name, getattr(fake, name))
    for name in ("list_private_dns_namespaces", "create_private_dns_namespace", "get_operation", "list_services"):
        monkeypatch.setattr(mod.sd, name, getattr(fake, name))
    for name in ("create_service", "update_service", "list_tags", "tag_resource"):
        monkeypatch.setattr(mod.sd, name, getattr(fake, f"sd_{name}"))
    for name in ("describe_scalable_targets", "register_scalable_target", "describe_scaling_policies",
                 "put_target_tracking_policy", "delete_scaling_policy"):
        monkeypatch.setattr(mod.aas, name, getattr(fake, name))
    for name in ("get_role", "create_service_linked_role"):
        monkeypatch.setattr(mod.iam, name, getattr(fake, name))
    clock = FakeTime()
    monkeypatch.setattr(mod, "time", clock)
    fake.clock = clock
    return fake


def args(**changes):
    result = copy.deepcopy(ARGS)
    result.update(changes)
    return result


def test_check_mode_on_empty_account_plans_everything_and_writes_nothing(run_module, fake):
    result = run_module(mod, ARGS, check_mode=True, diff=True)
    assert fake.writes == []
    assert result["changed"] is True
    assert result["cluster_arn"] == "planned:ecs-cluster:t-dev"
    assert result["namespace"]["id"] == "planned:namespace:t-dev.internal"
    assert result["services"]["backend"]["task_definition"] == "planned:task-definition:t-dev-backend:1"
    assert result["services"]["backend"]["arn"] == "planned:ecs-service:t-dev/backend"
    assert result["services"]["backend"]["image"] == f"{REPO}/backend:latest"
    assert "create ECS cluster t-dev (Container Insights enabled)" in result["actions"]
    assert "create Cloud Map service backend.t-dev.internal (A records, TTL 10)" in result["actions"]
    assert "create target-tracking policy t-dev-backend-cpu (ECSServiceAverageCPUUtilization at 60%)" in \
        result["actions"]
    assert result["diff"]["before"]["cluster"] is None
    after = result["diff"]["after"]["services"]["backend"]
    assert after["task_definition"]["containers"]["backend"]["secrets"] == {
        "DB_PASSWORD": f"arn:aws:ssm:ap-northeast-1:{ACCOUNT}:parameter/t/dev/db_password"}
    assert after["service"]["assign_public_ip"] == "DISABLED"


def test_real_run_then_second_run_and_check_mode_change_nothing(run_module, fake):
    planned = run_module(mod, ARGS, check_mode=True)
    first = run_module(mod, ARGS)
    assert planned["actions"] == first["actions"]
    assert first["services"]["backend"]["task_definition"] == "t-dev-backend:1"
    assert first["namespace"] == {"id": "ns-1", "arn": "arn:aws:servicediscovery:r:1:namespace/ns-1",
                                  "name": "t-dev.internal"}
    backend = fake.services["backend"]
    assert backend["serviceRegistries"] == [{"registryArn": "arn:aws:servicediscovery:r:1:service/srv-1"}]
    assert "loadBalancers" not in backend
    assert fake.services["frontend"]["loadBalancers"][0]["containerName"] == "frontend"
    assert backend["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "DISABLED"
    assert backend["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert sorted(fake.policies["service/t-dev/backend"]) == ["t-dev-backend-cpu", "t-dev-backend-memory"]
    assert sorted(fake.policies["service/t-dev/frontend"]) == ["t-dev-frontend-cpu"]
    writes = list(fake.writes)
    second = run_module(mod, ARGS)
    check = run_module(mod, ARGS, check_mode=True, diff=True)
    assert second["actions"] == [] and second["changed"] is False
    assert check["changed"] is False
    assert check["diff"]["before"] == check["diff"]["after"]
    assert fake.writes == writes  # no new revision, no policy re-put


def test_a_changed_definition_registers_one_revision_and_updates_the_service(run_module, fake):
    run_module(mod, ARGS)
    changed = args()
    changed["services"][0]["environment"]["LOG_LEVEL"] = "debug"
    planned = run_module(mod, changed, check_mode=True)
    assert "register task definition t-dev-backend:2 " \
           f"({REPO}/backend:latest)" in planned["actions"]
    assert planned["services"]["backend"]["task_definition"] == "planned:task-definition:t-dev-backend:2"
    result = run_module(mod, changed)
    assert result["actions"] == planned["actions"]
    assert result["services"]["backend"]["task_definition"] == "t-dev-backend:2"
    assert "update ECS service backend (taskDefinition)" in result["actions"]
    assert run_module(mod, changed)["actions"] == []


def test_the_running_image_is_kept_without_an_image_tag(run_module, fake):
    run_module(mod, ARGS)
    # A deploy registers a revision with a new image and rolls it out.
    definition, tags = copy.deepcopy(fake.task_definitions[0])
    definition["containerDefinitions"][0]["image"] = f"{REPO}/backend:abc123"
    deployed = fake.register_task_definition(None, definition, tags)
    fake.services["backend"]["taskDefinition"] = deployed["taskDefinitionArn"]
    result = run_module(mod, ARGS)
    assert result["actions"] == []
    assert result["services"]["backend"]["image"] == f"{REPO}/backend:abc123"
    assert result["services"]["backend"]["task_definition"] == "t-dev-backend:2"
    tagged = args()
    tagged["services"][0]["image_tag"] = "v2"
    result = run_module(mod, tagged)
    assert f"register task definition t-dev-backend:3 ({REPO}/backend:v2)" in result["actions"]


def test_the_revision_the_service_runs_wins_over_a_newer_failed_one(run_module, fake):
    run_module(mod, ARGS)
    definition, tags = copy.deepcopy(fake.task_definitions[0])
    definition["containerDefinitions"][0]["image"] = f"{REPO}/backend:broken"
    fake.register_task_definition(None, definition, tags)  # revision 2, rolled back by the circuit breaker
    result = run_module(mod, ARGS)
    assert result["actions"] == []
    assert result["services"]["backend"]["task_definition"] == "t-dev-backend:1"


def test_auto_scaling_owns_the_count_inside_min_max(run_module, fake):
    run_module(mod, ARGS)
    fake.services["backend"]["desiredCount"] = 3
    assert run_module(mod, ARGS)["actions"] == []
    fake.services["backend"]["desiredCount"] = 7
    result = run_module(mod, ARGS)
    assert result["actions"] == ["update ECS service backend (desiredCount)"]
    assert fake.services["backend"]["desiredCount"] == 4


def test_scaling_changes_are_put_and_stray_policies_deleted(run_module, fake):
    run_module(mod, ARGS)
    changed = args()
    changed["services"][0]["scaling"].update(max_capacity=6, cpu_target=50, memory_target=None)
    result = run_module(mod, changed)
    assert result["actions"] == [
        "update the scalable target of backend (2-6 tasks)",
        "update target-tracking policy t-dev-backend-cpu (ECSServiceAverageCPUUtilization at 50%)",
        "delete scaling policy t-dev-backend-memory of backend",
    ]


def test_service_drift_is_corrected(run_module, fake):
    run_module(mod, ARGS)
    fake.services["frontend"]["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] = "ENABLED"
    fake.services["frontend"]["healthCheckGracePeriodSeconds"] = 0
    result = run_module(mod, ARGS)
    assert result["actions"] == ["update ECS service frontend (healthCheckGracePeriodSeconds, networkConfiguration)"]


def test_log_group_retention_and_tags_are_converged(run_module, fake):
    run_module(mod, ARGS)
    fake.log_groups["/ecs/t-dev/backend"]["retentionInDays"] = 7
    fake.log_tags["/ecs/t-dev/frontend"] = {}
    result = run_module(mod, ARGS)
    assert result["actions"] == ["set the retention of log group /ecs/t-dev/backend to 30 days",
                                 "update the tags of log group /ecs/t-dev/frontend: Project"]


def test_namespace_creation_waits_for_the_operation(run_module, fake):
    fake.operation_states = ["SUBMITTED", "PENDING", "SUCCESS"]
    result = run_module(mod, ARGS)
    assert result["namespace"]["id"] == "ns-1"
    assert fake.clock.sleeps == [mod.OPERATION_POLL, mod.OPERATION_POLL]


def test_namespace_failure_is_reported(run_module, fake):
    fake.operation_states = ["FAIL"]
    with pytest.raises(ModuleFail, match=r"Cloud Map reports that the creation of namespace t-dev\.internal failed: "
                                         r"CANNOT_CREATE_HOSTED_ZONE the VPC has no DNS support"):
        run_module(mod, ARGS)


def test_namespace_timeout_is_bounded(run_module, fake):
    fake.operation_states = ["PENDING"] * 100
    with pytest.raises(ModuleFail, match=r"the creation of namespace t-dev.internal did not finish within 30 "
                                         r"seconds \(operation op-\d+ is PENDING\); run again later"):
        run_module(mod, ARGS)


def test_wait_returns_once_the_deployments_complete(run_module, fake):
    run_module(mod, ARGS)
    changed = args(wait=True)
    changed["services"][1]["environment"]["X"] = "1"
    fake.describe_states = [
        {},  # read before the change
        {"frontend": {"deployments": [
            {"status": "PRIMARY", "rolloutState": "IN_PROGRESS", "taskDefinition": "t-dev-frontend:2"},
            {"status": "ACTIVE", "rolloutState": "COMPLETED", "taskDefinition": "t-dev-frontend:1"}]}},
        {"frontend": {"deployments": [
            {"status": "PRIMARY", "rolloutState": "COMPLETED", "taskDefinition": "t-dev-frontend:2"}]}},
    ]
    result = run_module(mod, changed)
    assert result["waited"] == ["frontend"]
    assert fake.clock.sleeps == [mod.FIRST_WAIT_POLL]


def test_a_failed_deployment_names_the_service_and_what_ecs_reported(run_module, fake):
    run_module(mod, ARGS)
    changed = args(wait=True)
    changed["services"][0]["environment"]["X"] = "1"
    fake.stopped = [{"stoppedReason": "CannotPullContainerError: image not found"}]
    fake.describe_states = [{}, {"backend": {
        "deployments": [{"status": "PRIMARY", "rolloutState": "FAILED", "taskDefinition": "t-dev-backend:2",
                         "rolloutStateReason": "ECS deployment circuit breaker: tasks failed to start."}],
        "events": [{"message": "(service backend) was unable to place a task."}]}}]
    with pytest.raises(ModuleFail) as failure:
        run_module(mod, changed)
    message = failure.value.result["msg"]
    assert message.startswith("ECS service backend: the deployment of t-dev-backend:2 failed: ECS deployment "
                              "circuit breaker: tasks failed to start.")
    assert "Recent events: (service backend) was unable to place a task." in message
    assert "Stopped tasks: CannotPullContainerError: image not found" in message
    assert "register task definition t-dev-backend:2" in failure.value.result["actions"][0]


def test_a_wait_that_times_out_fails_with_the_state_of_each_service(run_module, fake):
    run_module(mod, ARGS)
    changed = args(wait=True, wait_timeout=25)
    changed["services"][0]["environment"]["X"] = "1"
    stuck = {"backend": {"runningCount": 0, "deployments": [
        {"status": "PRIMARY", "rolloutState": "IN_PROGRESS", "taskDefinition": "t-dev-backend:2", "failedTasks": 2}]}}
    fake.describe_states = [{}] + [stuck] * 10
    with pytest.raises(ModuleFail, match=r"the deployment did not reach a steady state within 25 seconds: ECS service "
                                         r"backend: rollout IN_PROGRESS, 0/2 tasks running, 2 failed, 1 deployment"):
        run_module(mod, changed)
    assert sum(fake.clock.sleeps) == 25
    # Polls back off from FIRST_WAIT_POLL to WAIT_POLL, the last one cut at the deadline.
    assert fake.clock.sleeps == [1, 2, 4, 8, 10]


def test_check_mode_never_waits(run_module, fake):
    run_module(mod, ARGS)
    changed = args(wait=True)
    changed["services"][0]["environment"]["X"] = "1"
    result = run_module(mod, changed, check_mode=True)
    assert result["waited"] == [] and fake.clock.sleeps == []


def test_a_draining_service_is_refused(run_module, fake):
    run_module(mod, ARGS)
    fake.services["backend"]["status"] = "DRAINING"
    with pytest.raises(ModuleFail, match=r"ECS service backend is being deleted \(DRAINING\): wait until it is "
                                         "INACTIVE and run again"):
        run_module(mod, ARGS)


def test_an_inactive_service_is_created_again(run_module, fake):
    run_module(mod, ARGS)
    fake.services["backend"]["status"] = "INACTIVE"
    result = run_module(mod, ARGS)
    assert "create ECS service backend (2 tasks of t-dev-backend:1)" in result["actions"]


def test_cluster_settings_drift(run_module, fake):
    run_module(mod, ARGS)
    fake.cluster["settings"] = [{"name": "containerInsights", "value": "disabled"}]
    fake.cluster["capacityProviders"] = ["FARGATE"]
    result = run_module(mod, ARGS)
    assert result["actions"] == ["set Container Insights of cluster t-dev to enabled",
                                 "set the capacity providers of cluster t-dev to FARGATE, FARGATE_SPOT"]


@pytest.mark.parametrize(("change", "message"), [
    (lambda a: a["services"].append(copy.deepcopy(a["services"][0])), "services: names must be unique"),
    (lambda a: a["services"][0]["scaling"].update(min_capacity=5), r"services\[backend\].scaling: min_capacity 5 is "
                                                                   "above max_capacity 4"),
    (lambda a: a["services"][0].update(subnets=[]), r"services\[backend\]: subnets and security_groups must not be "
                                                    "empty"),
    (lambda a: a["services"][0]["secrets"].update(DB_USER="app_admin"), r"services\[backend\].secrets.DB_USER must be "
                                                                        "the ARN of an SSM parameter"),
    (lambda a: a.pop("namespace"), "services backend ask for discovery, which needs the namespace option"),
])
def test_input_errors(run_module, fake, change, message):
    bad = args()
    change(bad)
    with pytest.raises(ModuleFail, match=message):
        run_module(mod, bad)
    assert fake.writes == []


def test_duplicate_namespaces_are_reported(run_module, fake):
    fake.namespaces = [{"Id": f"ns-{i}", "Arn": f"arn:ns-{i}", "Name": "t-dev.internal"} for i in (1, 2)]
    with pytest.raises(ModuleFail, match=r"found 2 private DNS namespaces named t-dev.internal \(ns-1, ns-2\)"):
        run_module(mod, ARGS)


def test_aws_error_becomes_fail_json_aws(run_module, fake, monkeypatch):
    def boom(*args, **kwargs):
        raise SoloAwsError("Failed to describe the ECS cluster", exception=RuntimeError("throttled"))

    monkeypatch.setattr(mod.api, "describe_cluster", boom)
    with pytest.raises(ModuleFail) as failure:
        run_module(mod, ARGS)
    assert failure.value.result["msg"] == "Failed to describe the ECS cluster"


def test_creates_send_client_tokens_derived_from_the_request(run_module, fake):
    """CreateService (36 characters at most) and Cloud Map's CreateService (CreatorRequestId) carry a token made
    from what identifies them, so a retry or the next run after a crash gets the same resource back."""
    run_module(mod, ARGS)
    ecs_tokens = [t for t in fake.tokens if len(t) == 36]
    discovery_tokens = [t for t in fake.tokens if len(t) == 64]
    assert len(ecs_tokens) == 2 and len(set(ecs_tokens)) == 2
    assert len(discovery_tokens) == 1
    assert all(set(t) <= set("0123456789abcdef") for t in fake.tokens)
    fake.services.clear()
    fake.sd_services.clear()
    fake.tokens.clear()
    run_module(mod, ARGS)  # the same requests again (as after a crash): the same tokens
    assert sorted(fake.tokens) == sorted(ecs_tokens + discovery_tokens)
