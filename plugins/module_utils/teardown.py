# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers of the stack_teardown module: kinds, deletion order, ARNs, retention, report lines.

No AWS calls here: unit-tested directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ansible_collections.solo_saving.infra.plugins.module_utils.edge import dns_name

# Kinds of resource in deletion order: everything that depends on something comes before it.
# Each kind is a reverse step of the deploy (services, edge, database, secrets, registry,
# endpoints, network); the hosted zone, which outlives everything else, goes last.
ORDER = (
    "autoscaling-target",   # before the services: auto scaling would fight the scale-in
    "ecs-service",
    "task-definition",
    "cloudmap-service",     # ECS deregisters its instances when the service goes
    "cloudmap-namespace",
    "ecs-cluster",
    "alarm",
    "rds-event-subscription",  # before the topic it notifies
    "sns-topic",
    "flow-log",             # stops writing before its log group and delivery role go
    "kms-key",              # the alarm topic's key, once the topic is gone: aliases deleted, key scheduled for deletion
    "log-group",
    "iam-role",
    "dns-record",           # the alias to the ALB and the certificate's validation records
    "web-acl",              # disassociated from the ALB first
    "load-balancer",        # its listeners and rules go with it
    "s3-bucket",            # the ALB's access logs, emptied once the load balancer stopped writing
    "target-group",         # free once the load balancer is gone
    "certificate",          # free once the listener is gone
    "db-instance",
    "db-cluster",           # after its instances; final snapshot here
    "db-log-group",         # RDS writes /aws/rds/cluster/<id>/... until its cluster is gone
    "db-snapshot",
    "db-subnet-group",      # free once the cluster is gone
    "db-parameter-group",
    "ssm-parameter",
    "ecr-repository",
    "vpc-endpoint",
    "nat-gateway",
    "network-interface",    # what deleted services leave behind, released by AWS
    "security-group",       # cross-references revoked first
    "route-table",          # its subnets disassociated first (they fall back to the main table)
    "subnet",
    "internet-gateway",     # detached, then deleted
    "vpc",
    "hosted-zone",
    "unknown",              # tagged for the environment, but nothing this module knows how to delete
)

LABELS = {
    "autoscaling-target": "scalable target",
    "ecs-service": "ECS service",
    "task-definition": "task definition",
    "cloudmap-service": "Cloud Map service",
    "cloudmap-namespace": "Cloud Map namespace",
    "ecs-cluster": "ECS cluster",
    "alarm": "CloudWatch alarm",
    "rds-event-subscription": "RDS event subscription",
    "sns-topic": "SNS topic",
    "flow-log": "VPC flow log",
    "kms-key": "KMS key",
    "log-group": "log group",
    "db-log-group": "log group",
    "iam-role": "IAM role",
    "dns-record": "DNS record",
    "web-acl": "web ACL",
    "load-balancer": "load balancer",
    "s3-bucket": "S3 bucket",
    "target-group": "target group",
    "certificate": "ACM certificate",
    "db-instance": "Aurora instance",
    "db-cluster": "Aurora cluster",
    "db-snapshot": "Aurora cluster snapshot",
    "db-subnet-group": "DB subnet group",
    "db-parameter-group": "DB cluster parameter group",
    "ssm-parameter": "SSM parameter",
    "ecr-repository": "ECR repository",
    "vpc-endpoint": "VPC endpoint",
    "nat-gateway": "NAT gateway",
    "network-interface": "network interface",
    "security-group": "security group",
    "subnet": "subnet",
    "route-table": "route table",
    "internet-gateway": "internet gateway",
    "vpc": "VPC",
    "hosted-zone": "hosted zone",
    "unknown": "resource",
}

# Kinds whose discovery lists every resource of the kind in the region (then filters by tags): an
# ARN of the tag index that discovery did not see does not exist any more (the index lags).
EXHAUSTIVE = frozenset((
    "autoscaling-target", "ecs-cluster", "cloudmap-namespace", "sns-topic", "iam-role", "web-acl",
    "load-balancer", "target-group", "certificate", "db-cluster", "db-subnet-group", "db-parameter-group",
    "ecr-repository", "rds-event-subscription", "s3-bucket",
))

SNAPSHOT_ID_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]{0,254}$")


class TeardownError(Exception):
    """A teardown the module refuses, or a wait that ran out of time."""


@dataclass
class Resource:
    """One resource of the environment. ``ident`` is what the delete call takes."""

    kind: str
    ident: str
    name: str = ""
    data: dict = field(default_factory=dict)

    def __post_init__(self):
        if not self.name:
            self.name = self.ident

    @property
    def key(self):
        return (self.kind, self.ident)

    @property
    def label(self):
        text = f"{LABELS[self.kind]} {self.name}"
        # Short AWS ids (vpc-..., sg-...) help; ARNs and composite keys only repeat the name.
        if self.ident == self.name or self.ident.startswith("arn:") or " " in self.ident or "/" in self.ident:
            return text
        return f"{text} ({self.ident})"

    def report(self, reason=None):
        entry = {"kind": self.kind, "name": self.name, "id": self.ident, "label": self.label}
        if reason:
            entry["reason"] = reason
        return entry


def ordered(resources):
    """Resources sorted into deletion order (stable within a kind)."""
    rank = {kind: n for n, kind in enumerate(ORDER)}
    return sorted(resources, key=lambda r: rank[r.kind])


def owned(tags, project, environment):
    """True when ``tags`` (a dict) mark a resource of this project and environment."""
    tags = tags or {}
    return tags.get("Project") == project and tags.get("Environment") == environment


def final_snapshot_identifier(name_prefix, now):
    """``<prefix>-final-YYYYMMDD-HHMM`` (UTC), a valid DB cluster snapshot identifier."""
    identifier = f"{name_prefix}-final-{now:%Y%m%d-%H%M}"
    if not SNAPSHOT_ID_RE.match(identifier) or "--" in identifier:
        raise TeardownError(f"the final snapshot identifier {identifier} is not a valid DB snapshot identifier "
                            "(a letter, then letters, digits and single hyphens): check stack_name_prefix")
    return identifier


def _ssm_name(rest):
    # Parameter ARNs drop the leading slash of hierarchical names.
    return "/" + rest if "/" in rest else rest


def classify_arn(arn):
    """(kind, ident) of an ARN from the tag index; ("unknown", arn) for what the module does not handle.

    ``None`` for parts deleted with their parent (listeners and rules go with the load balancer).
    """
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return ("unknown", arn)
    service, resource = parts[2], parts[5]
    head, _sep, rest = resource.partition("/")
    if service == "ec2":
        kinds = {"vpc": "vpc", "subnet": "subnet", "security-group": "security-group", "route-table": "route-table",
                 "internet-gateway": "internet-gateway", "vpc-endpoint": "vpc-endpoint", "natgateway": "nat-gateway",
                 "network-interface": "network-interface", "vpc-flow-log": "flow-log",
                 "flow-logs": "flow-log"}  # AWS's ARN says vpc-flow-log, the emulator's tag index flow-logs
        if head in kinds and rest:
            return (kinds[head], rest)
    elif service == "rds":
        rtype, _sep, ident = resource.partition(":")
        kinds = {"cluster": "db-cluster", "db": "db-instance", "cluster-snapshot": "db-snapshot",
                 "subgrp": "db-subnet-group", "cluster-pg": "db-parameter-group", "es": "rds-event-subscription"}
        if rtype in kinds and ident:
            return (kinds[rtype], ident)
    elif service == "ecs":
        if head == "cluster" and rest:
            return ("ecs-cluster", rest)
        if head == "service" and rest:
            return ("ecs-service", rest)
        if head == "task-definition" and rest:
            return ("task-definition", rest)
    elif service == "elasticloadbalancing":
        if head == "loadbalancer":
            return ("load-balancer", arn)
        if head == "targetgroup":
            return ("target-group", arn)
        if head in ("listener", "listener-rule"):
            return None
    elif service == "acm" and head == "certificate":
        return ("certificate", arn)
    elif service == "logs" and resource.startswith("log-group:"):
        name = resource[len("log-group:"):]
        return ("log-group", name[:-2] if name.endswith(":*") else name)
    elif service == "ssm" and head == "parameter" and rest:
        return ("ssm-parameter", _ssm_name(rest))
    elif service == "sns" and "/" not in resource:
        return ("sns-topic", arn)
    elif service == "s3" and resource and "/" not in resource:
        return ("s3-bucket", resource)
    elif service == "kms" and head == "key" and rest:
        return ("kms-key", rest)
    elif service == "cloudwatch" and resource.startswith("alarm:"):
        return ("alarm", resource[len("alarm:"):])
    elif service == "ecr" and head == "repository" and rest:
        return ("ecr-repository", rest)
    elif service == "wafv2" and "/webacl/" in f"/{resource}":
        return ("web-acl", arn)
    elif service == "servicediscovery":
        if head == "namespace" and rest:
            return ("cloudmap-namespace", rest)
        if head == "service" and rest:
            return ("cloudmap-service", rest)
    elif service == "iam" and head == "role" and rest:
        return ("iam-role", rest.rsplit("/", 1)[-1])
    elif service == "route53" and head == "hostedzone" and rest:
        return ("hosted-zone", rest)
    elif service == "application-autoscaling":
        return ("autoscaling-target", arn)
    return ("unknown", arn)


def retention_reason(resource, policy):
    """Why ``resource`` is kept (a sentence), or None when the teardown deletes it.

    ``policy``: delete_parameters, delete_images, delete_access_logs, delete_hosted_zone (booleans) and
    final_snapshot_identifier (or None).
    """
    kind, data = resource.kind, resource.data
    if kind == "db-snapshot":
        if data.get("SnapshotType") == "automated":
            return None
        if resource.ident == policy.get("final_snapshot_identifier"):
            return "the final snapshot of the Aurora cluster, taken by this teardown"
        return "a manual snapshot: the teardown never deletes snapshots (delete it by hand when it is not needed)"
    if kind == "ssm-parameter" and not policy.get("delete_parameters"):
        return "parameters are kept in production (the master password opens the final snapshot)"
    if kind == "ecr-repository" and not policy.get("delete_images") and data.get("image_count"):
        count = data["image_count"]
        return f"holds {count} image{'s' if count != 1 else ''}: images are kept in production"
    if kind == "s3-bucket" and not policy.get("delete_access_logs", True) and data.get("object_count"):
        count = data["object_count"]
        return f"holds {count} log object{'s' if count != 1 else ''}: access logs are kept in production"
    if kind == "hosted-zone" and not policy.get("delete_hosted_zone"):
        return "the hosted zone is kept (its delegation at the registrar would break)"
    return None


def split_outcome(resources, policy):
    """(retained report entries, remaining report entries) of the resources found after a teardown."""
    retained, remaining = [], []
    for resource in ordered(resources):
        reason = retention_reason(resource, policy)
        if reason:
            retained.append(resource.report(reason))
        else:
            remaining.append(resource.report())
    return retained, remaining


def alb_alias_target(dns, name_prefix, alb_dns_names):
    """True when an alias target's DNS name is one of the stack's load balancers.

    A load balancer already deleted (a teardown interrupted and run again) is
    recognised by its name: ALB DNS names are ``<name>-<id>.<region>.elb.amazonaws.com``
    (``internal-`` first for an internal one) and the stack's names start with the prefix.
    """
    name = str(dns or "").rstrip(".").lower()
    if name.startswith("dualstack."):
        name = name[len("dualstack."):]
    if name in alb_dns_names:
        return True
    bare = name[len("internal-"):] if name.startswith("internal-") else name
    return bare.startswith(f"{name_prefix.lower()}-") and name.endswith(".elb.amazonaws.com")


def load_balancer_name(arn):
    """The load balancer name in a load balancer, listener or listener rule ARN; None for other ARNs."""
    parts = str(arn).split(":", 5)
    if len(parts) < 6 or parts[2] != "elasticloadbalancing":
        return None
    segments = parts[5].split("/")
    if segments[0] in ("loadbalancer", "listener", "listener-rule") and len(segments) >= 3:
        return segments[2]
    return None


def is_apex_record(record, zone_name):
    """The zone's own NS and SOA records, which go with the zone."""
    return record["Type"] in ("NS", "SOA") and dns_name(record["Name"]) == dns_name(zone_name)


def stack_record(record, name_prefix, alb_dns_names, validation):
    """True for a record the stack wrote: an alias to one of its load balancers, or a validation record.

    ``validation``: {(name, type): [values]} of the stack's certificates' DNS validation records.
    """
    alias = record.get("AliasTarget")
    if alias:
        return alb_alias_target(alias.get("DNSName"), name_prefix, alb_dns_names)
    key = (dns_name(record["Name"]), record["Type"])
    values = sorted(dns_name(v["Value"]) for v in record.get("ResourceRecords", []))
    return key in validation and values == sorted(validation[key])


def permissions_with_group_references(permissions):
    """The part of each IpPermission that references security groups (what blocks deleting them)."""
    result = []
    for perm in permissions or []:
        pairs = [{k: v for k, v in pair.items() if k in ("GroupId", "UserId")}
                 for pair in perm.get("UserIdGroupPairs") or []]
        if not pairs:
            continue
        entry = {"IpProtocol": perm["IpProtocol"], "UserIdGroupPairs": pairs}
        for key in ("FromPort", "ToPort"):
            if key in perm:
                entry[key] = perm[key]
        result.append(entry)
    return result
