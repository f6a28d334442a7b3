#!/usr/bin/python
# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ecs_fargate_services
short_description: Converge an ECS Fargate cluster, its Cloud Map namespace and its services in one call
version_added: 0.1.0
description:
  - Creates or updates an ECS cluster (Container Insights, tags, the C(FARGATE) and C(FARGATE_SPOT) capacity
    providers), an AWS Cloud Map private DNS namespace on a VPC, and for each service of I(services) its log group,
    task definition, Cloud Map service, ECS service and auto scaling (a scalable target with target-tracking
    policies on CPU and memory).
  - A task definition revision is registered only when the desired definition differs from the one the service
    runs (or the newest ACTIVE revision of the family), compared the way AWS returns it (defaults filled in,
    environment and secrets in any order), so a re-run registers nothing.
  - Without I(services[].image_tag), the image the service runs is kept (a deploy that rolled out a new image is
    not rolled back by a re-run); a service with no task definition yet starts with I(services[].initial_image_tag).
  - With auto scaling, the desired count of an existing service belongs to the scaling policies; it is only
    brought back inside [min, max]. Scaling policies are put only when they differ.
  - After a service is created or updated, the module waits (bounded by I(wait_timeout)) until ECS reports the
    deployment complete, and fails naming the service and what ECS reported (rollout state, task counts, recent
    events, stop reasons of failed tasks) when it fails, is rolled back by the circuit breaker, or times out.
  - The Cloud Map namespace creation is asynchronous; the module polls the operation, bounded by
    I(namespace.timeout). Creation requests carry client tokens, and every resource is found by name first,
    so an interrupted run converges without duplicates.
  - In check mode nothing is written; resources that would be created are returned with C(planned:<kind>:<name>)
    identifiers, and a revision that would be registered as C(planned:task-definition:<family>:<revision>).
  - Fills gaps of the stock modules - C(community.aws.ecs_cluster) cannot set Container Insights or tags, no module
    manages Cloud Map, C(community.aws.ecs_taskdefinition) churns on definitions with secrets on real AWS,
    C(community.aws.ecs_service) does not wait for a deployment, and
    C(community.aws.application_autoscaling_policy) puts the policy again on every run.
author:
  - Solo Saving platform team (@solo-saving)
options:
  cluster:
    description: The ECS cluster.
    type: dict
    required: true
    suboptions:
      name:
        description: Cluster name.
        type: str
        required: true
      container_insights:
        description: The C(containerInsights) cluster setting.
        type: str
        choices: [enabled, enhanced, disabled]
        default: enabled
      capacity_providers:
        description: Capacity providers of the cluster.
        type: list
        elements: str
        default: [FARGATE, FARGATE_SPOT]
  namespace:
    description:
      - A Cloud Map private DNS namespace on a VPC, for I(services[].discovery). Its name and VPC cannot change
        once created.
    type: dict
    suboptions:
      name:
        description: Namespace (DNS domain) name, for example C(solo-saving-prod.internal).
        type: str
        required: true
      vpc_id:
        description: The VPC the namespace's private hosted zone is associated with.
        type: str
        required: true
      description:
        description: Namespace description.
        type: str
        default: ""
      timeout:
        description: Seconds to wait for the asynchronous namespace creation.
        type: int
        default: 300
  services:
    description: The services, deployed in this order (put the ones others call first).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: ECS service name.
        type: str
        required: true
      container_name:
        description: Name of the service's only container (default I(name)).
        type: str
      family:
        description: Task definition family.
        type: str
        required: true
      cpu:
        description: Task CPU units (a valid Fargate size).
        type: int
        required: true
      memory:
        description: Task memory in MiB (valid for I(cpu) on Fargate).
        type: int
        required: true
      cpu_architecture:
        description: CPU architecture of the task.
        type: str
        choices: [X86_64, ARM64]
        default: X86_64
      execution_role_arn:
        description: The task execution role (image pull, logs, secrets).
        type: str
        required: true
      task_role_arn:
        description: The task role (what the application may call), if any.
        type: str
      image_repository:
        description: Repository URI of the image, without tag.
        type: str
        required: true
      image_tag:
        description: Image tag to deploy. Empty keeps the image the service runs now.
        type: str
      initial_image_tag:
        description: Image tag for a service that has no task definition yet, when I(image_tag) is empty.
        type: str
        default: latest
      rollout:
        description:
          - Whether an existing service moves to the task definition. With C(false) the revision is registered
            (and returned as C(registered_task_definition)) but the service keeps the one it runs, so that database
            migrations can run from the new image before the rollout.
        type: bool
        default: true
      container_port:
        description: The container's port (awsvpc - the task listens on it).
        type: int
        required: true
      environment:
        description: Non-secret environment variables.
        type: dict
        default: {}
      secrets:
        description:
          - Environment variables injected by ECS from SSM Parameter Store, name to parameter ARN. Only ARNs are
            written to the task definition, never values.
        type: dict
        default: {}
      readonly_root_filesystem:
        description: Mount the container's root file system read-only.
        type: bool
        default: true
      writable_paths:
        description: Paths that get a writable task-storage volume (for example C(/tmp)).
        type: list
        elements: str
        default: []
      health_check:
        description: The container health check; C(command) in ECS form, for example C([CMD-SHELL, "..."]).
        type: dict
        suboptions:
          command:
            description: Health check command.
            type: list
            elements: str
            required: true
          interval:
            description: Seconds between checks (5-300).
            type: int
            default: 30
          timeout:
            description: Seconds before a check fails (2-60).
            type: int
            default: 5
          retries:
            description: Failures before the container is unhealthy (1-10).
            type: int
            default: 3
          start_period:
            description: Grace period in seconds after start (0-300).
            type: int
            default: 0
      log_group:
        description: The service's CloudWatch log group (awslogs).
        type: dict
        required: true
        suboptions:
          name:
            description: Log group name.
            type: str
            required: true
          retention_days:
            description: Retention in days (a value CloudWatch Logs accepts); 0 keeps logs forever.
            type: int
            default: 30
          kms_key_id:
            description: ARN of a customer KMS key to encrypt the logs with; empty for CloudWatch's own encryption.
            type: str
            default: ""
      desired_count:
        description: Task count of a new service (and of an existing one without I(scaling)).
        type: int
        default: 1
      subnets:
        description: Subnets of the tasks (private).
        type: list
        elements: str
        required: true
      security_groups:
        description: Security groups of the tasks.
        type: list
        elements: str
        required: true
      assign_public_ip:
        description: Give tasks public IP addresses.
        type: bool
        default: false
      load_balancers:
        description: Target groups the container port is registered in.
        type: list
        elements: dict
        default: []
        suboptions:
          target_group_arn:
            description: Target group ARN.
            type: str
            required: true
      health_check_grace_period:
        description:
          - Seconds ECS ignores load balancer health checks after a task starts (services with I(load_balancers)).
        type: int
        default: 0
      discovery:
        description: Register the tasks in the namespace as C(<name>.<namespace>) (A records, multivalue).
        type: dict
        suboptions:
          name:
            description: Cloud Map service name (the host name in the namespace).
            type: str
            required: true
          dns_ttl:
            description: TTL of the A records.
            type: int
            default: 10
          description:
            description: Cloud Map service description.
            type: str
            default: ""
      on_demand_base:
        description: Tasks always placed on FARGATE before the weights apply.
        type: int
        default: 0
      on_demand_weight:
        description: Relative share of tasks on FARGATE.
        type: int
        default: 1
      spot_weight:
        description: Relative share of tasks on FARGATE_SPOT; 0 for none.
        type: int
        default: 0
      minimum_healthy_percent:
        description: Deployment minimum healthy percent.
        type: int
        default: 100
      maximum_percent:
        description: Deployment maximum percent.
        type: int
        default: 200
      enable_execute_command:
        description: Allow ECS Exec into the tasks.
        type: bool
        default: false
      scaling:
        description: Auto scaling of the task count; omit for a fixed count.
        type: dict
        suboptions:
          min_capacity:
            description: Fewest tasks.
            type: int
            required: true
          max_capacity:
            description: Most tasks.
            type: int
            required: true
          cpu_target:
            description: Target average CPU utilisation in percent; omit for no CPU policy.
            type: float
          memory_target:
            description: Target average memory utilisation in percent; omit for no memory policy.
            type: float
          scale_in_cooldown:
            description: Seconds after a scale-in before the next.
            type: int
            default: 300
          scale_out_cooldown:
            description: Seconds after a scale-out before the next.
            type: int
            default: 60
  tags:
    description: Tags for every resource. Other tags found on them are kept.
    type: dict
    default: {}
  wait:
    description: Wait until every created or updated service reaches a steady state.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for the services to reach a steady state.
    type: int
    default: 600
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Converge the cluster, the namespace and the backend service.
  solo_saving.infra.ecs_fargate_services:
    cluster:
      name: solo-saving-prod
    namespace:
      name: solo-saving-prod.internal
      vpc_id: vpc-0123456789abcdef0
    services:
      - name: backend
        family: solo-saving-prod-backend
        cpu: 512
        memory: 1024
        execution_role_arn: arn:aws:iam::123456789012:role/solo-saving-prod-backend-execution
        task_role_arn: arn:aws:iam::123456789012:role/solo-saving-prod-backend-task
        image_repository: 123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/solo-saving-prod/backend
        container_port: 8000
        environment:
          LOG_LEVEL: info
        secrets:
          DB_PASSWORD: arn:aws:ssm:ap-northeast-1:123456789012:parameter/solo-saving/prod/db_password
        writable_paths: [/tmp]
        health_check:
          command:
            - CMD
            - python
            - -c
            - >-
              import http.client as h; c = h.HTTPConnection('127.0.0.1', 8000); c.request('GET', '/health');
              exit(c.getresponse().status >= 400)
        log_group:
          name: /ecs/solo-saving-prod/backend
          retention_days: 90
        desired_count: 2
        subnets: [subnet-1, subnet-2]
        security_groups: [sg-backend]
        discovery:
          name: backend
        scaling:
          min_capacity: 2
          max_capacity: 6
          cpu_target: 60
          memory_target: 70
    tags:
      Project: solo-saving
      Environment: prod
  register: ecs
"""

RETURN = r"""
cluster_name:
  description: The cluster name.
  returned: always
  type: str
cluster_arn:
  description: The cluster ARN (a planned id in check mode when the cluster does not exist yet).
  returned: always
  type: str
namespace:
  description: The Cloud Map namespace (C(id), C(arn), C(name)), when I(namespace) is given.
  returned: always
  type: dict
  sample: {id: ns-abc, arn: "arn:aws:servicediscovery:ap-northeast-1:123456789012:namespace/ns-abc", name: x.internal}
services:
  description: By service name - C(name), C(arn), C(task_definition) (family:revision the service runs),
    C(registered_task_definition) (the revision of the inventory's definition; differs only with C(rollout=false)),
    C(container_name), C(image), C(log_group), C(discovery_arn).
  returned: always
  type: dict
waited:
  description: The services whose deployment the module waited for.
  returned: always
  type: list
  elements: str
actions:
  description: What the run did (or, in check mode, would do), one sentence each.
  returned: always
  type: list
  elements: str
diff:
  description: Before and after views of the managed resources (with C(--diff)).
  returned: when diff mode is on
  type: dict
"""

import hashlib
import time

from ansible_collections.solo_saving.infra.plugins.module_utils import application_autoscaling as aas
from ansible_collections.solo_saving.infra.plugins.module_utils import ecs as api
from ansible_collections.solo_saving.infra.plugins.module_utils import iam
from ansible_collections.solo_saving.infra.plugins.module_utils import logs as logs_api
from ansible_collections.solo_saving.infra.plugins.module_utils import servicediscovery as sd
from ansible_collections.solo_saving.infra.plugins.module_utils.aws_module import SoloAwsModule
from ansible_collections.solo_saving.infra.plugins.module_utils.common import (
    Plan,
    SoloAwsError,
    fail_aws,
    idempotency_token,
    is_planned,
    planned_id,
    tag_dict,
    tags_to_set,
)
from ansible_collections.solo_saving.infra.plugins.module_utils.ecs_spec import (
    clamp,
    deployment_state,
    describe_service_view,
    desired_count_change,
    family_revision,
    policy_equal,
    resolve_image,
    service_changes,
    service_settings,
    target_tracking_configuration,
    task_definition_request,
    task_definition_summary,
    task_definitions_equal,
)

OPERATION_POLL = 2
# Steady-state polls: after 1 s, then doubling up to WAIT_POLL (a deployment takes minutes on AWS;
# DescribeServices allows far more than one call a second).
FIRST_WAIT_POLL = 1
WAIT_POLL = 10


class ServicesError(Exception):
    """A request the module refuses, or a deployment that failed."""


def ecs_tags(tags):
    return [{"key": k, "value": str(v)} for k, v in sorted(tags.items())]


def aws_tags(tags):
    return [{"Key": k, "Value": str(v)} for k, v in sorted(tags.items())]


class FargateServices(Plan):
    """Describe -> compare -> act: cluster, namespace, then each service in order."""

    def __init__(self, clients, params, region, check_mode, sleep=None, clock=None):
        self.ecs = clients["ecs"]
        self.logs = clients["logs"]
        self.sd = clients["servicediscovery"]
        self.aas = clients["application-autoscaling"]
        self._iam = clients.get("iam")  # an IAM client, or () -> one: only the first cluster needs it
        self.params = params
        self.region = region
        super().__init__(check_mode)
        self.tags = {k: str(v) for k, v in (params["tags"] or {}).items()}
        self.sleep = sleep or time.sleep
        self.clock = clock or time.monotonic
        self.before["services"] = {}
        self.after["services"] = {}
        self.deployed = {}  # service name -> task definition to wait for

    # -- cluster -------------------------------------------------------------------
    def iam(self):
        if callable(self._iam):
            self._iam = self._iam()
        return self._iam

    def service_linked_role(self):
        """ECS's service-linked role, which a cluster with capacity providers needs: created if missing.

        ECS creates it by itself on the account's first such cluster, but answers "Unable to assume the
        service linked role" until it exists (cloudformation-coverage-roadmap #818): creating it first
        shortens that wait to IAM's propagation, which the cluster's creation retries.
        """
        if iam.get_role(self.iam(), api.SERVICE_LINKED_ROLE) is None:
            self.act(f"create the service-linked role {api.SERVICE_LINKED_ROLE} (ecs.amazonaws.com)",
                     iam.create_service_linked_role, self.iam(), "ecs.amazonaws.com")

    def cluster(self):
        spec = self.params["cluster"]
        name = spec["name"]
        settings = [{"name": "containerInsights", "value": spec["container_insights"]}]
        providers = list(spec["capacity_providers"])
        strategy = [{"capacityProvider": "FARGATE", "base": 0, "weight": 1}] if "FARGATE" in providers else []
        desired = {"name": name, "container_insights": spec["container_insights"],
                   "capacity_providers": sorted(providers)}
        self.after["cluster"] = desired
        found = api.describe_cluster(self.ecs, name)
        if found is None:
            self.before["cluster"] = None
            if providers:
                self.service_linked_role()
            created = self.act(f"create ECS cluster {name} (Container Insights {spec['container_insights']})",
                               api.create_cluster, self.ecs, name, settings, ecs_tags(self.tags), providers, strategy)
            return created["clusterArn"] if created else planned_id("ecs-cluster", name)
        arn = found["clusterArn"]
        current_insights = next((s["value"] for s in found.get("settings", []) if s["name"] == "containerInsights"),
                                "disabled")
        self.before["cluster"] = {"name": name, "container_insights": current_insights,
                                  "capacity_providers": sorted(found.get("capacityProviders", []))}
        if current_insights != spec["container_insights"]:
            self.act(f"set Container Insights of cluster {name} to {spec['container_insights']}",
                     api.update_cluster_settings, self.ecs, name, settings)
        if sorted(found.get("capacityProviders", [])) != sorted(providers):
            current_strategy = found.get("defaultCapacityProviderStrategy") or []
            keep = [s for s in current_strategy if s["capacityProvider"] in providers]
            self.act(f"set the capacity providers of cluster {name} to {', '.join(sorted(providers))}",
                     api.put_cluster_capacity_providers, self.ecs, name, providers, keep or strategy)
        missing = tags_to_set(tag_dict(found.get("tags")), self.tags)
        if missing:
            self.act(f"update the tags of cluster {name}: {', '.join(sorted(missing))}", api.tag_resource,
                     self.ecs, arn, ecs_tags(missing))
        return arn

    # -- Cloud Map namespace -------------------------------------------------------------
    def namespace(self):
        spec = self.params.get("namespace")
        if not spec:
            return {}
        name = spec["name"]
        found = [n for n in sd.list_private_dns_namespaces(self.sd) if n["Name"] == name]
        self.after["namespace"] = {"name": name, "vpc_id": spec["vpc_id"]}
        if len(found) > 1:
            raise ServicesError(f"found {len(found)} private DNS namespaces named {name} "
                                f"({', '.join(n['Id'] for n in found)}); delete the extra ones and run again")
        if found:
            namespace = found[0]
            self.before["namespace"] = {"name": name, "vpc_id": spec["vpc_id"]}
            return {"id": namespace["Id"], "arn": namespace["Arn"], "name": name}
        self.before["namespace"] = None
        if is_planned(spec["vpc_id"]) or self.check_mode:
            self.act(f"create Cloud Map private DNS namespace {name} on the VPC")
            return {"id": planned_id("namespace", name), "arn": planned_id("namespace", name), "name": name}
        # The same token for the same name and VPC: a run interrupted after the
        # request gets the original operation back instead of a second namespace.
        token = hashlib.sha256(f"{name}|{spec['vpc_id']}".encode()).hexdigest()[:64]
        operation_id = self.act(f"create Cloud Map private DNS namespace {name} on the VPC",
                                sd.create_private_dns_namespace, self.sd, name, spec["vpc_id"], token,
                                spec["description"], aws_tags(self.tags), 60)
        namespace_id = self.wait_operation(operation_id, spec["timeout"], f"the creation of namespace {name}")
        namespace_arn = next((n["Arn"] for n in sd.list_private_dns_namespaces(self.sd) if n["Id"] == namespace_id),
                             None)
        return {"id": namespace_id, "arn": namespace_arn, "name": name}

    def wait_operation(self, operation_id, timeout, what):
        deadline = self.clock() + timeout
        while True:
            operation = sd.get_operation(self.sd, operation_id)
            status = operation.get("Status")
            if status == "SUCCESS":
                return operation.get("Targets", {}).get("NAMESPACE")
            if status == "FAIL":
                raise ServicesError(f"Cloud Map reports that {what} failed: "
                                    f"{operation.get('ErrorCode', '')} {operation.get('ErrorMessage', '')}".strip())
            if self.clock() >= deadline:
                raise ServicesError(f"{what} did not finish within {timeout} seconds (operation {operation_id} is "
                                    f"{status}); run again later - the next run waits for the same operation")
            self.sleep(OPERATION_POLL)

    # -- log groups ----------------------------------------------------------------------
    def log_groups(self):
        logs_api.converge_log_groups(self, self.logs, [s["log_group"] for s in self.params["services"]], self.tags)

    # -- Cloud Map services ----------------------------------------------------------------
    def discovery_services(self, namespace):
        wanted = [s for s in self.params["services"] if s.get("discovery")]
        arns = {}
        if not wanted:
            return arns
        existing = {}
        if not is_planned(namespace["id"]):
            for service in sd.list_services(self.sd, namespace["id"]):
                existing.setdefault(service["Name"], []).append(service)
        for spec in wanted:
            disc = spec["discovery"]
            name = disc["name"]
            records = [{"Type": "A", "TTL": disc["dns_ttl"]}]
            fqdn = f"{name}.{namespace['name']}"
            desired = {"name": fqdn, "ttl": disc["dns_ttl"]}
            view = self.after["services"].setdefault(spec["name"], {})
            view["discovery"] = desired
            found = existing.get(name, [])
            if len(found) > 1:
                raise ServicesError(f"found {len(found)} Cloud Map services named {name} in namespace "
                                    f"{namespace['name']}; delete the extra ones and run again")
            if not found:
                self.before["services"].setdefault(spec["name"], {})["discovery"] = None
                created = self.act(f"create Cloud Map service {fqdn} (A records, TTL {disc['dns_ttl']})",
                                   sd.create_service, self.sd, name, namespace["id"],
                                   idempotency_token(namespace["id"], name, length=64),
                                   disc["description"], records, aws_tags(self.tags))
                arns[spec["name"]] = created["Arn"] if created else planned_id("discovery-service", fqdn)
                continue
            service = found[0]
            arns[spec["name"]] = service["Arn"]
            current_records = (service.get("DnsConfig") or {}).get("DnsRecords") or []
            current_ttl = next((r.get("TTL") for r in current_records if r.get("Type") == "A"), None)
            self.before["services"].setdefault(spec["name"], {})["discovery"] = {"name": fqdn, "ttl": current_ttl}
            if (service.get("DnsConfig") or {}).get("RoutingPolicy", "MULTIVALUE") != "MULTIVALUE":
                raise ServicesError(f"Cloud Map service {fqdn} uses routing policy "
                                    f"{service['DnsConfig']['RoutingPolicy']}, which cannot change: delete it "
                                    "(after removing it from the ECS service) and run again")
            if (current_ttl != disc["dns_ttl"] or [r.get("Type") for r in current_records] != ["A"]
                    or (service.get("Description") or "") != disc["description"]):
                self.act(f"update Cloud Map service {fqdn} (A records, TTL {disc['dns_ttl']})", sd.update_service,
                         self.sd, service["Id"], disc["description"], records)
            missing = tags_to_set(tag_dict(sd.list_tags(self.sd, service["Arn"])), self.tags)
            if missing:
                self.act(f"update the tags of Cloud Map service {fqdn}: {', '.join(sorted(missing))}",
                         sd.tag_resource, self.sd, service["Arn"], aws_tags(missing))
        return arns

    # -- task definitions --------------------------------------------------------------------
    def _container_image(self, definition, container_name):
        for container in (definition or {}).get("containerDefinitions", []):
            if container.get("name") == container_name:
                return container.get("image")
        return None

    def task_definition(self, spec, current_service):
        """The family:revision the service should run, and its image (registering a revision when needed).

        The desired definition is compared with the revision the service runs,
        then with the newest ACTIVE revision of the family; a revision is
        registered only when neither is equal.
        """
        family = spec["family"]
        running = None  # (definition, tags) of the revision the service runs
        if current_service and current_service.get("taskDefinition"):
            running = api.describe_task_definition(self.ecs, current_service["taskDefinition"])
            if running and running[0].get("family") != family:
                running = None  # the service runs another family: the inventory renamed it
        latest = None
        if running is None:
            latest_arn = api.latest_task_definition_arn(self.ecs, family)
            latest = api.describe_task_definition(self.ecs, latest_arn) if latest_arn else None
        base = running or latest
        image = resolve_image(spec["image_repository"], spec.get("image_tag"), spec["initial_image_tag"],
                              self._container_image(base[0] if base else None, spec["container_name"]))
        desired = task_definition_request(spec, image, self.region)
        self.after["services"].setdefault(spec["name"], {})["task_definition"] = task_definition_summary(desired)
        self.before["services"].setdefault(spec["name"], {})["task_definition"] = (
            task_definition_summary(base[0]) if base else None)
        if running is not None and not task_definitions_equal(desired, running[0]):
            latest_arn = api.latest_task_definition_arn(self.ecs, family)
            if latest_arn and family_revision(latest_arn) != family_revision(running[0]["taskDefinitionArn"]):
                latest = api.describe_task_definition(self.ecs, latest_arn)
        for candidate in (running, latest):
            if candidate and task_definitions_equal(desired, candidate[0]):
                definition, tags = candidate
                ref = f"{definition['family']}:{definition['revision']}"
                missing = tags_to_set(tag_dict(tags), self.tags)
                if missing:
                    self.act(f"update the tags of task definition {ref}: {', '.join(sorted(missing))}",
                             api.tag_resource, self.ecs, definition["taskDefinitionArn"], ecs_tags(missing))
                return ref, image
        revisions = [c[0]["revision"] for c in (running, latest) if c]
        next_revision = max(revisions, default=0) + 1
        registered = self.act(f"register task definition {family}:{next_revision} ({image})",
                              api.register_task_definition, self.ecs, desired, ecs_tags(self.tags))
        if registered:
            return f"{registered['family']}:{registered['revision']}", image
        return planned_id("task-definition", f"{family}:{next_revision}"), image

    # -- ECS services ---------------------------------------------------------------------------
    def service(self, spec, cluster_arn, current, task_definition, registry_arn):
        cluster = self.params["cluster"]["name"]
        name = spec["name"]
        settings = service_settings(spec, task_definition)
        if registry_arn:
            settings["serviceRegistries"] = [{"registryArn": registry_arn}]
        scaling = spec.get("scaling")
        view_after = describe_service_view({
            "taskDefinition": task_definition, "networkConfiguration": settings["networkConfiguration"],
            "loadBalancers": settings["loadBalancers"], "serviceRegistries": settings["serviceRegistries"],
            "desiredCount": None})
        self.before["services"].setdefault(name, {})["service"] = describe_service_view(current)
        if current is None:
            count = spec["desired_count"]
            if scaling:
                count = clamp(count, scaling["min_capacity"], scaling["max_capacity"])
            view_after["desired_count"] = count
            self.after["services"].setdefault(name, {})["service"] = view_after
            args = dict(settings, cluster=cluster, serviceName=name, desiredCount=count, schedulingStrategy="REPLICA",
                        deploymentController={"type": "ECS"}, tags=ecs_tags(self.tags),
                        # A retry, or the next run after a crash, gets the same service back (36 characters at most).
                        clientToken=idempotency_token(cluster, name, task_definition, length=36))
            if not args["serviceRegistries"]:
                args.pop("serviceRegistries")
            if not args["loadBalancers"]:
                args.pop("loadBalancers")
            created = self.act(f"create ECS service {name} ({count} tasks of {_label(task_definition)})",
                               api.create_service, self.ecs, args)
            self.deployed[name] = task_definition
            return created["serviceArn"] if created else planned_id("ecs-service", f"{cluster}/{name}")
        arn = current["serviceArn"]
        changes = service_changes(settings, current)
        count = desired_count_change(current.get("desiredCount", 0), spec["desired_count"], scaling)
        view_after["desired_count"] = current.get("desiredCount") if count is None else count
        self.after["services"].setdefault(name, {})["service"] = view_after
        if changes or count is not None:
            args = dict(changes, cluster=cluster, service=name)
            if count is not None:
                args["desiredCount"] = count
            if "capacityProviderStrategy" in changes:
                # Moving to (or changing) a capacity provider strategy needs a new deployment.
                args["forceNewDeployment"] = True
            what = sorted(changes) + (["desiredCount"] if count is not None else [])
            self.act(f"update ECS service {name} ({', '.join(what)})", api.update_service, self.ecs, args)
            self.deployed[name] = task_definition
        missing = tags_to_set(tag_dict(current.get("tags")), self.tags)
        if missing:
            self.act(f"update the tags of ECS service {name}: {', '.join(sorted(missing))}", api.tag_resource,
                     self.ecs, arn, ecs_tags(missing))
        return arn

    # -- auto scaling -------------------------------------------------------------------------------
    def scaling(self, spec, service_arn, targets):
        cluster = self.params["cluster"]["name"]
        name = spec["name"]
        scaling = spec.get("scaling")
        resource_id = f"service/{cluster}/{name}"
        if not scaling:
            return
        policies = {}
        for metric in ("cpu", "memory"):
            target = scaling.get(f"{metric}_target")
            if target is not None:
                policies[f"{cluster}-{name}-{metric}"] = target_tracking_configuration(
                    metric, target, scaling["scale_in_cooldown"], scaling["scale_out_cooldown"])
        self.after["services"].setdefault(name, {})["scaling"] = {
            "min": scaling["min_capacity"], "max": scaling["max_capacity"],
            "policies": {k: v["TargetValue"] for k, v in sorted(policies.items())}}
        current = targets.get(resource_id)
        existing = {}
        if current is not None:
            existing = {p["PolicyName"]: p for p in aas.describe_scaling_policies(self.aas, resource_id)}
            self.before["services"].setdefault(name, {})["scaling"] = {
                "min": current["MinCapacity"], "max": current["MaxCapacity"],
                "policies": {k: (p.get("TargetTrackingScalingPolicyConfiguration") or {}).get("TargetValue")
                             for k, p in sorted(existing.items())}}
        else:
            self.before["services"].setdefault(name, {})["scaling"] = None
        bounds = (scaling["min_capacity"], scaling["max_capacity"])
        if current is None or (current["MinCapacity"], current["MaxCapacity"]) != bounds:
            verb = "register" if current is None else "update"
            self.act(f"{verb} the scalable target of {name} "
                     f"({scaling['min_capacity']}-{scaling['max_capacity']} tasks)",
                     aas.register_scalable_target, self.aas, resource_id, scaling["min_capacity"],
                     scaling["max_capacity"], self.tags if current is None else None)
        for policy_name, configuration in sorted(policies.items()):
            found = existing.get(policy_name)
            if found is None or not policy_equal(configuration, found):
                verb = "create" if found is None else "update"
                self.act(f"{verb} target-tracking policy {policy_name} "
                         f"({configuration['PredefinedMetricSpecification']['PredefinedMetricType']} at "
                         f"{configuration['TargetValue']:g}%)",
                         aas.put_target_tracking_policy, self.aas, resource_id, policy_name, configuration)
        for policy_name in sorted(set(existing) - set(policies)):
            self.act(f"delete scaling policy {policy_name} of {name}", aas.delete_scaling_policy, self.aas,
                     resource_id, policy_name)

    # -- waiting ---------------------------------------------------------------------------------------
    def wait(self):
        pending = dict(self.deployed)
        if not pending or self.check_mode or not self.params["wait"]:
            return []
        cluster = self.params["cluster"]["name"]
        timeout = self.params["wait_timeout"]
        deadline = self.clock() + timeout
        states = {}
        poll = FIRST_WAIT_POLL
        while pending:
            found = api.describe_services(self.ecs, cluster, list(pending))
            for name, task_definition in list(pending.items()):
                service = found.get(name)
                if service is None:
                    raise ServicesError(f"ECS service {name} disappeared while waiting for its deployment")
                state, reason = deployment_state(service, task_definition)
                states[name] = (reason, service)
                if state == "steady":
                    pending.pop(name)
                elif state == "failed":
                    raise ServicesError(f"ECS service {name}: {reason}. {self.report(name, service)}")
            if not pending:
                break
            if self.clock() >= deadline:
                details = " | ".join(f"ECS service {n}: {states[n][0]}. {self.report(n, states[n][1])}"
                                     for n in pending)
                raise ServicesError(f"the deployment did not reach a steady state within {timeout} seconds: {details}")
            self.sleep(min(poll, max(deadline - self.clock(), 0)))
            poll = min(poll * 2, WAIT_POLL)
        return sorted(self.deployed)

    def report(self, name, service):
        """What ECS says about a service: recent events and why tasks stopped."""
        events = [e.get("message", "") for e in (service.get("events") or [])[:3]]
        parts = []
        if events:
            parts.append("Recent events: " + "; ".join(events))
        try:
            stopped = api.stopped_tasks(self.ecs, self.params["cluster"]["name"], name)
        except SoloAwsError:
            stopped = []
        reasons = sorted({t.get("stoppedReason") for t in stopped if t.get("stoppedReason")})
        if reasons:
            parts.append("Stopped tasks: " + "; ".join(reasons))
        return " ".join(parts) or "ECS reported no events yet."

    # -- entry ------------------------------------------------------------------------------------------
    def converge(self):
        cluster_arn = self.cluster()
        namespace = self.namespace()
        self.log_groups()
        registries = self.discovery_services(namespace)
        names = [s["name"] for s in self.params["services"]]
        current = {}
        if not is_planned(cluster_arn) and names:
            current = dict(api.describe_services(self.ecs, self.params["cluster"]["name"], names))
        for name, service in list(current.items()):
            if service.get("status") == "INACTIVE":
                current.pop(name)
            elif service.get("status") == "DRAINING":
                raise ServicesError(f"ECS service {name} is being deleted (DRAINING): wait until it is INACTIVE "
                                    "and run again")
        targets = {}
        if current:
            cluster = self.params["cluster"]["name"]
            targets = aas.describe_scalable_targets(self.aas, [f"service/{cluster}/{n}" for n in current])
        results = {}
        for spec in self.params["services"]:
            name = spec["name"]
            task_definition, image = self.task_definition(spec, current.get(name))
            runs = task_definition
            if not spec["rollout"] and current.get(name):
                # Registered for a later rollout (e.g. migrations first); the service keeps its revision.
                runs = family_revision(current[name]["taskDefinition"])
            arn = self.service(spec, cluster_arn, current.get(name), runs, registries.get(name))
            self.scaling(spec, arn, targets)
            results[name] = {
                "name": name, "arn": arn, "task_definition": runs, "registered_task_definition": task_definition,
                "family": spec["family"],
                "container_name": spec["container_name"], "image": image,
                "log_group": spec["log_group"]["name"], "discovery_arn": registries.get(name),
            }
        waited = self.wait()
        return {"cluster_name": self.params["cluster"]["name"], "cluster_arn": cluster_arn, "namespace": namespace,
                "services": results, "waited": waited}


def _label(ref):
    """A planned identifier as the sentence of an action shows it (check mode and a real run read the same)."""
    return ref.split(":", 2)[-1] if is_planned(ref) else ref


def validate(module):
    names = [s["name"] for s in module.params["services"]]
    if len(set(names)) != len(names):
        module.fail_json(msg="services: names must be unique")
    discovering = [s["name"] for s in module.params["services"] if s.get("discovery")]
    if discovering and not module.params.get("namespace"):
        module.fail_json(msg=f"services {', '.join(discovering)} ask for discovery, which needs the namespace option")
    for spec in module.params["services"]:
        spec["container_name"] = spec.get("container_name") or spec["name"]
        scaling = spec.get("scaling")
        if scaling and scaling["min_capacity"] > scaling["max_capacity"]:
            module.fail_json(msg=f"services[{spec['name']}].scaling: min_capacity {scaling['min_capacity']} is "
                                 f"above max_capacity {scaling['max_capacity']}")
        if not spec["subnets"] or not spec["security_groups"]:
            module.fail_json(msg=f"services[{spec['name']}]: subnets and security_groups must not be empty "
                                 "(awsvpc tasks need both)")
        for key, value in (spec.get("secrets") or {}).items():
            if not str(value).startswith(("arn:", "planned:")):
                module.fail_json(msg=f"services[{spec['name']}].secrets.{key} must be the ARN of an SSM parameter "
                                     "(the task definition holds references, never values)")


def main():
    argument_spec = dict(
        cluster=dict(type="dict", required=True, options=dict(
            name=dict(type="str", required=True),
            container_insights=dict(type="str", default="enabled", choices=["enabled", "enhanced", "disabled"]),
            capacity_providers=dict(type="list", elements="str", default=["FARGATE", "FARGATE_SPOT"]),
        )),
        namespace=dict(type="dict", options=dict(
            name=dict(type="str", required=True),
            vpc_id=dict(type="str", required=True),
            description=dict(type="str", default=""),
            timeout=dict(type="int", default=300),
        )),
        services=dict(type="list", elements="dict", default=[], options=dict(
            name=dict(type="str", required=True),
            container_name=dict(type="str"),
            family=dict(type="str", required=True),
            cpu=dict(type="int", required=True),
            memory=dict(type="int", required=True),
            cpu_architecture=dict(type="str", default="X86_64", choices=["X86_64", "ARM64"]),
            execution_role_arn=dict(type="str", required=True),
            task_role_arn=dict(type="str"),
            image_repository=dict(type="str", required=True),
            image_tag=dict(type="str"),
            initial_image_tag=dict(type="str", default="latest"),
            rollout=dict(type="bool", default=True),
            container_port=dict(type="int", required=True),
            environment=dict(type="dict", default={}),
            secrets=dict(type="dict", default={}, no_log=False),
            readonly_root_filesystem=dict(type="bool", default=True),
            writable_paths=dict(type="list", elements="str", default=[]),
            health_check=dict(type="dict", options=dict(
                command=dict(type="list", elements="str", required=True),
                interval=dict(type="int", default=30),
                timeout=dict(type="int", default=5),
                retries=dict(type="int", default=3),
                start_period=dict(type="int", default=0),
            )),
            log_group=dict(type="dict", required=True, options=dict(
                name=dict(type="str", required=True),
                retention_days=dict(type="int", default=30),
                kms_key_id=dict(type="str", default="", no_log=False),
            )),
            desired_count=dict(type="int", default=1),
            subnets=dict(type="list", elements="str", required=True),
            security_groups=dict(type="list", elements="str", required=True),
            assign_public_ip=dict(type="bool", default=False),
            load_balancers=dict(type="list", elements="dict", default=[], options=dict(
                target_group_arn=dict(type="str", required=True),
            )),
            health_check_grace_period=dict(type="int", default=0),
            discovery=dict(type="dict", options=dict(
                name=dict(type="str", required=True),
                dns_ttl=dict(type="int", default=10),
                description=dict(type="str", default=""),
            )),
            on_demand_base=dict(type="int", default=0),
            on_demand_weight=dict(type="int", default=1),
            spot_weight=dict(type="int", default=0),
            minimum_healthy_percent=dict(type="int", default=100),
            maximum_percent=dict(type="int", default=200),
            enable_execute_command=dict(type="bool", default=False),
            scaling=dict(type="dict", options=dict(
                min_capacity=dict(type="int", required=True),
                max_capacity=dict(type="int", required=True),
                cpu_target=dict(type="float"),
                memory_target=dict(type="float"),
                scale_in_cooldown=dict(type="int", default=300),
                scale_out_cooldown=dict(type="int", default=60),
            )),
        )),
        tags=dict(type="dict", default={}),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=600),
    )
    module = SoloAwsModule(argument_spec=argument_spec, supports_check_mode=True)
    validate(module)
    clients = {name: module.client(name) for name in ("ecs", "logs", "servicediscovery", "application-autoscaling")}
    clients["iam"] = lambda: module.client("iam")
    runner = FargateServices(clients, module.params, module.region, module.check_mode)
    try:
        result = runner.converge()
    except ServicesError as e:
        module.fail_json(msg=str(e), actions=runner.actions)
    except SoloAwsError as e:
        fail_aws(module, e)
    module.exit_plan(runner, **result)


if __name__ == "__main__":
    main()
