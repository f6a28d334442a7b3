"""The floor's replay: id-like tokens, pairing recorded and new ids, rewriting requests, the plan."""

from __future__ import annotations

import base64
import json

import pytest

from bench.replay import floor_plan, id_like, id_tokens, pair_ids, rewrite_request, substitute


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.mark.parametrize(("token", "expected"), [
    ("vpc-0a1b2c3d4e5f67890", True),
    ("50dc6c495c0c9188", True),
    ("0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0", True),
    ("solo-saving-local-alb-1520437131", True),
    ("ap-northeast-1", True),
    ("solo-saving-local", False),  # no digit
    ("123456789012", False),  # no letter: account ids, epochs
    ("vpc-1", False),  # short
    ("2026-11-29T11", False),  # a date
])
def test_id_like(token, expected):
    assert id_like(token) is expected


def test_id_tokens_split_arns_and_dns_names():
    text = "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188 " \
           "web-1520437131.ap-northeast-1.elb.amazonaws.com"
    assert id_tokens(text) == {"ap-northeast-1", "50dc6c495c0c9188", "web-1520437131"}


def test_pair_ids_pairs_what_differs_in_the_same_place():
    old = '<VpcId>vpc-aaaaaaaa11111111</VpcId><State>available</State><RequestId>Req0000aaaa</RequestId>'
    new = '<VpcId>vpc-bbbbbbbb22222222</VpcId><State>available</State><RequestId>Req1111bbbb</RequestId>'
    assert pair_ids(old, new) == {"vpc-aaaaaaaa11111111": "vpc-bbbbbbbb22222222", "Req0000aaaa": "Req1111bbbb"}
    assert pair_ids(old, old) == {}


def test_pair_ids_ignores_values_that_are_not_ids():
    assert pair_ids('{"Status": "creating", "Port": 5432}', '{"Status": "available", "Port": 5433}') == {}


def test_substitute_is_token_wise_so_swapped_ids_stay_right():
    ids = {"subnet-aaaa1111": "subnet-bbbb2222", "subnet-bbbb2222": "subnet-cccc3333"}
    assert substitute("subnet-aaaa1111,subnet-bbbb2222,xsubnet-aaaa1111", ids) == \
        "subnet-bbbb2222,subnet-cccc3333,xsubnet-aaaa1111"


def test_rewrite_request_maps_ids_in_form_bodies_and_drops_hop_headers():
    arn = "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"
    body = "Action=CreateListener&LoadBalancerArn=" + arn.replace(":", "%3A").replace("/", "%2F")
    record = {"method": "POST", "url": "http://127.0.0.1:4000/", "body": b64(body.encode()), "body_encoded": True,
              "headers": {"Host": "127.0.0.1:4000", "Content-Length": "999", "Connection": "keep-alive",
                          "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                          "Authorization": "AWS4-HMAC-SHA256 ..."}}
    method, target, headers, out = rewrite_request(record, {"50dc6c495c0c9188": "9f9f9f9f9f9f9f9f"})
    assert (method, target) == ("POST", "/")
    assert set(headers) == {"Content-Type", "Authorization"}
    assert "9f9f9f9f9f9f9f9f" in out.decode().replace("%2F", "/")
    assert "50dc6c495c0c9188" not in out.decode()


def test_rewrite_request_maps_ids_in_json_bodies_and_rest_paths():
    record = {"method": "POST", "url": "http://127.0.0.1:4000/2013-04-01/hostedzone/Z0AAAA1111BBBB/rrset/?x=1",
              "headers": {"Content-Type": "application/x-amz-json-1.1"},
              "body": b64(json.dumps({"ResourceArn": "arn:...:certificate/0b1c2d3e-4f50"}).encode())}
    _, target, _, out = rewrite_request(record, {"Z0AAAA1111BBBB": "Z9ZZZZ9999YYYY", "0b1c2d3e-4f50": "ffff1111-2222"})
    assert target == "/2013-04-01/hostedzone/Z9ZZZZ9999YYYY/rrset/?x=1"
    assert json.loads(out) == {"ResourceArn": "arn:...:certificate/ffff1111-2222"}


def _entry(action, request=b"", response=b"", url="http://h/"):
    return {"action": action, "url": url, "body": b64(request), "response": b64(response), "headers": {}}


def test_floor_plan_keeps_writes_and_pulls_in_the_reads_they_depend_on():
    entries = [
        _entry("DescribeVpcs", b"Action=DescribeVpcs", b"<Vpcs/>"),  # 0: a read nothing needs
        _entry("CreateVpc", b"Action=CreateVpc", b"<VpcId>vpc-aaaa1111bbbb</VpcId>"),  # 1
        _entry("DescribeRouteTables", b"Filter=vpc-aaaa1111bbbb", b"<RouteTableId>rtb-main11112222</RouteTableId>"),
        _entry("DescribeSecurityGroups", b"Filter=vpc-aaaa1111bbbb", b"<GroupId>sg-default1111</GroupId>"),  # 3
        _entry("CreateTags", b"ResourceId.1=rtb-main11112222"),  # 4: needs read 2
        _entry("DescribeVpcs", b"VpcId.1=vpc-aaaa1111bbbb", b"<VpcId>vpc-aaaa1111bbbb</VpcId>"),  # 5
    ]
    assert floor_plan(entries) == [1, 2, 4]
