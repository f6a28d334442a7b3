"""Every rule of the security audit holds on a good snapshot and fails on its drift."""

from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.solo_saving.infra.plugins.filter.endpoints import perimeter_policy
from ansible_collections.solo_saving.infra.plugins.module_utils import audit

TOPIC = "arn:aws:sns:ap-northeast-1:123456789012:p-e-alarms"
TG = "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup/p-e-frontend/1"
KEY = "arn:aws:kms:ap-northeast-1:123456789012:key/0b1e2c3d-aaaa-bbbb-cccc-111122223333"
PARAM = "arn:aws:ssm:ap-northeast-1:123456789012:parameter/p/e/db/password"
EXPECTED = {
    "azs": ["ap-northeast-1a", "ap-northeast-1c"],
    "ports": {"frontend": 3000, "backend": 8000, "db": 5432},
    "interface_endpoints": ["ecr.api", "ecr.dkr", "logs", "ssm"],
    "tls_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "waf_managed_groups": ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesSQLiRuleSet",
                           "AWSManagedRulesKnownBadInputsRuleSet"],
    "parameter_path": "/p/e",
    "password_parameter": "/p/e/db/password",
    "alarms": [
        {"name": f"p-e-alarm-{name}", "namespace": namespace, "metric": metric, "statistic": "Maximum",
         "threshold": 80, "comparison": "GreaterThanOrEqualToThreshold", "period": 300, "evaluation_periods": 2}
        for name, namespace, metric in (("backend-cpu-high", "AWS/ECS", "CPUUtilization"),
                                        ("alb-5xx", "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count"),
                                        ("aurora-cpu-high", "AWS/RDS", "CPUUtilization"))],
    "scaling": {"frontend": {"min": 2, "max": 4}, "backend": {"min": "2", "max": "4"}},
    "access_logs": {"enabled": True, "bucket": "p-e-alb-logs-123456789012", "prefix": "alb", "owned": True,
                    "retention_days": "90"},
    "flow_logs": {"enabled": True, "traffic_type": "REJECT", "log_group": "p-e-vpc-flow-logs", "retention_days": "90"},
    "endpoint_policies": {service: perimeter_policy(service, "123456789012", "ap-northeast-1")
                          for service in ("ecr.api", "ecr.dkr", "logs", "ssm", "s3")},
    "rds_event_subscriptions": [
        {"name": "p-e-db-cluster-events", "source_type": "db-cluster", "categories": ["failure", "maintenance"]},
        {"name": "p-e-db-instance-events", "source_type": "db-instance", "categories": ["failure"]},
        {"name": "p-e-db-parameter-group-events", "source_type": "db-parameter-group",
         "categories": ["configuration change"]},
    ],
}
FULL_ACCESS = json.dumps({"Version": "2008-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]})


def tcp(port, kind, target):
    return ("tcp", port, port, kind, target)


def good():
    snap = audit.empty_snapshot()
    snap["vpc"] = {"id": "vpc-1", "cidr": "10.0.0.0/16"}
    snap["subnets"] = [{"id": f"s-{t}-{z}", "tier": t, "az": f"ap-northeast-1{z}", "cidr": "x"}
                       for t in ("public", "app", "db") for z in "ac"]
    snap["route_tables"] = [
        {"id": "rt-p", "name": "p-e-public-rt", "tier": "public", "default_routes": ["igw-1"],
         "subnet_ids": ["s-public-a", "s-public-c"]},
        {"id": "rt-a", "name": "p-e-app-rt", "tier": "app", "default_routes": [], "subnet_ids": ["s-app-a"]},
        {"id": "rt-d", "name": "p-e-db-rt", "tier": "db", "default_routes": [], "subnet_ids": ["s-db-a"]},
    ]
    snap["security_groups"] = {
        "alb": {"id": "sg-alb", "name": "p-e-alb",
                "ingress": [tcp(443, "cidr", "0.0.0.0/0"), tcp(80, "cidr", "0.0.0.0/0")],
                "egress": [tcp(3000, "group", "sg-frontend")]},
        "frontend": {"id": "sg-frontend", "name": "p-e-frontend", "ingress": [tcp(3000, "group", "sg-alb")],
                     "egress": [tcp(8000, "group", "sg-backend"), tcp(443, "group", "sg-endpoints")]},
        "backend": {"id": "sg-backend", "name": "p-e-backend", "ingress": [tcp(8000, "group", "sg-frontend")],
                    "egress": [tcp(5432, "group", "sg-db")]},
        "db": {"id": "sg-db", "name": "p-e-db", "ingress": [tcp(5432, "group", "sg-backend")], "egress": []},
        "endpoints": {"id": "sg-endpoints", "name": "p-e-endpoints",
                      "ingress": [tcp(443, "group", "sg-frontend"), tcp(443, "group", "sg-backend")], "egress": []},
    }
    snap["endpoints"] = [{"id": f"vpce-{s}", "service": s, "type": "Interface", "subnet_ids": ["s-app-a", "s-app-c"],
                          "security_group_ids": ["sg-endpoints"], "private_dns": True, "route_table_ids": [],
                          "policy": json.dumps(EXPECTED["endpoint_policies"][s])}
                         for s in EXPECTED["interface_endpoints"]]
    snap["endpoints"].append({"id": "vpce-s3", "service": "s3", "type": "Gateway", "subnet_ids": [],
                              "security_group_ids": [], "private_dns": False, "route_table_ids": ["rt-a", "rt-d"],
                              "policy": json.dumps(EXPECTED["endpoint_policies"]["s3"])})
    snap["default_security_group"] = {"id": "sg-default", "name": "default", "ingress": [], "egress": []}
    snap["flow_logs"] = [{"id": "fl-1", "traffic_type": "REJECT", "destination_type": "cloud-watch-logs",
                          "log_group": "p-e-vpc-flow-logs", "deliver_status": "SUCCESS", "retention_days": 90,
                          "log_group_exists": True}]
    snap["db_cluster"] = {"id": "p-e-db", "encrypted": True, "engine": "aurora-postgresql",
                          "scaling": {"MinCapacity": 0.5, "MaxCapacity": 4}, "security_groups": ["sg-db"],
                          "password_stamp": "v3-1796083200"}
    snap["db_instances"] = [
        {"id": "p-e-db-1", "class": "db.serverless", "az": "ap-northeast-1a", "public": False, "writer": True,
         "auto_minor_upgrade": True},
        {"id": "p-e-db-2", "class": "db.serverless", "az": "ap-northeast-1c", "public": False, "writer": False,
         "auto_minor_upgrade": True},
    ]
    snap["parameters"] = [{"name": "/p/e/db/password", "type": "SecureString", "stamp": "v3-1796083200"},
                          {"name": "/p/e/db/host", "type": "SecureString"}]
    snap["task_definitions"] = {
        "backend": {"arn": "td-backend:1", "execution_role": "p-e-execution",
                    "containers": [{"name": "backend", "environment": [{"name": "LOG_LEVEL", "value": "info"}],
                                    "secrets": [{"name": "DB_PASSWORD", "valueFrom": PARAM}]}]},
        "frontend": {"arn": "td-frontend:1", "execution_role": "p-e-execution",
                     "containers": [{"name": "frontend", "environment": [
                         {"name": "BACKEND_URL", "value": "http://backend.p-e.local:8000"}], "secrets": []}]},
    }
    snap["services"] = {
        "frontend": {"name": "p-e-frontend", "assign_public_ip": "DISABLED", "subnets": ["s-app-a", "s-app-c"],
                     "security_groups": ["sg-frontend"], "load_balancers": [TG], "registries": [],
                     "desired_count": 2, "scaling": {"min": 2, "max": 4}},
        "backend": {"name": "p-e-backend", "assign_public_ip": "DISABLED", "subnets": ["s-app-a", "s-app-c"],
                    "security_groups": ["sg-backend"], "load_balancers": [], "registries": ["arn:sd"],
                    "desired_count": 4, "scaling": {"min": 2, "max": 4}},
    }
    snap["load_balancer"] = {"arn": "alb-arn", "scheme": "internet-facing", "subnets": ["s-public-a", "s-public-c"],
                             "security_groups": ["sg-alb"]}
    snap["access_logs"] = {"enabled": True, "bucket": "p-e-alb-logs-123456789012", "prefix": "alb", "bucket_state": {
        "exists": True, "encryption": True, "expiration_days": 90,
        "public_access_block": {k: True for k in audit.BLOCK_ALL},
        "policy": json.dumps({"Statement": [
            {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})}}
    snap["listeners"] = [
        {"port": 443, "protocol": "HTTPS", "ssl_policy": EXPECTED["tls_policy"], "certificates": ["cert"],
         "actions": [{"type": "forward", "target_group_arns": [TG]}]},
        {"port": 80, "protocol": "HTTP", "ssl_policy": None, "certificates": [],
         "actions": [{"type": "redirect", "redirect": {"Protocol": "HTTPS", "StatusCode": "HTTP_301"},
                      "target_group_arns": []}]},
    ]
    snap["web_acl"] = {"name": "p-e-waf", "arn": "waf-arn", "rules": [
        {"Name": g, "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": g}}}
        for g in EXPECTED["waf_managed_groups"]] + [
        {"Name": "geo", "Statement": {"NotStatement": {"Statement": {"GeoMatchStatement": {"CountryCodes": ["JP"]}}}}},
        {"Name": "rate", "Statement": {"RateBasedStatement": {"Limit": 2000, "AggregateKeyType": "IP"}}}]}
    snap["execution_roles"] = {"p-e-execution": [
        {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        {"Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
         "Resource": ["arn:aws:ecr:ap-northeast-1:123456789012:repository/p-e-backend"]},
        {"Effect": "Allow", "Action": ["ssm:GetParameters"],
         "Resource": ["arn:aws:ssm:ap-northeast-1:123456789012:parameter/p/e/*"]},
    ]}
    trust = {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole",
             "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:ecs:ap-northeast-1:123456789012:*"},
                           "StringEquals": {"aws:SourceAccount": "123456789012"}}}
    snap["role_trusts"] = {"p-e-execution": [trust], "p-e-backend-task": [copy.deepcopy(trust)]}
    # As CloudWatch answers: numbers as floats.
    snap["alarms"] = [dict(alarm, threshold=float(alarm["threshold"]), actions=[TOPIC])
                      for alarm in EXPECTED["alarms"]]
    snap["sns_topic_arn"] = TOPIC
    snap["event_subscriptions"] = {
        "p-e-db-cluster-events": {"topic_arn": TOPIC, "source_type": "db-cluster", "enabled": True,
                                  "categories": ["failure", "maintenance", "notification"], "source_ids": ["p-e-db"]},
        "p-e-db-instance-events": {"topic_arn": TOPIC, "source_type": "db-instance", "enabled": True,
                                   "categories": ["failure"], "source_ids": ["p-e-db-1", "p-e-db-2"]},
        "p-e-db-parameter-group-events": {"topic_arn": TOPIC, "source_type": "db-parameter-group", "enabled": True,
                                          "categories": ["configuration change"], "source_ids": []},
    }
    snap["sns_topic_key"] = {"id": KEY, "arn": KEY, "manager": "CUSTOMER", "state": "Enabled", "rotation": True}
    return snap


def test_good_snapshot_passes_every_rule():
    results = audit.evaluate(good(), EXPECTED)
    assert [r["rule"] for r in results] == list(audit.RULES)
    failed = {r["rule"]: r["findings"] for r in results if not r["passed"]}
    assert failed == {}


def _set(path, value):
    def change(snap):
        target = snap
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


DRIFTS = [
    ("db-password-in-sync", lambda s: s["parameters"][0].update(stamp="v1-1796090000"),
     "the cluster holds version v3-1796083200 of /p/e/db/password, the parameter is at v1-1796090000"),
    ("db-password-in-sync", lambda s: s["parameters"].append({"name": "/p/e/db/password-pending",
                                                              "type": "SecureString", "stamp": "v1-0"}),
     "a rotation of the master password was interrupted"),
    ("one-vpc", lambda s: s["vpcs"].extend([{"id": "vpc-1", "cidr": "10.0.0.0/16"},
                                            {"id": "vpc-2", "cidr": "10.0.0.0/16"}]),
     "2 VPCs carry the stack's name (vpc-1, vpc-2)"),
    ("no-nat-gateway", lambda s: s["nat_gateways"].append({"id": "nat-1", "state": "available"}), "NAT gateway nat-1"),
    ("private-subnets-without-default-route", lambda s: s["route_tables"][1]["default_routes"].append("nat-1"),
     "private route table p-e-app-rt has a default route to nat-1"),
    ("private-subnets-without-default-route", lambda s: s["route_tables"][0]["subnet_ids"].append("s-db-c"),
     "private subnets s-db-c use the public route table"),
    ("alb-security-group", lambda s: s["security_groups"]["alb"]["ingress"].append(tcp(22, "cidr", "0.0.0.0/0")),
     "ALB security group admits tcp/22 from 0.0.0.0/0"),
    ("alb-security-group", lambda s: s["security_groups"]["alb"]["egress"].append(tcp(8000, "group", "sg-backend")),
     "ALB security group sends tcp/8000 to sg:backend"),
    ("frontend-only-from-alb", lambda s: s["security_groups"]["frontend"]["ingress"].append(
        tcp(3000, "cidr", "0.0.0.0/0")), "p-e-frontend admits tcp/3000 from 0.0.0.0/0"),
    ("backend-only-from-frontend", lambda s: s["security_groups"]["backend"]["ingress"].append(
        tcp(8000, "group", "sg-alb")), "p-e-backend admits tcp/8000 from sg:alb"),
    ("db-only-from-backend", lambda s: s["security_groups"]["db"]["ingress"].append(tcp(5432, "cidr", "0.0.0.0/0")),
     "p-e-db admits tcp/5432 from 0.0.0.0/0"),
    ("db-only-from-backend",
     lambda s: s["security_groups"]["db"]["egress"].append(("-1", None, None, "cidr", "0.0.0.0/0")),
     "p-e-db has egress rules"),
    ("endpoints-only-from-apps", lambda s: s["security_groups"]["endpoints"]["ingress"].append(
        tcp(443, "cidr", "10.0.0.0/8")), "p-e-endpoints admits tcp/443 from 10.0.0.0/8"),
    ("vpc-endpoints-present-and-private", lambda s: s["endpoints"].pop(0), "no interface endpoint for ecr.api"),
    ("vpc-endpoints-present-and-private", lambda s: s["endpoints"][1]["subnet_ids"].append("s-public-a"),
     "endpoint ecr.dkr sits in non-app subnets ['s-public-a']"),
    ("vpc-endpoints-present-and-private", lambda s: s["endpoints"].pop(), "no S3 gateway endpoint"),
    ("vpc-endpoint-policies-perimeter", _set(["endpoints", 0, "policy"], FULL_ACCESS),
     "endpoint ecr.api lets any principal reach any resource"),
    ("vpc-endpoint-policies-perimeter", _set(["endpoints", 4, "policy"], None),
     "endpoint s3 lets any principal reach any resource"),
    ("vpc-endpoint-policies-perimeter", lambda s: s["endpoints"][1].update(policy=json.dumps(
        {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*", "Resource": "*"},
                       json.loads(s["endpoints"][1]["policy"])["Statement"][0]]})),
     "endpoint ecr.dkr lets any principal reach any resource"),
    ("vpc-endpoint-policies-perimeter", lambda s: s["endpoints"][2].update(policy=json.dumps(
        perimeter_policy("logs", "210987654321", "ap-northeast-1"))),
     "endpoint logs has a policy other than the inventory's"),
    ("vpc-endpoint-policies-perimeter", _set(["endpoints", 3, "policy"], "{not json"),
     "endpoint ssm has a policy that is not valid JSON"),
    ("vpc-flow-logs", lambda s: s["flow_logs"].clear(), "the VPC has no flow log of rejected traffic"),
    ("vpc-flow-logs", _set(["flow_logs", 0, "traffic_type"], "ACCEPT"), "no flow log of rejected traffic"),
    ("vpc-flow-logs", _set(["flow_logs", 0, "traffic_type"], "ALL"),
     "flow log fl-1 logs ALL traffic; the inventory asks for REJECT"),
    ("vpc-flow-logs", _set(["flow_logs", 0, "retention_days"], None),
     "log group p-e-vpc-flow-logs keeps records forever; the inventory asks for 90 days"),
    ("vpc-flow-logs", _set(["flow_logs", 0, "log_group_exists"], False),
     "the log group p-e-vpc-flow-logs of flow log fl-1 does not exist"),
    ("vpc-flow-logs", _set(["flow_logs", 0, "deliver_status"], "FAILED"), "flow log fl-1 cannot deliver (FAILED)"),
    ("default-security-group-closed", lambda s: s["default_security_group"]["ingress"].append(
        ("-1", None, None, "group", "sg-default")), "default security group has ingress rules (all from sg-default)"),
    ("default-security-group-closed", lambda s: s["default_security_group"]["egress"].append(
        ("-1", None, None, "cidr", "0.0.0.0/0")), "has egress rules (all to 0.0.0.0/0)"),
    ("aurora-encrypted", _set(["db_cluster", "encrypted"], False), "storage is not encrypted"),
    ("aurora-not-public", _set(["db_instances", 1, "public"], True), "instance p-e-db-2 is publicly accessible"),
    ("aurora-serverless-v2", _set(["db_instances", 1, "class"], "db.r6g.large"), "instance class db.r6g.large"),
    ("aurora-serverless-v2", _set(["db_cluster", "scaling"], None), "no Serverless v2 scaling configuration"),
    ("aurora-two-azs", _set(["db_instances", 1, "az"], "ap-northeast-1a"), "span 1 availability zone(s)"),
    ("secrets-are-securestring", _set(["parameters", 1, "type"], "String"), "/p/e/db/host is String"),
    ("task-definitions-reference-secrets-by-arn", lambda s: s["task_definitions"]["backend"]["containers"][0][
        "environment"].append({"name": "DB_PASSWORD", "value": "hunter2"}), "has DB_PASSWORD as a plain environment"),
    ("task-definitions-reference-secrets-by-arn", _set(
        ["task_definitions", "backend", "containers", 0, "secrets", 0, "valueFrom"],
        "arn:aws:ssm:x:1:parameter/other/p"),
     "is not an SSM parameter ARN under /p/e/"),
    ("alb-https-and-redirect-only", lambda s: s["listeners"].append({"port": 8080, "protocol": "HTTP", "actions": []}),
     "listeners on ports [80, 443, 8080]"),
    ("alb-https-and-redirect-only", _set(["listeners", 0, "ssl_policy"], "ELBSecurityPolicy-2016-08"),
     "uses ELBSecurityPolicy-2016-08"),
    ("alb-https-and-redirect-only", _set(["listeners", 1, "actions"], [{"type": "forward", "target_group_arns": [TG]}]),
     "the 80 listener does more than a 301 redirect"),
    ("backend-not-behind-alb", _set(["services", "backend", "load_balancers"], ["tg-2"]),
     "the backend service is attached to a load balancer"),
    ("alb-access-logs", _set(["access_logs", "enabled"], False), "the load balancer writes no access logs"),
    ("alb-access-logs", _set(["access_logs", "prefix"], "other"),
     "writes its access logs to s3://p-e-alb-logs-123456789012/other, not to s3://p-e-alb-logs-123456789012/alb"),
    ("alb-access-logs", _set(["access_logs", "bucket_state"], {"exists": False}),
     "the access log bucket p-e-alb-logs-123456789012 does not exist"),
    ("alb-access-logs", _set(["access_logs", "bucket_state", "public_access_block", "RestrictPublicBuckets"], False),
     "does not block public access (RestrictPublicBuckets off)"),
    ("alb-access-logs", _set(["access_logs", "bucket_state", "encryption"], False), "has no default encryption"),
    ("alb-access-logs", _set(["access_logs", "bucket_state", "policy"], None), "does not refuse plain-HTTP requests"),
    ("alb-access-logs", _set(["access_logs", "bucket_state", "expiration_days"], None),
     "keeps access logs forever, the inventory says 90 days"),
    ("waf-associated-with-required-rules", _set(["web_acl"], None), "no web ACL is associated"),
    ("waf-associated-with-required-rules", lambda s: s["web_acl"]["rules"].pop(1),
     "lacks the managed rule group AWSManagedRulesSQLiRuleSet"),
    ("tasks-private-without-public-ip", _set(["services", "frontend", "assign_public_ip"], "ENABLED"),
     "p-e-frontend assigns public IPs"),
    ("tasks-private-without-public-ip", _set(["services", "backend", "subnets"], ["s-public-a"]),
     "p-e-backend runs outside the private app subnets"),
    ("execution-role-least-privilege", lambda s: s["execution_roles"]["p-e-execution"].append(
        {"Effect": "Allow", "Action": "ssm:*", "Resource": "*"}), "allows the wildcard action ssm:*"),
    ("execution-role-least-privilege", lambda s: s["execution_roles"]["p-e-execution"].append(
        {"Effect": "Allow", "Action": "ssm:GetParameters", "Resource": "arn:aws:ssm:x:1:parameter/*"}),
     "allows ssm:GetParameters beyond /p/e"),
    ("alarms-notify-sns", lambda s: s["alarms"].pop(2), "no alarm on AWS/RDS notifies"),
    ("alarms-notify-sns", _set(["sns_topic_arn"], None), "the alarm topic does not exist"),
    ("alarms-notify-sns", lambda s: s["alarms"].pop(0), "alarm p-e-alarm-backend-cpu-high does not exist"),
    ("alarms-notify-sns", _set(["alarms", 1, "actions"], []), f"alarm p-e-alarm-alb-5xx does not notify {TOPIC}"),
    ("alarms-notify-sns", _set(["alarms", 2, "threshold"], 95.0),
     "alarm p-e-alarm-aurora-cpu-high has threshold 95.0 (the inventory asks for 80)"),
    ("alarms-notify-sns", _set(["alarms", 0, "period"], 60), "has period 60 (the inventory asks for 300)"),
    ("alarm-topic-encrypted-cmk", _set(["sns_topic_key"], None), f"{TOPIC} is not encrypted (no KmsMasterKeyId)"),
    ("alarm-topic-encrypted-cmk", _set(["sns_topic_key"], {"id": "alias/gone"}),
     "is encrypted with KMS key alias/gone, which does not exist"),
    ("alarm-topic-encrypted-cmk", lambda s: s["sns_topic_key"].update(manager="AWS"),
     "is encrypted with the AWS-managed key"),
    ("alarm-topic-encrypted-cmk", lambda s: s["sns_topic_key"].update(rotation=False), "has automatic rotation off"),
    ("alarm-topic-encrypted-cmk", lambda s: s["sns_topic_key"].update(state="PendingDeletion"),
     f"KMS key {KEY} of {TOPIC} is PendingDeletion"),
    ("rds-event-subscriptions", lambda s: s["event_subscriptions"].pop("p-e-db-cluster-events"),
     "RDS event subscription p-e-db-cluster-events (db-cluster) does not exist"),
    ("rds-event-subscriptions", _set(["event_subscriptions", "p-e-db-instance-events", "enabled"], False),
     "RDS event subscription p-e-db-instance-events is disabled"),
    ("rds-event-subscriptions", _set(["event_subscriptions", "p-e-db-instance-events", "topic_arn"], "arn:other"),
     f"p-e-db-instance-events notifies arn:other, not {TOPIC}"),
    ("rds-event-subscriptions", _set(["event_subscriptions", "p-e-db-cluster-events", "categories"], ["failure"]),
     "p-e-db-cluster-events lacks the categories maintenance"),
    ("rds-event-subscriptions", _set(["event_subscriptions", "p-e-db-instance-events", "source_ids"], ["p-e-db-1"]),
     "p-e-db-instance-events does not watch p-e-db-2"),
    ("rds-event-subscriptions", _set(["event_subscriptions", "p-e-db-parameter-group-events", "source_ids"],
                                     ["other-pg"]), "watches only other-pg, not every db-parameter-group"),
    ("rds-event-subscriptions", _set(["event_subscriptions", "p-e-db-cluster-events", "source_type"], "db-instance"),
     "p-e-db-cluster-events watches db-instance, not db-cluster"),
    ("ecs-role-trust-scoped", lambda s: s["role_trusts"]["p-e-execution"][0].pop("Condition"),
     "p-e-execution trusts {'Service': 'ecs-tasks.amazonaws.com'} without aws:SourceAccount"),
    ("ecs-role-trust-scoped", _set(["role_trusts", "p-e-backend-task", 0, "Condition", "ArnLike", "aws:SourceArn"],
                                   "arn:aws:ecs:ap-northeast-1:999999999999:*"), "p-e-backend-task trusts"),
    ("ecs-role-trust-scoped", lambda s: s["role_trusts"]["p-e-backend-task"][0]["Condition"].pop("StringEquals"),
     "p-e-backend-task trusts"),
    ("aurora-auto-minor-upgrades", _set(["db_instances", 1, "auto_minor_upgrade"], False),
     "instance p-e-db-2 has automatic minor version upgrades off"),
    ("desired-count-within-scaling-bounds", _set(["services", "backend", "desired_count"], 9),
     "p-e-backend has desired count 9, outside its scaling bounds [2, 4]"),
    ("desired-count-within-scaling-bounds", _set(["services", "frontend", "desired_count"], 1),
     "p-e-frontend has desired count 1, outside its scaling bounds [2, 4]"),
    ("desired-count-within-scaling-bounds", _set(["services", "frontend", "scaling"], None),
     "p-e-frontend has no scalable target"),
    ("desired-count-within-scaling-bounds", _set(["services", "backend", "scaling"], {"min": 1, "max": 4}),
     "p-e-backend scales within [1, 4]; the inventory asks for [2, 4]"),
]


@pytest.mark.parametrize(("rule", "drift", "message"), DRIFTS, ids=[f"{d[0]}-{i}" for i, d in enumerate(DRIFTS)])
def test_each_rule_fails_on_its_drift(rule, drift, message):
    snap = copy.deepcopy(good())
    drift(snap)
    results = {r["rule"]: r for r in audit.evaluate(snap, EXPECTED)}
    assert not results[rule]["passed"]
    assert any(message in f["message"] for f in results[rule]["findings"]), results[rule]["findings"]
    others = [name for name, r in results.items() if not r["passed"] and name != rule]
    assert others == [], others


def test_access_logs_off_in_the_inventory_is_a_finding_and_another_bucket_is_not_audited():
    off = dict(EXPECTED, access_logs={"enabled": False})
    results = {r["rule"]: r for r in audit.evaluate(good(), off, only=["alb-access-logs"])}
    assert [f["message"] for f in results["alb-access-logs"]["findings"]] == [
        "the inventory turns the ALB's access logs off (edge_access_logs.enabled)"]
    theirs = dict(EXPECTED, access_logs={"enabled": True, "bucket": "central-logs", "prefix": "alb", "owned": False})
    snap = good()
    snap["access_logs"].update(bucket="central-logs", bucket_state=None)
    assert audit.evaluate(snap, theirs, only=["alb-access-logs"])[0]["passed"]


def test_only_runs_the_named_rules():
    assert [r["rule"] for r in audit.evaluate(good(), EXPECTED, only=["no-nat-gateway"])] == ["no-nat-gateway"]
