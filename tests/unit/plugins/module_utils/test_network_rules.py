"""Security group rule algebra used by vpc_network."""

from __future__ import annotations

import pytest

from ansible_collections.solo_saving.infra.plugins.module_utils.network import (
    describe_rule,
    diff_rules,
    permission_rule_keys,
    rule_permission,
    spec_rule_keys,
)

GROUPS = {"frontend": "sg-f", "backend": "sg-b"}


def keys(rule):
    return spec_rule_keys(rule, GROUPS.__getitem__, lambda short: f"pl-{short}")


def test_spec_rule_kinds():
    assert keys({"port": 443, "cidr": "0.0.0.0/0"}) == [("tcp", 443, 443, "cidr", "0.0.0.0/0")]
    assert keys({"port": 443, "cidr": ["1.0.0.0/8", "2.0.0.0/8"]}) == [
        ("tcp", 443, 443, "cidr", "1.0.0.0/8"), ("tcp", 443, 443, "cidr", "2.0.0.0/8")]
    assert keys({"port": "8000", "group": "backend"}) == [("tcp", 8000, 8000, "group", "sg-b")]
    assert keys({"port": 443, "prefix_list": "s3"}) == [("tcp", 443, 443, "prefix_list", "pl-s3")]
    assert keys({"proto": "-1", "cidr_ipv6": "::/0"}) == [("-1", None, None, "cidr6", "::/0")]
    assert keys({"from_port": 1000, "to_port": 2000, "cidr": "10.0.0.0/8"}) == [
        ("tcp", 1000, 2000, "cidr", "10.0.0.0/8")]


@pytest.mark.parametrize(("rule", "message"), [
    ({"port": 443}, "must name exactly one of cidr, cidr_ipv6, group, prefix_list"),
    ({"port": 443, "cidr": "0.0.0.0/0", "group": "backend"}, "must name exactly one of"),
    ({"cidr": "0.0.0.0/0"}, "has no port"),
])
def test_bad_spec_rules(rule, message):
    with pytest.raises(ValueError, match=message):
        keys(rule)


def test_unknown_group_key_propagates():
    with pytest.raises(KeyError):
        keys({"port": 1, "group": "nope"})


def test_aws_permissions_round_trip():
    wanted = [("tcp", 443, 443, "cidr", "0.0.0.0/0"), ("tcp", 8000, 8000, "group", "sg-f"),
              ("-1", None, None, "cidr", "0.0.0.0/0"), ("tcp", 443, 443, "prefix_list", "pl-1"),
              ("tcp", 443, 443, "cidr6", "::/0")]
    perms = [rule_permission(k, "why") for k in wanted]
    assert set(permission_rule_keys(perms)) == set(wanted)
    assert "FromPort" not in perms[2]
    assert perms[1]["UserIdGroupPairs"] == [{"GroupId": "sg-f", "Description": "why"}]


def test_permission_with_several_sources_expands():
    perm = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
            "IpRanges": [{"CidrIp": "1.0.0.0/8"}, {"CidrIp": "2.0.0.0/8", "Description": "d"}],
            "UserIdGroupPairs": [{"GroupId": "sg-1", "UserId": "123"}]}
    assert permission_rule_keys([perm]) == {
        ("tcp", 443, 443, "cidr", "1.0.0.0/8"): None,
        ("tcp", 443, 443, "cidr", "2.0.0.0/8"): "d",
        ("tcp", 443, 443, "group", "sg-1"): None,
    }


def test_diff_and_describe():
    a = ("tcp", 443, 443, "cidr", "0.0.0.0/0")
    b = ("tcp", 80, 80, "cidr", "0.0.0.0/0")
    c = ("tcp", 8000, 8000, "group", "sg-b")
    assert diff_rules([a, b], [a, c]) == ([c], [b])
    assert diff_rules([a], [a]) == ([], [])
    assert describe_rule(c, "egress", {"sg-b": "backend"}) == "tcp/8000 to sg:backend"
    assert describe_rule(a, "ingress") == "tcp/443 from 0.0.0.0/0"
    assert describe_rule(("-1", None, None, "cidr", "0.0.0.0/0"), "egress") == "all to 0.0.0.0/0"
    assert describe_rule(("tcp", 1, 2, "prefix_list", "pl-1"), "egress", {"pl-1": "s3"}) == "tcp/1-2 to prefix-list:s3"
