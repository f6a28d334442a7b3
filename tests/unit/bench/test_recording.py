"""Attribution of recorded requests to plays, roles and tasks; repeated reads; write detection."""

from __future__ import annotations

import base64
import json

import pytest

from bench.recording import (
    Task,
    attribute,
    by_stage,
    is_write,
    parse_timeline,
    read_signature,
    reads_across_roles,
    repeated_reads,
    stage_of,
    summarize,
)


def entry(service, action, t0, body=b"", target=None, method="POST", url="http://127.0.0.1:1/", status=200):
    headers = {"X-Amz-Target": f"Svc.{action}"} if target else {}
    return {"service": service, "action": action, "t0": t0, "t1": t0 + 0.01, "method": method, "url": url,
            "headers": headers, "body": base64.b64encode(body).decode(), "body_encoded": True, "status": status,
            "response": ""}


@pytest.mark.parametrize(("action", "write"), [
    ("DescribeVpcs", False), ("ListTagsForResource", False), ("GetParameters", False),
    ("BatchGetImage", False), ("CreateVpc", True), ("PutParameter", True), ("AssociateWebACL", True),
    ("GET /2013-04-01/hostedzone", False), ("POST /2013-04-01/hostedzone", True),
])
def test_is_write(action, write):
    assert is_write({"action": action}) is write


def test_read_signature_ignores_version_and_parameter_order():
    a = entry("ec2", "DescribeVpcs", 0,
              b"Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=tag:Name&Filter.1.Value.1=x")
    b = entry("ec2", "DescribeVpcs", 0, b"Filter.1.Value.1=x&Filter.1.Name=tag:Name&Action=DescribeVpcs")
    assert read_signature(a) == read_signature(b) == "ec2:DescribeVpcs Filter.1.Name=tag:Name&Filter.1.Value.1=x"


def test_read_signature_of_json_and_rest_requests():
    a = entry("ssm", "GetParameters", 0, json.dumps({"WithDecryption": True, "Names": ["/a"]}).encode(), target=True)
    b = entry("ssm", "GetParameters", 0, json.dumps({"Names": ["/a"], "WithDecryption": True}).encode(), target=True)
    assert read_signature(a) == read_signature(b)
    rest = entry("route53", "GET /2013-04-01/hostedzone/Z1/rrset", 0, method="GET",
                 url="http://h/2013-04-01/hostedzone/Z1/rrset?maxitems=100")
    assert read_signature(rest) == ("route53:GET /2013-04-01/hostedzone/Z1/rrset "
                                    "/2013-04-01/hostedzone/Z1/rrset?maxitems=100")


@pytest.mark.parametrize(("name", "stage"), [
    ("Network - VPC, tiered subnets, route tables without NAT", "network"),
    ("Pre-flight - validate the inventory and guard the account", "pre-flight"),
    ("Services", "services"),
])
def test_stage_of(name, stage):
    assert stage_of(name) == stage


TIMELINE = [
    json.dumps({"event": "start", "t": 9.0}),
    json.dumps({"event": "play", "name": "Network - VPC", "t": 10.0}),
    json.dumps({"event": "task", "play": "Network - VPC", "role": "network", "name": "network : Converge.",
                "action": "solo_saving.infra.vpc_network", "t0": 10.5, "t1": 12.0, "status": "ok", "changed": True}),
    json.dumps({"event": "play", "name": "Database - Aurora", "t": 12.5}),
    json.dumps({"event": "task", "play": "Database - Aurora", "role": "network", "name": "network : Look up.",
                "action": "solo_saving.infra.vpc_network", "t0": 12.6, "t1": 13.0, "status": "ok"}),
    json.dumps({"event": "task", "play": "Database - Aurora", "role": "database", "name": "database : Skip me.",
                "action": "ansible.builtin.debug", "t0": 13.0, "t1": 13.1, "status": "skipped"}),
    json.dumps({"event": "task", "play": "Database - Aurora", "role": "database", "name": "database : Converge.",
                "action": "solo_saving.infra.aurora_serverless_cluster", "t0": 13.2, "t1": 15.0, "status": "ok"}),
    json.dumps({"event": "end", "t": 15.5}),
]


def test_parse_timeline():
    plays, tasks, start, end = parse_timeline(TIMELINE)
    assert plays == [(10.0, "network"), (12.5, "database")]
    assert [t.name for t in tasks] == ["network : Converge.", "network : Look up.", "database : Skip me.",
                                       "database : Converge."]
    assert tasks[0].changed and tasks[0].seconds == 1.5
    assert (start, end) == (9.0, 15.5)


def test_requests_belong_to_the_running_task_else_to_the_play():
    plays, tasks, _, _ = parse_timeline(TIMELINE)
    entries = [entry("ec2", "CreateVpc", 11.0), entry("ec2", "DescribeVpcs", 12.7),
               entry("rds", "DescribeDBClusters", 14.0), entry("rds", "DescribeDBClusters", 12.55),
               entry("sts", "GetCallerIdentity", 5.0)]
    assert attribute(entries, plays, tasks) == [
        ("network", "network", "network : Converge."),
        ("database", "network", "network : Look up."),  # an upstream lookup inside the database play
        ("database", "database", "database : Converge."),
        ("database", "database", "(between tasks)"),
        ("outside", "outside", "(between tasks)"),
    ]


def test_by_stage_counts_seconds_tasks_and_calls_per_role():
    plays, tasks, _, end = parse_timeline(TIMELINE)
    entries = [entry("ec2", "CreateVpc", 11.0), entry("ec2", "DescribeVpcs", 12.7),
               entry("rds", "DescribeDBClusters", 14.0)]
    stages = by_stage(entries, attribute(entries, plays, tasks), tasks, plays, end)
    assert stages["network"] == {"seconds": 2.5, "tasks": 1, "calls": 1, "reads": 0, "writes": 1,
                                 "roles": {"network": 1}}
    assert stages["database"] == {"seconds": 3.0, "tasks": 2, "calls": 2, "reads": 2, "writes": 0,
                                  "roles": {"network": 1, "database": 1}}


def test_repeated_reads_are_reported_per_role_and_across_roles():
    owners = [("database", "database", "t"), ("database", "database", "t"), ("database", "database", "t"),
              ("services", "services", "t")]
    entries = [entry("rds", "DescribeDBClusters", 1, b"Action=DescribeDBClusters&DBClusterIdentifier=db"),
               entry("rds", "DescribeDBClusters", 2, b"Action=DescribeDBClusters&DBClusterIdentifier=db"),
               entry("rds", "ModifyDBCluster", 3, b"Action=ModifyDBCluster&DBClusterIdentifier=db"),
               entry("rds", "DescribeDBClusters", 4, b"Action=DescribeDBClusters&DBClusterIdentifier=db")]
    assert repeated_reads(entries, owners) == {
        "database": [{"read": "rds:DescribeDBClusters DBClusterIdentifier=db", "times": 2,
                      "tasks": ["database: t", "database: t"]}]}
    assert reads_across_roles(entries, owners) == [
        {"read": "rds:DescribeDBClusters DBClusterIdentifier=db", "roles": ["database", "services"]}]


def test_summarize():
    entries = [entry("ec2", "CreateVpc", 11.0), entry("ec2", "DescribeVpcs", 12.7, status=400)]
    summary = summarize(entries, TIMELINE)
    assert (summary["api_calls"], summary["reads"], summary["writes"], summary["errors"]) == (2, 1, 1, 1)
    assert summary["tasks"] == 3
    assert summary["write_calls"] == ["ec2:CreateVpc"]
    assert summary["slowest_tasks"][0] == {"stage": "database", "role": "database", "task": "database : Converge.",
                                           "action": "solo_saving.infra.aurora_serverless_cluster", "seconds": 1.8,
                                           "calls": 0, "changed": False}


def test_task_seconds_are_never_negative():
    assert Task("s", "r", "n", "a", t0=2.0, t1=1.0).seconds == 0.0
