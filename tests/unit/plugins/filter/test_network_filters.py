"""network_errors / subnet_layout: every rule, with the message a user reads."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.solo_saving.infra.plugins.filter.network import (
    FilterModule,
    ingress_errors,
    network_errors,
    subnet_layout,
)

GOOD = {
    "vpc_cidr": "10.20.0.0/16",
    "azs": ["ap-northeast-1a", "ap-northeast-1c"],
    "region": "ap-northeast-1",
    "min_azs": 2,
    "subnet_cidrs": {
        "public": ["10.20.0.0/24", "10.20.1.0/24"],
        "app": ["10.20.10.0/24", "10.20.11.0/24"],
        "db": ["10.20.20.0/24", "10.20.21.0/24"],
    },
    "ports": {"network_frontend_port": 3000},
}


def spec(**changes):
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in GOOD.items()}
    data["subnet_cidrs"] = {k: list(v) for k, v in GOOD["subnet_cidrs"].items()}
    for key, value in changes.items():
        if "." in key:
            tier, index = key.split(".")[1], int(key.split(".")[2])
            data["subnet_cidrs"][tier][index] = value
        else:
            data[key] = value
    return data


def test_good_spec_has_no_errors():
    assert network_errors(spec()) == []


@pytest.mark.parametrize(("changes", "expected"), [
    ({"vpc_cidr": "10.0.0.0/33"}, "network_vpc_cidr = '10.0.0.0/33' is not a valid IPv4 CIDR block"),
    ({"vpc_cidr": "10.0.0.0/8"}, "network_vpc_cidr = '10.0.0.0/8': AWS accepts netmasks from /16 to /28"),
    ({"vpc_cidr": "10.20.0.1/16"}, "network_vpc_cidr = '10.20.0.1/16' has host bits set: use '10.20.0.0/16'"),
    ({"vpc_cidr": "fd00::/56"}, "network_vpc_cidr = 'fd00::/56' is IPv6"),
    ({"azs": ["ap-northeast-1a"]}, "network_azs = ['ap-northeast-1a']: the stack needs at least 2 availability zones"),
    ({"azs": ["ap-northeast-1a", "ap-northeast-1a"]}, "lists an availability zone twice"),
    ({"azs": ["ap-northeast-1a", "us-east-1c"]}, "network_azs[1] = 'us-east-1c' is not in the stack's region"),
    ({"azs": ["ap-northeast-1a", "tokyo"]}, "network_azs[1] = 'tokyo' is not an availability zone name"),
    ({"subnet_cidrs.app.1": "10.20.0.0/24"},
     "network_subnet_cidrs.app[1] = '10.20.0.0/24' overlaps network_subnet_cidrs.public[0] = '10.20.0.0/24'"),
    ({"subnet_cidrs.db.0": "10.99.0.0/24"},
     "network_subnet_cidrs.db[0] = '10.99.0.0/24' is outside network_vpc_cidr (10.20.0.0/16)"),
    ({"subnet_cidrs.db.0": "10.20.20.0/33"}, "network_subnet_cidrs.db[0] = '10.20.20.0/33' is not a valid"),
    ({"subnet_cidrs.db.0": "10.20.20.0/28"}, None),
    ({"subnet_cidrs.db.0": "10.20.20.0/29"}, "network_subnet_cidrs.db[0] = '10.20.20.0/29': AWS accepts netmasks"),
    ({"ports": {"network_db_port": 70000}}, "network_db_port = 70000 is not a TCP port (1-65535)"),
    ({"ports": {"network_db_port": "5432"}}, "network_db_port = '5432' is not a TCP port"),
])
def test_each_rule_names_the_variable(changes, expected):
    errors = network_errors(spec(**changes))
    if expected is None:
        assert errors == []
    else:
        assert any(expected in e for e in errors), errors


def test_missing_and_unknown_tiers_and_counts():
    data = spec()
    data["subnet_cidrs"] = {"public": ["10.20.0.0/24"], "cache": ["10.20.30.0/24"], "app": "10.20.10.0/24"}
    errors = network_errors(data)
    assert "network_subnet_cidrs.db is missing: give one CIDR block per availability zone" in errors
    assert any("network_subnet_cidrs.cache: unknown tier" in e for e in errors)
    assert any("network_subnet_cidrs.app must be a list" in e for e in errors)
    assert any("network_subnet_cidrs.public has 1 CIDR blocks for 2 availability zones" in e for e in errors)


def test_single_az_allowed_when_min_azs_is_one():
    data = spec(azs=["ap-northeast-1a"], min_azs=1)
    data["subnet_cidrs"] = {t: v[:1] for t, v in data["subnet_cidrs"].items()}
    assert network_errors(data) == []


def test_subnet_layout_pairs_tiers_with_zones_in_order():
    layout = subnet_layout({"public": ["10.0.0.0/24", "10.0.1.0/24"], "app": ["10.0.10.0/24", "10.0.11.0/24"]},
                           ["z-a", "z-c"])
    assert layout == [
        {"tier": "public", "az": "z-a", "cidr": "10.0.0.0/24"},
        {"tier": "public", "az": "z-c", "cidr": "10.0.1.0/24"},
        {"tier": "app", "az": "z-a", "cidr": "10.0.10.0/24"},
        {"tier": "app", "az": "z-c", "cidr": "10.0.11.0/24"},
    ]


@pytest.mark.parametrize(("name", "args", "message"), [
    ("network_errors", ("not a dict",), "network_errors expects a mapping, got str"),
    ("subnet_layout", (["x"], ["a"]), "subnet_layout expects a mapping"),
])
def test_wrappers_raise_filter_errors(name, args, message):
    with pytest.raises(AnsibleFilterError, match=message):
        FilterModule().filters()[name](*args)


# -- the ALB's sources: AWS refuses a bad one only when the security group rules are written ---------
@pytest.mark.parametrize(("cidrs", "expected"), [
    ([], "network_alb_ingress_cidrs = []: give the IPv4 CIDR blocks allowed to reach the ALB, at least one"),
    (None, "network_alb_ingress_cidrs = None: give the IPv4 CIDR blocks"),
    (["office"], "network_alb_ingress_cidrs[0] = 'office' is not a CIDR block: write it with its netmask"),
    (["203.0.113.7"], "network_alb_ingress_cidrs[0] = '203.0.113.7' is not a CIDR block"),
    (["203.0.113.7/24"], "network_alb_ingress_cidrs[0] = '203.0.113.7/24' has host bits set: use '203.0.113.0/24'"),
    (["203.0.113.0/33"], "network_alb_ingress_cidrs[0] = '203.0.113.0/33' is not a valid IPv4 CIDR block"),
    (["::/0"], "network_alb_ingress_cidrs[0] = '::/0' is IPv6"),
    (["0.0.0.0/0", "0.0.0.0/0"], "network_alb_ingress_cidrs[1] = '0.0.0.0/0' is listed twice"),
])
def test_alb_ingress_cidrs(cidrs, expected):
    errors = ingress_errors(cidrs)
    assert any(expected in e for e in errors), errors


def test_good_alb_ingress_cidrs_pass():
    assert ingress_errors(["0.0.0.0/0"]) == []
    assert ingress_errors(["203.0.113.0/24", "198.51.100.7/32"]) == []


def test_network_errors_check_the_alb_sources_when_given():
    assert network_errors({**GOOD, "alb_ingress_cidrs": ["0.0.0.0/0"]}) == []
    assert network_errors({**GOOD, "alb_ingress_cidrs": []}) == [
        "network_alb_ingress_cidrs = []: give the IPv4 CIDR blocks allowed to reach the ALB, at least one: "
        "['0.0.0.0/0'] for the internet, or your offices' ranges like ['203.0.113.0/24']"]
