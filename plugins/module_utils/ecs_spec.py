# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of the ECS services layer: build AWS requests, compare with what AWS returns.

The comparisons follow what AWS really hands back, not what was sent:

* a task definition comes back with defaults filled in (``cpu: 0`` and
  ``essential: true`` on containers, ``protocol: tcp`` and ``hostPort`` equal to
  ``containerPort`` in awsvpc mode, empty lists, ``host: {}`` on bind-mount
  volumes, task ``cpu``/``memory`` as strings) and with ``environment`` /
  ``secrets`` in any order. :func:`normalize_task_definition` removes those
  differences, so a re-run registers no new revision (the stock module's known
  churn with ``secrets`` on real AWS, community.aws issue 45).
* DescribeServices on real AWS always returns ``deploymentConfiguration``,
  ``enableECSManagedTags``, ``enableExecuteCommand`` and the capacity provider
  strategy of a service created with one. The local emulator (moto) returns
  none of them after CreateService, and ignores ``healthCheckGracePeriodSeconds``
  there. A field AWS did not return is therefore not compared (on real AWS this
  never happens for these fields; on the emulator it avoids an update on every
  run).
* A target-tracking policy is compared on the settings that matter, with
  AWS's defaults for the ones left out; an equal policy is never put again
  (each PutScalingPolicy re-creates its two CloudWatch alarms).

Everything here takes and returns plain data and is unit-tested directly.
"""

from __future__ import annotations

import copy

# Keys of a task definition this collection manages (the rest - revision,
# status, registeredAt, compatibilities, requiresAttributes... - is AWS's).
TASK_KEYS = (
    "family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions", "volumes",
    "requiresCompatibilities", "cpu", "memory", "runtimePlatform", "ephemeralStorage", "pidMode", "ipcMode",
    "proxyConfiguration", "placementConstraints", "inferenceAccelerators",
)
# Container booleans whose AWS default is false: false equals absent.
FALSE_DEFAULTS = ("readonlyRootFilesystem", "privileged", "interactive", "pseudoTerminal", "disableNetworking",
                  "readOnly")
HEALTH_CHECK_DEFAULTS = {"interval": 30, "timeout": 5, "retries": 3, "startPeriod": 0}
ROLLOUT_DONE = "COMPLETED"
ROLLOUT_FAILED = "FAILED"


def _prune(value):
    """Drop None, empty lists and empty dicts, recursively."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = _prune(item)
            if item is None or item == [] or item == {}:
                continue
            out[key] = item
        return out
    if isinstance(value, list):
        return [_prune(item) for item in value]
    return value


def _by(key):
    return lambda item: str(item.get(key, ""))


def _normalize_container(container):
    c = copy.deepcopy(container)
    if c.get("cpu") == 0:
        c.pop("cpu")
    if c.get("essential", True) is True:
        c.pop("essential", None)
    for key in FALSE_DEFAULTS:
        if c.get(key) is False:
            c.pop(key)
    if c.get("versionConsistency") == "enabled":
        c.pop("versionConsistency")
    mappings = []
    for mapping in c.get("portMappings") or []:
        m = dict(mapping)
        if m.get("protocol", "tcp") == "tcp":
            m.pop("protocol", None)
        if m.get("hostPort") in (None, m.get("containerPort")):
            m.pop("hostPort", None)
        mappings.append(m)
    c["portMappings"] = sorted(mappings, key=lambda m: (m.get("containerPort", 0), m.get("protocol", "")))
    c["environment"] = sorted(({"name": e["name"], "value": str(e.get("value", ""))}
                               for e in c.get("environment") or []), key=_by("name"))
    c["secrets"] = sorted((dict(s) for s in c.get("secrets") or []), key=_by("name"))
    c["mountPoints"] = sorted(({k: v for k, v in m.items() if not (k == "readOnly" and v is False)}
                               for m in c.get("mountPoints") or []), key=_by("containerPath"))
    if c.get("healthCheck"):
        c["healthCheck"] = {**HEALTH_CHECK_DEFAULTS, **c["healthCheck"]}
    return c


def normalize_task_definition(definition):
    """The comparable form of a task definition, from a request or a DescribeTaskDefinition answer."""
    td = {key: copy.deepcopy(definition[key]) for key in TASK_KEYS if key in definition}
    for key in ("cpu", "memory"):
        if td.get(key) is not None:
            td[key] = str(td[key])
    td["requiresCompatibilities"] = sorted(td.get("requiresCompatibilities") or [])
    td["volumes"] = sorted(td.get("volumes") or [], key=_by("name"))
    td["containerDefinitions"] = sorted((_normalize_container(c) for c in td.get("containerDefinitions") or []),
                                        key=_by("name"))
    return _prune(td)


def task_definitions_equal(desired, current):
    return normalize_task_definition(desired) == normalize_task_definition(current)


def family_revision(ref):
    """'arn:aws:ecs:...:task-definition/app:7' or 'app:7' -> 'app:7' (None stays None)."""
    if not ref:
        return ref
    return ref.rsplit("/", 1)[-1]


def resolve_image(repository, tag, initial_tag, current_image):
    """The image of a container.

    An explicit ``tag`` wins. Without one, the image the service runs now is
    kept when it comes from ``repository`` (a deploy pushed and rolled it out:
    a re-run of the stack must not roll it back), else ``initial_tag``.
    """
    if tag:
        return f"{repository}:{tag}"
    if current_image and (current_image.startswith(f"{repository}:") or current_image.startswith(f"{repository}@")):
        return current_image
    return f"{repository}:{initial_tag}"


def task_definition_request(spec, image, log_region):
    """RegisterTaskDefinition arguments (without tags) for one service of the module's ``services``."""
    container = {
        "name": spec["container_name"],
        "image": image,
        "essential": True,
        "portMappings": [{"containerPort": spec["container_port"], "protocol": "tcp"}],
        "environment": [{"name": k, "value": str(v)} for k, v in sorted((spec.get("environment") or {}).items())],
        "secrets": [{"name": k, "valueFrom": v} for k, v in sorted((spec.get("secrets") or {}).items())],
        "readonlyRootFilesystem": bool(spec.get("readonly_root_filesystem")),
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": spec["log_group"]["name"],
            "awslogs-region": log_region,
            "awslogs-stream-prefix": spec["container_name"],
        }},
    }
    volumes = []
    mounts = []
    for index, path in enumerate(spec.get("writable_paths") or []):
        name = f"writable-{index}"
        volumes.append({"name": name})
        mounts.append({"sourceVolume": name, "containerPath": path, "readOnly": False})
    container["mountPoints"] = mounts
    check = spec.get("health_check") or {}
    if check.get("command"):
        container["healthCheck"] = {
            "command": list(check["command"]),
            "interval": check.get("interval", 30),
            "timeout": check.get("timeout", 5),
            "retries": check.get("retries", 3),
            "startPeriod": check.get("start_period", 0),
        }
    request = {
        "family": spec["family"],
        "executionRoleArn": spec["execution_role_arn"],
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": str(spec["cpu"]),
        "memory": str(spec["memory"]),
        "runtimePlatform": {"operatingSystemFamily": "LINUX",
                            "cpuArchitecture": spec.get("cpu_architecture", "X86_64")},
        "containerDefinitions": [container],
        "volumes": volumes,
    }
    if spec.get("task_role_arn"):
        request["taskRoleArn"] = spec["task_role_arn"]
    return request


def task_definition_summary(definition):
    """A short, readable view of a task definition for --diff (no secret values exist in it)."""
    td = normalize_task_definition(definition)
    containers = {}
    for c in td.get("containerDefinitions", []):
        containers[c["name"]] = {
            "image": c.get("image"),
            "environment": {e["name"]: e["value"] for e in c.get("environment", [])},
            "secrets": {s["name"]: s["valueFrom"] for s in c.get("secrets", [])},
            "readonly_root_filesystem": bool(c.get("readonlyRootFilesystem")),
            "writable_paths": [m["containerPath"] for m in c.get("mountPoints", [])],
            "health_check": c.get("healthCheck"),
        }
    return {"cpu": td.get("cpu"), "memory": td.get("memory"), "cpu_architecture":
            (td.get("runtimePlatform") or {}).get("cpuArchitecture"), "execution_role": td.get("executionRoleArn"),
            "task_role": td.get("taskRoleArn"), "containers": containers}


# -- ECS services -------------------------------------------------------------------
def capacity_strategy(spec):
    strategy = [{"capacityProvider": "FARGATE", "base": spec.get("on_demand_base", 0),
                 "weight": spec.get("on_demand_weight", 1)}]
    if spec.get("spot_weight"):
        strategy.append({"capacityProvider": "FARGATE_SPOT", "base": 0, "weight": spec["spot_weight"]})
    return strategy


def _strategy_key(strategy):
    return sorted((s["capacityProvider"], int(s.get("base", 0) or 0), int(s.get("weight", 0) or 0))
                  for s in strategy or [])


def clamp(value, low, high):
    return max(low, min(high, value))


def service_settings(spec, task_definition):
    """The updatable settings of a service, in CreateService / UpdateService form."""
    settings = {
        "taskDefinition": task_definition,
        "capacityProviderStrategy": capacity_strategy(spec),
        "platformVersion": spec.get("platform_version", "LATEST"),
        "networkConfiguration": {"awsvpcConfiguration": {
            "subnets": list(spec["subnets"]),
            "securityGroups": list(spec["security_groups"]),
            "assignPublicIp": "ENABLED" if spec.get("assign_public_ip") else "DISABLED",
        }},
        "deploymentConfiguration": {
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            "maximumPercent": spec.get("maximum_percent", 200),
            "minimumHealthyPercent": spec.get("minimum_healthy_percent", 100),
        },
        "loadBalancers": [{"targetGroupArn": lb["target_group_arn"], "containerName": spec["container_name"],
                           "containerPort": spec["container_port"]} for lb in spec.get("load_balancers") or []],
        "serviceRegistries": [],
        "enableECSManagedTags": True,
        "propagateTags": "SERVICE",
        "enableExecuteCommand": bool(spec.get("enable_execute_command")),
    }
    if settings["loadBalancers"]:
        settings["healthCheckGracePeriodSeconds"] = spec.get("health_check_grace_period", 0)
    return settings


def _comparable(key, value):
    if key == "taskDefinition":
        return family_revision(value)
    if key == "capacityProviderStrategy":
        return _strategy_key(value)
    if key == "networkConfiguration":
        vpc = (value or {}).get("awsvpcConfiguration") or {}
        return (sorted(vpc.get("subnets") or []), sorted(vpc.get("securityGroups") or []),
                vpc.get("assignPublicIp", "DISABLED"))
    if key == "deploymentConfiguration":
        breaker = (value or {}).get("deploymentCircuitBreaker") or {}
        return (bool(breaker.get("enable")), bool(breaker.get("rollback")), (value or {}).get("maximumPercent"),
                (value or {}).get("minimumHealthyPercent"))
    if key == "loadBalancers":
        return sorted((lb.get("targetGroupArn"), lb.get("containerName"), lb.get("containerPort"))
                      for lb in value or [])
    if key == "serviceRegistries":
        return sorted(r.get("registryArn") for r in value or [])
    return value


# Settings the emulator leaves out of DescribeServices (AWS always returns them):
# absent means "not known", not "different".
NOT_ALWAYS_RETURNED = ("deploymentConfiguration", "healthCheckGracePeriodSeconds", "enableECSManagedTags",
                       "enableExecuteCommand")


def service_changes(desired, current):
    """{setting: desired value} of the settings of ``desired`` that differ in ``current`` (DescribeServices)."""
    changes = {}
    for key, value in desired.items():
        if key not in current and key in NOT_ALWAYS_RETURNED:
            continue
        # A real service started with a launch type has no strategy and reports
        # launchType FARGATE: move it to the strategy. The emulator drops the
        # strategy and reports launchType EC2, which no Fargate-only task
        # definition could run on: nothing to compare there.
        if key == "capacityProviderStrategy" and not current.get(key) and current.get("launchType") != "FARGATE":
            continue
        if key == "platformVersion" and current.get(key) in (None, ""):
            continue
        if _comparable(key, value) != _comparable(key, current.get(key)):
            changes[key] = value
    return changes


def desired_count_change(current_count, desired_count, scaling):
    """The desired count to set on an existing service, or None to leave it to auto scaling.

    With auto scaling the running count belongs to the scaling policies: only a
    count outside [min, max] is brought back inside. Without it, the inventory's
    count is enforced.
    """
    if scaling:
        target = clamp(current_count, scaling["min_capacity"], scaling["max_capacity"])
        return None if target == current_count else target
    return None if current_count == desired_count else desired_count


def describe_service_view(service):
    """A short readable view of a DescribeServices entry, for --diff."""
    if service is None:
        return None
    vpc = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
    return {
        "task_definition": family_revision(service.get("taskDefinition")),
        "desired_count": service.get("desiredCount"),
        "subnets": sorted(vpc.get("subnets") or []),
        "security_groups": sorted(vpc.get("securityGroups") or []),
        "assign_public_ip": vpc.get("assignPublicIp"),
        "load_balancers": [lb.get("targetGroupArn") for lb in service.get("loadBalancers") or []],
        "service_registries": [r.get("registryArn") for r in service.get("serviceRegistries") or []],
    }


def deployment_state(service, expected_task_definition):
    """('steady' | 'failed' | 'pending', reason) of a service after a deployment of ``expected_task_definition``.

    Steady: one deployment left, it runs the expected task definition, its
    rollout is COMPLETED (when ECS reports a rollout state) and the running count
    equals the desired count. Failed: the expected deployment's rollout FAILED,
    or the circuit breaker rolled the service back to another task definition.
    """
    expected = family_revision(expected_task_definition)
    deployments = service.get("deployments") or []
    for deployment in deployments:
        if (family_revision(deployment.get("taskDefinition")) == expected
                and deployment.get("rolloutState") == ROLLOUT_FAILED):
            return "failed", (f"the deployment of {expected} failed: "
                              f"{deployment.get('rolloutStateReason') or 'no reason given'}")
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
    if primary is None:
        return "pending", "no primary deployment yet"
    primary_td = family_revision(primary.get("taskDefinition"))
    if primary_td != expected and not any(family_revision(d.get("taskDefinition")) == expected for d in deployments):
        return "failed", f"ECS rolled the service back to {primary_td} (the deployment of {expected} failed)"
    rollout = primary.get("rolloutState")
    running, desired = service.get("runningCount", 0), service.get("desiredCount", 0)
    if (len(deployments) == 1 and primary_td == expected and rollout in (None, ROLLOUT_DONE)
            and running == desired):
        return "steady", "steady"
    return "pending", (f"rollout {rollout or 'unknown'}"
                       f"{' (' + primary['rolloutStateReason'] + ')' if primary.get('rolloutStateReason') else ''}, "
                       f"{running}/{desired} tasks running, {primary.get('failedTasks', 0)} failed, "
                       f"{len(deployments)} deployment(s)")


# -- Application Auto Scaling ----------------------------------------------------------
POLICY_METRICS = {"cpu": "ECSServiceAverageCPUUtilization", "memory": "ECSServiceAverageMemoryUtilization"}


def target_tracking_configuration(metric, target, scale_in_cooldown, scale_out_cooldown):
    return {
        "TargetValue": float(target),
        "PredefinedMetricSpecification": {"PredefinedMetricType": POLICY_METRICS[metric]},
        "ScaleInCooldown": int(scale_in_cooldown),
        "ScaleOutCooldown": int(scale_out_cooldown),
        "DisableScaleIn": False,
    }


def _policy_key(configuration):
    c = configuration or {}
    metric = c.get("PredefinedMetricSpecification") or {}
    return (
        float(c.get("TargetValue", 0)),
        metric.get("PredefinedMetricType"),
        metric.get("ResourceLabel") or None,
        bool(c.get("CustomizedMetricSpecification")),
        # AWS's defaults for ECS when a cooldown is left out: 300 seconds.
        int(c.get("ScaleInCooldown", 300)),
        int(c.get("ScaleOutCooldown", 300)),
        bool(c.get("DisableScaleIn", False)),
    )


def policy_equal(desired, current_policy):
    """True when a DescribeScalingPolicies entry already has the desired target tracking configuration."""
    if current_policy.get("PolicyType") != "TargetTrackingScaling":
        return False
    return _policy_key(desired) == _policy_key(current_policy.get("TargetTrackingScalingPolicyConfiguration"))
