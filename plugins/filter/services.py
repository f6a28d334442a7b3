# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the services layer: inventory validation, and the IAM, ECS and alarm specs built from it.

The pure functions take plain data and return plain data; the FilterModule
wrappers turn bad input types into AnsibleFilterError. Validation messages
name the inventory variable and say what to change.
"""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

SERVICES = ("frontend", "backend")
# Fargate task sizes: CPU units -> allowed memory (MiB).
FARGATE_SIZES = {
    256: [512, 1024, 2048],
    512: list(range(1024, 4097, 1024)),
    1024: list(range(2048, 8193, 1024)),
    2048: list(range(4096, 16385, 1024)),
    4096: list(range(8192, 30721, 1024)),
    8192: list(range(16384, 61441, 4096)),
    16384: list(range(32768, 122881, 8192)),
}
LOG_RETENTION_DAYS = (0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                      3288, 3653)
CONTAINER_INSIGHTS = ("enabled", "enhanced", "disabled")
ARCHITECTURES = ("X86_64", "ARM64")
IMAGE_TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DNS_LABEL_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
KMS_ARN_RE = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")
# Environment variables the role sets itself.
RESERVED_ENV = {"frontend": ("BACKEND_URL", "PORT"), "backend": ("PORT",)}
ALARM_THRESHOLDS = ("alb_5xx", "target_5xx", "unhealthy_targets", "ecs_cpu", "ecs_memory", "aurora_cpu", "aurora_acu",
                    "aurora_connections")
PERCENT_THRESHOLDS = ("ecs_cpu", "ecs_memory", "aurora_cpu", "aurora_acu")
NUMERIC_KEYS = ("cpu", "memory", "desired_count", "min_capacity", "max_capacity", "spot_weight",
                "health_check_grace_period")


def _as_number(value):
    """Numbers given on the command line (-e name=10) arrive as text: read them as numbers."""
    if isinstance(value, str) and re.match(r"^-?\d+(\.\d+)?$", value.strip()):
        number = float(value)
        return int(number) if number.is_integer() and "." not in value else number
    return value


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_int(errors, name, value, low, high, hint=""):
    value = _as_number(value)
    if not _is_int(value) or not low <= value <= high:
        errors.append(f"{name} = {value!r}: give a whole number from {low} to {high}{hint}")
        return False
    return True


def _service_errors(svc, spec, production):
    errors = []
    p = f"services_{svc}_"
    spec = {k: (_as_number(v) if k in NUMERIC_KEYS else v) for k, v in spec.items()}
    cpu, memory = spec.get("cpu"), spec.get("memory")
    if cpu not in FARGATE_SIZES:
        errors.append(f"{p}cpu = {cpu!r}: Fargate tasks take {', '.join(str(c) for c in FARGATE_SIZES)} CPU units")
    elif memory not in FARGATE_SIZES[cpu]:
        allowed = FARGATE_SIZES[cpu]
        errors.append(f"{p}memory = {memory!r}: with {p}cpu = {cpu}, Fargate accepts {allowed[0]} to {allowed[-1]} "
                      f"MiB in steps of {allowed[1] - allowed[0]}")
    counts_ok = all([
        _check_int(errors, f"{p}min_capacity", spec.get("min_capacity"), 0, 1000),
        _check_int(errors, f"{p}max_capacity", spec.get("max_capacity"), 1, 1000),
        _check_int(errors, f"{p}desired_count", spec.get("desired_count"), 0, 1000),
    ])
    if counts_ok:
        low, high, desired = spec["min_capacity"], spec["max_capacity"], spec["desired_count"]
        if low > high:
            errors.append(f"{p}min_capacity = {low} is above {p}max_capacity = {high}: lower the minimum or raise "
                          "the maximum")
        elif not low <= desired <= high:
            errors.append(f"{p}desired_count = {desired} is outside {p}min_capacity..{p}max_capacity ({low}..{high}): "
                          "auto scaling would move it at once; choose a count inside the range")
        if production and low < 2:
            errors.append(f"{p}min_capacity = {low}: production needs at least 2 tasks so that both availability "
                          "zones keep one")
    _check_int(errors, f"{p}spot_weight", spec.get("spot_weight"), 0, 1000)
    if production and _is_int(spec.get("spot_weight")) and spec["spot_weight"] > 0:
        errors.append(f"{p}spot_weight = {spec['spot_weight']}: production runs on on-demand Fargate only (Spot "
                      "tasks can be stopped at two minutes' notice); set it to 0")
    environment = spec.get("environment")
    if not isinstance(environment, dict):
        errors.append(f"{p}environment must be a mapping of variable name to value")
        environment = {}
    secrets = spec.get("secrets")
    if not isinstance(secrets, dict):
        errors.append(f"{p}secrets must be a mapping of variable name to a parameter key of the secrets role")
        secrets = {}
    for name in list(environment) + list(secrets):
        if not ENV_NAME_RE.match(str(name)):
            errors.append(f"{p}environment/secrets: '{name}' is not a valid environment variable name")
    for name in sorted(set(environment) & set(secrets)):
        errors.append(f"{p}environment.{name} is also in {p}secrets: a variable comes from one place only")
    for name in RESERVED_ENV[svc]:
        if name in environment or name in secrets:
            errors.append(f"{p}environment.{name}: the role sets {name} itself; remove it from the inventory")
    for name, value in environment.items():
        if isinstance(value, (dict, list)):
            errors.append(f"{p}environment.{name} must be a string or a number")
        elif re.search(r"(?i)(password|secret|token|api[_-]?key)", str(name)):
            errors.append(f"{p}environment.{name} looks like a secret: put it in Parameter Store (secrets role) and "
                          f"reference it in {p}secrets instead - task definitions must not hold secret values")
    for name, key in secrets.items():
        if not isinstance(key, str) or not re.match(r"^[A-Za-z0-9_.-]+$", key):
            errors.append(f"{p}secrets.{name} = {key!r}: give the key of a parameter of the secrets role "
                          "(for example db_password)")
    paths = spec.get("writable_paths")
    if not isinstance(paths, list) or any(not isinstance(x, str) or not x.startswith("/") for x in paths):
        errors.append(f"{p}writable_paths = {paths!r}: give a list of absolute paths")
    if not isinstance(spec.get("readonly_root_filesystem"), bool):
        errors.append(f"{p}readonly_root_filesystem must be true or false")
    command = spec.get("health_check_command")
    if not isinstance(command, list) or any(not isinstance(x, str) for x in command):
        errors.append(f"{p}health_check_command must be a list of strings (empty: built from {p}health_check_path)")
    elif command and command[0] not in ("CMD", "CMD-SHELL", "NONE"):
        errors.append(f"{p}health_check_command must start with CMD or CMD-SHELL (ECS form), got {command[0]!r}")
    path = spec.get("health_check_path")
    if not isinstance(path, str) or not path.startswith("/"):
        errors.append(f"{p}health_check_path = {path!r}: give a path such as /health")
    if "health_check_grace_period" in spec:
        _check_int(errors, f"{p}health_check_grace_period", spec["health_check_grace_period"], 0, 7200)
    statements = spec.get("task_policy_statements")
    if not isinstance(statements, list):
        errors.append(f"{p}task_policy_statements must be a list of IAM policy statements")
        statements = []
    for i, statement in enumerate(statements):
        where = f"{p}task_policy_statements[{i}]"
        if not isinstance(statement, dict) or statement.get("Effect") not in ("Allow", "Deny") \
                or "Action" not in statement or "Resource" not in statement:
            errors.append(f"{where}: give a statement with Effect (Allow or Deny), Action and Resource")
            continue
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        for action in actions:
            if statement["Effect"] == "Allow" and (action == "*" or str(action).endswith(":*")):
                errors.append(f"{where}: Action '{action}' allows every action of a service; list only the actions "
                              "the application calls (least privilege)")
    return errors


def services_errors(spec):
    """Every problem with the services inputs, as messages; [] when all is well.

    ``spec`` keys: production (bool), container_insights, cpu_architecture,
    image_tag, initial_image_tag, log_retention_days, log_kms_key_arn,
    namespace_name, secret_keys (the keys the secrets role manages; empty: not
    checked), wait_timeout, deployment ({minimum_healthy_percent,
    maximum_percent}), scaling ({cpu_target, memory_target, scale_in_cooldown,
    scale_out_cooldown}), health_check ({interval, timeout, retries,
    start_period}), discovery_ttl, alarms ({email, period, evaluation_periods,
    thresholds: {name: number or None}}), services ({frontend|backend: {...}}).
    """
    errors = []
    production = bool(spec.get("production"))
    if spec.get("container_insights") not in CONTAINER_INSIGHTS:
        errors.append(f"services_container_insights = {spec.get('container_insights')!r}: use one of "
                      f"{', '.join(CONTAINER_INSIGHTS)}")
    if spec.get("cpu_architecture") not in ARCHITECTURES:
        errors.append(f"services_cpu_architecture = {spec.get('cpu_architecture')!r}: use X86_64 or ARM64 (the "
                      "architecture the images are built for)")
    for name in ("image_tag", "frontend_image_tag", "backend_image_tag", "initial_image_tag"):
        value = spec.get(name)
        if value in (None, "") and name != "initial_image_tag":
            continue
        if not isinstance(value, str) or not IMAGE_TAG_RE.match(value):
            errors.append(f"services_{name} = {value!r} is not a Docker image tag (letters, digits, _ . -, up to 128 "
                          "characters, not starting with . or -)")
    if spec.get("log_retention_days") not in LOG_RETENTION_DAYS:
        errors.append(f"services_log_retention_days = {spec.get('log_retention_days')!r}: CloudWatch Logs accepts "
                      f"{', '.join(str(d) for d in LOG_RETENTION_DAYS[1:])} (or 0 to keep logs forever)")
    kms = spec.get("log_kms_key_arn") or ""
    if kms and not KMS_ARN_RE.match(kms):
        errors.append(f"services_log_kms_key_arn = {kms!r}: give the ARN of a customer KMS key "
                      "(arn:aws:kms:<region>:<account>:key/<id>), or leave it empty")
    namespace = spec.get("namespace_name") or ""
    labels = namespace.split(".")
    if len(labels) < 2 or not all(DNS_LABEL_RE.match(label) for label in labels) or len(namespace) > 253:
        errors.append(f"services_namespace_name = {namespace!r}: give a private DNS domain of lower-case labels, "
                      "for example solo-saving-prod.internal")
    _check_int(errors, "services_wait_timeout", spec.get("wait_timeout"), 10, 7200)
    deployment = spec.get("deployment") or {}
    _check_int(errors, "services_deployment_minimum_healthy_percent", deployment.get("minimum_healthy_percent"), 0, 100)
    if _check_int(errors, "services_deployment_maximum_percent", deployment.get("maximum_percent"), 100, 400) \
            and _as_number(deployment.get("maximum_percent")) == 100 \
            and _as_number(deployment.get("minimum_healthy_percent")) == 100:
        errors.append("services_deployment_maximum_percent = 100 with minimum healthy 100 leaves ECS no room to "
                      "start a new task: raise the maximum (200 is the usual value)")
    scaling = spec.get("scaling") or {}
    for name in ("cpu_target", "memory_target"):
        value = _as_number(scaling.get(name))
        if value is not None and (not _is_number(value) or not 10 <= value <= 95):
            errors.append(f"services_{name} = {value!r}: give a utilisation target from 10 to 95 percent, or null "
                          "for no policy on that metric")
    for name in ("scale_in_cooldown", "scale_out_cooldown"):
        _check_int(errors, f"services_{name}", scaling.get(name), 0, 3600)
    check = spec.get("health_check") or {}
    _check_int(errors, "services_health_check_interval", check.get("interval"), 5, 300)
    _check_int(errors, "services_health_check_timeout", check.get("timeout"), 2, 60)
    _check_int(errors, "services_health_check_retries", check.get("retries"), 1, 10)
    _check_int(errors, "services_health_check_start_period", check.get("start_period"), 0, 300)
    _check_int(errors, "services_discovery_ttl", spec.get("discovery_ttl"), 0, 2147483647)
    alarms = spec.get("alarms") or {}
    email = alarms.get("email") or ""
    if email and not EMAIL_RE.match(email):
        errors.append(f"services_alarm_email = {email!r} is not an e-mail address (leave it empty for no subscription)")
    period = _as_number(alarms.get("period"))
    if _check_int(errors, "services_alarm_period", period, 10, 86400) and period % 60 and period not in (10, 20, 30):
        errors.append(f"services_alarm_period = {period}: CloudWatch takes 10, 20, 30 or a multiple of 60")
    _check_int(errors, "services_alarm_evaluation_periods", alarms.get("evaluation_periods"), 1, 100)
    thresholds = alarms.get("thresholds") or {}
    for name in ALARM_THRESHOLDS:
        value = _as_number(thresholds.get(name))
        if value is None:
            continue
        if not _is_number(value) or value < 0 or (name in PERCENT_THRESHOLDS and value > 100):
            top = " to 100 (percent)" if name in PERCENT_THRESHOLDS else ""
            errors.append(f"services_alarm_{name}_threshold = {value!r}: give a number from 0{top}, or null for no "
                          "alarm")
    services = spec.get("services") or {}
    known = spec.get("secret_keys") or []
    for svc in SERVICES:
        if svc not in services or not isinstance(services[svc], dict):
            errors.append(f"the inputs of the {svc} service are missing")
            continue
        errors.extend(_service_errors(svc, services[svc], production))
        secrets = services[svc].get("secrets")
        if known and isinstance(secrets, dict):
            for name, key in sorted(secrets.items()):
                if isinstance(key, str) and key not in known:
                    errors.append(f"services_{svc}_secrets.{name} = '{key}' is not a parameter of the secrets role "
                                  f"(it manages {', '.join(sorted(known))}): fix the key, or add it to "
                                  "secrets_api_keys")
    return errors


# -- builders ------------------------------------------------------------------------------------
def _partition(arn):
    return arn.split(":")[1] if isinstance(arn, str) and arn.startswith("arn:") else "aws"


def _kms_statement(kms_key_id, partition, region, account):
    """kms:Decrypt for SSM parameters encrypted with a customer key (none for the AWS-managed key)."""
    if not kms_key_id or kms_key_id in ("alias/aws/ssm",):
        return None
    condition = {"StringEquals": {"kms:ViaService": f"ssm.{region}.amazonaws.com"}}
    if kms_key_id.startswith("arn:") and ":alias/" not in kms_key_id:
        resource = kms_key_id
    elif kms_key_id.startswith("alias/") or ":alias/" in kms_key_id:
        # IAM cannot name a key by alias: allow the keys that carry this alias only.
        alias = kms_key_id.split(":", 5)[-1] if kms_key_id.startswith("arn:") else kms_key_id
        resource = f"arn:{partition}:kms:{region}:{account}:key/*"
        condition["ForAnyValue:StringEquals"] = {"kms:ResourceAliases": alias}
    else:
        resource = f"arn:{partition}:kms:{region}:{account}:key/{kms_key_id}"
    return {"Sid": "DecryptParameters", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": resource,
            "Condition": condition}


TRUST_VERSION = "2012-10-17"


def services_iam_roles(spec):
    """The IAM roles of the services: one task execution role and one task role per service.

    ``spec`` keys: name_prefix, region, account_id, ssm_path, kms_key_id,
    services: {name: {repository_arn, log_group, has_secrets, task_policy_statements}}.

    The execution role may exactly: get an ECR authorization token (AWS
    requires Resource "*" for it), pull from the service's repository, write to
    the service's log group, read the environment's parameters
    (ssm:GetParameters on <path>/*, only when the service has secrets) and
    decrypt them with a customer KMS key when one is used. No wildcard action.
    """
    prefix, region, account = spec["name_prefix"], spec["region"], str(spec["account_id"])
    roles = []
    for name, svc in spec["services"].items():
        partition = _partition(svc.get("repository_arn"))
        log_group = svc["log_group"]
        statements = [
            {"Sid": "AuthorizeImagePulls", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {"Sid": "PullServiceImages", "Effect": "Allow",
             "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
             "Resource": svc["repository_arn"]},
            {"Sid": "WriteServiceLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": [f"arn:{partition}:logs:{region}:{account}:log-group:{log_group}",
                          f"arn:{partition}:logs:{region}:{account}:log-group:{log_group}:log-stream:*"]},
        ]
        if svc.get("has_secrets"):
            path = spec["ssm_path"].strip("/")
            statements.append({"Sid": "ReadEnvironmentParameters", "Effect": "Allow", "Action": "ssm:GetParameters",
                               "Resource": f"arn:{partition}:ssm:{region}:{account}:parameter/{path}/*"})
            kms = _kms_statement(spec.get("kms_key_id") or "", partition, region, account)
            if kms:
                statements.append(kms)
        # Confused-deputy protection as AWS documents it for ECS: only ECS acting for this account's
        # tasks may assume the roles (execution and task roles alike; FSBP's IAM guidance).
        ecs_trust = {"Version": TRUST_VERSION, "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole",
            "Condition": {"ArnLike": {"aws:SourceArn": f"arn:{partition}:ecs:{region}:{account}:*"},
                          "StringEquals": {"aws:SourceAccount": account}}}]}
        roles.append({
            "name": f"{prefix}-{name}-execution",
            "description": f"ECS task execution role of the {name} of {prefix}: image pull, logs, parameters",
            "assume_role_policy": ecs_trust,
            "inline_policies": {"execution": {"Version": TRUST_VERSION, "Statement": statements}},
        })
        task_statements = svc.get("task_policy_statements") or []
        roles.append({
            "name": f"{prefix}-{name}-task",
            "description": f"ECS task role of the {name} of {prefix}: what the application may call",
            "assume_role_policy": ecs_trust,
            "inline_policies": ({"application": {"Version": TRUST_VERSION, "Statement": task_statements}}
                                if task_statements else {}),
        })
    return roles


def arn_suffix(arn, marker):
    """The CloudWatch dimension value of an ELB ARN; planned ids pass through.

    LoadBalancer: 'arn:...:loadbalancer/app/x/1' -> 'app/x/1' (``marker`` is
    dropped); TargetGroup: 'arn:...:targetgroup/x/2' -> 'targetgroup/x/2'
    (``marker`` None: the resource part is kept whole).
    """
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        return str(arn)
    resource = arn.split(":", 5)[-1]
    if marker and resource.startswith(marker + "/"):
        return resource[len(marker) + 1:]
    return resource


def services_alarms(spec):
    """The metric alarms of the stack, from thresholds (None: no alarm).

    ``spec`` keys: name_prefix, cluster_name, services ([names]), alb_arn,
    target_group_arn, db_cluster_identifier, period, evaluation_periods,
    thresholds ({name: number or None}).
    """
    prefix = f"{spec['name_prefix']}-alarm-"
    thresholds = spec.get("thresholds") or {}
    common = {"period": spec["period"], "evaluation_periods": spec["evaluation_periods"],
              "treat_missing_data": "notBreaching"}
    lb = {"LoadBalancer": arn_suffix(spec.get("alb_arn"), "loadbalancer")} if spec.get("alb_arn") else None
    tg = arn_suffix(spec.get("target_group_arn"), None) if spec.get("target_group_arn") else None
    db = {"DBClusterIdentifier": spec["db_cluster_identifier"]} if spec.get("db_cluster_identifier") else None
    alarms = []

    def add(key, name, description, namespace, metric, statistic, dimensions,
            comparison="GreaterThanOrEqualToThreshold"):
        if thresholds.get(key) is None or dimensions is None:
            return
        alarms.append(dict(common, name=prefix + name, description=description, namespace=namespace, metric=metric,
                           statistic=statistic, dimensions=dimensions, threshold=thresholds[key],
                           comparison=comparison))

    add("alb_5xx", "alb-5xx", "The load balancer answers 5xx errors (no healthy frontend, or overload).",
        "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "Sum", lb)
    add("target_5xx", "frontend-5xx", "The frontend answers 5xx errors.", "AWS/ApplicationELB",
        "HTTPCode_Target_5XX_Count", "Sum", lb)
    add("unhealthy_targets", "frontend-unhealthy-targets", "Frontend tasks fail the load balancer's health check.",
        "AWS/ApplicationELB", "UnHealthyHostCount", "Maximum",
        dict(lb, TargetGroup=tg) if lb and tg else None)
    for service in spec.get("services") or []:
        dims = {"ClusterName": spec["cluster_name"], "ServiceName": service}
        add("ecs_cpu", f"{service}-cpu-high", f"The {service} tasks' average CPU stays high (scaling at its maximum?).",
            "AWS/ECS", "CPUUtilization", "Average", dims)
        add("ecs_memory", f"{service}-memory-high",
            f"The {service} tasks' average memory stays high (scaling at its maximum?).", "AWS/ECS",
            "MemoryUtilization", "Average", dims)
    # On the cluster dimension CloudWatch aggregates the instances' data points: the
    # Maximum catches the busiest instance (the writer), which an Average would dilute.
    add("aurora_cpu", "aurora-cpu-high", "An Aurora instance's CPU stays high.", "AWS/RDS", "CPUUtilization",
        "Maximum", db)
    add("aurora_acu", "aurora-acu-high",
        "An Aurora Serverless v2 instance runs near the maximum capacity (raise the maximum ACU?).", "AWS/RDS",
        "ACUUtilization", "Maximum", db)
    add("aurora_connections", "aurora-connections-high", "Aurora has many connections.", "AWS/RDS",
        "DatabaseConnections", "Maximum", db)
    return alarms


def services_secret_arns(mapping, parameters, variable):
    """{ENV: parameter key} + secrets_result.parameters -> {ENV: parameter ARN}.

    Raises a message naming ``variable`` when a key is not a parameter of the secrets role.
    """
    result = {}
    for env, key in sorted((mapping or {}).items()):
        parameter = (parameters or {}).get(key)
        if not parameter or not parameter.get("arn"):
            known = ", ".join(sorted(parameters or {})) or "none"
            raise ValueError(f"{variable}.{env} refers to parameter key '{key}', which the secrets role does not "
                             f"manage (it manages: {known}); add the key to the secrets role's inventory or fix "
                             f"{variable}")
        result[env] = parameter["arn"]
    return result


def _services_errors(spec):
    if not isinstance(spec, dict):
        raise AnsibleFilterError(f"services_errors expects a mapping, got {type(spec).__name__}")
    return services_errors(spec)


def _services_iam_roles(spec):
    if not isinstance(spec, dict) or not isinstance(spec.get("services"), dict):
        raise AnsibleFilterError("services_iam_roles expects a mapping with a 'services' mapping")
    try:
        return services_iam_roles(spec)
    except KeyError as e:
        raise AnsibleFilterError(f"services_iam_roles: missing key {e}") from None


def _services_alarms(spec):
    if not isinstance(spec, dict):
        raise AnsibleFilterError(f"services_alarms expects a mapping, got {type(spec).__name__}")
    try:
        return services_alarms(spec)
    except KeyError as e:
        raise AnsibleFilterError(f"services_alarms: missing key {e}") from None


def _services_secret_arns(mapping, parameters, variable="secrets"):
    if not isinstance(mapping, dict) or not isinstance(parameters, dict):
        raise AnsibleFilterError("services_secret_arns expects a mapping of variable -> key and the parameters of "
                                 "secrets_result")
    try:
        return services_secret_arns(mapping, parameters, variable)
    except ValueError as e:
        raise AnsibleFilterError(str(e)) from None


class FilterModule:
    def filters(self):
        return {
            "services_errors": _services_errors,
            "services_iam_roles": _services_iam_roles,
            "services_alarms": _services_alarms,
            "services_secret_arns": _services_secret_arns,
        }
