#!/usr/bin/python
# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: stack_audit
short_description: Check a live environment against the security design of the Solo Saving spec, read-only
version_added: 0.1.0
description:
  - Reads every layer of one environment once (VPC, subnets, route tables, NAT gateways, security groups, VPC
    endpoints, Aurora, SSM parameters, ECS services and task definitions, the ALB and its listeners, the web ACL,
    the task execution role and the alarms) and evaluates the spec's rules against it, one named rule each.
  - Never changes anything; the same in check mode.
  - A rule that does not hold is reported with the resource and what is wrong. With I(fail_on_violation) (the
    default) the module then fails, listing every broken rule.
author:
  - Solo Saving platform team (@solo-saving)
options:
  name_prefix:
    description: The environment's name prefix (C(<project>-<env>)); security groups are C(<prefix>-<key>).
    type: str
    required: true
  db_cluster_identifier:
    description: The Aurora cluster's identifier.
    type: str
    required: true
  parameter_path:
    description: The environment's SSM parameter path, e.g. C(/solo-saving/prod).
    type: str
    required: true
  load_balancer_name:
    description: The ALB's name.
    type: str
    required: true
  ecs_cluster:
    description: The ECS cluster's name.
    type: str
    required: true
  services:
    description: ECS service names by role, with the keys C(frontend) and C(backend).
    type: dict
    required: true
  sns_topic_name:
    description: The alarm topic's name.
    type: str
    required: true
  alarm_prefix:
    description: The prefix of the stack's alarm names.
    type: str
    required: true
  expected:
    description:
      - What the inventory asks for - C(azs), C(ports) (C(frontend), C(backend), C(db)), C(interface_endpoints)
        (short service names), C(endpoint_policies) (the policy each endpoint must have, by short service
        name, as the C(endpoint_policies) filter gives them), C(flow_logs) (C(enabled), C(traffic_type),
        C(log_group), C(retention_days)), C(access_logs) (C(enabled), C(bucket), C(prefix), C(owned) - the stack's
        own bucket, whose settings are audited too - and C(retention_days)), C(tls_policy), C(waf_managed_groups),
        C(password_parameter), C(alarms) (the
        alarms the services role puts, as its C(services_alarms) filter gives them) and C(scaling) (C(min) and
        C(max) task counts by service role).
    type: dict
    required: true
  rules:
    description: Evaluate only these rules (default all).
    type: list
    elements: str
    default: []
  fail_on_violation:
    description: Fail when a rule does not hold.
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Check the environment against the spec's security design.
  solo_saving.infra.stack_audit:
    name_prefix: solo-saving-prod
    db_cluster_identifier: solo-saving-prod-db
    parameter_path: /solo-saving/prod
    load_balancer_name: solo-saving-prod-alb
    ecs_cluster: solo-saving-prod
    services: {frontend: solo-saving-prod-frontend, backend: solo-saving-prod-backend}
    sns_topic_name: solo-saving-prod-alarms
    alarm_prefix: solo-saving-prod-
    expected:
      azs: [ap-northeast-1a, ap-northeast-1c]
      ports: {frontend: 3000, backend: 8000, db: 5432}
      interface_endpoints: [ecr.api, ecr.dkr, logs, ssm]
      tls_policy: ELBSecurityPolicy-TLS13-1-2-2021-06
      waf_managed_groups: [AWSManagedRulesCommonRuleSet, AWSManagedRulesSQLiRuleSet]
"""

RETURN = r"""
results:
  description: One entry per rule evaluated.
  returned: always
  type: list
  elements: dict
  contains:
    rule:
      description: The rule's name.
      type: str
    passed:
      description: Whether it holds.
      type: bool
    findings:
      description: What breaks it, C({resource, message}) each.
      type: list
      elements: dict
violations:
  description: "One line per finding: rule, resource and message, separated by colons."
  returned: always
  type: list
  elements: str
"""

from ansible_collections.solo_saving.infra.plugins.module_utils import application_autoscaling as aas_api
from ansible_collections.solo_saving.infra.plugins.module_utils import audit, db_password
from ansible_collections.solo_saving.infra.plugins.module_utils import cloudwatch as cw_api
from ansible_collections.solo_saving.infra.plugins.module_utils import ec2 as ec2_api
from ansible_collections.solo_saving.infra.plugins.module_utils import ecs as ecs_api
from ansible_collections.solo_saving.infra.plugins.module_utils import elbv2 as elb_api
from ansible_collections.solo_saving.infra.plugins.module_utils import iam as iam_api
from ansible_collections.solo_saving.infra.plugins.module_utils import kms as kms_api
from ansible_collections.solo_saving.infra.plugins.module_utils import logs as logs_api
from ansible_collections.solo_saving.infra.plugins.module_utils import rds as rds_api
from ansible_collections.solo_saving.infra.plugins.module_utils import s3 as s3_api
from ansible_collections.solo_saving.infra.plugins.module_utils import sns as sns_api
from ansible_collections.solo_saving.infra.plugins.module_utils import ssm as ssm_api
from ansible_collections.solo_saving.infra.plugins.module_utils import wafv2 as waf_api
from ansible_collections.solo_saving.infra.plugins.module_utils.aws_module import SoloAwsModule
from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError, fail_aws, tag_dict
from ansible_collections.solo_saving.infra.plugins.module_utils.json_policy import statements as policy_statements
from ansible_collections.solo_saving.infra.plugins.module_utils.network import permission_rule_keys

SG_KEYS = ("alb", "frontend", "backend", "db", "endpoints")
DEFAULT_ROUTES = ("0.0.0.0/0", "::/0")


def _tier(resource):
    return tag_dict(resource.get("Tags")).get("Tier")


def read_network(module, snap, prefix):
    ec2 = module.client("ec2")
    vpcs = ec2_api.describe_vpcs(ec2, tag__Name=f"{prefix}-vpc")
    if not vpcs:
        return None
    vpc_id = vpcs[0]["VpcId"]
    snap["vpc"] = {"id": vpc_id, "cidr": vpcs[0]["CidrBlock"]}
    snap["vpcs"] = [{"id": v["VpcId"], "cidr": v["CidrBlock"]} for v in vpcs]
    snap["subnets"] = [{"id": s["SubnetId"], "tier": _tier(s), "az": s["AvailabilityZone"], "cidr": s["CidrBlock"]}
                       for s in ec2_api.describe_subnets(ec2, vpc_id=vpc_id)]
    for table in ec2_api.describe_route_tables(ec2, vpc_id=vpc_id):
        defaults = [r.get("GatewayId") or r.get("NatGatewayId") or r.get("NetworkInterfaceId") or "?"
                    for r in table.get("Routes", [])
                    if (r.get("DestinationCidrBlock") in DEFAULT_ROUTES
                        or r.get("DestinationIpv6CidrBlock") in DEFAULT_ROUTES)]
        snap["route_tables"].append({
            "id": table["RouteTableId"], "name": tag_dict(table.get("Tags")).get("Name", table["RouteTableId"]),
            "tier": _tier(table), "default_routes": defaults,
            "subnet_ids": [a["SubnetId"] for a in table.get("Associations", []) if a.get("SubnetId")]})
    snap["nat_gateways"] = [{"id": n["NatGatewayId"], "state": n.get("State")}
                            for n in ec2_api.describe_nat_gateways(ec2, vpc_id=vpc_id)]
    for group in ec2_api.describe_security_groups(ec2, vpc_id=vpc_id):
        if group["GroupName"] == "default":
            snap["default_security_group"] = {
                "id": group["GroupId"], "name": "default",
                "ingress": list(permission_rule_keys(group.get("IpPermissions"))),
                "egress": list(permission_rule_keys(group.get("IpPermissionsEgress")))}
        for key in SG_KEYS:
            if group["GroupName"] == f"{prefix}-{key}":
                snap["security_groups"][key] = {
                    "id": group["GroupId"], "name": group["GroupName"],
                    "ingress": list(permission_rule_keys(group.get("IpPermissions"))),
                    "egress": list(permission_rule_keys(group.get("IpPermissionsEgress")))}
    region_prefix = f"com.amazonaws.{module.region}."
    for endpoint in ec2_api.describe_vpc_endpoints(ec2, vpc_id=vpc_id):
        snap["endpoints"].append({
            "id": endpoint["VpcEndpointId"], "service": endpoint["ServiceName"].replace(region_prefix, ""),
            "type": endpoint.get("VpcEndpointType"), "subnet_ids": endpoint.get("SubnetIds", []),
            "security_group_ids": [g["GroupId"] for g in endpoint.get("Groups", [])],
            "private_dns": endpoint.get("PrivateDnsEnabled", False),
            "route_table_ids": endpoint.get("RouteTableIds", []),
            "policy": endpoint.get("PolicyDocument")})
    groups = {}
    for flow_log in ec2_api.describe_flow_logs(ec2, resource_id=vpc_id):
        name = flow_log.get("LogGroupName")
        if name and name not in groups:
            groups[name] = logs_api.describe_log_groups(module.client("logs"), name).get(name)
        snap["flow_logs"].append({
            "id": flow_log["FlowLogId"], "traffic_type": flow_log.get("TrafficType"),
            "destination_type": flow_log.get("LogDestinationType"), "log_group": name,
            "deliver_status": flow_log.get("DeliverLogsStatus"),
            "retention_days": (groups.get(name) or {}).get("retentionInDays"),
            "log_group_exists": bool(groups.get(name))})
    return vpc_id


def read_database(module, snap, identifier):
    rds = module.client("rds")
    cluster = rds_api.describe_db_cluster(rds, identifier)
    if cluster is None:
        return
    snap["db_cluster"] = {
        "id": identifier, "encrypted": cluster.get("StorageEncrypted", False), "engine": cluster.get("Engine", ""),
        "scaling": cluster.get("ServerlessV2ScalingConfiguration"),
        "security_groups": [g["VpcSecurityGroupId"] for g in cluster.get("VpcSecurityGroups", [])],
        "password_stamp": tag_dict(cluster.get("TagList")).get(db_password.TAG)}
    writers = {m["DBInstanceIdentifier"] for m in cluster.get("DBClusterMembers", []) if m.get("IsClusterWriter")}
    snap["db_instances"] = [{"id": i["DBInstanceIdentifier"], "class": i["DBInstanceClass"],
                             "az": i.get("AvailabilityZone"), "public": i.get("PubliclyAccessible", False),
                             "writer": i["DBInstanceIdentifier"] in writers,
                             "auto_minor_upgrade": i.get("AutoMinorVersionUpgrade", False)}
                            for i in rds_api.describe_cluster_instances(rds, identifier)]


def read_secrets(module, snap, path):
    ssm = module.client("ssm")
    snap["parameters"] = [{"name": p["Name"], "type": p["Type"], "stamp": db_password.stamp(p)}
                          for p in ssm_api.describe_parameters_under(ssm, path)]


def read_services(module, snap, cluster, services):
    ecs = module.client("ecs")
    found = ecs_api.describe_services(ecs, cluster, list(services.values()))
    roles, task_roles = set(), set()
    for key, name in services.items():
        service = found.get(name)
        if not service or service.get("status") == "INACTIVE":
            continue
        network = service.get("networkConfiguration", {}).get("awsvpcConfiguration", {})
        snap["services"][key] = {
            "name": name, "assign_public_ip": network.get("assignPublicIp", "DISABLED"),
            "subnets": network.get("subnets", []), "security_groups": network.get("securityGroups", []),
            "load_balancers": [lb.get("targetGroupArn") for lb in service.get("loadBalancers", [])],
            "registries": [r.get("registryArn") for r in service.get("serviceRegistries", [])],
            "desired_count": service.get("desiredCount")}
        described = ecs_api.describe_task_definition(ecs, service["taskDefinition"])
        if not described:
            continue
        task = described[0]
        snap["task_definitions"][key] = {
            "arn": task["taskDefinitionArn"], "execution_role": task.get("executionRoleArn"),
            "task_role": task.get("taskRoleArn"),
            "containers": [{"name": c["name"], "environment": c.get("environment", []), "secrets": c.get("secrets", [])}
                           for c in task.get("containerDefinitions", [])]}
        if task.get("executionRoleArn"):
            roles.add(task["executionRoleArn"].rsplit("/", 1)[-1])
        if task.get("taskRoleArn"):
            task_roles.add(task["taskRoleArn"].rsplit("/", 1)[-1])
    resource_ids = {f"service/{cluster}/{s['name']}": key for key, s in snap["services"].items()}
    targets = (aas_api.describe_scalable_targets(module.client("application-autoscaling"), resource_ids)
               if resource_ids else {})
    for resource_id, key in resource_ids.items():
        target = targets.get(resource_id)
        snap["services"][key]["scaling"] = (
            {"min": target["MinCapacity"], "max": target["MaxCapacity"]} if target else None)
    iam = module.client("iam") if roles or task_roles else None
    for role in sorted(roles | task_roles):
        trust = (iam_api.get_role(iam, role) or {}).get("AssumeRolePolicyDocument")
        snap["role_trusts"][role] = policy_statements(trust)
    for role in sorted(roles):
        documents = list(iam_api.inline_policies(iam, role).values())
        documents += [iam_api.managed_policy_document(iam, arn) for arn in iam_api.attached_policies(iam, role)]
        snap["execution_roles"][role] = [s for document in documents for s in policy_statements(document)]


def read_edge(module, snap, lb_name):
    elb = module.client("elbv2")
    found = elb_api.describe_load_balancers(elb, [lb_name])
    if not found:
        return
    lb = found[0]
    snap["load_balancer"] = {"arn": lb["LoadBalancerArn"], "scheme": lb.get("Scheme"),
                             "subnets": [z["SubnetId"] for z in lb.get("AvailabilityZones", [])],
                             "security_groups": lb.get("SecurityGroups", [])}
    for listener in elb_api.describe_listeners(elb, lb["LoadBalancerArn"]):
        actions = []
        for action in listener.get("DefaultActions", []):
            arns = [tg["TargetGroupArn"] for tg in action.get("ForwardConfig", {}).get("TargetGroups", [])]
            if action.get("TargetGroupArn"):
                arns.append(action["TargetGroupArn"])
            actions.append({"type": action["Type"], "redirect": action.get("RedirectConfig", {}),
                            "target_group_arns": sorted(set(arns))})
        snap["listeners"].append({"port": listener["Port"], "protocol": listener["Protocol"],
                                  "ssl_policy": listener.get("SslPolicy"),
                                  "certificates": [c["CertificateArn"] for c in listener.get("Certificates", [])],
                                  "actions": actions})
    acl = waf_api.get_web_acl_for_resource(module.client("wafv2"), lb["LoadBalancerArn"])
    if acl:
        snap["web_acl"] = {"name": acl["Name"], "arn": acl["ARN"], "rules": acl.get("Rules", [])}
    attributes = elb_api.describe_load_balancer_attributes(elb, lb["LoadBalancerArn"])
    snap["access_logs"] = {"enabled": str(attributes.get("access_logs.s3.enabled")).lower() == "true",
                           "bucket": attributes.get("access_logs.s3.bucket") or "",
                           "prefix": attributes.get("access_logs.s3.prefix") or "", "bucket_state": None}
    wanted = module.params["expected"].get("access_logs") or {}
    if wanted.get("owned") and wanted.get("bucket"):
        snap["access_logs"]["bucket_state"] = read_log_bucket(module, wanted["bucket"])


def read_log_bucket(module, bucket):
    """The stack's own access log bucket (an inventory-named bucket is not the stack's to audit)."""
    s3 = module.client("s3")
    if s3_api.head_bucket(s3, bucket) is None:
        return {"exists": False}
    rules = s3_api.get_bucket_lifecycle_configuration(s3, bucket) or []
    expirations = [(r.get("Expiration") or {}).get("Days") for r in rules if r.get("Status") == "Enabled"]
    return {"exists": True, "public_access_block": s3_api.get_public_access_block(s3, bucket),
            "encryption": bool((s3_api.get_bucket_encryption(s3, bucket) or {}).get("Rules")),
            "policy": s3_api.get_bucket_policy(s3, bucket),
            "expiration_days": min([d for d in expirations if d], default=None)}


def read_topic_key(module, topic_arn):
    """The alarm topic's KMS key as the audit sees it (see audit.empty_snapshot), or None when unencrypted."""
    attributes = sns_api.get_topic_attributes(module.client("sns"), topic_arn) or {}
    key_id = attributes.get("KmsMasterKeyId")
    if not key_id:
        return None
    kms = module.client("kms")
    metadata = kms_api.describe_key(kms, key_id)
    if metadata is None:
        return {"id": key_id}
    rotation = metadata.get("KeyManager") == "CUSTOMER" and kms_api.get_key_rotation_status(kms, metadata["KeyId"])
    return {"id": key_id, "arn": metadata["Arn"], "manager": metadata.get("KeyManager"),
            "state": metadata.get("KeyState"), "rotation": rotation}


def read_event_subscriptions(module, snap, prefix):
    """The RDS event subscriptions whose names start with the stack's prefix."""
    for sub in rds_api.describe_event_subscriptions(module.client("rds")):
        name = sub["CustSubscriptionId"]
        if name.startswith(f"{prefix}-"):
            snap["event_subscriptions"][name] = {
                "topic_arn": sub.get("SnsTopicArn"), "source_type": sub.get("SourceType"),
                "categories": sub.get("EventCategoriesList") or [], "source_ids": sub.get("SourceIdsList") or [],
                "enabled": bool(sub.get("Enabled"))}


def read_alarms(module, snap, topic_name, prefix):
    snap["sns_topic_arn"] = sns_api.find_topic(module.client("sns"), topic_name)
    snap["sns_topic_key"] = read_topic_key(module, snap["sns_topic_arn"]) if snap["sns_topic_arn"] else None
    alarms = cw_api.describe_alarms(module.client("cloudwatch"), prefix)
    snap["alarms"] = [{"name": name, "namespace": a.get("Namespace"), "actions": a.get("AlarmActions", []),
                       "metric": a.get("MetricName"), "statistic": a.get("Statistic"),
                       "threshold": a.get("Threshold"), "comparison": a.get("ComparisonOperator"),
                       "period": a.get("Period"), "evaluation_periods": a.get("EvaluationPeriods")}
                      for name, a in alarms.items()]


def snapshot(module):
    params = module.params
    snap = audit.empty_snapshot()
    read_network(module, snap, params["name_prefix"])
    read_database(module, snap, params["db_cluster_identifier"])
    read_secrets(module, snap, params["parameter_path"])
    read_services(module, snap, params["ecs_cluster"], params["services"])
    read_edge(module, snap, params["load_balancer_name"])
    read_alarms(module, snap, params["sns_topic_name"], params["alarm_prefix"])
    read_event_subscriptions(module, snap, params["name_prefix"])
    return snap


def main():
    argument_spec = dict(
        name_prefix=dict(type="str", required=True),
        db_cluster_identifier=dict(type="str", required=True),
        parameter_path=dict(type="str", required=True),
        load_balancer_name=dict(type="str", required=True),
        ecs_cluster=dict(type="str", required=True),
        services=dict(type="dict", required=True),
        sns_topic_name=dict(type="str", required=True),
        alarm_prefix=dict(type="str", required=True),
        expected=dict(type="dict", required=True),
        rules=dict(type="list", elements="str", default=[]),
        fail_on_violation=dict(type="bool", default=True),
    )
    module = SoloAwsModule(argument_spec=argument_spec, supports_check_mode=True)
    unknown = sorted(set(module.params["rules"]) - set(audit.RULES))
    if unknown:
        module.fail_json(msg=f"rules: unknown rule(s) {unknown}; the rules are {sorted(audit.RULES)}")
    try:
        snap = snapshot(module)
    except SoloAwsError as e:
        fail_aws(module, e)
    expected = dict(module.params["expected"], parameter_path=module.params["parameter_path"])
    results = audit.evaluate(snap, expected, only=module.params["rules"])
    violations = [f"{r['rule']}: {f['resource']}: {f['message']}" for r in results for f in r["findings"]]
    output = dict(changed=False, results=results, violations=violations)
    if violations and module.params["fail_on_violation"]:
        broken = sorted({r["rule"] for r in results if not r["passed"]})
        module.fail_json(msg=f"{len(broken)} rule(s) of the spec do not hold: " + "; ".join(violations), **output)
    module.exit_json(**output)


if __name__ == "__main__":
    main()
