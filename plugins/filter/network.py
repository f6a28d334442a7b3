# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the network layer: inventory validation and subnet layout.

The pure functions take plain data and return plain data (lists of messages,
lists of dicts); the FilterModule wrappers turn bad input types into
AnsibleFilterError. Messages name the inventory variable and say what to change.
"""

from __future__ import annotations

import ipaddress
import re

from ansible.errors import AnsibleFilterError

TIERS = ("public", "app", "db")
AZ_RE = re.compile(r"^(?P<region>[a-z]{2}(-gov)?-[a-z]+-\d)(?P<zone>[a-z])$")
# AWS allows VPC and subnet netmasks between /16 and /28.
MIN_PREFIX = 16
MAX_PREFIX = 28


def _parse(value, name, errors):
    try:
        net = ipaddress.ip_network(str(value), strict=True)
    except ValueError as e:
        text = str(e)
        if "host bits set" in text:
            fixed = ipaddress.ip_network(str(value), strict=False)
            errors.append(f"{name} = '{value}' has host bits set: use '{fixed}'")
        else:
            errors.append(f"{name} = '{value}' is not a valid IPv4 CIDR block ({text}): write it like '10.0.0.0/16'")
        return None
    if net.version != 4:
        errors.append(f"{name} = '{value}' is IPv6: give an IPv4 CIDR block like '10.0.0.0/16'")
        return None
    if not MIN_PREFIX <= net.prefixlen <= MAX_PREFIX:
        errors.append(f"{name} = '{value}': AWS accepts netmasks from /{MIN_PREFIX} to /{MAX_PREFIX}")
        return None
    return net


def ingress_errors(cidrs, name="network_alb_ingress_cidrs"):
    """Every problem with the sources allowed to reach the ALB (IPv4 CIDR blocks, any netmask)."""
    example = "['0.0.0.0/0'] for the internet, or your offices' ranges like ['203.0.113.0/24']"
    if not isinstance(cidrs, list) or not cidrs:
        return [f"{name} = {cidrs!r}: give the IPv4 CIDR blocks allowed to reach the ALB, at least one: {example}"]
    errors = []
    seen = set()
    for i, value in enumerate(cidrs):
        where = f"{name}[{i}] = {value!r}"
        text = str(value).strip() if isinstance(value, str) else None
        if text is None or "/" not in text:
            errors.append(f"{where} is not a CIDR block: write it with its netmask, like '203.0.113.0/24' "
                          "('198.51.100.7/32' for one address)")
            continue
        try:
            net = ipaddress.ip_network(text, strict=True)
        except ValueError as e:
            if "host bits set" in str(e):
                errors.append(f"{where} has host bits set: use '{ipaddress.ip_network(text, strict=False)}'")
            else:
                errors.append(f"{where} is not a valid IPv4 CIDR block ({e}): write it like '203.0.113.0/24'")
            continue
        if net.version != 4:
            errors.append(f"{where} is IPv6: the ALB's security group rules take IPv4 blocks here")
        elif str(net) in seen:
            errors.append(f"{where} is listed twice: give each block once")
        seen.add(str(net))
    return errors


def network_errors(spec):
    """Every problem with the network inputs, as messages; [] when all is well.

    ``spec`` keys: vpc_cidr, azs, subnet_cidrs ({tier: [cidr per AZ]}),
    region, min_azs, ports ({variable name: port}), alb_ingress_cidrs (optional).
    """
    errors = []
    vpc = _parse(spec.get("vpc_cidr"), "network_vpc_cidr", errors)
    azs = spec.get("azs") or []
    region = spec.get("region")
    min_azs = int(spec.get("min_azs", 2))
    if not isinstance(azs, list) or len(azs) < min_azs:
        errors.append(f"network_azs = {azs!r}: the stack needs at least {min_azs} availability zones "
                      f"(for example ['{region}a', '{region}c']) to survive the loss of one")
        azs = azs if isinstance(azs, list) else []
    if len(set(azs)) != len(azs):
        errors.append(f"network_azs = {azs!r} lists an availability zone twice: give distinct zones")
    for i, az in enumerate(azs):
        match = AZ_RE.match(str(az))
        if not match:
            errors.append(f"network_azs[{i}] = '{az}' is not an availability zone name (like '{region}a')")
        elif region and match.group("region") != region:
            errors.append(f"network_azs[{i}] = '{az}' is not in the stack's region {region}: "
                          f"use a zone of {region} or change stack_region")
    cidrs = spec.get("subnet_cidrs") or {}
    if not isinstance(cidrs, dict):
        errors.append("network_subnet_cidrs must be a mapping of tier -> list of CIDR blocks")
        cidrs = {}
    seen = []
    for tier in TIERS:
        if tier not in cidrs:
            errors.append(f"network_subnet_cidrs.{tier} is missing: give one CIDR block per availability zone")
    for tier, blocks in cidrs.items():
        if tier not in TIERS:
            errors.append(f"network_subnet_cidrs.{tier}: unknown tier; the tiers are {', '.join(TIERS)}")
            continue
        if not isinstance(blocks, list):
            errors.append(f"network_subnet_cidrs.{tier} must be a list of CIDR blocks, one per availability zone")
            continue
        if len(blocks) != len(azs):
            errors.append(f"network_subnet_cidrs.{tier} has {len(blocks)} CIDR blocks for {len(azs)} availability "
                          f"zones: give exactly one per entry of network_azs, in the same order")
        for i, block in enumerate(blocks):
            name = f"network_subnet_cidrs.{tier}[{i}]"
            net = _parse(block, name, errors)
            if net is None:
                continue
            if vpc is not None and not net.subnet_of(vpc):
                errors.append(f"{name} = '{block}' is outside network_vpc_cidr ({vpc}): choose a block inside it")
            for other_name, other in seen:
                if net.overlaps(other):
                    errors.append(f"{name} = '{block}' overlaps {other_name} = '{other}': "
                                  "give each subnet its own range")
            seen.append((name, net))
    for name, port in (spec.get("ports") or {}).items():
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            errors.append(f"{name} = {port!r} is not a TCP port (1-65535)")
    if "alb_ingress_cidrs" in spec:
        errors.extend(ingress_errors(spec["alb_ingress_cidrs"]))
    if "flow_logs" in spec:
        errors.extend(flow_log_errors(spec["flow_logs"], spec.get("account_id")))
    return errors


# The retention periods CloudWatch Logs accepts (PutRetentionPolicy, retentionInDays); 0 keeps forever.
LOG_RETENTION_DAYS = (0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                      2922, 3288, 3653)


def flow_log_errors(flow_logs, account_id):
    """Problems with network_flow_logs ({enabled, traffic_type, retention_days, max_aggregation_interval})."""
    if not isinstance(flow_logs, dict) or not isinstance(flow_logs.get("enabled"), bool):
        return ["network_flow_logs must be a mapping with enabled (true/false), traffic_type (REJECT or ALL) and "
                "retention_days"]
    if not flow_logs["enabled"]:
        return []
    errors = []
    if flow_logs.get("traffic_type") not in ("REJECT", "ALL"):
        errors.append(f"network_flow_logs.traffic_type = {flow_logs.get('traffic_type')!r}: log REJECT (what the "
                      "security groups stop, FSBP EC2.6's minimum) or ALL")
    days = flow_logs.get("retention_days")
    if isinstance(days, bool) or days not in LOG_RETENTION_DAYS:
        errors.append(f"network_flow_logs.retention_days = {days!r} is not a retention CloudWatch Logs offers "
                      f"({', '.join(map(str, LOG_RETENTION_DAYS[1:9]))}, ... days; 0 keeps them forever)")
    if flow_logs.get("max_aggregation_interval", 600) not in (60, 600):
        errors.append(f"network_flow_logs.max_aggregation_interval = {flow_logs.get('max_aggregation_interval')!r}: "
                      "a flow log aggregates over 60 or 600 seconds")
    if not re.fullmatch(r"[0-9]{12}", str(account_id or "")):
        errors.append(f"network_account_id = {account_id!r}: the flow log's delivery role trusts only this "
                      "account's flow logs, so set stack_account_id (or network_account_id) to the account's "
                      "12-digit id, or turn network_flow_logs.enabled off")
    return errors


def subnet_layout(subnet_cidrs, azs):
    """{tier: [cidr per AZ]} + [az, ...] -> [{tier, az, cidr}, ...] (tier order kept)."""
    return [{"tier": tier, "az": az, "cidr": cidr}
            for tier, blocks in subnet_cidrs.items()
            for az, cidr in zip(azs, blocks, strict=False)]


def _network_errors(spec):
    if not isinstance(spec, dict):
        raise AnsibleFilterError(f"network_errors expects a mapping, got {type(spec).__name__}")
    return network_errors(spec)


def _subnet_layout(subnet_cidrs, azs):
    if not isinstance(subnet_cidrs, dict) or not isinstance(azs, list):
        raise AnsibleFilterError("subnet_layout expects a mapping of tier -> CIDR list and a list of zones")
    return subnet_layout(subnet_cidrs, azs)


class FilterModule:
    def filters(self):
        return {"network_errors": _network_errors, "subnet_layout": _subnet_layout}
