# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The security rules of the spec, as pure functions over a snapshot of the stack.

The stack_audit module reads the live environment once into a *snapshot* (plain
dicts, see :func:`empty_snapshot`) and evaluates every rule here against it and
the inventory's *expectations*. Each rule returns a list of findings
``{"resource": ..., "message": ...}``; an empty list means the rule holds.
Rules never call AWS, so each can be shown to fail on a crafted snapshot.

Security group rules in the snapshot are the keys of
``module_utils.network``: ``(proto, from_port, to_port, kind, target)``.
"""

from __future__ import annotations

import json
import re

from ansible_collections.solo_saving.infra.plugins.module_utils import db_password, json_policy, s3

SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL)", re.IGNORECASE)
INTERNET = ("0.0.0.0/0", "::/0")


def empty_snapshot():
    return {
        "vpc": None,               # {id, cidr}
        "vpcs": [],                # every VPC named as the stack's: [{id, cidr}] (one, or a duplicate)
        "subnets": [],             # [{id, tier, az, cidr}]
        "route_tables": [],        # [{id, name, tier, default_routes: [target id]}]
        "nat_gateways": [],        # [{id, state}]
        "security_groups": {},     # {key: {id, name, ingress: [rule key], egress: [rule key]}}
        "default_security_group": None,  # the VPC's "default" group: {id, name, ingress, egress}
        "flow_logs": [],           # [{id, traffic_type, destination_type, log_group, deliver_status,
                                   #   retention_days, log_group_exists}]
        "endpoints": [],           # [{id, service, type, subnet_ids, security_group_ids, private_dns, route_table_ids,
                                   #   policy (JSON text)}]
        "db_cluster": None,        # {id, encrypted, engine, engine_mode, scaling, security_groups, subnet_group}
        "db_instances": [],        # [{id, class, az, public, writer, auto_minor_upgrade}]
        "parameters": [],          # [{name, type}]
        "task_definitions": {},    # {service key: {arn, containers: [{name, environment, secrets}], execution_role,
                                   #                task_role}}
        "services": {},            # {service key: {name, assign_public_ip, subnets, security_groups,
                                   #                load_balancers: [tg arn], registries: [arn], desired_count,
                                   #                scaling: {min, max} or None}}
        "load_balancer": None,     # {arn, scheme, subnets, security_groups}
        "access_logs": None,       # the ALB's: {enabled, bucket, prefix, bucket_state} where bucket_state (read
                                   #   only for the stack's own bucket) is None or {exists, public_access_block,
                                   #   encryption, policy (JSON text), expiration_days}
        "listeners": [],           # [{port, protocol, ssl_policy, certificates, actions: [{type, ...}]}]
        "target_groups": {},       # {arn: {name, target_type}}
        "web_acl": None,           # {name, arn, rules: [{name, statement, override}]}
        "execution_roles": {},     # {role name: [statement dicts]}
        "role_trusts": {},         # {task or execution role name: [trust statement dicts]}
        "alarms": [],              # [{name, namespace, metric, statistic, threshold, comparison, period,
                                   #   evaluation_periods, actions}]
        "sns_topic_arn": None,
        "event_subscriptions": {},  # RDS event subscriptions of the stack: {name: {topic_arn, source_type, categories,
                                    #                                              source_ids, enabled}}
        "sns_topic_key": None,     # the topic's KmsMasterKeyId: {id, arn, manager, state, rotation}; None: none;
                                   # {id} alone when KMS does not know the key
    }


def _finding(resource, message):
    return {"resource": resource, "message": message}


def _internet(rule):
    return rule[3] in ("cidr", "cidr6") and rule[4] in INTERNET


def _group(snapshot, key):
    return snapshot["security_groups"].get(key)


# -- network ---------------------------------------------------------------------

def one_vpc(snapshot, expected):
    vpcs = snapshot.get("vpcs") or []
    if len(vpcs) < 2:
        return []
    ids = ", ".join(v["id"] for v in vpcs)
    return [_finding(v["id"], f"{len(vpcs)} VPCs carry the stack's name ({ids}); the stack has one: find the one "
                              "its subnets and load balancer use, and delete the others")
            for v in vpcs]


def no_nat_gateway(snapshot, expected):
    return [_finding(n["id"], f"NAT gateway {n['id']} exists ({n['state']}); the spec has none - tasks reach AWS "
                              "through VPC endpoints")
            for n in snapshot["nat_gateways"] if n.get("state") not in ("deleted", "deleting", "failed")]


def private_subnets_without_default_route(snapshot, expected):
    findings = []
    for table in snapshot["route_tables"]:
        if table.get("tier") in ("app", "db") and table["default_routes"]:
            findings.append(_finding(table["name"], f"private route table {table['name']} has a default route to "
                                                    f"{', '.join(table['default_routes'])}"))
    private = {s["id"] for s in snapshot["subnets"] if s["tier"] in ("app", "db")}
    for table in snapshot["route_tables"]:
        if table.get("tier") == "public":
            wrong = sorted(private & set(table.get("subnet_ids", [])))
            if wrong:
                findings.append(_finding(table["name"],
                                         f"private subnets {', '.join(wrong)} use the public route table"))
    return findings


def alb_security_group(snapshot, expected):
    alb = _group(snapshot, "alb")
    if alb is None:
        return [_finding("alb", "the ALB security group does not exist")]
    findings = []
    for rule in alb["ingress"]:
        if rule[0] != "tcp" or rule[1] not in (80, 443) or rule[2] != rule[1]:
            findings.append(_finding(alb["name"], f"ALB security group admits {describe(rule, snapshot)}; only 443 "
                                                  "(and 80 for the redirect) are allowed"))
    frontend = _group(snapshot, "frontend") or {}
    for rule in alb["egress"]:
        if not (rule[3] == "group" and rule[4] == frontend.get("id") and rule[1] == expected["ports"]["frontend"]):
            findings.append(_finding(alb["name"], f"ALB security group sends {describe(rule, snapshot, 'egress')}; "
                                                  "it may only reach the frontend"))
    return findings


def _only_from(snapshot, key, port, sources, label):
    group = _group(snapshot, key)
    if group is None:
        return [_finding(key, f"the {key} security group does not exist")]
    allowed = {(_group(snapshot, s) or {}).get("id") for s in sources}
    findings = []
    for rule in group["ingress"]:
        if not (rule[3] == "group" and rule[4] in allowed and rule[0] == "tcp" and rule[1] == port == rule[2]):
            findings.append(_finding(group["name"], f"{group['name']} admits {describe(rule, snapshot)}; {label}"))
    if not group["ingress"] and key != "endpoints":
        findings.append(_finding(group["name"], f"{group['name']} admits nothing; {label}"))
    return findings


def backend_only_from_frontend(snapshot, expected):
    return _only_from(snapshot, "backend", expected["ports"]["backend"], ["frontend"],
                      f"only the frontend may reach the backend (tcp/{expected['ports']['backend']})")


def frontend_only_from_alb(snapshot, expected):
    return _only_from(snapshot, "frontend", expected["ports"]["frontend"], ["alb"],
                      f"only the ALB may reach the frontend (tcp/{expected['ports']['frontend']})")


def db_only_from_backend(snapshot, expected):
    findings = _only_from(snapshot, "db", expected["ports"]["db"], ["backend"],
                          f"only the backend may reach the database (tcp/{expected['ports']['db']})")
    group = _group(snapshot, "db")
    if group and group["egress"]:
        findings.append(_finding(group["name"], f"{group['name']} has egress rules; the database needs none"))
    return findings


def endpoints_only_from_apps(snapshot, expected):
    findings = _only_from(snapshot, "endpoints", 443, ["frontend", "backend"],
                          "only the app tasks may reach the endpoints (tcp/443)")
    group = _group(snapshot, "endpoints")
    if group and group["egress"]:
        findings.append(_finding(group["name"], f"{group['name']} has egress rules; the endpoints need none"))
    return findings


def vpc_endpoints_private(snapshot, expected):
    findings = []
    app_subnets = {s["id"] for s in snapshot["subnets"] if s["tier"] == "app"}
    endpoint_sg = (_group(snapshot, "endpoints") or {}).get("id")
    by_service = {}
    for endpoint in snapshot["endpoints"]:
        by_service.setdefault(endpoint["service"], []).append(endpoint)
    for service in expected["interface_endpoints"]:
        found = [e for e in by_service.get(service, []) if e["type"] == "Interface"]
        if not found:
            findings.append(_finding(service, f"no interface endpoint for {service}"))
            continue
        for endpoint in found:
            outside = sorted(set(endpoint["subnet_ids"]) - app_subnets)
            if outside:
                findings.append(_finding(endpoint["id"], f"endpoint {service} sits in non-app subnets {outside}"))
            if set(endpoint["security_group_ids"]) != {endpoint_sg}:
                findings.append(_finding(endpoint["id"], f"endpoint {service} has security groups "
                                                         f"{endpoint['security_group_ids']}, not only the endpoint SG"))
            if not endpoint.get("private_dns"):
                findings.append(_finding(endpoint["id"], f"endpoint {service} has private DNS off"))
    if not [e for e in by_service.get("s3", []) if e["type"] == "Gateway"]:
        findings.append(_finding("s3", "no S3 gateway endpoint (image layers come from S3)"))
    return findings


def _open_to_anyone(statement):
    """An Allow of every action on every resource to any principal, without a condition."""
    principal = statement.get("Principal")
    anyone = principal == "*" or (isinstance(principal, dict) and principal.get("AWS") in ("*", ["*"]))
    return (statement.get("Effect") == "Allow" and anyone and not statement.get("Condition")
            and statement.get("Action") in ("*", ["*"]) and statement.get("Resource") in ("*", ["*"]))


def vpc_endpoint_policies_perimeter(snapshot, expected):
    """No endpoint lets any principal reach any resource; each has the policy the inventory gives it."""
    findings = []
    wanted = expected.get("endpoint_policies") or {}
    for endpoint in snapshot["endpoints"]:
        label = f"endpoint {endpoint['service']}"
        try:
            policy = json_policy.load_policy(endpoint.get("policy"))
        except json_policy.PolicyError as e:
            findings.append(_finding(endpoint["id"], f"{label} has a policy that is {e}"))
            continue
        if policy is None or any(_open_to_anyone(s) for s in json_policy.statements(policy)):
            findings.append(_finding(endpoint["id"], f"{label} lets any principal reach any resource (AWS's "
                                                     "default policy): its private path is no data perimeter"))
            continue
        if wanted.get(endpoint["service"]) and not json_policy.policies_equal(policy, wanted[endpoint["service"]]):
            findings.append(_finding(endpoint["id"], f"{label} has a policy other than the inventory's "
                                                     "(endpoints_perimeter, or the entry's policy)"))
    return findings


def vpc_flow_logs(snapshot, expected):
    """FSBP EC2.6: the VPC logs at least the traffic it rejects, to the log group and retention asked for."""
    wanted = expected.get("flow_logs") or {}
    if not wanted.get("enabled", True):
        return [_finding("vpc", "the inventory turns the VPC flow log off (network_flow_logs.enabled)")]
    if snapshot["vpc"] is None:
        return []
    logs = [f for f in snapshot["flow_logs"] if f["destination_type"] == "cloud-watch-logs"]
    if not [f for f in logs if f["traffic_type"] in ("REJECT", "ALL")]:
        return [_finding(snapshot["vpc"]["id"], "the VPC has no flow log of rejected traffic to CloudWatch Logs")]
    findings = []
    for flow_log in logs:
        if wanted.get("traffic_type") and flow_log["traffic_type"] != wanted["traffic_type"]:
            findings.append(_finding(flow_log["id"], f"flow log {flow_log['id']} logs {flow_log['traffic_type']} "
                                                     f"traffic; the inventory asks for {wanted['traffic_type']}"))
        if wanted.get("log_group") and flow_log["log_group"] != wanted["log_group"]:
            findings.append(_finding(flow_log["id"], f"flow log {flow_log['id']} writes to {flow_log['log_group']}, "
                                                     f"not {wanted['log_group']}"))
        elif not flow_log["log_group_exists"]:
            findings.append(_finding(flow_log["id"], f"the log group {flow_log['log_group']} of flow log "
                                                     f"{flow_log['id']} does not exist"))
        elif wanted.get("retention_days") is not None and \
                (flow_log["retention_days"] or 0) != int(wanted["retention_days"]):
            kept = f"{flow_log['retention_days']} days" if flow_log["retention_days"] else "forever"
            findings.append(_finding(flow_log["log_group"], f"log group {flow_log['log_group']} keeps records "
                                                            f"{kept}; the inventory asks for "
                                                            f"{wanted['retention_days']} days"))
        if flow_log.get("deliver_status") not in (None, "SUCCESS"):
            findings.append(_finding(flow_log["id"], f"flow log {flow_log['id']} cannot deliver "
                                                     f"({flow_log['deliver_status']}): check its delivery role"))
    return findings


def default_security_group_closed(snapshot, expected):
    group = snapshot.get("default_security_group")
    if group is None:
        return []
    findings = []
    for direction in ("ingress", "egress"):
        if group[direction]:
            rules = ", ".join(describe(rule, snapshot, direction) for rule in group[direction])
            findings.append(_finding(group["id"], f"the VPC's default security group has {direction} rules "
                                                  f"({rules}); it must hold none (FSBP EC2.2)"))
    return findings


# -- database -------------------------------------------------------------------------

def aurora_encrypted(snapshot, expected):
    cluster = snapshot["db_cluster"]
    if cluster is None:
        return [_finding("db", "the Aurora cluster does not exist")]
    return [] if cluster.get("encrypted") else [_finding(cluster["id"], "storage is not encrypted")]


def aurora_not_public(snapshot, expected):
    return [_finding(i["id"], f"instance {i['id']} is publicly accessible")
            for i in snapshot["db_instances"] if i.get("public")]


def aurora_auto_minor_upgrades(snapshot, expected):
    # AWS FSBP RDS.13: AWS applies minor versions (security fixes) in the maintenance window.
    return [_finding(i["id"], f"instance {i['id']} has automatic minor version upgrades off")
            for i in snapshot["db_instances"] if not i.get("auto_minor_upgrade")]


def aurora_serverless_v2(snapshot, expected):
    cluster = snapshot["db_cluster"]
    if cluster is None:
        return [_finding("db", "the Aurora cluster does not exist")]
    findings = []
    if not cluster.get("scaling"):
        findings.append(_finding(cluster["id"], "the cluster has no Serverless v2 scaling configuration"))
    if not cluster.get("engine", "").startswith("aurora-postgresql"):
        findings.append(_finding(cluster["id"], f"engine is {cluster.get('engine')}, not aurora-postgresql"))
    for instance in snapshot["db_instances"]:
        if instance["class"] != "db.serverless":
            findings.append(_finding(instance["id"], f"instance class {instance['class']}, not db.serverless"))
    return findings


def aurora_two_azs(snapshot, expected):
    instances = snapshot["db_instances"]
    azs = {i["az"] for i in instances}
    findings = []
    if len(azs) < 2:
        findings.append(_finding("db", f"DB instances span {len(azs)} availability zone(s): {sorted(azs)}; "
                                       "the spec wants a writer and a reader in different zones"))
    writers = [i for i in instances if i.get("writer")]
    if writers and expected.get("azs") and writers[0]["az"] != expected["azs"][0]:
        findings.append(_finding(writers[0]["id"], f"the writer is in {writers[0]['az']}, not {expected['azs'][0]}"))
    cluster = snapshot["db_cluster"]
    db_sg = (_group(snapshot, "db") or {}).get("id")
    if cluster and db_sg and set(cluster.get("security_groups", [])) != {db_sg}:
        findings.append(_finding(cluster["id"], f"the cluster's security groups are {cluster.get('security_groups')},"
                                                " not only the DB SG"))
    return findings


# -- secrets ----------------------------------------------------------------------------

def secrets_secure_string(snapshot, expected):
    findings = [_finding(p["name"], f"parameter {p['name']} is {p['type']}, not SecureString")
                for p in snapshot["parameters"] if p["type"] != "SecureString"]
    if not snapshot["parameters"]:
        findings.append(_finding(expected["parameter_path"], f"no parameters under {expected['parameter_path']}"))
    return findings


def db_password_in_sync(snapshot, expected):
    """The cluster holds the password parameter's current version, and no rotation was left half done."""
    name, cluster = expected.get("password_parameter"), snapshot["db_cluster"]
    if not name or cluster is None:
        return []
    params = {p["name"]: p for p in snapshot["parameters"]}
    findings = []
    if db_password.pending_name(name) in params:
        findings.append(_finding(db_password.pending_name(name), "a rotation of the master password was interrupted: "
                                 "finish it with ansible-playbook playbooks/rotate-db-password.yml"))
    if name not in params:
        findings.append(_finding(name, "the master password parameter does not exist: ansible-playbook site.yml "
                                       "creates it and sets it on the cluster"))
    elif cluster.get("password_stamp") and cluster["password_stamp"] != params[name].get("stamp"):
        findings.append(_finding(cluster["id"], f"the cluster holds version {cluster['password_stamp']} of {name}, the "
                                                f"parameter is at {params[name].get('stamp')}: ansible-playbook "
                                                "site.yml --tags database sets it on the cluster"))
    return findings


def task_definitions_reference_secrets(snapshot, expected):
    findings = []
    path = expected["parameter_path"].rstrip("/") + "/"
    for key, task in snapshot["task_definitions"].items():
        for container in task["containers"]:
            for env in container.get("environment", []):
                if SECRET_NAME.search(env["name"]):
                    findings.append(_finding(task["arn"], f"container {container['name']} of {key} has "
                                                          f"{env['name']} as a plain environment value"))
            for secret in container.get("secrets", []):
                value_from = secret.get("valueFrom", "")
                if not (value_from.startswith("arn:") and f":parameter{path}" in value_from):
                    findings.append(_finding(task["arn"], f"secret {secret['name']} of {key} is not an SSM parameter "
                                                          f"ARN under {path} ({value_from})"))
    if "backend" in snapshot["task_definitions"]:
        names = {s["name"] for c in snapshot["task_definitions"]["backend"]["containers"] for s in c.get("secrets", [])}
        if not names:
            findings.append(_finding("backend", "the backend task definition receives no secret from SSM"))
    return findings


# -- edge ----------------------------------------------------------------------------

def alb_listeners(snapshot, expected):
    lb = snapshot["load_balancer"]
    if lb is None:
        return [_finding("alb", "the load balancer does not exist")]
    findings = []
    ports = sorted(listener["port"] for listener in snapshot["listeners"])
    if ports != [80, 443]:
        findings.append(_finding(lb["arn"], f"listeners on ports {ports}; the spec wants exactly 443 and 80"))
    for listener in snapshot["listeners"]:
        if listener["port"] == 443:
            if listener["protocol"] != "HTTPS" or not listener.get("certificates"):
                findings.append(_finding(lb["arn"], "the 443 listener is not HTTPS with a certificate"))
            if listener.get("ssl_policy") != expected["tls_policy"]:
                findings.append(_finding(lb["arn"], f"the 443 listener uses {listener.get('ssl_policy')}, not "
                                                    f"{expected['tls_policy']}"))
        elif listener["port"] == 80:
            actions = listener.get("actions", [])
            redirect = actions[0].get("redirect", {}) if len(actions) == 1 else {}
            if not (len(actions) == 1 and actions[0]["type"] == "redirect" and redirect.get("Protocol") == "HTTPS"
                    and redirect.get("StatusCode") == "HTTP_301"):
                findings.append(_finding(lb["arn"], "the 80 listener does more than a 301 redirect to HTTPS"))
    if lb.get("scheme") != "internet-facing":
        findings.append(_finding(lb["arn"], f"the load balancer is {lb.get('scheme')}"))
    public = {s["id"] for s in snapshot["subnets"] if s["tier"] == "public"}
    if set(lb.get("subnets", [])) - public:
        findings.append(_finding(lb["arn"], "the load balancer sits in non-public subnets"))
    return findings


BLOCK_ALL = tuple(s3.BLOCK_ALL)


def _denies_plain_http(statement):
    condition = (statement.get("Condition") or {}).get("Bool") or {}
    actions = statement.get("Action")
    actions = [actions] if isinstance(actions, str) else actions or []
    return statement.get("Effect") == "Deny" and str(condition.get("aws:SecureTransport")).lower() == "false" \
        and any(a in ("s3:*", "*") for a in actions)


def alb_access_logs(snapshot, expected):
    """FSBP ELB.5: the ALB writes access logs where the inventory says; the stack's own bucket is locked down."""
    wanted = expected.get("access_logs") or {}
    if not wanted.get("enabled", True):
        return [_finding("alb", "the inventory turns the ALB's access logs off (edge_access_logs.enabled)")]
    logs = snapshot.get("access_logs")
    if snapshot["load_balancer"] is None or logs is None:
        return [_finding("alb", "the load balancer does not exist")]
    arn = snapshot["load_balancer"]["arn"]
    if not logs["enabled"]:
        return [_finding(arn, "the load balancer writes no access logs (access_logs.s3.enabled is false)")]
    findings = []
    where = f"s3://{logs['bucket']}/{logs['prefix']}"
    if logs["bucket"] != wanted.get("bucket") or logs["prefix"] != wanted.get("prefix", ""):
        findings.append(_finding(arn, f"the load balancer writes its access logs to {where}, not to "
                                      f"s3://{wanted.get('bucket')}/{wanted.get('prefix', '')}"))
    state = logs.get("bucket_state")
    if not wanted.get("owned") or state is None:
        return findings
    bucket = logs["bucket"]
    if not state["exists"]:
        return [*findings, _finding(bucket, f"the access log bucket {bucket} does not exist")]
    block = state.get("public_access_block") or {}
    if not all(block.get(key) for key in BLOCK_ALL):
        off = [key for key in BLOCK_ALL if not block.get(key)]
        findings.append(_finding(bucket, f"bucket {bucket} does not block public access ({', '.join(off)} off)"))
    if not state.get("encryption"):
        findings.append(_finding(bucket, f"bucket {bucket} has no default encryption"))
    try:
        policy = json_policy.load_policy(state.get("policy"))
    except json_policy.PolicyError:
        policy = None
    if not any(_denies_plain_http(s) for s in json_policy.statements(policy)):
        findings.append(_finding(bucket, f"the policy of bucket {bucket} does not refuse plain-HTTP requests "
                                         "(aws:SecureTransport)"))
    days = state.get("expiration_days")
    if days != int(wanted.get("retention_days") or 0):
        kept = f"{days} days" if days else "forever"
        findings.append(_finding(bucket, f"bucket {bucket} keeps access logs {kept}, the inventory says "
                                         f"{wanted.get('retention_days')} days"))
    return findings


def backend_not_behind_alb(snapshot, expected):
    findings = []
    backend = snapshot["services"].get("backend")
    if backend and backend.get("load_balancers"):
        findings.append(_finding(backend["name"], "the backend service is attached to a load balancer target group"))
    tgs = {arn for listener in snapshot["listeners"] for action in listener.get("actions", [])
           for arn in action.get("target_group_arns", [])}
    frontend_tgs = set((snapshot["services"].get("frontend") or {}).get("load_balancers", []))
    stray = sorted(tgs - frontend_tgs) if frontend_tgs else []
    if stray:
        findings.append(_finding("alb", f"the ALB forwards to target groups not used by the frontend: {stray}"))
    return findings


def waf_rules(snapshot, expected):
    acl = snapshot["web_acl"]
    if acl is None:
        return [_finding("alb", "no web ACL is associated with the load balancer")]
    findings = []
    text = json.dumps(acl["rules"])
    for group in expected["waf_managed_groups"]:
        if f'"{group}"' not in text:
            findings.append(_finding(acl["name"], f"web ACL {acl['name']} lacks the managed rule group {group}"))
    if '"GeoMatchStatement"' not in text:
        findings.append(_finding(acl["name"], f"web ACL {acl['name']} has no geo rule"))
    if '"RateBasedStatement"' not in text:
        findings.append(_finding(acl["name"], f"web ACL {acl['name']} has no rate-based rule"))
    return findings


# -- services ----------------------------------------------------------------------

def tasks_private_without_public_ip(snapshot, expected):
    findings = []
    app = {s["id"] for s in snapshot["subnets"] if s["tier"] == "app"}
    for key in ("frontend", "backend"):
        service = snapshot["services"].get(key)
        if service is None:
            findings.append(_finding(key, f"the {key} service does not exist"))
            continue
        if service.get("assign_public_ip") != "DISABLED":
            findings.append(_finding(service["name"], f"{service['name']} assigns public IPs to its tasks"))
        if set(service.get("subnets", [])) - app:
            findings.append(_finding(service["name"], f"{service['name']} runs outside the private app subnets"))
        sg = (_group(snapshot, key) or {}).get("id")
        if set(service.get("security_groups", [])) != {sg}:
            findings.append(_finding(service["name"], f"{service['name']} does not use only the {key} security group"))
    return findings


def execution_role_scope(snapshot, expected):
    findings = []
    if not snapshot["execution_roles"]:
        return [_finding("iam", "no task execution role found")]
    path_arn = f":parameter{expected['parameter_path'].rstrip('/')}/"
    for role, statements in snapshot["execution_roles"].items():
        for statement in statements:
            if statement.get("Effect") != "Allow":
                continue
            actions = statement.get("Action", [])
            actions = [actions] if isinstance(actions, str) else actions
            resources = statement.get("Resource", [])
            resources = [resources] if isinstance(resources, str) else resources
            for action in actions:
                if "*" in action:
                    findings.append(_finding(role, f"{role} allows the wildcard action {action}"))
                if action.lower().startswith("ssm:"):
                    wide = [r for r in resources if path_arn not in r]
                    if wide:
                        findings.append(_finding(role, f"{role} allows {action} beyond "
                                                       f"{expected['parameter_path']}: {wide}"))
            if "*" in resources and any(a.lower() not in ("ecr:getauthorizationtoken",) for a in actions):
                findings.append(_finding(role, f"{role} allows {actions} on every resource"))
    return findings


def ecs_role_trust_scoped(snapshot, expected):
    """The task and execution roles trust ECS only for this account's tasks (confused-deputy protection)."""
    findings = []
    for role, statements in sorted(snapshot.get("role_trusts", {}).items()):
        for statement in statements:
            if statement.get("Effect") != "Allow":
                continue
            condition = statement.get("Condition") or {}
            account = _condition_value(condition, "StringEquals", "aws:SourceAccount")
            source_arn = (_condition_value(condition, "ArnLike", "aws:SourceArn")
                          or _condition_value(condition, "ArnEquals", "aws:SourceArn"))
            if not account or not source_arn or not source_arn.startswith("arn:") or \
                    source_arn.split(":")[4:5] != [account]:
                findings.append(_finding(role, f"{role} trusts {statement.get('Principal')} without "
                                               "aws:SourceAccount and an aws:SourceArn of the same account"))
    return findings


def _condition_value(condition, operator, key):
    values = (condition.get(operator) or {}).get(key)
    if isinstance(values, list):
        return values[0] if len(values) == 1 else None
    return values


def alarms_to_sns(snapshot, expected):
    topic = snapshot["sns_topic_arn"]
    if not topic:
        return [_finding("sns", "the alarm topic does not exist")]
    findings = []
    namespaces = {a["namespace"] for a in snapshot["alarms"] if topic in a.get("actions", [])}
    for namespace in ("AWS/ECS", "AWS/ApplicationELB", "AWS/RDS"):
        if namespace not in namespaces:
            findings.append(_finding(topic, f"no alarm on {namespace} notifies {topic}"))
    # One by one: each alarm the inventory asks for exists, notifies the topic and watches what it should.
    found = {a["name"]: a for a in snapshot["alarms"]}
    for want in expected.get("alarms") or []:
        alarm = found.get(want["name"])
        if alarm is None:
            findings.append(_finding(want["name"], f"alarm {want['name']} does not exist"))
            continue
        if topic not in alarm.get("actions", []):
            findings.append(_finding(want["name"], f"alarm {want['name']} does not notify {topic}"))
        differ = [f"{key} {alarm.get(key)!r} (the inventory asks for {want.get(key)!r})"
                  for key in _ALARM_SETTINGS if not _same_setting(alarm.get(key), want.get(key))]
        if differ:
            findings.append(_finding(want["name"], f"alarm {want['name']} has {', '.join(differ)}"))
    return findings


def alarm_topic_encrypted_cmk(snapshot, expected):
    """The alarm topic is encrypted with an enabled customer key whose material rotates (FSBP SNS.1).

    The AWS-managed key alias/aws/sns would do for SNS.1, but CloudWatch cannot publish to a topic it encrypts.
    """
    topic = snapshot["sns_topic_arn"]
    if not topic:
        return []  # alarms-notify-sns names the missing topic
    key = snapshot.get("sns_topic_key")
    if not key:
        return [_finding(topic, f"{topic} is not encrypted (no KmsMasterKeyId); the services role sets its customer "
                                "key")]
    label = key.get("arn") or key["id"]
    if not key.get("arn"):
        return [_finding(topic, f"{topic} is encrypted with KMS key {label}, which does not exist")]
    if key.get("manager") != "CUSTOMER":
        return [_finding(topic, f"{topic} is encrypted with the AWS-managed key {label}; CloudWatch cannot publish "
                                "to it: use a customer key")]
    findings = []
    if key.get("state") != "Enabled":
        findings.append(_finding(label, f"KMS key {label} of {topic} is {key.get('state')}"))
    if not key.get("rotation"):
        findings.append(_finding(label, f"KMS key {label} of {topic} has automatic rotation off"))
    return findings


def rds_event_subscriptions(snapshot, expected):
    """RDS sends the events of the cluster, its instances and the parameter and security groups to the alarm
    topic (FSBP RDS.19-22): each subscription exists, is enabled, notifies the topic, has its categories and
    watches the stack's cluster and every instance of it (the other types: every source of the type)."""
    topic = snapshot["sns_topic_arn"]
    found = snapshot.get("event_subscriptions") or {}
    stack_sources = {"db-cluster": [snapshot["db_cluster"]["id"]] if snapshot.get("db_cluster") else [],
                     "db-instance": [i["id"] for i in snapshot.get("db_instances") or []]}
    findings = []
    for want in expected.get("rds_event_subscriptions") or []:
        name, source_type = want["name"], want["source_type"]
        sub = found.get(name)
        if sub is None:
            findings.append(_finding(name, f"RDS event subscription {name} ({source_type}) does not exist"))
            continue
        if not sub.get("enabled"):
            findings.append(_finding(name, f"RDS event subscription {name} is disabled"))
        if topic and sub.get("topic_arn") != topic:
            findings.append(_finding(name, f"RDS event subscription {name} notifies {sub.get('topic_arn')}, not "
                                           f"{topic}"))
        if sub.get("source_type") != source_type:
            findings.append(_finding(name, f"RDS event subscription {name} watches {sub.get('source_type')}, not "
                                           f"{source_type}"))
            continue
        missing = sorted(set(want["categories"]) - set(sub.get("categories") or []))
        if missing and sub.get("categories"):  # no category at all means every category
            findings.append(_finding(name, f"RDS event subscription {name} lacks the categories "
                                           f"{', '.join(missing)}"))
        ids = set(sub.get("source_ids") or [])
        if source_type in stack_sources:
            unwatched = sorted(set(stack_sources[source_type]) - ids) if ids else []
            if unwatched:
                findings.append(_finding(name, f"RDS event subscription {name} does not watch "
                                               f"{', '.join(unwatched)}"))
        elif ids:
            findings.append(_finding(name, f"RDS event subscription {name} watches only {', '.join(sorted(ids))}, "
                                           f"not every {source_type}"))
    return findings


_ALARM_SETTINGS = ("namespace", "metric", "statistic", "threshold", "comparison", "period", "evaluation_periods")


def _same_setting(found, wanted):
    # CloudWatch answers numbers as floats; the inventory gives ints (or strings through templating).
    try:
        return float(found) == float(wanted)
    except (TypeError, ValueError):
        return found == wanted


def desired_counts_within_bounds(snapshot, expected):
    findings = []
    for key, bounds in sorted((expected.get("scaling") or {}).items()):
        service = snapshot["services"].get(key)
        if service is None:
            findings.append(_finding(key, f"the {key} service does not exist"))
            continue
        low, high = int(bounds["min"]), int(bounds["max"])
        target = service.get("scaling")
        if target is None:
            findings.append(_finding(service["name"], f"{service['name']} has no scalable target (auto scaling off)"))
        elif (target["min"], target["max"]) != (low, high):
            findings.append(_finding(service["name"], f"{service['name']} scales within [{target['min']}, "
                                                      f"{target['max']}]; the inventory asks for [{low}, {high}]"))
        count = service.get("desired_count")
        if count is not None and not low <= count <= high:
            findings.append(_finding(service["name"], f"{service['name']} has desired count {count}, outside its "
                                                      f"scaling bounds [{low}, {high}]"))
    return findings


RULES = {
    "one-vpc": one_vpc,
    "no-nat-gateway": no_nat_gateway,
    "private-subnets-without-default-route": private_subnets_without_default_route,
    "alb-security-group": alb_security_group,
    "frontend-only-from-alb": frontend_only_from_alb,
    "backend-only-from-frontend": backend_only_from_frontend,
    "db-only-from-backend": db_only_from_backend,
    "endpoints-only-from-apps": endpoints_only_from_apps,
    "vpc-endpoints-present-and-private": vpc_endpoints_private,
    "vpc-endpoint-policies-perimeter": vpc_endpoint_policies_perimeter,
    "default-security-group-closed": default_security_group_closed,
    "vpc-flow-logs": vpc_flow_logs,
    "aurora-encrypted": aurora_encrypted,
    "aurora-not-public": aurora_not_public,
    "aurora-auto-minor-upgrades": aurora_auto_minor_upgrades,
    "aurora-serverless-v2": aurora_serverless_v2,
    "aurora-two-azs": aurora_two_azs,
    "secrets-are-securestring": secrets_secure_string,
    "db-password-in-sync": db_password_in_sync,
    "task-definitions-reference-secrets-by-arn": task_definitions_reference_secrets,
    "alb-https-and-redirect-only": alb_listeners,
    "backend-not-behind-alb": backend_not_behind_alb,
    "alb-access-logs": alb_access_logs,
    "waf-associated-with-required-rules": waf_rules,
    "tasks-private-without-public-ip": tasks_private_without_public_ip,
    "execution-role-least-privilege": execution_role_scope,
    "ecs-role-trust-scoped": ecs_role_trust_scoped,
    "alarms-notify-sns": alarms_to_sns,
    "alarm-topic-encrypted-cmk": alarm_topic_encrypted_cmk,
    "rds-event-subscriptions": rds_event_subscriptions,
    "desired-count-within-scaling-bounds": desired_counts_within_bounds,
}


def describe(rule, snapshot, direction="ingress"):
    names = {g["id"]: key for key, g in snapshot["security_groups"].items()}
    proto, from_port, to_port, kind, target = rule
    ports = "all" if proto == "-1" else (f"{proto}/{from_port}" if from_port == to_port
                                         else f"{proto}/{from_port}-{to_port}")
    label = f"sg:{names[target]}" if kind == "group" and target in names else target
    return f"{ports} {'from' if direction == 'ingress' else 'to'} {label}"


def evaluate(snapshot, expected, only=None):
    """Run the rules (all, or those named in ``only``): [{rule, passed, findings}]."""
    results = []
    for name, rule in RULES.items():
        if only and name not in only:
            continue
        findings = rule(snapshot, expected)
        results.append({"rule": name, "passed": not findings, "findings": findings})
    return results
