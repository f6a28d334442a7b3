"""The realistic-latency emulator's state logic: clock, transitions, refusals and rewritten statuses."""

from __future__ import annotations

import base64
import io
import json

import pytest

from tools.latency_emulator import (
    Call,
    LatencyMiddleware,
    Timeline,
    durations,
    parse_request,
    refusal,
    rewrite,
    transitions,
)

REALISTIC = {"aurora_cluster": 4.0, "aurora_instance": 10.0, "alb": 3.0, "acm_certificate": 2.0, "ecs_service": 2.0}
ALB_ARN = "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"
CERT_ARN = "arn:aws:acm:ap-northeast-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def timeline(clock):
    return Timeline(REALISTIC, clock=clock)


@pytest.mark.parametrize(("profile", "scale", "expected"), [
    ("realistic", 1, REALISTIC),
    ("realistic", 0.5, {k: v / 2 for k, v in REALISTIC.items()}),
    ("realistic", 60, {k: v * 60 for k, v in REALISTIC.items()}),
    ("none", 1, {}),
])
def test_durations_scale_real_minutes_to_emulator_seconds(profile, scale, expected):
    assert durations(profile, scale) == expected


@pytest.mark.parametrize(("profile", "scale", "message"), [
    ("slow", 1, "unknown profile 'slow'; choose one of ['none', 'realistic']"),
    ("realistic", -1, "scale must be >= 0, got -1"),
])
def test_durations_reject_bad_input(profile, scale, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        durations(profile, scale)


def test_a_resource_is_pending_for_its_kinds_duration(timeline, clock):
    timeline.start("aurora_cluster", "db")
    assert timeline.pending("aurora_cluster", "db")
    assert timeline.remaining("aurora_cluster", "db") == 4.0
    clock.now += 3
    assert timeline.progress("aurora_cluster", "db") == pytest.approx(0.75)
    clock.now += 1
    assert not timeline.pending("aurora_cluster", "db")
    assert timeline.progress("aurora_cluster", "db") == 1.0


def test_a_second_create_keeps_the_first_start_unless_restarted(timeline, clock):
    timeline.start("ecs_service", "c/s")
    clock.now += 1.5
    timeline.start("ecs_service", "c/s")
    assert timeline.remaining("ecs_service", "c/s") == pytest.approx(0.5)
    timeline.start("ecs_service", "c/s", restart=True)
    assert timeline.remaining("ecs_service", "c/s") == 2.0


def test_unknown_resources_and_kinds_without_duration_are_settled(clock):
    timeline = Timeline({"alb": 3.0, "aurora_cluster": 0.0}, clock=clock)
    timeline.start("aurora_cluster", "db")
    assert not timeline.pending("aurora_cluster", "db")
    assert not timeline.pending("alb", "never-created")
    assert timeline.progress("alb", "never-created") == 1.0


def test_advance_and_reset(timeline):
    timeline.start("alb", ALB_ARN)
    assert timeline.snapshot() == {"alb": {ALB_ARN: 3.0}}
    timeline.advance(10)
    assert timeline.snapshot() == {}
    timeline.start("alb", "other")
    timeline.reset()
    assert not timeline.pending("alb", "other")


# -- requests ---------------------------------------------------------------------------
AUTH = "AWS4-HMAC-SHA256 Credential=testing/20261129/ap-northeast-1/{svc}/aws4_request, SignedHeaders=host"


def test_parse_a_query_protocol_request():
    call = parse_request("POST", "/", "", {"Authorization": AUTH.format(svc="rds"),
                                           "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
                         b"Action=CreateDBCluster&Version=2014-10-31&DBClusterIdentifier=Solo-DB")
    assert call == Call("rds", "CreateDBCluster", {"Version": "2014-10-31", "DBClusterIdentifier": "Solo-DB"},
                        "ap-northeast-1")


def test_parse_a_json_protocol_request():
    call = parse_request("POST", "/", "", {"Authorization": AUTH.format(svc="ecs"),
                                           "X-Amz-Target": "AmazonEC2ContainerServiceV20141113.CreateService"},
                         b'{"cluster": "c", "serviceName": "s"}')
    assert call == Call("ecs", "CreateService", {"cluster": "c", "serviceName": "s"}, "ap-northeast-1")


def test_parse_a_rest_request():
    call = parse_request("GET", "/2013-04-01/hostedzone/Z1", "", {"Authorization": AUTH.format(svc="route53")}, b"")
    assert call == Call("route53", "GET /2013-04-01/hostedzone/Z1", {}, "ap-northeast-1")


# -- which requests start a transition ---------------------------------------------------
ELB_CREATE = (b'<CreateLoadBalancerResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">'
              b"<CreateLoadBalancerResult><LoadBalancers><member><LoadBalancerArn>" + ALB_ARN.encode()
              + b"</LoadBalancerArn></member></LoadBalancers></CreateLoadBalancerResult></CreateLoadBalancerResponse>")


@pytest.mark.parametrize(("call", "status", "response", "expected"), [
    (Call("rds", "CreateDBCluster", {"DBClusterIdentifier": "Solo-DB"}), 200, b"",
     [("aurora_cluster", "solo-db", False)]),
    (Call("rds", "CreateDBInstance", {"DBInstanceIdentifier": "db-1"}), 200, b"",
     [("aurora_instance", "db-1", False)]),
    (Call("rds", "CreateDBCluster", {"DBClusterIdentifier": "db"}), 400, b"", []),
    (Call("elasticloadbalancing", "CreateLoadBalancer", {"Name": "web"}), 200, ELB_CREATE, [("alb", ALB_ARN, False)]),
    (Call("acm", "RequestCertificate", {}), 200, json.dumps({"CertificateArn": CERT_ARN}).encode(),
     [("acm_certificate", CERT_ARN, False)]),
    (Call("ecs", "CreateService", {"cluster": "arn:aws:ecs:r:1:cluster/c", "serviceName": "s"}), 200, b"{}",
     [("ecs_service", "c/s", False)]),
    (Call("ecs", "UpdateService", {"cluster": "c", "service": "s", "taskDefinition": "f:2"}), 200, b"{}",
     [("ecs_service", "c/s", True)]),
    (Call("ecs", "UpdateService", {"cluster": "c", "service": "s", "forceNewDeployment": True}), 200, b"{}",
     [("ecs_service", "c/s", True)]),
    (Call("ecs", "UpdateService", {"cluster": "c", "service": "s", "desiredCount": 3}), 200, b"{}", []),
    (Call("ec2", "CreateVpc", {}), 200, b"", []),
])
def test_transitions(call, status, response, expected):
    assert transitions(call, status, response) == expected


# -- refusals ---------------------------------------------------------------------------
def test_an_https_listener_is_refused_until_its_certificate_is_issued(timeline):
    timeline.start("acm_certificate", CERT_ARN)
    call = Call("elasticloadbalancing", "CreateListener", {"Certificates.member.1.CertificateArn": CERT_ARN})
    status, _, body = refusal(call, timeline)
    assert status == 400
    assert b"<Code>UnsupportedCertificate</Code>" in body
    timeline.advance(2)
    assert refusal(call, timeline) is None


def test_the_web_acl_cannot_be_associated_with_a_provisioning_load_balancer(timeline):
    timeline.start("alb", ALB_ARN)
    call = Call("wafv2", "AssociateWebACL", {"WebACLArn": "arn:acl", "ResourceArn": ALB_ARN})
    status, headers, body = refusal(call, timeline)
    assert status == 400
    assert json.loads(body)["__type"] == "WAFUnavailableEntityException"
    assert ("x-amzn-ErrorType", "WAFUnavailableEntityException") in headers
    timeline.advance(3)
    assert refusal(call, timeline) is None


def test_a_creating_cluster_cannot_be_modified_but_takes_instances(timeline):
    timeline.start("aurora_cluster", "db")
    modify = refusal(Call("rds", "ModifyDBCluster", {"DBClusterIdentifier": "DB"}), timeline)
    assert b"<Code>InvalidDBClusterStateFault</Code>" in modify[2]
    assert refusal(Call("rds", "CreateDBInstance", {"DBClusterIdentifier": "db"}), timeline) is None


def test_a_creating_instance_cannot_be_modified(timeline):
    timeline.start("aurora_instance", "db-1")
    assert b"InvalidDBInstanceState" in refusal(Call("rds", "ModifyDBInstance", {"DBInstanceIdentifier": "db-1"}),
                                                timeline)[2]


# -- rewritten statuses -----------------------------------------------------------------
RDS_CLUSTERS = b"""<?xml version="1.0" encoding="UTF-8"?>
<DescribeDBClustersResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
  <DescribeDBClustersResult><DBClusters>
    <DBCluster><DBClusterIdentifier>db</DBClusterIdentifier><Status>available</Status>
      <VpcSecurityGroups><VpcSecurityGroupMembership><Status>active</Status></VpcSecurityGroupMembership>
      </VpcSecurityGroups></DBCluster>
    <DBCluster><DBClusterIdentifier>other</DBClusterIdentifier><Status>available</Status></DBCluster>
  </DBClusters></DescribeDBClustersResult>
</DescribeDBClustersResponse>"""

RDS_INSTANCES = b"""<DescribeDBInstancesResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
  <DescribeDBInstancesResult><DBInstances><DBInstance><DBInstanceIdentifier>db-1</DBInstanceIdentifier>
  <DBClusterIdentifier>db</DBClusterIdentifier><DBInstanceStatus>available</DBInstanceStatus></DBInstance>
  </DBInstances></DescribeDBInstancesResult></DescribeDBInstancesResponse>"""

ELB_DESCRIBE = (b'<DescribeLoadBalancersResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">'
                b"<DescribeLoadBalancersResult><LoadBalancers><member><LoadBalancerArn>" + ALB_ARN.encode()
                + b"</LoadBalancerArn><State><Code>active</Code></State><AvailabilityZones><member><ZoneName>a"
                  b"</ZoneName></member></AvailabilityZones></member></LoadBalancers></DescribeLoadBalancersResult>"
                  b"</DescribeLoadBalancersResponse>")


def _statuses(body: bytes, tag: str) -> list[str]:
    import re

    return re.findall(rb"<(?:\w+:)?%s>([^<]*)<" % tag.encode(), body)


def test_a_creating_cluster_reads_creating_and_other_clusters_do_not_change(timeline):
    timeline.start("aurora_cluster", "db")
    out = rewrite(Call("rds", "DescribeDBClusters"), RDS_CLUSTERS, timeline)
    assert _statuses(out, "Status") == [b"creating", b"active", b"available"]
    timeline.advance(4)
    assert rewrite(Call("rds", "DescribeDBClusters"), RDS_CLUSTERS, timeline) is None


def test_the_rewritten_response_keeps_its_namespace_for_botocore(timeline):
    import xml.etree.ElementTree as ET

    timeline.start("aurora_cluster", "db")
    root = ET.fromstring(rewrite(Call("rds", "DescribeDBClusters"), RDS_CLUSTERS, timeline))
    assert root.tag == "{http://rds.amazonaws.com/doc/2014-10-31/}DescribeDBClustersResponse"


def test_a_creating_instance_reads_creating(timeline):
    timeline.start("aurora_instance", "db-1")
    out = rewrite(Call("rds", "DescribeDBInstances"), RDS_INSTANCES, timeline)
    assert _statuses(out, "DBInstanceStatus") == [b"creating"]


def test_a_new_load_balancer_reads_provisioning(timeline):
    timeline.start("alb", ALB_ARN)
    out = rewrite(Call("elasticloadbalancing", "DescribeLoadBalancers"), ELB_DESCRIBE, timeline)
    assert _statuses(out, "Code") == [b"provisioning"]


def test_a_requested_certificate_is_pending_validation_until_its_time(timeline):
    body = json.dumps({"Certificate": {"CertificateArn": CERT_ARN, "Status": "ISSUED",
                                       "DomainValidationOptions": [{"ValidationStatus": "SUCCESS"}]}}).encode()
    timeline.start("acm_certificate", CERT_ARN)
    cert = json.loads(rewrite(Call("acm", "DescribeCertificate"), body, timeline))["Certificate"]
    assert cert["Status"] == "PENDING_VALIDATION"
    assert cert["DomainValidationOptions"][0]["ValidationStatus"] == "PENDING_VALIDATION"
    listing = json.dumps({"CertificateSummaryList": [{"CertificateArn": CERT_ARN, "Status": "ISSUED"}]}).encode()
    assert json.loads(rewrite(Call("acm", "ListCertificates"), listing, timeline))[
        "CertificateSummaryList"][0]["Status"] == "PENDING_VALIDATION"
    timeline.advance(2)
    assert rewrite(Call("acm", "DescribeCertificate"), body, timeline) is None


ECS_SERVICES = json.dumps({"services": [{
    "serviceName": "s", "clusterArn": "arn:aws:ecs:ap-northeast-1:123456789012:cluster/c", "desiredCount": 4,
    "runningCount": 0, "pendingCount": 4,
    "deployments": [{"id": "ecs-svc/1", "status": "PRIMARY", "rolloutState": "IN_PROGRESS", "runningCount": 0,
                     "pendingCount": 4}]}]}).encode()


def test_an_ecs_service_rolls_out_then_reaches_steady_state(timeline):
    timeline.start("ecs_service", "c/s")
    timeline.advance(1)
    svc = json.loads(rewrite(Call("ecs", "DescribeServices"), ECS_SERVICES, timeline))["services"][0]
    assert (svc["runningCount"], svc["pendingCount"]) == (2, 2)
    assert svc["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    timeline.advance(1)
    svc = json.loads(rewrite(Call("ecs", "DescribeServices"), ECS_SERVICES, timeline))["services"][0]
    assert (svc["runningCount"], svc["pendingCount"]) == (4, 0)
    assert svc["deployments"][0]["rolloutState"] == "COMPLETED"
    assert svc["deployments"][0]["runningCount"] == 4


def test_without_a_profile_nothing_is_rewritten(clock):
    plain = Timeline({}, clock=clock)
    assert rewrite(Call("ecs", "DescribeServices"), ECS_SERVICES, plain) is None
    assert rewrite(Call("rds", "DescribeDBClusters"), RDS_CLUSTERS, plain) is None


# -- the middleware, around a stand-in for moto ---------------------------------------------
def _fake_moto(environ, start_response):
    environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/xml"), ("Content-Length", str(len(RDS_CLUSTERS)))])
    return [RDS_CLUSTERS]


def _request(app, path, body=b"", method="POST", target_service="rds", query=""):
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "HTTP_HOST": "127.0.0.1:1",
               "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": "application/x-www-form-urlencoded",
               "HTTP_AUTHORIZATION": AUTH.format(svc=target_service), "wsgi.input": io.BytesIO(body)}
    seen = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = status, dict(headers)

    out = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], out


def test_the_middleware_times_a_created_cluster_and_journals_requests(timeline):
    app = LatencyMiddleware(_fake_moto, timeline, profile="realistic")
    _request(app, "/latency-api/journal/start")
    _request(app, "/", b"Action=CreateDBCluster&DBClusterIdentifier=db")
    status, headers, body = _request(app, "/", b"Action=DescribeDBClusters")
    assert status == "200 OK"
    assert headers["Content-Length"] == str(len(body))
    assert _statuses(body, "Status")[0] == b"creating"
    _, _, journal = _request(app, "/latency-api/journal", method="GET")
    entries = [json.loads(line) for line in journal.splitlines()]
    assert [e["action"] for e in entries] == ["CreateDBCluster", "DescribeDBClusters"]
    assert base64.b64decode(entries[0]["body"]) == b"Action=CreateDBCluster&DBClusterIdentifier=db"
    assert entries[0]["service"] == "rds" and entries[0]["status"] == 200
    assert entries[0]["t0"] <= entries[0]["t1"]


def test_the_middleware_refuses_without_calling_moto(timeline):
    called = []

    def moto(environ, start_response):
        called.append(True)
        return _fake_moto(environ, start_response)

    app = LatencyMiddleware(moto, timeline, profile="realistic")
    timeline.start("aurora_cluster", "db")
    status, _, body = _request(app, "/", b"Action=ModifyDBCluster&DBClusterIdentifier=db")
    assert status.startswith("400")
    assert b"InvalidDBClusterStateFault" in body
    assert not called
    lenient = LatencyMiddleware(moto, timeline, refuse=False)
    assert _request(lenient, "/", b"Action=ModifyDBCluster&DBClusterIdentifier=db")[0] == "200 OK"


def test_a_moto_reset_clears_the_transitions(timeline):
    app = LatencyMiddleware(_fake_moto, timeline)
    timeline.start("aurora_cluster", "db")
    _request(app, "/moto-api/reset")
    assert not timeline.pending("aurora_cluster", "db")


def test_the_control_endpoints(timeline):
    app = LatencyMiddleware(_fake_moto, timeline, profile="realistic", scale=1.0)
    timeline.start("alb", ALB_ARN)
    status = json.loads(_request(app, "/latency-api/", method="GET")[2])
    assert status["profile"] == "realistic" and status["pending"] == {"alb": {ALB_ARN: 3.0}}
    assert _request(app, "/latency-api/advance", query="seconds=5")[0] == "200 OK"
    assert json.loads(_request(app, "/latency-api/", method="GET")[2])["pending"] == {}
    assert _request(app, "/latency-api/nope", method="GET")[0].startswith("404")
