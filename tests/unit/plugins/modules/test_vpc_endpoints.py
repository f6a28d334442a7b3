"""vpc_endpoints: find / create / drift correction / purge, check mode and errors, with the wrapper layer faked."""

from __future__ import annotations

import copy
import itertools
import json

import pytest

from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError
from ansible_collections.solo_saving.infra.plugins.modules import vpc_endpoints
from tests.support.modules import ModuleFail

REGION = "ap-northeast-1"
SG = "sg-endpoints"


def interface(service, subnets=("subnet-a", "subnet-c"), **extra):
    return {"service": service, "subnet_ids": list(subnets), "security_group_ids": [SG], **extra}


ARGS = {
    "vpc_id": "vpc-1",
    "name_prefix": "t-dev",
    "endpoints": [
        interface("ecr.api"),
        interface("ecr.dkr"),
        interface("logs"),
        interface("ssm"),
        {"service": "s3", "type": "gateway", "route_table_ids": ["rtb-app", "rtb-db"]},
    ],
    "tags": {"Project": "t"},
}


class FakeEc2:
    """In-memory stand-in for the endpoint wrappers of module_utils.ec2; records every write."""

    def __init__(self):
        self.ids = itertools.count(1)
        self.endpoints = []
        self.writes = []
        self.tokens = []

    def _get(self, endpoint_id):
        return next(e for e in self.endpoints if e["VpcEndpointId"] == endpoint_id)

    def describe_vpc_endpoints(self, client, ids=None, **flt):
        found = [e for e in self.endpoints if e["State"] != "deleted"]
        if ids:
            found = [e for e in found if e["VpcEndpointId"] in ids]
        if "vpc_id" in flt:
            found = [e for e in found if e["VpcId"] == flt["vpc_id"]]
        return copy.deepcopy(found)

    def create_vpc_endpoint(self, client, **params):
        self.writes.append(f"create:{params['ServiceName'].rsplit('.', 1)[-1]}")
        self.tokens.append(params["ClientToken"])
        endpoint = {
            "VpcEndpointId": f"vpce-{next(self.ids)}", "VpcId": params["VpcId"], "ServiceName": params["ServiceName"],
            "VpcEndpointType": params["VpcEndpointType"], "State": "available",
            "SubnetIds": list(params.get("SubnetIds", [])),
            "Groups": [{"GroupId": g} for g in params.get("SecurityGroupIds", [])],
            "RouteTableIds": list(params.get("RouteTableIds", [])),
            "PrivateDnsEnabled": params.get("PrivateDnsEnabled", True),
            "PolicyDocument": params.get("PolicyDocument") or json.dumps(
                {"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*",
                                                         "Resource": "*"}]}),
            "Tags": params["TagSpecifications"][0]["Tags"],
            "DnsEntries": [{"DnsName": "vpce-x.example"}] if params["VpcEndpointType"] == "Interface" else [],
        }
        self.endpoints.append(endpoint)
        return copy.deepcopy(endpoint)

    def modify_vpc_endpoint(self, client, endpoint_id, **changes):
        self.writes.append(f"modify:{endpoint_id}:{','.join(sorted(changes))}")
        endpoint = self._get(endpoint_id)
        for key, field in (("SubnetIds", "SubnetIds"), ("RouteTableIds", "RouteTableIds")):
            endpoint[field] = [x for x in endpoint[field] if x not in changes.get(f"Remove{key}", [])]
            endpoint[field] += changes.get(f"Add{key}", [])
        groups = [g["GroupId"] for g in endpoint["Groups"] if g["GroupId"] not in changes.get("RemoveSecurityGroupIds",
                                                                                               [])]
        endpoint["Groups"] = [{"GroupId": g} for g in groups + changes.get("AddSecurityGroupIds", [])]
        if "PolicyDocument" in changes:
            endpoint["PolicyDocument"] = changes["PolicyDocument"]
        if changes.get("ResetPolicy"):
            endpoint["PolicyDocument"] = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*",
                                                                    "Action": "*", "Resource": "*"}]})
        if "PrivateDnsEnabled" in changes:
            endpoint["PrivateDnsEnabled"] = changes["PrivateDnsEnabled"]

    def delete_vpc_endpoint(self, client, endpoint_id):
        self.writes.append(f"delete:{endpoint_id}")
        self._get(endpoint_id)["State"] = "deleted"

    def create_tags(self, client, ids, tags):
        self.writes.append(f"tag:{ids[0]}")
        endpoint = self._get(ids[0])
        current = {t["Key"]: t["Value"] for t in endpoint["Tags"]}
        current.update({t["Key"]: t["Value"] for t in tags})
        endpoint["Tags"] = [{"Key": k, "Value": v} for k, v in current.items()]


@pytest.fixture
def fake(monkeypatch):
    fake = FakeEc2()
    for name in ("describe_vpc_endpoints", "create_vpc_endpoint", "modify_vpc_endpoint", "delete_vpc_endpoint",
                 "create_tags"):
        monkeypatch.setattr(vpc_endpoints.api, name, getattr(fake, name))
    return fake


def by_name(fake, name):
    return next(e for e in fake.endpoints if {t["Key"]: t["Value"] for t in e["Tags"]}.get("Name") == name
                and e["State"] != "deleted")


def test_check_mode_on_an_empty_account_plans_every_endpoint_and_writes_nothing(run_module, fake):
    args = copy.deepcopy(ARGS)
    args["vpc_id"] = "planned:vpc:t-dev-vpc"
    args["endpoints"][0]["subnet_ids"] = ["planned:subnet:t-dev-app-1a"]
    result = run_module(vpc_endpoints, args, check_mode=True, diff=True)
    assert fake.writes == []
    assert result["changed"] is True
    assert result["interface"] == {s: f"planned:vpce:t-dev-vpce-{s.replace('.', '-')}"
                                   for s in ("ecr.api", "ecr.dkr", "logs", "ssm")}
    assert result["gateway"] == {"s3": "planned:vpce:t-dev-vpce-s3-gateway"}
    assert "create interface endpoint t-dev-vpce-ecr-api for ecr.api in 1 subnets" in result["actions"]
    assert "create gateway endpoint t-dev-vpce-s3-gateway for s3 on 2 route tables" in result["actions"]
    assert result["diff"]["before"]["t-dev-vpce-logs"] is None
    assert result["diff"]["after"]["t-dev-vpce-s3-gateway"] == {
        "service": "com.amazonaws.ap-northeast-1.s3", "type": "gateway", "route_table_ids": ["rtb-app", "rtb-db"],
        "policy": "AWS default (full access)"}


def test_planned_ids_are_refused_outside_check_mode(run_module, fake):
    args = copy.deepcopy(ARGS)
    args["endpoints"][1]["security_group_ids"] = ["planned:sg:t-dev-endpoints"]
    with pytest.raises(ModuleFail, match=r"interface endpoint ecr\.dkr refers to a resource that does not exist yet"):
        run_module(vpc_endpoints, args)
    assert fake.writes == []


def test_run_creates_with_tags_and_token_then_second_run_and_check_mode_change_nothing(run_module, fake):
    planned = run_module(vpc_endpoints, ARGS, check_mode=True)
    first = run_module(vpc_endpoints, ARGS)
    assert planned["actions"] == first["actions"]
    assert fake.writes == ["create:api", "create:dkr", "create:logs", "create:ssm", "create:s3"]
    assert len(set(fake.tokens)) == 5  # one client token per create, derived from the request
    assert all(len(t) == 64 for t in fake.tokens)
    endpoint = by_name(fake, "t-dev-vpce-ecr-api")
    assert {t["Key"]: t["Value"] for t in endpoint["Tags"]} == {"Project": "t", "Name": "t-dev-vpce-ecr-api"}
    assert endpoint["PrivateDnsEnabled"] is True
    assert first["interface"]["ecr.api"] == endpoint["VpcEndpointId"]
    assert first["endpoints"]["t-dev-vpce-ecr-api"]["dns_names"] == ["vpce-x.example"]
    writes = list(fake.writes)
    second = run_module(vpc_endpoints, ARGS)
    check = run_module(vpc_endpoints, ARGS, check_mode=True, diff=True)
    assert second["changed"] is False and second["actions"] == []
    assert check["changed"] is False
    assert check["diff"]["before"] == check["diff"]["after"]
    assert fake.writes == writes


def test_a_changed_subnet_list_is_shown_in_check_mode_and_applied_by_a_run(run_module, fake):
    run_module(vpc_endpoints, ARGS)
    args = copy.deepcopy(ARGS)
    args["endpoints"][0]["subnet_ids"] = ["subnet-a"]
    args["endpoints"][2]["subnet_ids"] = ["subnet-a", "subnet-c2"]
    plan = run_module(vpc_endpoints, args, check_mode=True, diff=True)
    assert plan["actions"] == [
        "modify interface endpoint t-dev-vpce-ecr-api: remove subnets subnet-c",
        "modify interface endpoint t-dev-vpce-logs: add subnets subnet-c2; remove subnets subnet-c",
    ]
    assert plan["diff"]["before"]["t-dev-vpce-ecr-api"]["subnet_ids"] == ["subnet-a", "subnet-c"]
    assert plan["diff"]["after"]["t-dev-vpce-ecr-api"]["subnet_ids"] == ["subnet-a"]
    run = run_module(vpc_endpoints, args)
    assert run["actions"] == plan["actions"]
    logs = by_name(fake, "t-dev-vpce-logs")
    assert fake.writes[-1] == f"modify:{logs['VpcEndpointId']}:AddSubnetIds,RemoveSubnetIds"
    assert sorted(logs["SubnetIds"]) == ["subnet-a", "subnet-c2"]
    assert run_module(vpc_endpoints, args)["changed"] is False


def test_security_group_route_table_and_private_dns_drift_is_corrected(run_module, fake):
    run_module(vpc_endpoints, ARGS)
    ssm = by_name(fake, "t-dev-vpce-ssm")
    ssm["Groups"] = [{"GroupId": "sg-default"}]
    ssm["PrivateDnsEnabled"] = False
    s3 = by_name(fake, "t-dev-vpce-s3-gateway")
    s3["RouteTableIds"] = ["rtb-app", "rtb-public"]
    result = run_module(vpc_endpoints, ARGS)
    assert result["actions"] == [
        "modify interface endpoint t-dev-vpce-ssm: add security groups sg-endpoints; remove security groups "
        "sg-default; turn private DNS on",
        "modify gateway endpoint t-dev-vpce-s3-gateway: add route tables rtb-db; remove route tables rtb-public",
    ]
    assert run_module(vpc_endpoints, ARGS)["changed"] is False


def test_policies_compare_by_meaning_and_are_replaced_or_reset(run_module, fake):
    policy = {"Statement": [{"Effect": "Allow", "Principal": "*", "Resource": "*",
                             "Action": ["ecr:BatchGetImage", "ecr:GetAuthorizationToken"]}]}
    args = copy.deepcopy(ARGS)
    args["endpoints"][0]["policy"] = policy
    run_module(vpc_endpoints, args)
    api_endpoint = by_name(fake, "t-dev-vpce-ecr-api")
    # AWS hands the policy back re-serialised: other key order, actions reordered, Statement as one object.
    api_endpoint["PolicyDocument"] = json.dumps({"Statement": {"Resource": "*", "Action": [
        "ecr:GetAuthorizationToken", "ecr:BatchGetImage"], "Principal": "*", "Effect": "Allow"}})
    assert run_module(vpc_endpoints, args)["changed"] is False
    # Someone narrows the policy by hand: it is replaced.
    api_endpoint["PolicyDocument"] = json.dumps({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*",
                                                                "Resource": "*"}]})
    result = run_module(vpc_endpoints, args, diff=True)
    assert result["actions"] == ["modify interface endpoint t-dev-vpce-ecr-api: replace the policy"]
    # The inventory drops the policy: AWS's default is restored.
    result = run_module(vpc_endpoints, ARGS)
    assert result["actions"] == ["modify interface endpoint t-dev-vpce-ecr-api: reset the policy to AWS's default "
                                 "(full access)"]
    assert fake.writes[-1].endswith(":ResetPolicy")
    assert run_module(vpc_endpoints, ARGS)["changed"] is False


def test_an_endpoint_made_by_hand_is_adopted_and_tagged(run_module, fake):
    fake.create_vpc_endpoint(None, VpcId="vpc-1", ServiceName="com.amazonaws.ap-northeast-1.logs",
                             VpcEndpointType="Interface", SubnetIds=["subnet-a", "subnet-c"], SecurityGroupIds=[SG],
                             TagSpecifications=[{"Tags": []}], ClientToken="x")
    fake.writes.clear()
    result = run_module(vpc_endpoints, ARGS)
    assert "update the tags of endpoint t-dev-vpce-logs: Name, Project" in result["actions"]
    assert "create:logs" not in fake.writes
    assert len([e for e in fake.endpoints if e["ServiceName"].endswith(".logs")]) == 1


def test_duplicate_endpoints_are_reported_unless_one_carries_the_name(run_module, fake):
    for tags in ([], []):
        fake.create_vpc_endpoint(None, VpcId="vpc-1", ServiceName="com.amazonaws.ap-northeast-1.ssm",
                                 VpcEndpointType="Interface", SubnetIds=["subnet-a"], SecurityGroupIds=[SG],
                                 TagSpecifications=[{"Tags": tags}], ClientToken="x")
    with pytest.raises(ModuleFail, match=r"found 2 interface endpoints for ssm in the VPC \(vpce-1, vpce-2\); delete "
                                         r"the extra ones by hand \(keep the one tagged Name=t-dev-vpce-ssm\)"):
        run_module(vpc_endpoints, ARGS, check_mode=True)
    fake.endpoints[1]["Tags"] = [{"Key": "Name", "Value": "t-dev-vpce-ssm"}]
    result = run_module(vpc_endpoints, ARGS, check_mode=True)
    assert result["interface"]["ssm"] == "vpce-2"


def test_purge_deletes_only_our_endpoints_that_left_the_inventory(run_module, fake):
    args = copy.deepcopy(ARGS)
    args["endpoints"].append(interface("sts"))
    run_module(vpc_endpoints, args)
    fake.create_vpc_endpoint(None, VpcId="vpc-1", ServiceName="com.amazonaws.ap-northeast-1.kms",
                             VpcEndpointType="Interface", SubnetIds=["subnet-a"], SecurityGroupIds=[SG],
                             TagSpecifications=[{"Tags": [{"Key": "Name", "Value": "someone-elses"}]}], ClientToken="x")
    sts = by_name(fake, "t-dev-vpce-sts")["VpcEndpointId"]
    kept = run_module(vpc_endpoints, ARGS)  # purge is off by default
    assert kept["changed"] is False
    result = run_module(vpc_endpoints, {**ARGS, "purge": True}, diff=True)
    assert result["actions"] == [f"delete endpoint t-dev-vpce-sts ({sts}), no longer in the inventory"]
    assert result["diff"]["after"]["t-dev-vpce-sts"] is None
    assert fake.writes[-1] == f"delete:{sts}"
    assert [e for e in fake.endpoints if e["State"] != "deleted" and e["ServiceName"].endswith(".kms")]


def test_waiting_polls_until_available_and_fails_on_a_bad_state(run_module, fake, monkeypatch):
    states = iter(["pending", "pending", "available"])
    original = fake.describe_vpc_endpoints

    def describe(client, ids=None, **flt):
        found = original(client, ids=ids, **flt)
        if ids:
            state = next(states)
            for endpoint in found:
                endpoint["State"] = state
        return found

    monkeypatch.setattr(vpc_endpoints.api, "describe_vpc_endpoints", describe)
    monkeypatch.setattr(vpc_endpoints.time, "sleep", lambda seconds: None)
    result = run_module(vpc_endpoints, ARGS)
    assert result["endpoints"]["t-dev-vpce-ssm"]["state"] == "available"

    states = iter(["failed"])
    fake.endpoints.clear()
    with pytest.raises(ModuleFail, match=r"endpoints did not become available: vpce-\d+ is failed"):
        run_module(vpc_endpoints, ARGS)


def test_waiting_times_out(run_module, fake, monkeypatch):
    original = fake.describe_vpc_endpoints

    def describe(client, ids=None, **flt):
        found = original(client, ids=ids, **flt)
        for endpoint in found if ids else []:
            endpoint["State"] = "pending"
        return found

    clock = itertools.count(0, 100)
    monkeypatch.setattr(vpc_endpoints.api, "describe_vpc_endpoints", describe)
    monkeypatch.setattr(vpc_endpoints.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(vpc_endpoints.time, "monotonic", lambda: next(clock))
    with pytest.raises(ModuleFail, match=r"endpoints still pending after 300 s: .*raise wait_timeout"):
        run_module(vpc_endpoints, {**ARGS, "wait_timeout": 300})


@pytest.mark.parametrize(("endpoint", "message"), [
    ({"service": "sts", "subnet_ids": ["subnet-a"]}, "interface endpoint sts needs subnet_ids and security_group_ids"),
    ({"service": "dynamodb", "type": "gateway"}, "gateway endpoint dynamodb needs route_table_ids"),
    ({"service": "dynamodb", "type": "gateway", "route_table_ids": ["r"], "subnet_ids": ["s"]},
     "takes no subnet_ids or security_group_ids"),
    ({**interface("sts"), "route_table_ids": ["r"]}, "takes no route_table_ids"),
    ({**interface("sts"), "policy": "{not json"}, "the policy of the interface endpoint sts is not valid JSON"),
    ({**interface("sts"), "policy": "[1]"},
     r"the policy of the interface endpoint sts is not a JSON object \(got list\)"),
    (interface("ecr.api"), "interface endpoint for ecr.api is listed twice"),
    ({**interface("sts"), "name": "t-dev-vpce-logs"}, "two endpoints are named t-dev-vpce-logs"),
])
def test_input_errors_before_any_call(run_module, fake, endpoint, message):
    args = copy.deepcopy(ARGS)
    args["endpoints"].append(endpoint)
    with pytest.raises(ModuleFail, match=message):
        run_module(vpc_endpoints, args)
    assert fake.writes == []


def test_full_service_names_are_kept_and_short_names_completed():
    assert vpc_endpoints.full_service_name("ecr.api", REGION) == "com.amazonaws.ap-northeast-1.ecr.api"
    assert vpc_endpoints.full_service_name("com.amazonaws.us-east-1.s3", REGION) == "com.amazonaws.us-east-1.s3"
    assert vpc_endpoints.short_service_name("com.amazonaws.ap-northeast-1.ecr.dkr", REGION) == "ecr.dkr"


def test_aws_error_becomes_fail_json_aws(run_module, fake, monkeypatch):
    def boom(*args, **kwargs):
        raise SoloAwsError("Failed to create a VPC endpoint", exception=RuntimeError("limit exceeded"))

    monkeypatch.setattr(vpc_endpoints.api, "create_vpc_endpoint", boom)
    with pytest.raises(ModuleFail) as failure:
        run_module(vpc_endpoints, ARGS)
    assert failure.value.result["msg"] == "Failed to create a VPC endpoint"
    assert str(failure.value.result["exception"]) == "limit exceeded"


def test_the_client_token_is_the_requests_fingerprint(run_module, fake):
    """The same request sends the same token (AWS answers it with the endpoint it made); another request another."""
    run_module(vpc_endpoints, ARGS)
    tokens = list(fake.tokens)
    fake.endpoints.clear()
    run_module(vpc_endpoints, ARGS)
    assert fake.tokens[5:] == tokens
    fake.endpoints.clear()
    run_module(vpc_endpoints, {**ARGS, "vpc_id": "vpc-other"})
    assert not set(fake.tokens[10:]) & set(tokens)
