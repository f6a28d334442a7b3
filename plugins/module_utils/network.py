# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers of the vpc_network module: security group rule algebra.

A rule is normalised to a hashable key ``(proto, from_port, to_port, kind,
target)`` with kind one of ``cidr``, ``cidr6``, ``group``, ``prefix_list``, so
that the rules AWS returns and the rules the inventory asks for compare as
sets. No AWS calls here: unit-tested directly.
"""

from __future__ import annotations

KINDS = ("cidr", "cidr6", "group", "prefix_list")
_AWS_KIND = {
    "cidr": ("IpRanges", "CidrIp"),
    "cidr6": ("Ipv6Ranges", "CidrIpv6"),
    "group": ("UserIdGroupPairs", "GroupId"),
    "prefix_list": ("PrefixListIds", "PrefixListId"),
}


def _ports(proto, from_port, to_port):
    if proto in ("-1", "all"):
        return "-1", None, None
    return str(proto), int(from_port), int(to_port)


def spec_rule_keys(rule, resolve_group, resolve_prefix_list):
    """Keys of one inventory rule; group and prefix-list names are resolved.

    ``rule``: {proto, port | from_port + to_port, one of cidr / cidr_ipv6 /
    group / prefix_list (each a string or a list of strings), description}.
    """
    port = rule.get("port")
    from_port = rule.get("from_port", port)
    to_port = rule.get("to_port", port)
    if str(rule.get("proto", "tcp")) not in ("-1", "all") and (from_port is None or to_port is None):
        raise ValueError(f"rule {rule!r} has no port (give port, or from_port and to_port)")
    proto, from_port, to_port = _ports(rule.get("proto", "tcp"), from_port, to_port)
    resolvers = {"cidr": ("cidr", str), "cidr_ipv6": ("cidr6", str),
                 "group": ("group", resolve_group), "prefix_list": ("prefix_list", resolve_prefix_list)}
    given = [name for name in resolvers if rule.get(name)]
    if len(given) != 1:
        raise ValueError(f"rule {rule!r} must name exactly one of cidr, cidr_ipv6, group, prefix_list")
    kind, resolve = resolvers[given[0]]
    targets = rule[given[0]]
    targets = targets if isinstance(targets, list) else [targets]
    return [(proto, from_port, to_port, kind, resolve(target)) for target in targets]


def permission_rule_keys(permissions):
    """Expand AWS IpPermissions into {rule key: description}."""
    keys = {}
    for perm in permissions or []:
        proto, from_port, to_port = _ports(perm.get("IpProtocol", "-1"), perm.get("FromPort"), perm.get("ToPort"))
        for kind, (list_key, id_key) in _AWS_KIND.items():
            for entry in perm.get(list_key, []) or []:
                keys[(proto, from_port, to_port, kind, entry[id_key])] = entry.get("Description")
    return keys


def rule_permission(key, description=None):
    """One rule key -> one IpPermissions entry."""
    proto, from_port, to_port, kind, target = key
    list_key, id_key = _AWS_KIND[kind]
    entry = {id_key: target}
    if description:
        entry["Description"] = description
    perm = {"IpProtocol": proto, list_key: [entry]}
    if proto != "-1":
        perm["FromPort"] = from_port
        perm["ToPort"] = to_port
    return perm


def describe_rule(key, direction, names=None):
    """Readable form of a rule key, e.g. 'tcp/443 from 0.0.0.0/0'."""
    proto, from_port, to_port, kind, target = key
    names = names or {}
    if proto == "-1":
        ports = "all"
    elif from_port == to_port:
        ports = f"{proto}/{from_port}"
    else:
        ports = f"{proto}/{from_port}-{to_port}"
    label = names.get(target, target)
    if kind == "group":
        label = f"sg:{label}"
    elif kind == "prefix_list":
        label = f"prefix-list:{label}"
    return f"{ports} {'from' if direction == 'ingress' else 'to'} {label}"


def diff_rules(current, desired):
    """(keys to add, keys to remove) between two key collections."""
    current, desired = set(current), set(desired)
    return sorted(desired - current, key=repr), sorted(current - desired, key=repr)
