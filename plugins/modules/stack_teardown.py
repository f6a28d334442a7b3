#!/usr/bin/python
# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: stack_teardown
short_description: Remove every resource of one environment of the stack, in reverse dependency order
version_added: 0.1.0
description:
  - Finds the resources of one environment by their C(Project) and C(Environment) tags - through the Resource
    Groups Tagging API and through each service's own listing, since the tag index lags and some kinds are not
    in it - and by containment (the subnets of the environment's VPC, the services of its ECS cluster, the
    records that point at its load balancer, ...).
  - Deletes them in the reverse order of the deploy - auto scaling, ECS services (scaled to 0, deleted, waited
    for), task definitions, Cloud Map, the ECS cluster, alarms, RDS event subscriptions, the SNS topic, its KMS
    key (aliases deleted, the key scheduled for deletion after 7 days), log groups, IAM roles, DNS records, the
    web ACL, the load balancer, target groups, the certificate, the Aurora instances and cluster, the DB subnet
    and parameter groups, SSM parameters, ECR repositories, VPC endpoints, then the network - waiting, bounded
    by I(wait_timeout), wherever AWS deletes asynchronously.
  - Refuses, before deleting anything, when the Aurora cluster or the load balancer has deletion protection on
    and I(lift_deletion_protection) is false.
  - With I(final_snapshot) the Aurora cluster is deleted with a final snapshot named
    C(<name_prefix>-final-YYYYMMDD-HHMM) (UTC). Snapshots are never deleted; automated ones go with the cluster.
  - A resource that is not found counts as deleted, and one AWS is already deleting is only waited for, so a
    teardown interrupted anywhere and run again finishes the job; run on an empty account it changes nothing.
  - Afterwards it looks again; what is still there and kept on purpose is returned in C(retained) (snapshots,
    kept parameters, repositories holding images, the hosted zone), anything else tagged for the environment in
    C(remaining) - the caller fails on it.
  - In check mode nothing is written (only describe, list and get calls); C(deleted) lists what would be deleted.
author:
  - Solo Saving platform team (@solo-saving)
options:
  project:
    description: The C(Project) tag of the environment's resources.
    type: str
    required: true
  environment:
    description: The C(Environment) tag of the environment's resources.
    type: str
    required: true
  name_prefix:
    description: The prefix of the environment's resource names, e.g. C(solo-saving-dev); used to narrow listings.
    type: str
    required: true
  parameter_path:
    description: The SSM Parameter Store path of the environment (every parameter below it belongs to it).
    type: str
    default: ""
  delete_parameters:
    description: Delete the SSM parameters. False keeps them and reports them as retained.
    type: bool
    default: true
  delete_images:
    description: Delete ECR repositories together with their images. False keeps repositories that hold images.
    type: bool
    default: true
  delete_access_logs:
    description:
      - Empty and delete the stack's access log bucket (C(<prefix>-alb-logs-<account>)). False keeps it while it holds
        logs (they may be evidence), and reports it as retained.
    type: bool
    default: true
  hosted_zone_name:
    description: The public hosted zone holding the app's records; its records pointing at the environment are deleted.
    type: str
    default: ""
  delete_hosted_zone:
    description:
      - Delete the hosted zone too, with every record in it, when it carries the environment's tags (the stack
        created it). A zone without them is never deleted.
    type: bool
    default: false
  final_snapshot:
    description: Take a final snapshot of the Aurora cluster when deleting it.
    type: bool
    default: false
  lift_deletion_protection:
    description: Turn deletion protection off (Aurora cluster, load balancer) instead of refusing.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait, at most, for each asynchronous deletion before failing.
    type: int
    default: 1800
  wait_delay:
    description: Seconds between two polls while waiting.
    type: int
    default: 10
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Remove the dev environment.
  solo_saving.infra.stack_teardown:
    project: solo-saving
    environment: dev
    name_prefix: solo-saving-dev
    parameter_path: /solo-saving/dev
    hosted_zone_name: example.com
  register: teardown

- name: Remove prod, keeping a final snapshot, the parameters and the images.
  solo_saving.infra.stack_teardown:
    project: solo-saving
    environment: prod
    name_prefix: solo-saving-prod
    parameter_path: /solo-saving/prod
    hosted_zone_name: example.com
    final_snapshot: true
    lift_deletion_protection: true
    delete_parameters: false
    delete_images: false
"""

RETURN = r"""
deleted:
  description: What was deleted (in check mode, what would be), in the order of deletion.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: The kind of resource, e.g. C(ecs-service), C(db-cluster), C(vpc).
      type: str
    name:
      description: Its name.
      type: str
    id:
      description: Its identifier (id, name or ARN).
      type: str
    label:
      description: A readable label, e.g. C(Aurora cluster solo-saving-dev-db).
      type: str
retained:
  description: What is kept on purpose (snapshots, kept parameters and images, the hosted zone), with a C(reason).
  returned: always
  type: list
  elements: dict
remaining:
  description: Anything else still tagged for the environment (in check mode, what the module cannot delete).
  returned: always
  type: list
  elements: dict
final_snapshot_identifier:
  description: The final snapshot taken (or planned) of the Aurora cluster; empty when none.
  returned: always
  type: str
  sample: solo-saving-prod-final-20261129-1130
actions:
  description: What the run did (or, in check mode, would do), one sentence each.
  returned: always
  type: list
  elements: str
"""

import datetime
import time

from ansible_collections.solo_saving.infra.plugins.module_utils import (
    acm,
    cloudwatch,
    ec2,
    ecr,
    ecs,
    elbv2,
    iam,
    kms,
    logs,
    rds,
    route53,
    s3,
    sns,
    ssm,
    tagging,
    wafv2,
)
from ansible_collections.solo_saving.infra.plugins.module_utils import application_autoscaling as aas
from ansible_collections.solo_saving.infra.plugins.module_utils import servicediscovery as cloudmap
from ansible_collections.solo_saving.infra.plugins.module_utils.aws_module import SoloAwsModule
from ansible_collections.solo_saving.infra.plugins.module_utils.common import Plan, SoloAwsError, tag_dict
from ansible_collections.solo_saving.infra.plugins.module_utils.edge import dns_name, validation_records
from ansible_collections.solo_saving.infra.plugins.module_utils.teardown import (
    EXHAUSTIVE,
    ORDER,
    Resource,
    TeardownError,
    classify_arn,
    final_snapshot_identifier,
    is_apex_record,
    load_balancer_name,
    ordered,
    owned,
    permissions_with_group_references,
    retention_reason,
    split_outcome,
    stack_record,
)

CERTIFICATE_STATUSES = ("PENDING_VALIDATION", "ISSUED", "INACTIVE", "EXPIRED", "VALIDATION_TIMED_OUT", "REVOKED",
                        "FAILED")
LIVE_SERVICE_STATUSES = ("ACTIVE", "DRAINING")
WAF_SCOPE = "REGIONAL"
S3_DELETE_BATCH = s3.DELETE_BATCH


class StackTeardown(Plan):
    """Discover -> plan (refusals first) -> delete in order -> look again."""

    def __init__(self, client_factory, params, check_mode, now=None, sleep=time.sleep, clock=time.monotonic):
        self._factory = client_factory
        self._clients = {}
        self.params = params
        self.project = params["project"]
        self.environment = params["environment"]
        self.prefix = params["name_prefix"]
        super().__init__(check_mode)
        self.sleep = sleep
        self.clock = clock
        now = now or datetime.datetime.now(datetime.UTC)
        self.final_snapshot = final_snapshot_identifier(self.prefix, now) if params["final_snapshot"] else ""
        self.policy = {
            "delete_parameters": params["delete_parameters"],
            "delete_images": params["delete_images"],
            "delete_access_logs": params["delete_access_logs"],
            "delete_hosted_zone": params["delete_hosted_zone"],
            "final_snapshot_identifier": self.final_snapshot,
        }
        self.deleted = []
        self.snapshot_taken = ""
        # Cluster identifiers seen in this run: their snapshots are looked up after the clusters are gone.
        self.cluster_ids = set()
        # The environment's VPCs (their interfaces are waited for before the network goes).
        self.vpc_ids = set()
        # Web ACL ARN -> [(load balancer ARN, name)] it is associated with.
        self.acl_links = {}

    # -- helpers -------------------------------------------------------------------
    def client(self, service):
        if service not in self._clients:
            self._clients[service] = self._factory(service)
        return self._clients[service]

    def done(self, resource):
        self.deleted.append(resource.report())

    def ours(self, tags):
        return owned(tags, self.project, self.environment)

    def wait(self, what, probe):
        """Poll ``probe`` () -> (finished, state text) until it finishes; fail after wait_timeout seconds."""
        if self.check_mode:
            return
        timeout = self.params["wait_timeout"]
        deadline = self.clock() + timeout
        while True:
            finished, state = probe()
            if finished:
                return
            if self.clock() >= deadline:
                raise TeardownError(f"timed out after {timeout} s waiting for {what} ({state}); nothing is lost: "
                                    "run the teardown again to resume, or raise the wait timeout")
            self.sleep(self.params["wait_delay"])

    # -- discovery -------------------------------------------------------------------
    def discover(self):
        """Every resource of the environment found now, in deletion order."""
        index = tagging.get_resources(self.client("resourcegroupstaggingapi"),
                                      {"Project": self.project, "Environment": self.environment})
        claims, unknown = {}, []
        for arn in sorted(index):
            classified = classify_arn(arn)
            if classified is None:
                continue
            kind, ident = classified
            if kind == "unknown":
                unknown.append(Resource("unknown", arn))
            else:
                claims.setdefault(kind, set()).add(ident)
        found = {}

        def add(resources):
            for resource in resources:
                found.setdefault(resource.key, resource)

        network = self.discover_network()
        add(network)
        vpc_ids = [r.ident for r in network if r.kind == "vpc"]
        clusters, services = self.discover_ecs()
        add(clusters + services)
        add(self.discover_task_definitions(services, claims.get("task-definition", set())))
        add(self.discover_autoscaling([r.ident for r in clusters]))
        add(self.discover_cloudmap(services))
        edge = self.discover_edge()
        add(edge)
        add(self.discover_dns(edge, claims.get("hosted-zone", set())))
        database = self.discover_database(vpc_ids)
        add(database)
        add(self.discover_logs([r.ident for r in clusters], [r.ident for r in database if r.kind == "db-cluster"]))
        add(self.discover_monitoring())
        add(self.discover_iam())
        add(self.discover_parameters())
        add(self.discover_repositories())
        for kind in sorted(claims):
            if kind in EXHAUSTIVE or kind == "hosted-zone":
                continue
            for ident in sorted(claims[kind]):
                if (kind, ident) not in found:
                    add([r for r in [self.verify(kind, ident)] if r is not None])
        return ordered(list(found.values()) + unknown)

    def discover_network(self):
        c = self.client("ec2")
        found = []
        vpcs = ec2.describe_vpcs(c, tag__Project=self.project, tag__Environment=self.environment)
        vpc_ids = [v["VpcId"] for v in vpcs]
        self.vpc_ids.update(vpc_ids)
        for vpc in vpcs:
            found.append(Resource("vpc", vpc["VpcId"], tag_dict(vpc.get("Tags")).get("Name", vpc["VpcId"])))
        igws = {g["InternetGatewayId"]: g for g in ec2.describe_internet_gateways(
            c, tag__Project=self.project, tag__Environment=self.environment)}
        if vpc_ids:
            endpoint_enis = set()
            for endpoint in ec2.describe_vpc_endpoints(c, vpc_id=vpc_ids):
                endpoint_enis.update(endpoint.get("NetworkInterfaceIds", []))
                found.append(Resource("vpc-endpoint", endpoint["VpcEndpointId"],
                                      endpoint.get("ServiceName", "").rsplit(".", 1)[-1] or endpoint["VpcEndpointId"]))
            for nat in ec2.describe_nat_gateways(c, vpc_id=vpc_ids, state=["pending", "available"]):
                found.append(Resource("nat-gateway", nat["NatGatewayId"]))
            for flow_log in ec2.describe_flow_logs(c, resource_id=vpc_ids):
                found.append(Resource("flow-log", flow_log["FlowLogId"],
                                      tag_dict(flow_log.get("Tags")).get("Name", flow_log["FlowLogId"])))
            for eni in ec2.describe_network_interfaces(c, vpc_id=vpc_ids):
                if eni["NetworkInterfaceId"] not in endpoint_enis:  # they go with their endpoint
                    found.append(self._eni(eni))
            for group in ec2.describe_security_groups(c, vpc_id=vpc_ids):
                if group["GroupName"] != "default":
                    found.append(Resource("security-group", group["GroupId"], group["GroupName"], data=group))
            for subnet in ec2.describe_subnets(c, vpc_id=vpc_ids):
                found.append(Resource("subnet", subnet["SubnetId"],
                                      tag_dict(subnet.get("Tags")).get("Name", subnet["SubnetId"])))
            for table in ec2.describe_route_tables(c, vpc_id=vpc_ids):
                if any(a.get("Main") for a in table.get("Associations", [])):
                    continue  # the main route table goes with the VPC
                associations = [a["RouteTableAssociationId"] for a in table.get("Associations", [])
                                if a.get("SubnetId")]
                found.append(Resource("route-table", table["RouteTableId"],
                                      tag_dict(table.get("Tags")).get("Name", table["RouteTableId"]),
                                      data={"associations": associations}))
            igws.update({g["InternetGatewayId"]: g for g in ec2.describe_internet_gateways(
                c, attachment__vpc_id=vpc_ids)})
        for igw_id, igw in sorted(igws.items()):
            found.append(Resource("internet-gateway", igw_id, tag_dict(igw.get("Tags")).get("Name", igw_id),
                                  data={"vpcs": [a["VpcId"] for a in igw.get("Attachments", []) if a.get("VpcId")]}))
        return found

    @staticmethod
    def _eni(eni):
        data = {"status": eni.get("Status"), "requester_managed": bool(eni.get("RequesterManaged")),
                "description": eni.get("Description") or "", "vpc_id": eni.get("VpcId")}
        return Resource("network-interface", eni["NetworkInterfaceId"], data=data)

    def discover_ecs(self):
        c = self.client("ecs")
        clusters, services = [], []
        arns = ecs.list_cluster_arns(c)
        for cluster in (ecs.describe_clusters(c, arns) if arns else []):
            if cluster.get("status") == "INACTIVE" or not self.ours(tag_dict(cluster.get("tags"))):
                continue
            name = cluster["clusterName"]
            clusters.append(Resource("ecs-cluster", name))
            service_arns = ecs.list_service_arns(c, name) or []
            described = ecs.describe_services(c, name, service_arns) if service_arns else {}
            for _svc_name, svc in sorted(described.items()):
                if svc.get("status") in LIVE_SERVICE_STATUSES:
                    services.append(self._service(name, svc))
        return clusters, services

    @staticmethod
    def _service(cluster, svc):
        definitions = {svc.get("taskDefinition")} | {d.get("taskDefinition") for d in svc.get("deployments", [])}
        data = {"cluster": cluster, "service": svc["serviceName"], "desired": svc.get("desiredCount", 0),
                "status": svc.get("status"),
                "families": sorted({d.rsplit("/", 1)[-1].rsplit(":", 1)[0] for d in definitions if d}),
                "registries": sorted(r["registryArn"] for r in svc.get("serviceRegistries", [])
                                     if r.get("registryArn"))}
        return Resource("ecs-service", f"{cluster}/{svc['serviceName']}", svc["serviceName"], data=data)

    def discover_task_definitions(self, services, claimed):
        c = self.client("ecs")
        families = {f for s in services for f in s.data["families"]}
        families |= {ident.rsplit(":", 1)[0] for ident in claimed}
        revisions = {}
        for family in sorted(set(ecs.list_task_definition_families(c, f"{self.prefix}-")) - families):
            # A family of the prefix that no service of the environment uses: its tags decide.
            arns = self._revisions(c, family)
            if arns:
                newest = max(arns, key=lambda a: int(a[0].rsplit(":", 1)[-1]))
                described = ecs.describe_task_definition(c, newest[0])
                if described and self.ours(tag_dict(described[1])):
                    revisions[family] = arns
        for family in sorted(families):
            revisions[family] = self._revisions(c, family)
        found = []
        for family in sorted(revisions):
            for arn, status in sorted(revisions[family], key=lambda a: int(a[0].rsplit(":", 1)[-1])):
                ident = arn.rsplit("/", 1)[-1]
                found.append(Resource("task-definition", ident, data={"arn": arn, "status": status}))
        return found

    @staticmethod
    def _revisions(c, family):
        return ([(a, "ACTIVE") for a in ecs.list_task_definition_arns(c, family, "ACTIVE")]
                + [(a, "INACTIVE") for a in ecs.list_task_definition_arns(c, family, "INACTIVE")])

    def discover_autoscaling(self, cluster_names):
        c = self.client("application-autoscaling")
        found = []
        for target in aas.list_ecs_scalable_targets(c):
            parts = target["ResourceId"].split("/")
            # The targets of the environment's clusters, and those left behind by a cluster of its prefix
            # that is already gone (a teardown interrupted earlier).
            if len(parts) == 3 and parts[0] == "service" and (
                    parts[1] in cluster_names or parts[1] == self.prefix or parts[1].startswith(f"{self.prefix}-")):
                policies = [p["PolicyName"] for p in aas.describe_scaling_policies(c, target["ResourceId"])]
                found.append(Resource("autoscaling-target", target["ResourceId"], f"{parts[1]}/{parts[2]}",
                                      data={"policies": policies}))
        return found

    def discover_cloudmap(self, services):
        c = self.client("servicediscovery")
        found = []
        for namespace in cloudmap.list_private_dns_namespaces(c):
            if not self.ours(tag_dict(cloudmap.list_tags(c, namespace["Arn"]))):
                continue
            found.append(Resource("cloudmap-namespace", namespace["Id"], namespace["Name"]))
            for service in cloudmap.list_services(c, namespace["Id"]):
                found.append(Resource("cloudmap-service", service["Id"], service["Name"],
                                      data={"namespace": namespace["Id"]}))
        known = {r.ident for r in found}
        for registry in sorted({arn for s in services for arn in s.data["registries"]}):
            service_id = registry.rsplit("/", 1)[-1]
            if service_id not in known:
                service = cloudmap.get_service(c, service_id)
                if service:
                    found.append(Resource("cloudmap-service", service_id, service["Name"],
                                          data={"namespace": service.get("NamespaceId")}))
        return found

    def discover_edge(self):
        c = self.client("elbv2")
        found = []
        balancers = elbv2.describe_all_load_balancers(c)
        groups = elbv2.describe_all_target_groups(c)
        tags = elbv2.describe_tags_batched(c, [b["LoadBalancerArn"] for b in balancers]
                                           + [g["TargetGroupArn"] for g in groups]) if balancers or groups else {}
        ours = []
        waf = self.client("wafv2")
        for balancer in balancers:
            arn = balancer["LoadBalancerArn"]
            if not self.ours(tags.get(arn)):
                continue
            attributes = elbv2.describe_load_balancer_attributes(c, arn)
            acl = wafv2.get_web_acl_for_resource(waf, arn) if balancer.get("Type") == "application" else None
            ours.append(arn)
            found.append(Resource("load-balancer", arn, balancer["LoadBalancerName"], data={
                "dns_name": dns_name(balancer.get("DNSName", "")),
                "protected": str(attributes.get("deletion_protection.enabled", "false")).lower() == "true",
                "web_acl_arn": (acl or {}).get("ARN")}))
        for group in groups:
            arn = group["TargetGroupArn"]
            if self.ours(tags.get(arn)) or set(group.get("LoadBalancerArns", [])) & set(ours):
                found.append(Resource("target-group", arn, group["TargetGroupName"]))
        for acl in wafv2.list_web_acls(waf, WAF_SCOPE):
            if not acl["Name"].startswith(self.prefix) or not self.ours(wafv2.list_web_acl_tags(waf, acl["ARN"])):
                continue
            logging = wafv2.get_logging_configuration(waf, acl["ARN"])
            found.append(Resource("web-acl", acl["ARN"], acl["Name"],
                                  data={"id": acl["Id"], "name": acl["Name"], "logging": bool(logging)}))
        found.extend(self.discover_buckets())
        c = self.client("acm")
        for summary in acm.list_certificates(c, CERTIFICATE_STATUSES):
            arn = summary["CertificateArn"]
            if not self.ours(acm.list_certificate_tags(c, arn)):
                continue
            certificate = acm.describe_certificate(c, arn) or {}
            found.append(Resource("certificate", arn, summary.get("DomainName", arn),
                                  data={"validation": validation_records(certificate) or []}))
        return found

    def discover_buckets(self):
        """The stack's access log buckets: named after the prefix, tagged for the environment."""
        c = self.client("s3")
        found = []
        for name in s3.list_buckets(c, f"{self.prefix}-"):
            bucket = self._bucket(name)
            if bucket is not None:
                found.append(bucket)
        return found

    def _bucket(self, name):
        c = self.client("s3")
        if s3.head_bucket(c, name) is None:
            return None
        if not self.ours(tag_dict(s3.get_bucket_tagging(c, name) or [])):
            return None
        versions = s3.list_object_versions(c, name) or []
        return Resource("s3-bucket", name, data={"object_count": len(versions), "versions": versions})

    def discover_dns(self, edge, claimed_zones):
        c = self.client("route53")
        zones = {}
        if self.params["hosted_zone_name"]:
            for zone in route53.list_hosted_zones_by_name(c, self.params["hosted_zone_name"]):
                if not (zone.get("Config") or {}).get("PrivateZone"):
                    zones[zone["Id"]] = dns_name(zone["Name"])
        for zone_id in sorted(claimed_zones - set(zones)):
            records = route53.list_all_record_sets(c, zone_id)
            if records is not None:
                soa = [r for r in records if r["Type"] == "SOA"]
                zones[zone_id] = dns_name(soa[0]["Name"]) if soa else zone_id
        alb_names = {r.data["dns_name"] for r in edge if r.kind == "load-balancer"}
        validation = {(v["name"], v["type"]): v["values"] for r in edge if r.kind == "certificate"
                      for v in r.data["validation"]}
        found = []
        for zone_id, zone_name in sorted(zones.items()):
            records = route53.list_all_record_sets(c, zone_id) or []
            owned_zone = self.ours(route53.list_zone_tags(c, zone_id))
            if owned_zone:
                found.append(Resource("hosted-zone", zone_id, zone_name,
                                      data={"records": [r for r in records if not is_apex_record(r, zone_name)]}))
            for record in records:
                name = dns_name(record["Name"])
                if not stack_record(record, self.prefix, alb_names, validation):
                    continue
                found.append(Resource("dns-record", f"{zone_id} {record['Type']} {name}", f"{record['Type']} {name}",
                                      data={"zone_id": zone_id, "rrset": record}))
        return found

    def discover_database(self, vpc_ids):
        c = self.client("rds")
        found = []
        groups = {"subnet": set(), "parameter": set()}
        for cluster in rds.describe_db_clusters(c):
            if not self.ours(tag_dict(cluster.get("TagList"))):
                continue
            ident = cluster["DBClusterIdentifier"]
            self.cluster_ids.add(ident)
            for member in rds.describe_cluster_instances(c, ident):
                found.append(Resource("db-instance", member["DBInstanceIdentifier"],
                                      data={"status": member.get("DBInstanceStatus"), "cluster": ident}))
            found.append(Resource("db-cluster", ident, data={
                "status": cluster.get("Status"), "protected": bool(cluster.get("DeletionProtection"))}))
            if cluster.get("DBSubnetGroup"):
                groups["subnet"].add(cluster["DBSubnetGroup"])
            if cluster.get("DBClusterParameterGroup", "").startswith("default."):
                pass
            elif cluster.get("DBClusterParameterGroup"):
                groups["parameter"].add(cluster["DBClusterParameterGroup"])
        for ident in sorted(self.cluster_ids):
            found.extend(self._snapshots(rds.describe_db_cluster_snapshots(c, cluster_identifier=ident) or []))
        for group in rds.describe_db_subnet_groups(c):
            name = group["DBSubnetGroupName"]
            if name in groups["subnet"] or group.get("VpcId") in vpc_ids or (
                    name.startswith(f"{self.prefix}-")
                    and self.ours(tag_dict(rds.list_tags(c, group["DBSubnetGroupArn"])))):
                found.append(Resource("db-subnet-group", name))
        for group in rds.describe_db_cluster_parameter_groups(c):
            name = group["DBClusterParameterGroupName"]
            if name in groups["parameter"] or (name.startswith(f"{self.prefix}-") and self.ours(
                    tag_dict(rds.list_tags(c, group["DBClusterParameterGroupArn"])))):
                found.append(Resource("db-parameter-group", name))
        return found

    def _snapshots(self, snapshots):
        """Manual snapshots (kept), and automated ones whose cluster is gone (AWS removes them with the cluster)."""
        found = []
        live = None
        for snapshot in snapshots:
            if snapshot.get("SnapshotType") == "automated":
                if live is None:
                    live = {cl["DBClusterIdentifier"] for cl in rds.describe_db_clusters(self.client("rds"))}
                if snapshot.get("DBClusterIdentifier") in live:
                    continue
            found.append(Resource("db-snapshot", snapshot["DBClusterSnapshotIdentifier"], data={
                "SnapshotType": snapshot.get("SnapshotType"), "cluster": snapshot.get("DBClusterIdentifier")}))
        return found

    def discover_logs(self, ecs_clusters, db_clusters):
        c = self.client("logs")
        found = []
        # Created by AWS for the environment's clusters, untagged: theirs by name. RDS writes its exports
        # until the cluster is deleted, so those go after it (db-log-group), or RDS creates them again.
        contained = [("log-group", f"/aws/ecs/containerinsights/{name}/") for name in ecs_clusters]
        contained += [("db-log-group", f"/aws/rds/cluster/{ident}/") for ident in db_clusters]
        for kind, prefix in contained:
            found.extend(Resource(kind, name) for name in sorted(logs.describe_log_groups(c, prefix)))
        for prefix in (f"/ecs/{self.prefix}", f"/aws/ecs/{self.prefix}", self.prefix, f"aws-waf-logs-{self.prefix}"):
            for name in sorted(logs.describe_log_groups(c, prefix)):
                if self.ours(logs.list_tags(c, name)):
                    found.append(Resource("log-group", name))
        return found

    def discover_monitoring(self):
        found = []
        c = self.client("cloudwatch")
        for name, alarm in sorted(cloudwatch.describe_alarms(c, f"{self.prefix}-").items()):
            if self.ours(tag_dict(cloudwatch.list_tags(c, alarm["AlarmArn"]))):
                found.append(Resource("alarm", name))
        c = self.client("rds")
        for sub in rds.describe_event_subscriptions(c):
            name = sub["CustSubscriptionId"]
            tags = tag_dict(rds.list_tags(c, sub["EventSubscriptionArn"]))
            if name.startswith(f"{self.prefix}-") and self.ours(tags):
                found.append(Resource("rds-event-subscription", name))
        c = self.client("sns")
        for arn in sns.list_topic_arns(c):
            name = arn.rsplit(":", 1)[-1]
            if name.startswith(self.prefix) and self.ours(tag_dict(sns.list_tags(c, arn))):
                found.append(Resource("sns-topic", arn, name))
        c = self.client("kms")
        aliases = {}
        for alias in kms.list_aliases(c, f"alias/{self.prefix}-"):
            aliases.setdefault(alias["TargetKeyId"], []).append(alias["AliasName"])
        for key_id, names in sorted(aliases.items()):
            key = self._kms_key(key_id, names)
            if key is not None and self.ours(key.data["tags"]):
                found.append(key)
        return found

    def _kms_key(self, key_id, aliases=None):
        """A customer key still usable (a key pending deletion counts as gone: AWS deletes it after its window)."""
        c = self.client("kms")
        metadata = kms.describe_key(c, key_id)
        if metadata is None or metadata.get("KeyManager") != "CUSTOMER" or \
                metadata.get("KeyState") in ("PendingDeletion", "PendingReplicaDeletion"):
            return None
        if aliases is None:
            aliases = [a["AliasName"] for a in kms.list_aliases(c, "alias/") if a["TargetKeyId"] == metadata["KeyId"]]
        tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(c, metadata["KeyId"])}
        return Resource("kms-key", metadata["KeyId"], ", ".join(sorted(aliases)) or metadata["KeyId"],
                        data={"aliases": sorted(aliases), "tags": tags})

    def discover_iam(self):
        c = self.client("iam")
        found = []
        for role in iam.list_roles(c):
            name = role["RoleName"]
            if not name.startswith(f"{self.prefix}-") or not self.ours(tag_dict(iam.list_role_tags(c, name))):
                continue
            found.append(Resource("iam-role", name, data={
                "attached": iam.attached_policies(c, name),
                "inline": sorted(iam.inline_policies(c, name)),
                "profiles": iam.instance_profiles_for_role(c, name) or []}))
        return found

    def discover_parameters(self):
        path = self.params["parameter_path"]
        if not path:
            return []
        return [Resource("ssm-parameter", p["Name"])
                for p in sorted(ssm.describe_parameters_under(self.client("ssm"), path), key=lambda p: p["Name"])]

    def discover_repositories(self):
        c = self.client("ecr")
        found = []
        for repo in ecr.describe_all_repositories(c):
            name = repo["repositoryName"]
            if not name.startswith((f"{self.prefix}/", f"{self.prefix}-")):
                continue
            if self.ours(ecr.list_tags(c, repo["repositoryArn"])):
                found.append(Resource("ecr-repository", name, data={"image_count": ecr.count_images(c, name) or 0}))
        return found

    def verify(self, kind, ident):
        """The resource a tag index entry names, if it still exists (the index lags behind deletions)."""
        if kind == "task-definition":
            described = ecs.describe_task_definition(self.client("ecs"), ident)
            if described and described[0].get("status") in ("ACTIVE", "INACTIVE"):
                return Resource(kind, ident, data={"arn": described[0]["taskDefinitionArn"],
                                                   "status": described[0]["status"]})
            return None
        if kind == "ecs-service":
            cluster, _sep, name = ident.rpartition("/")
            svc = (ecs.describe_services(self.client("ecs"), cluster, [name]) or {}).get(name) if cluster else None
            return self._service(cluster, svc) if svc and svc.get("status") in LIVE_SERVICE_STATUSES else None
        if kind == "cloudmap-service":
            service = cloudmap.get_service(self.client("servicediscovery"), ident)
            if not service:
                return None
            return Resource(kind, ident, service["Name"], data={"namespace": service.get("NamespaceId")})
        if kind in ("log-group", "db-log-group"):
            return Resource(kind, ident) if ident in logs.describe_log_groups(self.client("logs"), ident) else None
        if kind == "ssm-parameter":
            return Resource(kind, ident) if ident in ssm.describe_parameters(self.client("ssm"), [ident]) else None
        if kind == "kms-key":
            return self._kms_key(ident)
        if kind == "alarm":
            alarms = cloudwatch.describe_alarms(self.client("cloudwatch"), ident)
            return Resource(kind, ident) if ident in alarms else None
        if kind == "db-instance":
            member = rds.describe_db_instance(self.client("rds"), ident)
            return Resource(kind, ident, data={"status": member.get("DBInstanceStatus"),
                                               "cluster": member.get("DBClusterIdentifier")}) if member else None
        if kind == "db-snapshot":
            snapshots = rds.describe_db_cluster_snapshots(self.client("rds"), snapshot_identifier=ident) or []
            found = self._snapshots(snapshots)
            return found[0] if found else None
        return self._verify_ec2(kind, ident)

    def _verify_ec2(self, kind, ident):
        c = self.client("ec2")
        if kind == "vpc":
            return Resource(kind, ident) if ec2.describe_vpcs(c, vpc_id=ident) else None
        if kind == "subnet":
            return Resource(kind, ident) if ec2.describe_subnets(c, subnet_id=ident) else None
        if kind == "security-group":
            groups = ec2.describe_security_groups(c, group_id=ident)
            return Resource(kind, ident, groups[0]["GroupName"], data=groups[0]) if groups else None
        if kind == "route-table":
            tables = ec2.describe_route_tables(c, route_table_id=ident)
            if not tables or any(a.get("Main") for a in tables[0].get("Associations", [])):
                return None
            return Resource(kind, ident, data={"associations": [
                a["RouteTableAssociationId"] for a in tables[0].get("Associations", []) if a.get("SubnetId")]})
        if kind == "internet-gateway":
            igws = ec2.describe_internet_gateways(c, internet_gateway_id=ident)
            return Resource(kind, ident, data={"vpcs": [a["VpcId"] for a in igws[0].get("Attachments", [])]}) \
                if igws else None
        if kind == "vpc-endpoint":
            return Resource(kind, ident) if ec2.describe_vpc_endpoints(c, vpc_endpoint_id=ident) else None
        if kind == "flow-log":
            return Resource(kind, ident) if ec2.describe_flow_logs(c, flow_log_id=ident) else None
        if kind == "nat-gateway":
            return Resource(kind, ident) if ec2.describe_nat_gateways(c, nat_gateway_id=ident,
                                                                      state=["pending", "available"]) else None
        if kind == "network-interface":
            enis = ec2.describe_network_interfaces(c, network_interface_id=ident)
            return self._eni(enis[0]) if enis else None
        return None

    # -- plan ---------------------------------------------------------------------------
    def refusals(self, resources):
        """What stops the teardown before anything is deleted."""
        if self.params["lift_deletion_protection"]:
            return []
        return [f"{r.label} has deletion protection on" for r in resources
                if r.kind in ("db-cluster", "load-balancer") and r.data.get("protected")]

    # -- deletion ---------------------------------------------------------------------------
    def run(self):
        found = self.discover()
        for balancer in (r for r in found if r.kind == "load-balancer" and r.data.get("web_acl_arn")):
            self.acl_links.setdefault(balancer.data["web_acl_arn"], []).append((balancer.ident, balancer.name))
        refused = self.refusals(found)
        if refused:
            raise TeardownError("refusing to tear down: " + "; ".join(refused) + ". Lift it explicitly "
                                "(lift_deletion_protection, or -e teardown_lift_deletion_protection=true with "
                                "playbooks/teardown.yml) once you are sure the data is no longer needed or a final "
                                "snapshot is taken; nothing was deleted")
        to_delete = [r for r in found if r.kind != "unknown" and not retention_reason(r, self.policy)]
        by_kind = {}
        for resource in to_delete:
            by_kind.setdefault(resource.kind, []).append(resource)
        if "vpc" in by_kind:
            # Subnets and security groups go only once AWS has released every interface in the VPC (those of
            # the endpoints, load balancer, tasks and database deleted above): wait for them even if none was
            # there when the teardown looked.
            by_kind.setdefault("network-interface", [])
        for kind in ORDER:
            if kind in by_kind and kind != "unknown":
                getattr(self, "delete_" + kind.replace("-", "_"))(by_kind[kind])
        if self.check_mode:
            retained, remaining = [], []
            for resource in found:
                reason = retention_reason(resource, self.policy)
                if reason:
                    retained.append(resource.report(reason))
                elif resource.kind == "unknown":
                    remaining.append(resource.report())
            if by_kind.get("db-cluster") and self.final_snapshot:
                retained.append(Resource("db-snapshot", self.final_snapshot).report(
                    retention_reason(Resource("db-snapshot", self.final_snapshot), self.policy)))
            return retained, remaining
        if not self.actions:
            return split_outcome(found, self.policy)  # nothing changed: the first look is the last
        return split_outcome(self.discover(), self.policy)

    # Each delete_<kind> takes the resources of that kind, in order.
    def delete_autoscaling_target(self, targets):
        c = self.client("application-autoscaling")
        for target in targets:
            for policy in target.data["policies"]:
                self.act(f"delete scaling policy {policy} of {target.name}", aas.delete_scaling_policy, c,
                         target.ident, policy)
            self.act(f"deregister the scalable target of ECS service {target.name}", aas.deregister_scalable_target,
                     c, target.ident)
            self.done(target)

    def delete_ecs_service(self, services):
        c = self.client("ecs")
        for service in services:
            cluster, name = service.data["cluster"], service.data["service"]
            if service.data["desired"] and service.data["status"] == "ACTIVE":
                self.act(f"scale ECS service {name} to 0 tasks", ecs.update_service, c,
                         {"cluster": cluster, "service": name, "desiredCount": 0})
            if service.data["status"] == "ACTIVE":
                self.act(f"delete ECS service {name}", ecs.delete_service, c, cluster, name)
            self.done(service)

        def probe():
            live = []
            for service in services:
                cluster, name = service.data["cluster"], service.data["service"]
                current = (ecs.describe_services(c, cluster, [name]) or {}).get(name)
                if current and current.get("status") in LIVE_SERVICE_STATUSES:
                    live.append(f"{name} {current['status']}, {current.get('runningCount', 0)} running")
            return not live, ", ".join(live)

        self.wait("the ECS services to stop", probe)

    def delete_task_definition(self, definitions):
        c = self.client("ecs")
        for definition in definitions:
            if definition.data["status"] == "ACTIVE":
                self.act(f"deregister task definition {definition.ident}", ecs.deregister_task_definition, c,
                         definition.data["arn"])
        arns = [d.data["arn"] for d in definitions]
        failures = self.act(f"delete task definition revisions {', '.join(d.ident for d in definitions)}",
                            ecs.delete_task_definitions, c, arns)
        if failures:
            raise TeardownError("ECS refused to delete task definitions: " + "; ".join(
                f"{f.get('arn', '?')}: {f.get('reason', '?')} {f.get('detail', '')}".strip() for f in failures))
        for definition in definitions:
            self.done(definition)

    def delete_cloudmap_service(self, services):
        c = self.client("servicediscovery")
        for service in services:
            if not self.check_mode:
                # ECS deregisters the instances of the services it deleted; anything left blocks the delete.
                for instance in cloudmap.list_instances(c, service.ident) or []:
                    self.act(f"deregister instance {instance['Id']} from Cloud Map service {service.name}",
                             cloudmap.deregister_instance, c, service.ident, instance["Id"])
            self.act(f"delete Cloud Map service {service.name}", cloudmap.delete_service, c, service.ident)
            self.done(service)

    def delete_cloudmap_namespace(self, namespaces):
        c = self.client("servicediscovery")
        for namespace in namespaces:
            operation_id = self.act(f"delete Cloud Map namespace {namespace.name}", cloudmap.delete_namespace, c,
                                    namespace.ident)
            self.done(namespace)
            if operation_id:
                def probe(operation_id=operation_id, namespace=namespace):
                    operation = cloudmap.get_operation(c, operation_id)
                    status = operation.get("Status")
                    if status == "FAIL":
                        raise TeardownError(f"Cloud Map could not delete namespace {namespace.name}: "
                                            f"{operation.get('ErrorCode', '')} {operation.get('ErrorMessage', '')}")
                    return status == "SUCCESS", f"operation {operation_id} {status}"

                self.wait(f"Cloud Map namespace {namespace.name} to be deleted", probe)

    def delete_ecs_cluster(self, clusters):
        c = self.client("ecs")
        for cluster in clusters:
            if not self.check_mode:
                for task in ecs.running_task_arns(c, cluster.ident) or []:
                    self.act(f"stop task {task.rsplit('/', 1)[-1]} of ECS cluster {cluster.name}", ecs.stop_task, c,
                             cluster.ident, task, "Environment teardown")
            self.act(f"delete ECS cluster {cluster.name}", ecs.delete_cluster, c, cluster.ident)
            self.done(cluster)

    def delete_alarm(self, alarms):
        self.act(f"delete CloudWatch alarms {', '.join(a.name for a in alarms)}", cloudwatch.delete_alarms,
                 self.client("cloudwatch"), [a.ident for a in alarms])
        for alarm in alarms:
            self.done(alarm)

    def delete_rds_event_subscription(self, subscriptions):
        for sub in subscriptions:
            self.act(f"delete RDS event subscription {sub.name}", rds.delete_event_subscription, self.client("rds"),
                     sub.ident)
            self.done(sub)

    def delete_sns_topic(self, topics):
        for topic in topics:
            self.act(f"delete SNS topic {topic.name} and its subscriptions", sns.delete_topic, self.client("sns"),
                     topic.ident)
            self.done(topic)

    def delete_kms_key(self, keys):
        # AWS never deletes a key at once: it is unusable from now on and deleted after the shortest window.
        c = self.client("kms")
        for key in keys:
            for alias in key.data.get("aliases", []):
                self.act(f"delete KMS alias {alias}", kms.delete_alias, c, alias)
            self.act(f"schedule the deletion of KMS key {key.ident} in {kms.MIN_PENDING_WINDOW_DAYS} days",
                     kms.schedule_key_deletion, c, key.ident)
            self.done(key)

    def delete_log_group(self, groups):
        for group in groups:
            self.act(f"delete log group {group.name}", logs.delete_log_group, self.client("logs"), group.ident)
            self.done(group)

    delete_db_log_group = delete_log_group

    def delete_iam_role(self, roles):
        c = self.client("iam")
        for role in roles:
            for profile in role.data["profiles"]:
                self.act(f"remove IAM role {role.name} from instance profile {profile}",
                         iam.remove_role_from_instance_profile, c, profile, role.ident)
            for arn in role.data["attached"]:
                self.act(f"detach {arn} from IAM role {role.name}", iam.detach_role_policy, c, role.ident, arn)
            for policy in role.data["inline"]:
                self.act(f"delete inline policy {policy} of IAM role {role.name}", iam.delete_role_policy, c,
                         role.ident, policy)
            self.act(f"delete IAM role {role.name}", iam.delete_role, c, role.ident)
            self.done(role)

    def delete_dns_record(self, records):
        c = self.client("route53")
        by_zone = {}
        for record in records:
            self.act(f"delete DNS record {record.name}")
            change = {"Action": "DELETE", "ResourceRecordSet": record.data["rrset"]}
            by_zone.setdefault(record.data["zone_id"], []).append(change)
            self.done(record)
        if not self.check_mode:
            for zone_id, changes in sorted(by_zone.items()):
                self._delete_records(c, zone_id, changes)

    @staticmethod
    def _delete_records(c, zone_id, changes):
        """DELETE in one batch; a record someone changed meanwhile fails the batch: read again and retry once."""
        try:
            route53.change_record_sets(c, zone_id, changes, "solo_saving.infra teardown")
        except SoloAwsError:
            current = {(r["Name"], r["Type"]): r for r in route53.list_all_record_sets(c, zone_id) or []}
            fresh = [{"Action": "DELETE", "ResourceRecordSet": current[key]} for key in
                     ((ch["ResourceRecordSet"]["Name"], ch["ResourceRecordSet"]["Type"]) for ch in changes)
                     if key in current]
            if fresh:
                route53.change_record_sets(c, zone_id, fresh, "solo_saving.infra teardown")

    def delete_web_acl(self, acls):
        c = self.client("wafv2")
        balancers = self.acl_links
        for acl in acls:
            for balancer_arn, balancer_name in balancers.get(acl.ident, []):
                self.act(f"disassociate web ACL {acl.name} from load balancer {balancer_name}",
                         wafv2.disassociate_web_acl, c, balancer_arn)
            if acl.data["logging"]:
                self.act(f"delete the logging configuration of web ACL {acl.name}",
                         wafv2.delete_logging_configuration, c, acl.ident)
            self.act(f"delete web ACL {acl.name}")
            if not self.check_mode:
                current = wafv2.get_web_acl(c, acl.data["name"], WAF_SCOPE, acl.data["id"])
                if current:
                    wafv2.delete_web_acl(c, acl.data["name"], WAF_SCOPE, acl.data["id"], current[1])
            self.done(acl)

    def delete_load_balancer(self, balancers):
        c = self.client("elbv2")
        for balancer in balancers:
            if balancer.data["protected"]:
                self.act(f"turn off deletion protection of load balancer {balancer.name}",
                         elbv2.modify_load_balancer_attributes, c, balancer.ident,
                         {"deletion_protection.enabled": "false"})
            self.act(f"delete load balancer {balancer.name} with its listeners", elbv2.delete_load_balancer, c,
                     balancer.ident)
            self.done(balancer)

        def probe():
            left = [b.name for b in balancers if elbv2.describe_load_balancers(c, [b.name])]
            return not left, "still there: " + ", ".join(left)

        self.wait("the load balancers to be deleted", probe)

    def _load_balancer_gone(self, arn):
        name = load_balancer_name(arn)
        return bool(name) and not elbv2.describe_load_balancers(self.client("elbv2"), [name])

    def delete_s3_bucket(self, buckets):
        c = self.client("s3")
        for bucket in buckets:
            # Listed again: the load balancer may have written its last logs since discovery.
            versions = s3.list_object_versions(c, bucket.ident) if not self.check_mode else bucket.data["versions"]
            for start in range(0, len(versions or []), S3_DELETE_BATCH):
                batch = versions[start:start + S3_DELETE_BATCH]
                self.act(f"delete {len(batch)} object version(s) of S3 bucket {bucket.name}", s3.delete_objects, c,
                         bucket.ident, batch)
            self.act(f"delete S3 bucket {bucket.name}", s3.delete_bucket, c, bucket.ident)
            self.done(bucket)

    def delete_target_group(self, groups):
        for group in groups:
            self.act(f"delete target group {group.name}", elbv2.delete_target_group, self.client("elbv2"),
                     group.ident)
            self.done(group)

    def delete_certificate(self, certificates):
        c = self.client("acm")

        def probe():
            # ACM notices a while after a listener is gone that the certificate is free (the emulator never
            # does): a user that is a listener of a load balancer that no longer exists does not count, and
            # DeleteCertificate retries while ACM still says "in use".
            used = []
            for cert in certificates:
                current = acm.describe_certificate(c, cert.ident) or {}
                users = [u for u in current.get("InUseBy", []) if not self._load_balancer_gone(u)]
                if users:
                    used.append(f"{cert.name} used by {', '.join(users)}")
            return not used, "; ".join(used)

        self.wait("the certificates to be released by the deleted load balancer", probe)
        for certificate in certificates:
            self.act(f"delete ACM certificate {certificate.name}", acm.delete_certificate, c, certificate.ident)
            self.done(certificate)

    def delete_db_instance(self, members):
        c = self.client("rds")
        for member in members:
            if member.data["status"] != "deleting":
                self.act(f"delete Aurora instance {member.name}", rds.delete_db_instance, c, member.ident)
            self.done(member)

        def probe():
            left = [f"{m.name} {current.get('DBInstanceStatus')}" for m in members
                    for current in [rds.describe_db_instance(c, m.ident)] if current]
            return not left, ", ".join(left)

        self.wait("the Aurora instances to be deleted", probe)

    def delete_db_cluster(self, clusters):
        c = self.client("rds")
        for cluster in clusters:
            if cluster.data["protected"]:
                self.act(f"turn off deletion protection of Aurora cluster {cluster.name}", rds.modify_db_cluster, c,
                         cluster.ident, DeletionProtection=False, ApplyImmediately=True)
            if cluster.data["status"] != "deleting":
                snapshot = self.final_snapshot
                if snapshot:
                    self.act(f"delete Aurora cluster {cluster.name} with final snapshot {snapshot}",
                             rds.delete_db_cluster, c, cluster.ident, snapshot)
                    self.snapshot_taken = snapshot
                else:
                    self.act(f"delete Aurora cluster {cluster.name} without a final snapshot", rds.delete_db_cluster,
                             c, cluster.ident)
            self.done(cluster)

        def probe():
            left = [f"{cl.name} {current.get('Status')}" for cl in clusters
                    for current in [rds.describe_db_cluster(c, cl.ident)] if current]
            return not left, ", ".join(left)

        self.wait("the Aurora clusters to be deleted", probe)
        if not self.check_mode:
            # AWS removes automated snapshots with the cluster (DeleteAutomatedBackups); the emulator keeps them.
            for cluster in clusters:
                for snapshot in self._snapshots(rds.describe_db_cluster_snapshots(c, cluster_identifier=cluster.ident)
                                                or []):
                    if snapshot.data["SnapshotType"] == "automated":
                        self.delete_db_snapshot([snapshot])

    def delete_db_snapshot(self, snapshots):
        for snapshot in snapshots:  # only automated ones reach here: manual snapshots are retained
            self.act(f"delete automated snapshot {snapshot.name} of the deleted cluster",
                     rds.delete_automated_cluster_snapshot, self.client("rds"), snapshot.ident)
            self.done(snapshot)

    def delete_db_subnet_group(self, groups):
        for group in groups:
            self.act(f"delete DB subnet group {group.name}", rds.delete_db_subnet_group, self.client("rds"),
                     group.ident)
            self.done(group)

    def delete_db_parameter_group(self, groups):
        for group in groups:
            self.act(f"delete DB cluster parameter group {group.name}", rds.delete_db_cluster_parameter_group,
                     self.client("rds"), group.ident)
            self.done(group)

    def delete_ssm_parameter(self, parameters):
        self.act(f"delete SSM parameters {', '.join(p.name for p in parameters)}", ssm.delete_parameters,
                 self.client("ssm"), [p.ident for p in parameters])
        for parameter in parameters:
            self.done(parameter)

    def delete_ecr_repository(self, repositories):
        for repo in repositories:
            count = repo.data["image_count"]
            images = f" and its {count} image{'s' if count != 1 else ''}" if count else ""
            self.act(f"delete ECR repository {repo.name}{images}", ecr.delete_repository, self.client("ecr"),
                     repo.ident, True)
            self.done(repo)

    def delete_vpc_endpoint(self, endpoints):
        for endpoint in endpoints:
            self.act(f"delete VPC endpoint {endpoint.name} ({endpoint.ident})", ec2.delete_vpc_endpoint,
                     self.client("ec2"), endpoint.ident)
            self.done(endpoint)

    def delete_flow_log(self, flow_logs):
        for flow_log in flow_logs:
            self.act(f"delete VPC flow log {flow_log.name} ({flow_log.ident})", ec2.delete_flow_log,
                     self.client("ec2"), flow_log.ident)
            self.done(flow_log)

    def delete_nat_gateway(self, gateways):
        c = self.client("ec2")
        for gateway in gateways:
            self.act(f"delete NAT gateway {gateway.ident}", ec2.delete_nat_gateway, c, gateway.ident)
            self.done(gateway)

        def probe():
            left = ec2.describe_nat_gateways(c, nat_gateway_id=[g.ident for g in gateways],
                                             state=["pending", "available", "deleting"])
            return not left, ", ".join(f"{n['NatGatewayId']} {n['State']}" for n in left)

        self.wait("the NAT gateways to be deleted", probe)

    def delete_network_interface(self, interfaces):
        """Delete detached interfaces; wait for AWS to release those of deleted load balancers, endpoints, tasks."""
        c = self.client("ec2")
        vpc_ids = sorted({i.data["vpc_id"] for i in interfaces if i.data.get("vpc_id")} | self.vpc_ids)
        for interface in interfaces:
            if interface.data["status"] == "available" and not interface.data["requester_managed"]:
                self.act(f"delete detached network interface {interface.ident}", ec2.delete_network_interface, c,
                         interface.ident)
                self.done(interface)

        def probe():
            left = []
            for eni in ec2.describe_network_interfaces(c, vpc_id=vpc_ids):
                if eni.get("Status") == "available" and not eni.get("RequesterManaged"):
                    ec2.delete_network_interface(c, eni["NetworkInterfaceId"])
                    continue
                left.append(f"{eni['NetworkInterfaceId']} {eni.get('Status')} {eni.get('Description') or ''}".strip())
            return not left, "; ".join(left)

        if vpc_ids:
            self.wait("AWS to release the network interfaces of the deleted services", probe)

    def delete_security_group(self, groups):
        c = self.client("ec2")
        for group in groups:
            for direction, key in (("ingress", "IpPermissions"), ("egress", "IpPermissionsEgress")):
                references = permissions_with_group_references(group.data.get(key))
                if references:
                    self.act(f"revoke the {direction} rules of security group {group.name} that reference other groups",
                             ec2.revoke_rules, c, group.ident, direction, references)
        for group in groups:
            self.act(f"delete security group {group.name}", ec2.delete_security_group, c, group.ident)
            self.done(group)

    def delete_subnet(self, subnets):
        for subnet in subnets:
            self.act(f"delete subnet {subnet.name}", ec2.delete_subnet, self.client("ec2"), subnet.ident)
            self.done(subnet)

    def delete_route_table(self, tables):
        c = self.client("ec2")
        for table in tables:
            # AWS drops the association of a deleted subnet; the emulator keeps it and refuses the delete.
            for association in table.data.get("associations", []):
                self.act(f"disassociate {association} from route table {table.name}", ec2.disassociate_route_table, c,
                         association)
            self.act(f"delete route table {table.name}", ec2.delete_route_table, c, table.ident)
            self.done(table)

    def delete_internet_gateway(self, gateways):
        c = self.client("ec2")
        for gateway in gateways:
            for vpc_id in gateway.data["vpcs"]:
                self.act(f"detach internet gateway {gateway.name} from {vpc_id}", ec2.detach_internet_gateway, c,
                         gateway.ident, vpc_id)
            self.act(f"delete internet gateway {gateway.name}", ec2.delete_internet_gateway, c, gateway.ident)
            self.done(gateway)

    def delete_vpc(self, vpcs):
        for vpc in vpcs:
            self.act(f"delete VPC {vpc.name}", ec2.delete_vpc, self.client("ec2"), vpc.ident)
            self.done(vpc)

    def delete_hosted_zone(self, zones):
        c = self.client("route53")
        for zone in zones:
            if zone.data["records"]:
                self.act(f"delete the {len(zone.data['records'])} records left in hosted zone {zone.name}")
                if not self.check_mode:
                    # Read again: the records of the stack were deleted a moment ago.
                    left = [r for r in route53.list_all_record_sets(c, zone.ident) or []
                            if not is_apex_record(r, zone.name)]
                    if left:
                        self._delete_records(c, zone.ident,
                                             [{"Action": "DELETE", "ResourceRecordSet": r} for r in left])
            self.act(f"delete hosted zone {zone.name}", route53.delete_hosted_zone, c, zone.ident)
            self.done(zone)


def main():
    argument_spec = dict(
        project=dict(type="str", required=True),
        environment=dict(type="str", required=True),
        name_prefix=dict(type="str", required=True),
        parameter_path=dict(type="str", default=""),
        delete_parameters=dict(type="bool", default=True),
        delete_images=dict(type="bool", default=True),
        delete_access_logs=dict(type="bool", default=True),
        hosted_zone_name=dict(type="str", default=""),
        delete_hosted_zone=dict(type="bool", default=False),
        final_snapshot=dict(type="bool", default=False),
        lift_deletion_protection=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=1800),
        wait_delay=dict(type="int", default=10),
    )
    module = SoloAwsModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    for key in ("project", "environment", "name_prefix"):
        if not params[key].strip():
            module.fail_json(msg=f"{key} must not be empty: the teardown finds the environment by it")
    path = params["parameter_path"]
    if path and (not path.startswith("/") or path.rstrip("/") == ""):
        module.fail_json(msg=f"parameter_path = {path!r}: give the environment's own path, e.g. /project/env")
    if params["wait_timeout"] < 1 or params["wait_delay"] < 0:
        module.fail_json(msg="wait_timeout must be at least 1 and wait_delay at least 0 (seconds)")

    try:
        teardown = StackTeardown(module.client, params, module.check_mode)
    except TeardownError as e:
        module.fail_json(msg=str(e))
    try:
        retained, remaining = teardown.run()
    except TeardownError as e:
        progress = dict(actions=teardown.actions, deleted=teardown.deleted)
        module.fail_json(msg=str(e), **progress)
    except SoloAwsError as e:
        progress = dict(actions=teardown.actions, deleted=teardown.deleted)
        if e.exception is not None:
            module.fail_json_aws(e.exception, msg=e.message, **progress)
        module.fail_json(msg=e.message, **progress)
    module.exit_json(changed=bool(teardown.actions), actions=teardown.actions, deleted=teardown.deleted,
                     retained=retained, remaining=remaining,
                     final_snapshot_identifier=teardown.snapshot_taken)


if __name__ == "__main__":
    main()
