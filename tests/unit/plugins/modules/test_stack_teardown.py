"""stack_teardown: discovery, order, refusals, retention, check mode and error paths.

The wrapper layer (module_utils/<service>.py) is replaced by a small stateful
fake of one environment: reads answer from its state, deletes change it, so the
module's second look after the deletions sees what a real account would.
"""

from __future__ import annotations

import copy
import datetime

import pytest
from botocore.exceptions import ClientError

from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError
from ansible_collections.solo_saving.infra.plugins.module_utils.teardown import TeardownError
from ansible_collections.solo_saving.infra.plugins.modules import stack_teardown as module
from tests.support.modules import ModuleFail

ARN = "arn:aws:{}:ap-northeast-1:123456789012:{}"
TAGS = {"Project": "p", "Environment": "dev"}
OTHER = {"Project": "p", "Environment": "prod"}
LB_ARN = ARN.format("elasticloadbalancing", "loadbalancer/app/p-dev-alb/1")
TG_ARN = ARN.format("elasticloadbalancing", "targetgroup/p-dev-tg-frontend/1")
ACL_ARN = ARN.format("wafv2", "regional/webacl/p-dev-waf/acl-1")
CERT_ARN = ARN.format("acm", "certificate/c-1")
TOPIC_ARN = ARN.format("sns", "p-dev-alarms")
LOG_BUCKET = "p-dev-alb-logs-123456789012"
WRITES = ("delete", "deregister", "detach", "disassociate", "remove", "revoke", "modify", "update", "stop",
          "change", "schedule")
NOW = datetime.datetime(2026, 11, 29, 7, 5, tzinfo=datetime.timezone.utc)  # noqa: UP017  # py3.10 compatible


def ecs_tags(tags):
    return [{"key": k, "value": v} for k, v in tags.items()]


def lt(tags):
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def environment():
    """One environment of every layer, plus a few things of another environment that must be left alone."""
    return {
        "index": {ARN.format("ec2", "vpc/vpc-1"): TAGS, ARN.format("logs", "log-group:/ecs/p-dev/gone"): TAGS},
        "vpcs": {"vpc-1": {"VpcId": "vpc-1", "Tags": lt({**TAGS, "Name": "p-dev-vpc"})}},
        "endpoints": {"vpce-1": {"VpcEndpointId": "vpce-1", "ServiceName": "com.amazonaws.ap-northeast-1.ecr.api",
                                 "NetworkInterfaceIds": ["eni-vpce"]}},
        "enis": {"eni-vpce": {"NetworkInterfaceId": "eni-vpce", "Status": "in-use", "RequesterManaged": True,
                              "VpcId": "vpc-1"},
                 "eni-left": {"NetworkInterfaceId": "eni-left", "Status": "available", "RequesterManaged": False,
                              "VpcId": "vpc-1"}},
        "sgs": {
            "sg-alb": {"GroupId": "sg-alb", "GroupName": "p-dev-alb", "IpPermissions": [],
                       "IpPermissionsEgress": [{"IpProtocol": "tcp", "FromPort": 3000, "ToPort": 3000,
                                                "UserIdGroupPairs": [{"GroupId": "sg-fe"}]}]},
            "sg-fe": {"GroupId": "sg-fe", "GroupName": "p-dev-frontend", "IpPermissionsEgress": [],
                      "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 3000, "ToPort": 3000,
                                         "UserIdGroupPairs": [{"GroupId": "sg-alb"}]}]},
            "sg-default": {"GroupId": "sg-default", "GroupName": "default"},
        },
        "subnets": {"subnet-1": {"SubnetId": "subnet-1", "Tags": lt({"Name": "p-dev-app-1a"})}},
        "rts": {"rtb-main": {"RouteTableId": "rtb-main", "Associations": [{"Main": True}]},
                "rtb-app": {"RouteTableId": "rtb-app", "Tags": lt({"Name": "p-dev-app-rt"}),
                            "Associations": [{"RouteTableAssociationId": "rtbassoc-1", "SubnetId": "subnet-1"}]}},
        "igws": {"igw-1": {"InternetGatewayId": "igw-1", "Tags": lt({**TAGS, "Name": "p-dev-igw"}),
                           "Attachments": [{"VpcId": "vpc-1", "State": "available"}]}},
        "ecs_clusters": {"p-dev": {"clusterName": "p-dev", "status": "ACTIVE", "tags": ecs_tags(TAGS)},
                         "p-prod": {"clusterName": "p-prod", "status": "ACTIVE", "tags": ecs_tags(OTHER)}},
        "services": {"p-dev/frontend": {"serviceName": "frontend", "status": "ACTIVE", "desiredCount": 2,
                                        "taskDefinition": ARN.format("ecs", "task-definition/p-dev-frontend:2"),
                                        "serviceRegistries": [
                                            {"registryArn": ARN.format("servicediscovery", "service/srv-1")}]}},
        "taskdefs": {"p-dev-frontend": {1: "INACTIVE", 2: "ACTIVE"}},
        "targets": {"service/p-dev/frontend": ["p-dev-frontend-cpu"], "service/p-prod/frontend": ["p-prod-cpu"]},
        "namespaces": {"ns-1": {"Id": "ns-1", "Name": "p-dev.internal",
                                "Arn": ARN.format("servicediscovery", "namespace/ns-1"),
                                "tags": lt(TAGS)}},
        "cm_services": {"srv-1": {"Id": "srv-1", "Name": "frontend", "NamespaceId": "ns-1"}},
        "alarms": {"p-dev-cpu": TAGS, "p-dev-other-env": OTHER},
        "topics": {TOPIC_ARN: TAGS},
        "logs": {"/ecs/p-dev/frontend": TAGS, "/aws/rds/cluster/p-dev-db/postgresql": {}},
        "roles": {"p-dev-task": {"tags": lt(TAGS), "attached": ["arn:aws:iam::aws:policy/X"], "inline": ["ssm"]}},
        "lbs": {LB_ARN: {"LoadBalancerArn": LB_ARN, "LoadBalancerName": "p-dev-alb", "Type": "application",
                         "DNSName": "p-dev-alb-1.ap-northeast-1.elb.amazonaws.com", "protected": False}},
        "tgs": {TG_ARN: {"TargetGroupArn": TG_ARN, "TargetGroupName": "p-dev-tg-frontend",
                         "LoadBalancerArns": [LB_ARN]}},
        "lb_tags": {LB_ARN: TAGS, TG_ARN: TAGS},
        "acls": {ACL_ARN: {"Name": "p-dev-waf", "Id": "acl-1", "ARN": ACL_ARN}},
        "acl_of": {LB_ARN: ACL_ARN},
        "certs": {CERT_ARN: {"DomainName": "app.example.com", "DomainValidationOptions": [{"ResourceRecord": {
            "Name": "_v.app.example.com.", "Type": "CNAME", "Value": "_x.acm-validations.aws."}}]}},
        "zone": {"Id": "Z1", "Name": "example.com.", "tags": {}},
        "records": [
            {"Name": "example.com.", "Type": "NS", "ResourceRecords": [{"Value": "ns-1."}]},
            {"Name": "example.com.", "Type": "SOA", "ResourceRecords": [{"Value": "ns-1. x 1 2 3 4 5"}]},
            {"Name": "app.example.com.", "Type": "A",
             "AliasTarget": {"DNSName": "dualstack.p-dev-alb-1.ap-northeast-1.elb.amazonaws.com.",
                             "HostedZoneId": "ZALB"}},
            {"Name": "_v.app.example.com.", "Type": "CNAME", "TTL": 300,
             "ResourceRecords": [{"Value": "_x.acm-validations.aws."}]},
            {"Name": "www.example.com.", "Type": "CNAME", "TTL": 300, "ResourceRecords": [{"Value": "elsewhere."}]},
        ],
        "db_clusters": {"p-dev-db": {"DBClusterIdentifier": "p-dev-db", "Status": "available", "TagList": lt(TAGS),
                                     "DeletionProtection": False, "DBSubnetGroup": "p-dev-db-subnets",
                                     "DBClusterParameterGroup": "p-dev-db-pg"}},
        "db_instances": {"p-dev-db-1": {"DBInstanceIdentifier": "p-dev-db-1", "DBInstanceStatus": "available",
                                        "DBClusterIdentifier": "p-dev-db"}},
        "snapshots": {"rds:p-dev-db-auto": {"DBClusterSnapshotIdentifier": "rds:p-dev-db-auto",
                                            "SnapshotType": "automated",
                                            "DBClusterIdentifier": "p-dev-db"}},
        "subnet_groups": {"p-dev-db-subnets": "vpc-1", "p-prod-db-subnets": "vpc-9"},
        "param_groups": {"p-dev-db-pg": TAGS, "default.aurora-postgresql16": {}},
        "params": ["/p/dev/db_password", "/p/dev/db_username"],
        "repos": {"p-dev/backend": {"tags": TAGS, "images": 2}, "p-dev/frontend": {"tags": TAGS, "images": 0},
                  "p-prod/backend": {"tags": OTHER, "images": 5}},
        # the ALB's access logs; a bucket of the same prefix without the environment's tags is not the stack's
        "buckets": {LOG_BUCKET: {"tags": TAGS, "objects": [f"alb/AWSLogs/123456789012/{n}.log.gz" for n in range(3)]},
                    "p-dev-notes": {"tags": {}, "objects": ["a.txt"]},
                    "p-prod-alb-logs-123456789012": {"tags": OTHER, "objects": []}},
    }


class World:
    """The fake wrapper layer: every call is recorded; reads answer from ``state``, deletes change it."""

    def __init__(self, state):
        self.state = state
        self.calls = []
        self.fail = {}  # (service, function) -> exception to raise
        self.handlers = {}
        for name in dir(self):
            if name.startswith("h_"):
                service, function = name[2:].split("__")
                self.handlers[(service, function)] = getattr(self, name)

    def install(self, monkeypatch):
        for service in ("acm", "aas", "cloudwatch", "ec2", "ecr", "ecs", "elbv2", "iam", "kms", "logs", "rds",
                        "route53", "s3", "cloudmap", "sns", "ssm", "tagging", "wafv2"):
            monkeypatch.setattr(module, service, Service(service, self))

    def writes(self):
        return [(s, f) for s, f, _a, _k in self.calls if f.startswith(WRITES)]

    def write_args(self, function):
        return [a for _s, f, a, _k in self.calls if f == function]

    # -- reads -------------------------------------------------------------------
    def h_tagging__get_resources(self, tags):
        return dict(self.state["index"])

    def h_ec2__describe_vpcs(self, **flt):
        return [v for k, v in self.state["vpcs"].items() if flt.get("vpc_id", k) == k]

    def h_ec2__describe_vpc_endpoints(self, **flt):
        return list(self.state["endpoints"].values()) if "vpc_id" in flt else []

    def h_ec2__describe_nat_gateways(self, **flt):
        return []

    def h_ec2__describe_network_interfaces(self, **flt):
        return list(self.state["enis"].values())

    def h_ec2__describe_security_groups(self, **flt):
        return [g for k, g in self.state["sgs"].items() if flt.get("group_id", k) == k]

    def h_ec2__describe_subnets(self, **flt):
        return list(self.state["subnets"].values())

    def h_ec2__describe_route_tables(self, **flt):
        return list(self.state["rts"].values())

    def h_ec2__describe_internet_gateways(self, **flt):
        return list(self.state["igws"].values())

    def h_ecs__list_cluster_arns(self):
        return list(self.state["ecs_clusters"])

    def h_ecs__describe_clusters(self, arns):
        return [self.state["ecs_clusters"][a] for a in arns]

    def h_ecs__list_service_arns(self, cluster):
        return [k.split("/")[1] for k in self.state["services"] if k.startswith(cluster + "/")]

    def h_ecs__describe_services(self, cluster, names):
        services = self.state["services"]
        return {n: services[f"{cluster}/{n}"] for n in names if f"{cluster}/{n}" in services}

    def h_ecs__list_task_definition_families(self, prefix):
        return [f for f in self.state["taskdefs"] if f.startswith(prefix)]

    def h_ecs__list_task_definition_arns(self, family, status):
        return [ARN.format("ecs", f"task-definition/{family}:{r}")
                for r, s in self.state["taskdefs"].get(family, {}).items() if s == status]

    def h_ecs__describe_task_definition(self, ref):
        return None

    def h_aas__list_ecs_scalable_targets(self):
        return [{"ResourceId": r} for r in self.state["targets"]]

    def h_aas__describe_scaling_policies(self, resource_id):
        return [{"PolicyName": p} for p in self.state["targets"].get(resource_id, [])]

    def h_cloudmap__list_private_dns_namespaces(self):
        return list(self.state["namespaces"].values())

    def h_cloudmap__list_tags(self, arn):
        return next((n["tags"] for n in self.state["namespaces"].values() if n["Arn"] == arn), [])

    def h_cloudmap__list_services(self, namespace_id):
        return [s for s in self.state["cm_services"].values() if s["NamespaceId"] == namespace_id]

    def h_cloudmap__get_service(self, service_id):
        return self.state["cm_services"].get(service_id)

    def h_cloudmap__delete_namespace(self, namespace_id):
        self.state["namespaces"].pop(namespace_id, None)
        return "op-1"

    def h_cloudmap__get_operation(self, operation_id):
        return {"Status": self.state.get("operation_status", "SUCCESS"), "ErrorMessage": "namespace in use"}

    def h_elbv2__describe_all_load_balancers(self):
        return list(self.state["lbs"].values())

    def h_elbv2__describe_all_target_groups(self):
        return list(self.state["tgs"].values())

    def h_elbv2__describe_tags_batched(self, arns):
        return {a: self.state["lb_tags"].get(a, {}) for a in arns}

    def h_elbv2__describe_load_balancer_attributes(self, arn):
        return {"deletion_protection.enabled": "true" if self.state["lbs"][arn]["protected"] else "false"}

    def h_elbv2__describe_load_balancers(self, names):
        return [b for b in self.state["lbs"].values() if b["LoadBalancerName"] in names]

    def h_wafv2__get_web_acl_for_resource(self, arn):
        acl = self.state["acl_of"].get(arn)
        return {"ARN": acl} if acl else None

    def h_wafv2__list_web_acls(self, scope):
        return list(self.state["acls"].values())

    def h_wafv2__list_web_acl_tags(self, arn):
        return dict(TAGS)

    def h_wafv2__get_logging_configuration(self, arn):
        return {"ResourceArn": arn}

    def h_wafv2__get_web_acl(self, name, scope, acl_id):
        return ({"Name": name}, "lock-1") if any(a["Id"] == acl_id for a in self.state["acls"].values()) else None

    def h_acm__list_certificates(self, statuses):
        return [{"CertificateArn": a, "DomainName": c["DomainName"]} for a, c in self.state["certs"].items()]

    def h_acm__list_certificate_tags(self, arn):
        return dict(TAGS)

    def h_acm__describe_certificate(self, arn):
        return self.state["certs"].get(arn)

    def h_route53__list_hosted_zones_by_name(self, name):
        zone = self.state["zone"]
        return [dict(zone)] if zone else []

    def h_route53__list_all_record_sets(self, zone_id):
        return copy.deepcopy(self.state["records"]) if self.state["zone"] else None

    def h_route53__list_zone_tags(self, zone_id):
        return dict(self.state["zone"]["tags"])

    def h_rds__describe_db_clusters(self):
        return list(self.state["db_clusters"].values())

    def h_rds__describe_db_cluster(self, ident):
        return self.state["db_clusters"].get(ident)

    def h_rds__describe_cluster_instances(self, cluster):
        return [i for i in self.state["db_instances"].values() if i["DBClusterIdentifier"] == cluster]

    def h_rds__describe_db_instance(self, ident):
        return self.state["db_instances"].get(ident)

    def h_rds__describe_db_cluster_snapshots(self, cluster_identifier=None, snapshot_identifier=None):
        return [s for k, s in self.state["snapshots"].items()
                if (cluster_identifier is None or s["DBClusterIdentifier"] == cluster_identifier)
                and (snapshot_identifier is None or k == snapshot_identifier)]

    def h_rds__describe_db_subnet_groups(self):
        return [{"DBSubnetGroupName": n, "VpcId": v, "DBSubnetGroupArn": n}
                for n, v in self.state["subnet_groups"].items()]

    def h_rds__describe_db_cluster_parameter_groups(self):
        return [{"DBClusterParameterGroupName": n, "DBClusterParameterGroupArn": n} for n in self.state["param_groups"]]

    def h_rds__list_tags(self, arn):
        if arn.startswith("es:"):
            return lt(self.state.get("event_subscriptions", {})[arn[3:]])
        return lt(self.state["param_groups"].get(arn, {}))

    def h_rds__describe_event_subscriptions(self):
        return [{"CustSubscriptionId": n, "EventSubscriptionArn": f"es:{n}"}
                for n in self.state.get("event_subscriptions", {})]

    def h_rds__delete_event_subscription(self, name):
        self.state["event_subscriptions"].pop(name, None)

    def h_s3__list_buckets(self, prefix):
        return [n for n in self.state["buckets"] if n.startswith(prefix)]

    def h_s3__head_bucket(self, name):
        return "ap-northeast-1" if name in self.state["buckets"] else None

    def h_s3__get_bucket_tagging(self, name):
        return lt(self.state["buckets"][name]["tags"])

    def h_s3__list_object_versions(self, name):
        bucket = self.state["buckets"].get(name)
        return None if bucket is None else [{"Key": k, "VersionId": "null"} for k in bucket["objects"]]

    def h_s3__delete_objects(self, name, objects):
        keys = {o["Key"] for o in objects}
        self.state["buckets"][name]["objects"] = [k for k in self.state["buckets"][name]["objects"] if k not in keys]

    def h_s3__delete_bucket(self, name):
        if self.state["buckets"][name]["objects"]:
            raise SoloAwsError("BucketNotEmpty")
        self.state["buckets"].pop(name)

    def h_kms__list_aliases(self, prefix):
        return [{"AliasName": a, "TargetKeyId": k} for a, k in self.state.get("kms_aliases", {}).items()
                if a.startswith(prefix)]

    def h_kms__describe_key(self, key_id):
        key = self.state.get("kms_keys", {}).get(key_id)
        return {"KeyId": key_id, "KeyManager": "CUSTOMER", "KeyState": key["state"]} if key else None

    def h_kms__list_resource_tags(self, key_id):
        return [{"TagKey": k, "TagValue": v} for k, v in self.state["kms_keys"][key_id]["tags"].items()]

    def h_kms__delete_alias(self, alias):
        self.state["kms_aliases"].pop(alias, None)

    def h_kms__schedule_key_deletion(self, key_id, days=7):
        self.state["kms_keys"][key_id]["state"] = "PendingDeletion"

    def h_logs__describe_log_groups(self, prefix):
        return {n: {} for n in self.state["logs"] if n.startswith(prefix)}

    def h_logs__list_tags(self, name):
        return dict(self.state["logs"][name])

    def h_cloudwatch__describe_alarms(self, prefix):
        return {n: {"AlarmArn": n} for n in self.state["alarms"] if n.startswith(prefix)}

    def h_cloudwatch__list_tags(self, arn):
        return lt(self.state["alarms"][arn])

    def h_sns__list_topic_arns(self):
        return list(self.state["topics"])

    def h_sns__list_tags(self, arn):
        return lt(self.state["topics"][arn])

    def h_iam__list_roles(self):
        return [{"RoleName": n} for n in self.state["roles"]]

    def h_iam__list_role_tags(self, name):
        return self.state["roles"][name]["tags"]

    def h_iam__attached_policies(self, name):
        return list(self.state["roles"][name]["attached"])

    def h_iam__inline_policies(self, name):
        return {p: {} for p in self.state["roles"][name]["inline"]}

    def h_ssm__describe_parameters_under(self, path):
        return [{"Name": n} for n in self.state["params"] if n.startswith(path + "/")]

    def h_ssm__describe_parameters(self, names):
        return {n: {} for n in names if n in self.state["params"]}

    def h_ecr__describe_all_repositories(self):
        return [{"repositoryName": n, "repositoryArn": n} for n in self.state["repos"]]

    def h_ecr__list_tags(self, arn):
        return dict(self.state["repos"][arn]["tags"])

    def h_ecr__count_images(self, name):
        return self.state["repos"][name]["images"]

    # -- deletes ---------------------------------------------------------------------------
    def h_aas__deregister_scalable_target(self, resource_id):
        self.state["targets"].pop(resource_id, None)

    def h_ecs__delete_service(self, cluster, name):
        self.state["services"][f"{cluster}/{name}"]["status"] = "INACTIVE"

    def h_ecs__delete_task_definitions(self, arns):
        for arn in arns:
            family, revision = arn.rsplit("/", 1)[-1].rsplit(":", 1)
            self.state["taskdefs"][family].pop(int(revision), None)
        return []

    def h_ecs__delete_cluster(self, cluster):
        self.state["ecs_clusters"].pop(cluster, None)

    def h_cloudmap__delete_service(self, service_id):
        self.state["cm_services"].pop(service_id, None)

    def h_cloudwatch__delete_alarms(self, names):
        for name in names:
            self.state["alarms"].pop(name, None)

    def h_sns__delete_topic(self, arn):
        self.state["topics"].pop(arn, None)

    def h_logs__delete_log_group(self, name):
        self.state["logs"].pop(name, None)

    def h_iam__delete_role(self, name):
        self.state["roles"].pop(name, None)

    def h_route53__change_record_sets(self, zone_id, changes, comment):
        gone = [c["ResourceRecordSet"] for c in changes]
        self.state["records"] = [r for r in self.state["records"] if r not in gone]

    def h_route53__delete_hosted_zone(self, zone_id):
        self.state["zone"] = None

    def h_wafv2__delete_web_acl(self, name, scope, acl_id, token):
        self.state["acls"].pop(ACL_ARN, None)

    def h_elbv2__delete_load_balancer(self, arn):
        self.state["lbs"].pop(arn, None)

    def h_elbv2__delete_target_group(self, arn):
        self.state["tgs"].pop(arn, None)

    def h_acm__delete_certificate(self, arn):
        self.state["certs"].pop(arn, None)

    def h_rds__delete_db_instance(self, ident):
        self.state["db_instances"].pop(ident, None)

    def h_rds__delete_db_cluster(self, ident, snapshot=None):
        self.state["db_clusters"].pop(ident, None)
        if snapshot:
            self.state["snapshots"][snapshot] = {"DBClusterSnapshotIdentifier": snapshot, "SnapshotType": "manual",
                                                 "DBClusterIdentifier": ident}

    def h_rds__delete_automated_cluster_snapshot(self, ident):
        self.state["snapshots"].pop(ident, None)

    def h_rds__delete_db_subnet_group(self, name):
        self.state["subnet_groups"].pop(name, None)

    def h_rds__delete_db_cluster_parameter_group(self, name):
        self.state["param_groups"].pop(name, None)

    def h_ssm__delete_parameters(self, names):
        self.state["params"] = [n for n in self.state["params"] if n not in names]

    def h_ecr__delete_repository(self, name, force):
        self.state["repos"].pop(name, None)

    def h_ec2__delete_vpc_endpoint(self, endpoint_id):
        self.state["endpoints"].pop(endpoint_id, None)
        self.state["enis"].pop("eni-vpce", None)

    def h_ec2__delete_network_interface(self, eni_id):
        self.state["enis"].pop(eni_id, None)

    def h_ec2__delete_security_group(self, group_id):
        self.state["sgs"].pop(group_id, None)

    def h_ec2__delete_subnet(self, subnet_id):
        self.state["subnets"].pop(subnet_id, None)

    def h_ec2__delete_route_table(self, route_table_id):
        self.state["rts"].pop(route_table_id, None)

    def h_ec2__delete_internet_gateway(self, igw_id):
        self.state["igws"].pop(igw_id, None)

    def h_ec2__delete_vpc(self, vpc_id):
        self.state["vpcs"].pop(vpc_id, None)
        self.state["rts"].pop("rtb-main", None)
        self.state["sgs"].pop("sg-default", None)
        self.state["index"].pop(ARN.format("ec2", "vpc/vpc-1"), None)


class Service:
    """One wrapper module: functions answer from the world's handlers; unknown reads return nothing."""

    def __init__(self, name, world):
        self._name = name
        self._world = world

    def __getattr__(self, function):
        def call(_client, *args, **kwargs):
            self._world.calls.append((self._name, function, args, kwargs))
            if (self._name, function) in self._world.fail:
                raise self._world.fail[(self._name, function)]
            handler = self._world.handlers.get((self._name, function))
            if handler is not None:
                return handler(*args, **kwargs)
            if function.startswith(WRITES):
                return None
            return {} if function.startswith(("list_tags", "describe_parameters")) else []

        return call


PARAMS = {"project": "p", "environment": "dev", "name_prefix": "p-dev", "parameter_path": "/p/dev",
          "delete_parameters": True, "delete_images": True, "delete_access_logs": True,
          "hosted_zone_name": "example.com",
          "delete_hosted_zone": False, "final_snapshot": False, "lift_deletion_protection": False,
          "wait_timeout": 30, "wait_delay": 5}


@pytest.fixture
def world(monkeypatch):
    w = World(environment())
    w.install(monkeypatch)
    return w


def teardown(check_mode=False, **params):
    clock = {"t": 0.0}

    def sleep(seconds):
        clock["t"] += seconds

    return StackTeardownUnderTest(lambda service: object(), {**PARAMS, **params}, check_mode, now=NOW, sleep=sleep,
                                  clock=lambda: clock["t"])


StackTeardownUnderTest = module.StackTeardown


def deleted_kinds(td):
    return [d["kind"] for d in td.deleted]


# -- the whole environment ---------------------------------------------------------------
def test_check_mode_lists_everything_and_writes_nothing(world):
    td = teardown(check_mode=True)
    retained, remaining = td.run()
    assert world.writes() == []
    labels = [d["label"] for d in td.deleted]
    assert labels[0] == "scalable target p-dev/frontend"
    assert labels[-1] == "VPC p-dev-vpc (vpc-1)"
    assert "ECS cluster p-dev" in labels and "ECS cluster p-prod" not in labels
    assert "DNS record A app.example.com" in labels and "DNS record CNAME _v.app.example.com" in labels
    assert not any("www.example.com" in label for label in labels)
    assert "ECR repository p-dev/backend" in labels and "ECR repository p-prod/backend" not in labels
    assert "CloudWatch alarm p-dev-cpu" in labels and "CloudWatch alarm p-dev-other-env" not in labels
    assert "DB subnet group p-dev-db-subnets" in labels and "DB subnet group p-prod-db-subnets" not in labels
    # the automated snapshot goes with its cluster; the AWS-made log group goes by containment
    assert "Aurora cluster snapshot rds:p-dev-db-auto" not in labels
    assert "log group /aws/rds/cluster/p-dev-db/postgresql" in labels
    assert "delete ECR repository p-dev/backend and its 2 images" in td.actions
    assert f"delete 3 object version(s) of S3 bucket {LOG_BUCKET}" in td.actions
    assert f"S3 bucket {LOG_BUCKET}" in labels and "S3 bucket p-dev-notes" not in labels
    assert "scale ECS service frontend to 0 tasks" in td.actions
    assert retained == []  # the zone carries no environment tags: it is not the environment's
    assert remaining == []


def test_a_run_deletes_in_dependency_order_and_leaves_nothing(world):
    td = teardown()
    retained, remaining = td.run()
    assert (retained, remaining) == ([], [])
    writes = [f for _s, f in world.writes()]

    def first(function):
        return writes.index(function)

    assert first("delete_scaling_policy") < first("deregister_scalable_target") < first("update_service") \
        < first("delete_service") < first("deregister_task_definition") < first("delete_task_definitions") \
        < first("delete_namespace") < first("delete_cluster")
    assert first("change_record_sets") < first("disassociate_web_acl") < first("delete_logging_configuration") \
        < first("delete_web_acl") < first("delete_load_balancer") < first("delete_target_group") \
        < first("delete_certificate")
    assert first("delete_db_instance") < first("delete_db_cluster") < first("delete_automated_cluster_snapshot") \
        < first("delete_db_subnet_group") < first("delete_db_cluster_parameter_group")
    # RDS writes its log exports until the cluster is gone: that log group goes after it, the others before.
    log_deletes = [args[0] for args in world.write_args("delete_log_group")]
    rds_log = len(writes) - 1 - writes[::-1].index("delete_log_group")
    assert log_deletes[-1] == "/aws/rds/cluster/p-dev-db/postgresql"
    assert first("delete_log_group") < first("delete_db_cluster") < rds_log
    assert first("delete_vpc_endpoint") < first("delete_network_interface") < first("revoke_rules") \
        < first("delete_security_group") < first("disassociate_route_table") < first("delete_route_table") \
        < first("delete_subnet") < first("detach_internet_gateway") < first("delete_internet_gateway") \
        < first("delete_vpc")
    # only the stack's records, in one batch
    (zone_id, changes, _comment), = world.write_args("change_record_sets")
    assert zone_id == "Z1"
    assert sorted(c["ResourceRecordSet"]["Name"] for c in changes) == ["_v.app.example.com.", "app.example.com."]
    # no final snapshot outside production
    assert world.write_args("delete_db_cluster") == [("p-dev-db", )]
    assert td.snapshot_taken == ""
    # the revoked rules are the cross references only
    assert [a[1] for a in world.write_args("revoke_rules")] == ["egress", "ingress"]
    assert world.state["repos"] == {"p-prod/backend": {"tags": OTHER, "images": 5}}
    # the log bucket is emptied once its load balancer is gone, then deleted; the others stay
    assert first("delete_load_balancer") < first("delete_objects") < first("delete_bucket") < first("delete_vpc")
    assert world.write_args("delete_bucket") == [(LOG_BUCKET, )]
    assert sorted(world.state["buckets"]) == ["p-dev-notes", "p-prod-alb-logs-123456789012"]
    assert list(world.state["ecs_clusters"]) == ["p-prod"]


def test_a_second_run_is_a_no_op(world):
    teardown().run()
    world.calls.clear()
    td = teardown()
    assert td.run() == ([], [])
    assert world.writes() == [] and td.actions == [] and td.deleted == []


def test_an_empty_account_needs_no_write(monkeypatch):
    empty = environment()
    for key, value in empty.items():
        empty[key] = type(value)()
    w = World(empty)
    w.install(monkeypatch)
    td = teardown()
    assert td.run() == ([], [])
    assert w.writes() == []


# -- production rules ------------------------------------------------------------------------
def test_deletion_protection_refuses_before_any_write(world):
    world.state["db_clusters"]["p-dev-db"]["DeletionProtection"] = True
    world.state["lbs"][LB_ARN]["protected"] = True
    with pytest.raises(TeardownError) as refused:
        teardown().run()
    assert str(refused.value).startswith("refusing to tear down: load balancer p-dev-alb has deletion protection on; "
                                         "Aurora cluster p-dev-db has deletion protection on. Lift it explicitly")
    assert "nothing was deleted" in str(refused.value)
    assert world.writes() == []


def test_production_lifts_protection_takes_a_dated_final_snapshot_and_keeps_secrets_and_images(world):
    world.state["db_clusters"]["p-dev-db"]["DeletionProtection"] = True
    world.state["lbs"][LB_ARN]["protected"] = True
    td = teardown(lift_deletion_protection=True, final_snapshot=True, delete_parameters=False, delete_images=False,
                  delete_access_logs=False)
    retained, remaining = td.run()
    writes = [f for _s, f in world.writes()]
    assert writes.index("modify_db_cluster") < writes.index("delete_db_cluster")
    assert writes.index("modify_load_balancer_attributes") < writes.index("delete_load_balancer")
    assert ("p-dev-db", "p-dev-db-final-20261129-0705") not in world.write_args("delete_db_cluster")
    assert world.write_args("delete_db_cluster") == [("p-dev-db", "p-dev-final-20261129-0705")]
    assert td.snapshot_taken == "p-dev-final-20261129-0705"
    assert "delete_parameters" not in writes
    assert [r["label"] for r in retained] == [f"S3 bucket {LOG_BUCKET}",
                                              "Aurora cluster snapshot p-dev-final-20261129-0705",
                                              "SSM parameter /p/dev/db_password", "SSM parameter /p/dev/db_username",
                                              "ECR repository p-dev/backend"]
    assert retained[0]["reason"] == "holds 3 log objects: access logs are kept in production"
    assert retained[1]["reason"] == "the final snapshot of the Aurora cluster, taken by this teardown"
    assert LOG_BUCKET in world.state["buckets"]
    assert remaining == []
    # the empty repository goes, the one with images stays
    assert "p-dev/frontend" not in world.state["repos"] and "p-dev/backend" in world.state["repos"]


def test_check_mode_reports_the_final_snapshot_it_would_take(world):
    td = teardown(check_mode=True, final_snapshot=True)
    retained, _remaining = td.run()
    assert world.writes() == []
    assert "delete Aurora cluster p-dev-db with final snapshot p-dev-final-20261129-0705" in td.actions
    assert retained[-1]["label"] == "Aurora cluster snapshot p-dev-final-20261129-0705"


# -- what remains ------------------------------------------------------------------------------
def test_something_tagged_that_the_module_cannot_delete_remains(world):
    instance = ARN.format("ec2", "instance/i-1")
    world.state["index"][instance] = TAGS
    td = teardown()
    retained, remaining = td.run()
    assert remaining == [{"kind": "unknown", "name": instance, "id": instance, "label": f"resource {instance}"}]
    assert retained == []


def test_a_delete_that_does_not_take_is_reported_as_remaining(world):
    world.handlers[("ec2", "delete_vpc")] = lambda vpc_id: None  # says done, VPC still there
    _retained, remaining = teardown().run()
    assert [r["label"] for r in remaining] == ["VPC p-dev-vpc (vpc-1)"]


def test_the_tag_index_lagging_behind_a_deletion_is_not_a_leftover(world):
    # /ecs/p-dev/gone is in the index but not in CloudWatch Logs any more
    _retained, remaining = teardown().run()
    assert remaining == []
    assert ("logs", "describe_log_groups", ("/ecs/p-dev/gone",), {}) in world.calls


def test_the_hosted_zone_of_the_stack_is_deleted_only_when_asked(world):
    world.state["zone"]["tags"] = dict(TAGS)
    retained, _remaining = teardown().run()
    assert [r["label"] for r in retained] == ["hosted zone example.com (Z1)"]
    assert world.state["zone"] is not None
    td = teardown(delete_hosted_zone=True)
    assert td.run() == ([], [])
    assert world.state["zone"] is None
    # the records left in the zone (www) went with it, in one batch before the zone
    assert world.write_args("change_record_sets")[-1][1] == [
        {"Action": "DELETE", "ResourceRecordSet": {"Name": "www.example.com.", "Type": "CNAME", "TTL": 300,
                                                   "ResourceRecords": [{"Value": "elsewhere."}]}}]


# -- waits and failures ---------------------------------------------------------------------------
def test_a_wait_that_runs_out_of_time_fails_naming_what_it_waited_for(world):
    def start_deleting(ident, snapshot=None):
        world.state["db_clusters"][ident].update(Status="deleting")

    world.handlers[("rds", "delete_db_cluster")] = start_deleting
    td = teardown()
    with pytest.raises(TeardownError, match=r"timed out after 30 s waiting for the Aurora clusters to be deleted "
                                            r"\(p-dev-db deleting\); nothing is lost: run the teardown again"):
        td.run()
    assert "Aurora cluster p-dev-db" in [d["label"] for d in td.deleted]


def test_a_run_interrupted_while_the_cluster_was_deleting_only_waits(world):
    world.state["db_clusters"]["p-dev-db"]["Status"] = "deleting"
    world.state["db_instances"]["p-dev-db-1"]["DBInstanceStatus"] = "deleting"
    polls = {"n": 0}

    def describe_db_cluster(ident):  # AWS finishes the deletion after two polls
        polls["n"] += 1
        if polls["n"] > 2:
            world.state["db_clusters"].pop(ident, None)
        return world.state["db_clusters"].get(ident)

    world.handlers[("rds", "describe_db_cluster")] = describe_db_cluster
    world.handlers[("rds", "describe_db_instance")] = lambda ident: world.state["db_instances"].pop(ident, None)
    td = teardown()
    assert td.run() == ([], [])
    assert world.write_args("delete_db_cluster") == [] and world.write_args("delete_db_instance") == []
    assert polls["n"] == 3
    assert "Aurora cluster p-dev-db" in [d["label"] for d in td.deleted]


def test_a_failed_cloud_map_namespace_deletion_fails(world):
    world.state["operation_status"] = "FAIL"
    with pytest.raises(TeardownError, match=r"Cloud Map could not delete namespace p-dev\.internal:  namespace in use"):
        teardown().run()


def test_ecs_refusing_to_delete_task_definitions_fails(world):
    world.handlers[("ecs", "delete_task_definitions")] = lambda arns: [
        {"arn": arns[0], "reason": "The specified task definition is still in use"}]
    with pytest.raises(TeardownError, match=r"ECS refused to delete task definitions: .*still in use"):
        teardown().run()


# -- through main() -------------------------------------------------------------------------------------
@pytest.fixture
def main_world(monkeypatch, run_module, world):
    monkeypatch.setattr(module.SoloAwsModule, "client", lambda self, service: object())
    return world


def test_main_returns_the_three_lists(main_world, run_module):
    result = run_module(module, {**PARAMS}, check_mode=True)
    assert result["changed"] is True
    assert result["remaining"] == [] and result["final_snapshot_identifier"] == ""
    assert result["deleted"][0]["kind"] == "autoscaling-target"
    assert main_world.writes() == []


def test_main_reports_progress_when_aws_fails(main_world, run_module):
    error = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "DeleteDBCluster")
    main_world.fail[("rds", "delete_db_cluster")] = SoloAwsError("Failed to delete the DB cluster", error)
    with pytest.raises(ModuleFail) as failed:
        run_module(module, {**PARAMS})
    assert failed.value.result["msg"] == "Failed to delete the DB cluster"
    assert failed.value.result["exception"] is error
    assert "Aurora instance p-dev-db-1" in [d["label"] for d in failed.value.result["deleted"]]


def test_main_fails_on_a_refusal_with_nothing_deleted(main_world, run_module):
    main_world.state["db_clusters"]["p-dev-db"]["DeletionProtection"] = True
    with pytest.raises(ModuleFail) as failed:
        run_module(module, {**PARAMS})
    assert failed.value.result["msg"].startswith("refusing to tear down: Aurora cluster p-dev-db")
    assert failed.value.result["deleted"] == []


@pytest.mark.parametrize(("changes", "message"), [
    ({"project": " "}, "project must not be empty: the teardown finds the environment by it"),
    ({"name_prefix": ""}, "name_prefix must not be empty"),
    ({"parameter_path": "p/dev"}, "parameter_path = 'p/dev': give the environment's own path, e.g. /project/env"),
    ({"parameter_path": "/"}, "parameter_path = '/'"),
    ({"wait_timeout": 0}, "wait_timeout must be at least 1 and wait_delay at least 0 (seconds)"),
    ({"name_prefix": "p--dev", "final_snapshot": True}, "is not a valid DB snapshot identifier"),
])
def test_main_validates_its_input_before_any_call(main_world, run_module, changes, message):
    with pytest.raises(ModuleFail, match=message.replace("(", r"\(").replace(")", r"\)")):
        run_module(module, {**PARAMS, **changes})
    assert main_world.calls == []


def test_the_certificate_is_deleted_once_acm_sees_it_free(world):
    polls = {"n": 0}

    def describe_certificate(arn):  # still "in use" on the first poll after the load balancer went
        polls["n"] += 1
        certificate = world.state["certs"].get(arn)
        users = ["arn:aws:cloudfront::123456789012:distribution/E1"] if polls["n"] < 3 else []
        return dict(certificate, InUseBy=users) if certificate else None

    world.handlers[("acm", "describe_certificate")] = describe_certificate
    assert teardown().run() == ([], [])
    assert polls["n"] == 3 and world.state["certs"] == {}


def test_a_listener_of_the_deleted_load_balancer_does_not_hold_the_certificate(world):
    # The emulator never clears InUseBy; AWS clears it a while after the listener went.
    listener = ARN.format("elasticloadbalancing", "listener/app/p-dev-alb/1/2")
    world.handlers[("acm", "describe_certificate")] = lambda arn: (
        dict(world.state["certs"][arn], InUseBy=[listener]) if arn in world.state["certs"] else None)
    assert teardown().run() == ([], [])
    assert world.state["certs"] == {}


def test_a_certificate_still_in_use_times_out_before_the_delete(world):
    world.handlers[("acm", "describe_certificate")] = lambda arn: dict(world.state["certs"][arn], InUseBy=["elsewhere"])
    with pytest.raises(TeardownError, match="waiting for the certificates to be released by the deleted load "
                                            r"balancer \(app\.example\.com used by elsewhere\)"):
        teardown().run()
    assert world.write_args("delete_certificate") == []


def test_a_scalable_target_left_behind_by_a_deleted_cluster_is_found(world):
    world.state["ecs_clusters"].pop("p-dev")
    world.state["services"].clear()
    td = teardown()
    assert td.run() == ([], [])
    assert world.write_args("deregister_scalable_target") == [("service/p-dev/frontend",)]
    assert "service/p-prod/frontend" in world.state["targets"]


def test_the_alarm_key_is_scheduled_for_deletion_after_the_topic_and_a_rerun_finds_it_gone(world):
    world.state["event_subscriptions"] = {"p-dev-db-cluster-events": TAGS, "p-prod-db-cluster-events": OTHER}
    world.state["kms_keys"] = {"k-1": {"state": "Enabled", "tags": TAGS}, "k-9": {"state": "Enabled", "tags": OTHER}}
    world.state["kms_aliases"] = {"alias/p-dev-alarms": "k-1", "alias/p-prod-alarms": "k-9"}
    td = teardown()
    assert td.run() == ([], [])
    writes = [f for _s, f in world.writes()]
    assert writes.index("delete_event_subscription") < writes.index("delete_topic") < writes.index("delete_alias")
    assert writes.index("delete_alias") < writes.index("schedule_key_deletion")
    assert world.write_args("schedule_key_deletion") == [("k-1",)]
    assert "KMS key alias/p-dev-alarms (k-1)" in [d["label"] for d in td.deleted]
    assert list(world.state["event_subscriptions"]) == ["p-prod-db-cluster-events"]
    assert world.state["kms_keys"]["k-9"]["state"] == "Enabled"
    # A key pending deletion is gone: a second teardown does nothing.
    again = teardown()
    world.calls.clear()
    assert again.run() == ([], []) and world.writes() == []
