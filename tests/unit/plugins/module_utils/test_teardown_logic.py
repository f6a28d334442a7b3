"""Pure helpers of stack_teardown: order, ARNs, retention, records, security group references."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.solo_saving.infra.plugins.module_utils.teardown import (
    ORDER,
    Resource,
    TeardownError,
    alb_alias_target,
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

ACCOUNT = "arn:aws:{}:ap-northeast-1:123456789012:{}"


def test_order_puts_dependents_first():
    before = [
        ("autoscaling-target", "ecs-service"),   # auto scaling would fight the scale-in
        ("ecs-service", "task-definition"),
        ("ecs-service", "cloudmap-service"),
        ("cloudmap-service", "cloudmap-namespace"),
        ("ecs-service", "ecs-cluster"),
        ("dns-record", "load-balancer"),
        ("web-acl", "load-balancer"),
        ("load-balancer", "target-group"),
        ("load-balancer", "s3-bucket"),          # the ALB writes its access logs until it is gone
        ("load-balancer", "certificate"),
        ("db-instance", "db-cluster"),
        ("sns-topic", "kms-key"),
        ("rds-event-subscription", "sns-topic"),                # the topic encrypts with the key until it is gone
        ("db-cluster", "db-subnet-group"),
        ("db-cluster", "db-parameter-group"),
        ("ecs-service", "security-group"),
        ("vpc-endpoint", "security-group"),
        ("network-interface", "subnet"),
        ("route-table", "subnet"),               # disassociated, then the subnet goes
        ("subnet", "vpc"),
        ("internet-gateway", "vpc"),
        ("vpc", "hosted-zone"),
    ]
    for first, then in before:
        assert ORDER.index(first) < ORDER.index(then), (first, then)


def test_ordered_is_stable_within_a_kind():
    resources = [Resource("vpc", "vpc-1"), Resource("subnet", "b"), Resource("ecs-service", "c/s"),
                 Resource("subnet", "a")]
    assert [r.ident for r in ordered(resources)] == ["c/s", "b", "a", "vpc-1"]


@pytest.mark.parametrize(("arn", "expected"), [
    (ACCOUNT.format("ec2", "vpc/vpc-1"), ("vpc", "vpc-1")),
    (ACCOUNT.format("ec2", "subnet/subnet-1"), ("subnet", "subnet-1")),
    (ACCOUNT.format("ec2", "security-group/sg-1"), ("security-group", "sg-1")),
    (ACCOUNT.format("ec2", "natgateway/nat-1"), ("nat-gateway", "nat-1")),
    (ACCOUNT.format("ec2", "vpc-flow-log/fl-1"), ("flow-log", "fl-1")),
    (ACCOUNT.format("ec2", "flow-logs/fl-1"), ("flow-log", "fl-1")),
    (ACCOUNT.format("ec2", "instance/i-1"), ("unknown", ACCOUNT.format("ec2", "instance/i-1"))),
    (ACCOUNT.format("rds", "cluster:x-db"), ("db-cluster", "x-db")),
    (ACCOUNT.format("rds", "db:x-db-1"), ("db-instance", "x-db-1")),
    (ACCOUNT.format("rds", "cluster-snapshot:rds:x-db-2026-01-01-00-00"),
     ("db-snapshot", "rds:x-db-2026-01-01-00-00")),
    (ACCOUNT.format("rds", "subgrp:x-db-subnets"), ("db-subnet-group", "x-db-subnets")),
    (ACCOUNT.format("rds", "cluster-pg:x-pg"), ("db-parameter-group", "x-pg")),
    (ACCOUNT.format("ecs", "cluster/x"), ("ecs-cluster", "x")),
    (ACCOUNT.format("ecs", "service/x/frontend"), ("ecs-service", "x/frontend")),
    (ACCOUNT.format("ecs", "task-definition/x-frontend:3"), ("task-definition", "x-frontend:3")),
    (ACCOUNT.format("elasticloadbalancing", "loadbalancer/app/x-alb/1"),
     ("load-balancer", ACCOUNT.format("elasticloadbalancing", "loadbalancer/app/x-alb/1"))),
    (ACCOUNT.format("elasticloadbalancing", "listener/app/x-alb/1/2"), None),
    (ACCOUNT.format("logs", "log-group:/ecs/x/frontend:*"), ("log-group", "/ecs/x/frontend")),
    (ACCOUNT.format("logs", "log-group:aws-waf-logs-x"), ("log-group", "aws-waf-logs-x")),
    (ACCOUNT.format("ssm", "parameter/solo-saving/dev/db_password"), ("ssm-parameter", "/solo-saving/dev/db_password")),
    (ACCOUNT.format("ssm", "parameter/flat"), ("ssm-parameter", "flat")),
    (ACCOUNT.format("sns", "x-alarms"), ("sns-topic", ACCOUNT.format("sns", "x-alarms"))),
    (ACCOUNT.format("cloudwatch", "alarm:x-cpu"), ("alarm", "x-cpu")),
    (ACCOUNT.format("kms", "key/1234abcd-12ab"), ("kms-key", "1234abcd-12ab")),
    (ACCOUNT.format("rds", "es:x-db-cluster-events"), ("rds-event-subscription", "x-db-cluster-events")),
    (ACCOUNT.format("ecr", "repository/x/backend"), ("ecr-repository", "x/backend")),
    (ACCOUNT.format("wafv2", "regional/webacl/x-waf/1"),
     ("web-acl", ACCOUNT.format("wafv2", "regional/webacl/x-waf/1"))),
    (ACCOUNT.format("servicediscovery", "namespace/ns-1"), ("cloudmap-namespace", "ns-1")),
    (ACCOUNT.format("servicediscovery", "service/srv-1"), ("cloudmap-service", "srv-1")),
    ("arn:aws:iam::123456789012:role/path/x-task", ("iam-role", "x-task")),
    ("arn:aws:route53:::hostedzone/Z1", ("hosted-zone", "Z1")),
    ("arn:aws:s3:::x-alb-logs-123456789012", ("s3-bucket", "x-alb-logs-123456789012")),
    ("arn:aws:s3:::x-alb-logs-123456789012/alb/key", ("unknown", "arn:aws:s3:::x-alb-logs-123456789012/alb/key")),
    (ACCOUNT.format("lambda", "function:x"), ("unknown", ACCOUNT.format("lambda", "function:x"))),
    ("not-an-arn", ("unknown", "not-an-arn")),
])
def test_classify_arn(arn, expected):
    assert classify_arn(arn) == expected


def test_owned_needs_both_tags():
    assert owned({"Project": "p", "Environment": "dev", "Other": "x"}, "p", "dev")
    assert not owned({"Project": "p", "Environment": "prod"}, "p", "dev")
    assert not owned({"Project": "p"}, "p", "dev")
    assert not owned(None, "p", "dev")


def test_final_snapshot_identifier_carries_the_utc_date():
    now = datetime.datetime(2026, 11, 29, 7, 5, tzinfo=datetime.timezone.utc)  # noqa: UP017  # py3.10 compatible
    assert final_snapshot_identifier("solo-saving-prod", now) == "solo-saving-prod-final-20261129-0705"


@pytest.mark.parametrize("prefix", ["1abc", "a--b", "a_b"])
def test_final_snapshot_identifier_refuses_an_invalid_prefix(prefix):
    now = datetime.datetime(2026, 1, 1)
    with pytest.raises(TeardownError, match="is not a valid DB snapshot identifier"):
        final_snapshot_identifier(prefix, now)


KEEP_ALL = {"delete_parameters": False, "delete_images": False, "delete_access_logs": False,
            "delete_hosted_zone": False,
            "final_snapshot_identifier": "x-final-20261129-0705"}
DELETE_ALL = {"delete_parameters": True, "delete_images": True, "delete_access_logs": True,
              "delete_hosted_zone": True,
              "final_snapshot_identifier": ""}


@pytest.mark.parametrize(("resource", "policy", "expected"), [
    (Resource("db-snapshot", "x-final-20261129-0705", data={"SnapshotType": "manual"}), KEEP_ALL,
     "the final snapshot of the Aurora cluster"),
    (Resource("db-snapshot", "by-hand", data={"SnapshotType": "manual"}), DELETE_ALL,
     "a manual snapshot: the teardown never deletes snapshots"),
    (Resource("db-snapshot", "rds:x", data={"SnapshotType": "automated"}), KEEP_ALL, None),
    (Resource("ssm-parameter", "/p/prod/db_password"), KEEP_ALL, "parameters are kept in production"),
    (Resource("ssm-parameter", "/p/dev/db_password"), DELETE_ALL, None),
    (Resource("ecr-repository", "x/backend", data={"image_count": 3}), KEEP_ALL, "holds 3 images"),
    (Resource("ecr-repository", "x/backend", data={"image_count": 1}), KEEP_ALL, "holds 1 image:"),
    (Resource("ecr-repository", "x/frontend", data={"image_count": 0}), KEEP_ALL, None),
    (Resource("ecr-repository", "x/backend", data={"image_count": 3}), DELETE_ALL, None),
    (Resource("hosted-zone", "Z1", "example.com"), KEEP_ALL, "the hosted zone is kept"),
    (Resource("hosted-zone", "Z1", "example.com"), DELETE_ALL, None),
    (Resource("s3-bucket", "x-alb-logs-1", data={"object_count": 2}), KEEP_ALL, "holds 2 log objects:"),
    (Resource("s3-bucket", "x-alb-logs-1", data={"object_count": 0}), KEEP_ALL, None),
    (Resource("s3-bucket", "x-alb-logs-1", data={"object_count": 2}), DELETE_ALL, None),
    (Resource("vpc", "vpc-1"), KEEP_ALL, None),
])
def test_retention_reason(resource, policy, expected):
    reason = retention_reason(resource, policy)
    if expected is None:
        assert reason is None
    else:
        assert expected in reason, reason


def test_split_outcome_separates_kept_from_leftovers():
    retained, remaining = split_outcome(
        [Resource("vpc", "vpc-1", "x-vpc"), Resource("ssm-parameter", "/p/prod/a"),
         Resource("unknown", ACCOUNT.format("ec2", "instance/i-1"))], KEEP_ALL)
    assert [r["label"] for r in retained] == ["SSM parameter /p/prod/a"]
    assert retained[0]["reason"].startswith("parameters are kept")
    assert [r["label"] for r in remaining] == ["VPC x-vpc (vpc-1)", "resource " + ACCOUNT.format("ec2", "instance/i-1")]


@pytest.mark.parametrize(("resource", "label"), [
    (Resource("vpc", "vpc-1", "x-vpc"), "VPC x-vpc (vpc-1)"),
    (Resource("db-cluster", "x-db"), "Aurora cluster x-db"),
    (Resource("load-balancer", ACCOUNT.format("elasticloadbalancing", "loadbalancer/app/x-alb/1"), "x-alb"),
     "load balancer x-alb"),
    (Resource("dns-record", "Z1 A app.example.com", "A app.example.com"), "DNS record A app.example.com"),
    (Resource("ecs-service", "x/frontend", "frontend"), "ECS service frontend"),
])
def test_labels_are_readable(resource, label):
    assert resource.label == label
    assert resource.report("why")["reason"] == "why"


@pytest.mark.parametrize(("dns", "expected"), [
    ("dualstack.x-alb-123.ap-northeast-1.elb.amazonaws.com.", True),   # one of the stack's
    ("x-alb-999.ap-northeast-1.elb.amazonaws.com", True),              # deleted already, named by the prefix
    ("internal-x-api-1.ap-northeast-1.elb.amazonaws.com", True),
    ("other-alb-1.ap-northeast-1.elb.amazonaws.com", False),
    ("x-cdn.cloudfront.net", False),
    (None, False),
])
def test_alb_alias_target(dns, expected):
    assert alb_alias_target(dns, "x", {"x-alb-123.ap-northeast-1.elb.amazonaws.com"}) is expected


def test_stack_record_matches_aliases_and_validation_records_only():
    validation = {("_abc.app.example.com", "CNAME"): ["_xyz.acm-validations.aws"]}
    alias = {"Name": "app.example.com.", "Type": "A",
             "AliasTarget": {"DNSName": "dualstack.x-alb-1.ap-northeast-1.elb.amazonaws.com.", "HostedZoneId": "Z"}}
    cname = {"Name": "_abc.app.example.com.", "Type": "CNAME",
             "ResourceRecords": [{"Value": "_xyz.acm-validations.aws."}]}
    other_value = dict(cname, ResourceRecords=[{"Value": "_other.acm-validations.aws."}])
    mail = {"Name": "example.com.", "Type": "MX", "ResourceRecords": [{"Value": "10 mail.example.com."}]}
    assert stack_record(alias, "x", set(), validation)
    assert stack_record(cname, "x", set(), validation)
    assert not stack_record(other_value, "x", set(), validation)
    assert not stack_record(mail, "x", set(), validation)


def test_is_apex_record():
    assert is_apex_record({"Name": "example.com.", "Type": "NS"}, "example.com")
    assert is_apex_record({"Name": "Example.COM", "Type": "SOA"}, "example.com.")
    assert not is_apex_record({"Name": "sub.example.com.", "Type": "NS"}, "example.com")
    assert not is_apex_record({"Name": "example.com.", "Type": "A"}, "example.com")


def test_permissions_with_group_references_keeps_only_the_group_pairs():
    permissions = [
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {"IpProtocol": "tcp", "FromPort": 3000, "ToPort": 3000, "IpRanges": [],
         "UserIdGroupPairs": [{"GroupId": "sg-2", "UserId": "123456789012", "Description": "from the ALB"}]},
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-3"}]},
    ]
    assert permissions_with_group_references(permissions) == [
        {"IpProtocol": "tcp", "FromPort": 3000, "ToPort": 3000,
         "UserIdGroupPairs": [{"GroupId": "sg-2", "UserId": "123456789012"}]},
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-3"}]},
    ]
    assert permissions_with_group_references(None) == []


@pytest.mark.parametrize(("arn", "name"), [
    (ACCOUNT.format("elasticloadbalancing", "loadbalancer/app/x-alb/1"), "x-alb"),
    (ACCOUNT.format("elasticloadbalancing", "listener/app/x-alb/1/2"), "x-alb"),
    (ACCOUNT.format("elasticloadbalancing", "listener-rule/app/x-alb/1/2/3"), "x-alb"),
    (ACCOUNT.format("elasticloadbalancing", "targetgroup/x-tg/1"), None),
    ("arn:aws:cloudfront::123456789012:distribution/E1", None),
    ("x-alb", None),
])
def test_load_balancer_name(arn, name):
    assert load_balancer_name(arn) == name
