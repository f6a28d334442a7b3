"""vpc_network: plan/compare logic, check mode, and error paths, with the wrapper layer faked."""

from __future__ import annotations

import copy
import itertools

import pytest

from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError
from ansible_collections.solo_saving.infra.plugins.modules import vpc_network
from tests.support.modules import ModuleFail

PREFIX = "t-dev"
ARGS = {
    "name_prefix": PREFIX,
    "cidr_block": "10.0.0.0/16",
    "subnets": [
        {"tier": "public", "az": "ap-northeast-1a", "cidr": "10.0.0.0/24"},
        {"tier": "public", "az": "ap-northeast-1c", "cidr": "10.0.1.0/24"},
        {"tier": "app", "az": "ap-northeast-1a", "cidr": "10.0.10.0/24"},
        {"tier": "app", "az": "ap-northeast-1c", "cidr": "10.0.11.0/24"},
    ],
    "security_groups": [
        {"key": "alb", "description": "lb", "ingress": [{"port": 443, "cidr": "0.0.0.0/0"}],
         "egress": [{"port": 3000, "group": "app"}]},
        {"key": "app", "description": "app", "ingress": [{"port": 3000, "group": "alb"}],
         "egress": [{"port": 443, "prefix_list": "s3"}]},
    ],
    "tags": {"Project": "t"},
}


class FakeEc2:
    """In-memory stand-in for module_utils.ec2: records every write call."""

    def __init__(self):
        self.ids = itertools.count(1)
        self.vpcs, self.subnets, self.igws, self.tables, self.groups = [], [], [], [], []
        self.attrs = {}
        self.writes = []
        self.tokens = []
        self.nat_gateways = []

    def _id(self, kind):
        return f"{kind}-{next(self.ids)}"

    @staticmethod
    def _match(res, flt):
        tags = {t["Key"]: t["Value"] for t in res.get("Tags", [])}
        for key, value in flt.items():
            if key.startswith("tag__") and tags.get(key[5:]) != value:
                return False
            if key == "vpc_id" and res.get("VpcId") != value:
                return False
            if key == "attachment__vpc_id" and value not in [a["VpcId"] for a in res.get("Attachments", [])]:
                return False
        return True

    def describe_vpcs(self, client, **flt):
        return [copy.deepcopy(v) for v in self.vpcs if self._match(v, flt)]

    def describe_vpc_attribute(self, client, vpc_id, attribute):
        return self.attrs.get((vpc_id, attribute), True)

    def create_vpc(self, client, cidr, tag_specs):
        self.writes.append("create_vpc")
        vpc = {"VpcId": self._id("vpc"), "CidrBlock": cidr, "Tags": tag_specs[0]["Tags"]}
        self.vpcs.append(vpc)
        # As AWS does: a default group, untagged, admitting itself and sending anywhere.
        gid = self._id("sg")
        self.groups.append({"GroupId": gid, "GroupName": "default", "VpcId": vpc["VpcId"], "Tags": [],
                            "IpPermissions": [{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": gid}]}],
                            "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]})
        return vpc

    def modify_vpc_attribute(self, client, vpc_id, attribute, value):
        self.writes.append(f"modify_vpc_attribute:{attribute}")

    def create_tags(self, client, ids, tags):
        self.writes.append(f"create_tags:{ids[0]}")

    def describe_subnets(self, client, **flt):
        return [copy.deepcopy(s) for s in self.subnets if self._match(s, flt)]

    def create_subnet(self, client, vpc_id, cidr, az, tag_specs):
        self.writes.append(f"create_subnet:{cidr}")
        sub = {"SubnetId": self._id("subnet"), "VpcId": vpc_id, "CidrBlock": cidr, "AvailabilityZone": az,
               "Tags": tag_specs[0]["Tags"]}
        self.subnets.append(sub)
        return sub

    def describe_internet_gateways(self, client, **flt):
        return [copy.deepcopy(g) for g in self.igws if self._match(g, flt)]

    def create_internet_gateway(self, client, tag_specs):
        self.writes.append("create_internet_gateway")
        igw = {"InternetGatewayId": self._id("igw"), "Attachments": [], "Tags": tag_specs[0]["Tags"]}
        self.igws.append(igw)
        return igw

    def attach_internet_gateway(self, client, igw_id, vpc_id):
        self.writes.append("attach_internet_gateway")
        next(g for g in self.igws if g["InternetGatewayId"] == igw_id)["Attachments"].append(
            {"VpcId": vpc_id, "State": "available"})

    def describe_route_tables(self, client, **flt):
        return [copy.deepcopy(t) for t in self.tables if self._match(t, flt)]

    def describe_nat_gateways(self, client, **flt):
        return [copy.deepcopy(n) for n in self.nat_gateways if n["VpcId"] == flt.get("vpc_id")]

    def delete_nat_gateway(self, client, nat_gateway_id):
        self.writes.append(f"delete_nat_gateway:{nat_gateway_id}")
        next(n for n in self.nat_gateways if n["NatGatewayId"] == nat_gateway_id)["State"] = "deleting"

    def create_route_table(self, client, vpc_id, tag_specs, client_token):
        self.writes.append("create_route_table")
        self.tokens.append(client_token)
        table = {"RouteTableId": self._id("rtb"), "VpcId": vpc_id, "Routes": [], "Associations": [],
                 "Tags": tag_specs[0]["Tags"]}
        self.tables.append(table)
        return table

    def _table(self, rt_id):
        return next(t for t in self.tables if t["RouteTableId"] == rt_id)

    def create_route(self, client, rt_id, dest, gw):
        self.writes.append(f"create_route:{dest}")
        self._table(rt_id)["Routes"].append({"DestinationCidrBlock": dest, "GatewayId": gw})

    def replace_route(self, client, rt_id, dest, gw):
        self.writes.append(f"replace_route:{dest}")

    def delete_route(self, client, rt_id, route):
        self.writes.append(f"delete_route:{route.get('DestinationCidrBlock')}")
        table = self._table(rt_id)
        table["Routes"] = [r for r in table["Routes"] if r != route]

    def associate_route_table(self, client, rt_id, subnet_id):
        self.writes.append("associate_route_table")
        self._table(rt_id)["Associations"].append({"SubnetId": subnet_id, "RouteTableAssociationId": self._id("a")})

    def replace_route_table_association(self, client, assoc_id, rt_id):
        self.writes.append("replace_route_table_association")

    def describe_security_groups(self, client, **flt):
        return [copy.deepcopy(g) for g in self.groups if self._match(g, flt)]

    def create_security_group(self, client, vpc_id, name, description, tag_specs):
        self.writes.append(f"create_security_group:{name}")
        group = {"GroupId": self._id("sg"), "GroupName": name, "VpcId": vpc_id, "Tags": tag_specs[0]["Tags"],
                 "IpPermissions": [],
                 "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}
        self.groups.append(group)
        return group["GroupId"]

    def _group(self, gid):
        return next(g for g in self.groups if g["GroupId"] == gid)

    def authorize_rules(self, client, gid, direction, perms):
        self.writes.append(f"authorize:{direction}")
        key = "IpPermissions" if direction == "ingress" else "IpPermissionsEgress"
        self._group(gid)[key].extend(perms)

    def revoke_rules(self, client, gid, direction, perms):
        self.writes.append(f"revoke:{direction}")
        key = "IpPermissions" if direction == "ingress" else "IpPermissionsEgress"
        self._group(gid)[key] = [p for p in self._group(gid)[key] if p != perms[0] and not (
            p.get("IpProtocol") == "-1" and perms[0].get("IpProtocol") == "-1")]

    def describe_managed_prefix_lists(self, client, name):
        return [{"PrefixListId": "pl-s3", "PrefixListName": name}]


@pytest.fixture
def fake(monkeypatch):
    fake = FakeEc2()
    for name in dir(fake):
        if not name.startswith("_") and hasattr(vpc_network.api, name):
            monkeypatch.setattr(vpc_network.api, name, getattr(fake, name))
    return fake


def test_check_mode_on_empty_account_plans_everything_and_writes_nothing(run_module, fake):
    result = run_module(vpc_network, ARGS, check_mode=True, diff=True)
    assert fake.writes == []
    assert result["changed"] is True
    assert result["vpc_id"] == "planned:vpc:t-dev-vpc"
    assert result["subnets"]["app"]["ap-northeast-1c"] == "planned:subnet:t-dev-app-1c"
    assert result["security_group_ids"] == {"alb": "planned:sg:t-dev-alb", "app": "planned:sg:t-dev-app"}
    assert "create VPC t-dev-vpc (10.0.0.0/16)" in result["actions"]
    assert "allow tcp/3000 to sg:app on t-dev-alb" in result["actions"]
    assert "revoke all to 0.0.0.0/0 on t-dev-app" in result["actions"]
    assert result["diff"]["before"]["vpc"] is None
    assert result["diff"]["after"]["security_groups"]["t-dev-app"]["egress"] == ["tcp/443 to prefix-list:s3"]


def test_real_run_then_second_run_and_check_mode_change_nothing(run_module, fake):
    planned = run_module(vpc_network, ARGS, check_mode=True)
    first = run_module(vpc_network, ARGS)
    assert first["changed"] is True
    # Check mode predicted exactly what the run did.
    assert planned["actions"] == first["actions"]
    assert fake.writes.count("create_vpc") == 1
    assert fake.writes.count("create_route:0.0.0.0/0") == 1  # only the public table
    assert "revoke:egress" in fake.writes  # the default allow-all egress is gone
    writes = list(fake.writes)
    second = run_module(vpc_network, ARGS)
    check = run_module(vpc_network, ARGS, check_mode=True, diff=True)
    assert second["changed"] is False and second["actions"] == []
    assert check["changed"] is False
    assert check["diff"]["before"] == check["diff"]["after"]
    assert fake.writes == writes
    assert second["subnet_ids"]["public"] == [second["subnets"]["public"]["ap-northeast-1a"],
                                              second["subnets"]["public"]["ap-northeast-1c"]]


def test_default_route_on_a_private_table_is_removed(run_module, fake):
    run_module(vpc_network, ARGS)
    app_rt = next(t for t in fake.tables if {x["Key"]: x["Value"] for x in t["Tags"]}.get("Name") == "t-dev-app-rt")
    app_rt["Routes"].append({"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1"})
    result = run_module(vpc_network, ARGS)
    assert "remove the default route 0.0.0.0/0 -> nat-1 from private route table t-dev-app-rt" in result["actions"]
    assert fake._table(app_rt["RouteTableId"])["Routes"] == []


def test_opened_rule_is_revoked(run_module, fake):
    run_module(vpc_network, ARGS)
    app = next(g for g in fake.groups if g["GroupName"] == "t-dev-app")
    app["IpPermissions"].append(
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]})
    result = run_module(vpc_network, ARGS)
    assert result["actions"] == ["revoke tcp/22 from 0.0.0.0/0 on t-dev-app"]


def test_the_default_group_is_emptied_once_and_reopening_it_is_repaired(run_module, fake):
    planned = run_module(vpc_network, ARGS, check_mode=True, diff=True)
    assert "revoke all from sg:default on the VPC's default security group (it must hold no rules)" \
        in planned["actions"]
    assert "revoke all to 0.0.0.0/0 on the VPC's default security group (it must hold no rules)" in planned["actions"]
    assert planned["diff"]["before"]["default_security_group"] is None
    assert planned["diff"]["after"]["default_security_group"] == {"ingress": [], "egress": []}
    run_module(vpc_network, ARGS)
    default = next(g for g in fake.groups if g["GroupName"] == "default")
    assert default["IpPermissions"] == [] and default["IpPermissionsEgress"] == []
    default["IpPermissions"].append({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                     "IpRanges": [{"CidrIp": "10.0.0.0/8"}]})
    check = run_module(vpc_network, ARGS, check_mode=True, diff=True)
    assert check["actions"] == ["revoke tcp/22 from 10.0.0.0/8 on the VPC's default security group "
                                "(it must hold no rules)"]
    assert check["diff"]["before"]["default_security_group"] == {"ingress": ["tcp/22 from 10.0.0.0/8"], "egress": []}
    assert run_module(vpc_network, ARGS)["actions"] == check["actions"]
    assert default["IpPermissions"] == []


def test_the_default_group_is_left_alone_when_asked(run_module, fake):
    result = run_module(vpc_network, {**ARGS, "close_default_security_group": False}, diff=True)
    assert [a for a in result["actions"] if "default security group" in a] == []
    assert "default_security_group" not in result["diff"]["after"]
    default = next(g for g in fake.groups if g["GroupName"] == "default")
    assert len(default["IpPermissions"]) == 1 and len(default["IpPermissionsEgress"]) == 1


def test_changed_subnet_cidr_is_refused(run_module, fake):
    run_module(vpc_network, ARGS)
    args = copy.deepcopy(ARGS)
    args["subnets"][2]["cidr"] = "10.0.12.0/24"
    with pytest.raises(ModuleFail, match=r"subnet t-dev-app-1a .* is 10.0.10.0/24 in ap-northeast-1a, the inventory "
                                         r"asks for 10.0.12.0/24 .*cannot be changed in place"):
        run_module(vpc_network, args)


def test_changed_vpc_cidr_is_refused(run_module, fake):
    run_module(vpc_network, ARGS)
    with pytest.raises(ModuleFail, match=r"set network_vpc_cidr back to 10\.0\.0\.0/16"):
        run_module(vpc_network, {**ARGS, "cidr_block": "10.1.0.0/16", "subnets": []})


def test_duplicate_vpcs_are_reported(run_module, fake):
    fake.vpcs = [{"VpcId": f"vpc-{i}", "CidrBlock": "10.0.0.0/16", "Tags": [{"Key": "Name", "Value": "t-dev-vpc"}]}
                 for i in (1, 2)]
    with pytest.raises(ModuleFail, match=r"found 2 vpcs tagged Name=t-dev-vpc \(vpc-1, vpc-2\)"):
        run_module(vpc_network, ARGS)


def test_unknown_group_reference_is_an_error(run_module, fake):
    args = copy.deepcopy(ARGS)
    args["security_groups"][0]["egress"] = [{"port": 1, "group": "nope"}]
    with pytest.raises(ModuleFail, match="refers to security group key 'nope'"):
        run_module(vpc_network, args, check_mode=True)


@pytest.mark.parametrize(("change", "message"), [
    ({"cidr_block": "10.0.0.0/33"}, "cidr_block: "),
    ({"subnets": [{"tier": "a", "az": "z", "cidr": "10.9.0.0/24"}]}, "is not inside the VPC's 10.0.0.0/16"),
    ({"subnets": [{"tier": "a", "az": "z", "cidr": "10.0.0.0/24"}, {"tier": "a", "az": "z", "cidr": "10.0.1.0/24"}]},
     "two subnets for tier a in z"),
])
def test_input_errors_before_any_call(run_module, fake, change, message):
    with pytest.raises(ModuleFail, match=message):
        run_module(vpc_network, {**ARGS, **change})
    assert fake.writes == []


def test_aws_error_becomes_fail_json_aws(run_module, fake, monkeypatch):
    error = SoloAwsError("Failed to describe VPCs", exception=RuntimeError("throttled"))

    def boom(*args, **kwargs):
        raise error

    monkeypatch.setattr(vpc_network.api, "describe_vpcs", boom)
    with pytest.raises(ModuleFail) as failure:
        run_module(vpc_network, ARGS)
    assert failure.value.result["msg"] == "Failed to describe VPCs"
    assert str(failure.value.result["exception"]) == "throttled"


def test_route_tables_are_created_with_a_client_token_derived_from_the_table(run_module, fake):
    """A CreateRouteTable retried after a lost answer (or sent again after a crash) cannot make a second table."""
    run_module(vpc_network, ARGS)
    tokens = list(fake.tokens)
    assert len(tokens) == fake.writes.count("create_route_table") == len(set(tokens)) >= 2
    assert all(len(t) == 64 and set(t) <= set("0123456789abcdef") for t in tokens)
    fake.tables.clear()
    fake.writes.clear()
    run_module(vpc_network, ARGS)  # the same tables of the same VPC: the same tokens
    again = fake.tokens[len(tokens):]
    assert again and set(again) <= set(tokens)


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_nat_gateway_added_by_hand_fails_the_run_naming_the_switch(run_module, fake, check_mode):
    first = run_module(vpc_network, ARGS)
    fake.nat_gateways.append({"NatGatewayId": "nat-9", "VpcId": first["vpc_id"], "State": "available"})
    fake.writes.clear()
    with pytest.raises(ModuleFail) as failed:
        run_module(vpc_network, ARGS, check_mode=check_mode)
    assert failed.value.result["msg"].startswith(f"NAT gateway nat-9 is in the stack's VPC {first['vpc_id']}, and the "
                                                 "spec has none")
    assert "-e network_remove_nat_gateways=true" in failed.value.result["msg"]
    assert fake.writes == []


def test_with_the_switch_the_nat_gateway_is_planned_then_deleted(run_module, fake):
    first = run_module(vpc_network, ARGS)
    fake.nat_gateways.append({"NatGatewayId": "nat-9", "VpcId": first["vpc_id"], "State": "available"})
    fake.writes.clear()
    planned = run_module(vpc_network, {**ARGS, "remove_nat_gateways": True}, check_mode=True, diff=True)
    assert planned["actions"] == ["delete NAT gateway nat-9 (the spec has none; its Elastic IP is left)"]
    assert planned["diff"]["before"]["nat_gateways"] == ["nat-9"] and planned["diff"]["after"]["nat_gateways"] == []
    assert fake.writes == []
    done = run_module(vpc_network, {**ARGS, "remove_nat_gateways": True})
    assert done["actions"] == planned["actions"] and fake.writes == ["delete_nat_gateway:nat-9"]
    assert run_module(vpc_network, ARGS)["changed"] is False  # a deleting NAT gateway is gone for the spec
