# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers of the edge modules (Route 53, ACM, ELBv2, WAFv2): no AWS calls here.

They normalise what AWS returns so that it compares with what the inventory asks for; the
modules record their writes and ``--diff`` views through :class:`~.common.Plan`.
"""

from __future__ import annotations

import copy
import re

from ansible_collections.solo_saving.infra.plugins.module_utils import common


def partition_of(region):
    """The ARN partition of a region: aws-cn for China, aws-us-gov for GovCloud, aws elsewhere."""
    return "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"


class EdgeError(Exception):
    """A request a module refuses: ambiguous state, or a change AWS cannot make in place."""


# CloudWatch Logs retention values (days) that PutRetentionPolicy accepts.
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                  3288, 3653)


# -- DNS names ----------------------------------------------------------------
_OCTAL = re.compile(r"\\(\d{3})")


def dns_name(name):
    """Canonical form of a DNS name: lower case, no trailing dot, Route 53's octal escapes decoded."""
    return _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), str(name)).rstrip(".").lower()


def in_zone(name, zone):
    name, zone = dns_name(name), dns_name(zone)
    return name == zone or name.endswith("." + zone)


# -- ACM ------------------------------------------------------------------------
# RequestCertificate's IdempotencyToken (\w{1,32}): ACM treats requests with the same token within one
# hour as one, so a run that dies after the request and is started again cannot get a second certificate.
idempotency_token = common.idempotency_token


def certificate_names(certificate):
    """Every name a certificate covers (its domain and its alternative names)."""
    names = {dns_name(certificate.get("DomainName", ""))}
    names.update(dns_name(n) for n in certificate.get("SubjectAlternativeNames", []) or [])
    return names


STATUS_PREFERENCE = {"ISSUED": 0, "PENDING_VALIDATION": 1}


def pick_certificate(certificates, names):
    """The best of ``certificates`` (full descriptions) covering exactly ``names``, or None.

    An issued certificate wins over one pending validation, then the newest.
    """
    wanted = {dns_name(n) for n in names}
    matching = [c for c in certificates if c.get("Status") in STATUS_PREFERENCE and certificate_names(c) == wanted]
    if not matching:
        return None
    return sorted(matching, key=lambda c: (STATUS_PREFERENCE[c["Status"]], -_timestamp(c.get("CreatedAt"))))[0]


def _timestamp(value):
    if value is None:
        return 0.0
    if hasattr(value, "timestamp"):
        return value.timestamp()
    return float(value)


def validation_records(certificate):
    """The DNS validation records of a certificate, deduplicated by name, or None when ACM has not made them yet.

    A wildcard and its base name share one record, so several names may give the same one.
    """
    options = certificate.get("DomainValidationOptions") or []
    if not options:
        return None
    records = {}
    for option in options:
        record = option.get("ResourceRecord")
        if not record:
            return None
        records[dns_name(record["Name"])] = {"name": dns_name(record["Name"]), "type": record["Type"], "ttl": 300,
                                             "values": [dns_name(record["Value"])]}
    return [records[name] for name in sorted(records)]


# -- Route 53 records -------------------------------------------------------------
def alias_target_name(name):
    """Alias DNS names compare without the trailing dot and the optional ``dualstack.`` prefix."""
    name = dns_name(name)
    return name[len("dualstack."):] if name.startswith("dualstack.") else name


def record_from_spec(spec):
    """A record of the module's ``records`` option in the comparable form."""
    record = {"name": dns_name(spec["name"]), "type": spec["type"].upper()}
    alias = spec.get("alias")
    if alias:
        record["alias"] = {"dns_name": alias["dns_name"], "hosted_zone_id": alias["hosted_zone_id"],
                           "evaluate_target_health": bool(alias.get("evaluate_target_health", True))}
    else:
        record["ttl"] = int(spec.get("ttl") or 300)
        record["values"] = [str(v) for v in spec.get("values") or []]
    return record


def record_from_aws(rrset):
    record = {"name": dns_name(rrset["Name"]), "type": rrset["Type"]}
    if rrset.get("AliasTarget"):
        target = rrset["AliasTarget"]
        record["alias"] = {"dns_name": target["DNSName"], "hosted_zone_id": target["HostedZoneId"],
                           "evaluate_target_health": bool(target.get("EvaluateTargetHealth"))}
    else:
        record["ttl"] = int(rrset.get("TTL") or 0)
        record["values"] = [r["Value"] for r in rrset.get("ResourceRecords", [])]
    for key in ("SetIdentifier", "Weight", "Region", "Failover", "GeoLocation", "MultiValueAnswer"):
        if key in rrset:
            record["routing"] = key
    return record


def _comparable(record):
    if record is None:
        return None
    result = {"name": record["name"], "type": record["type"], "routing": record.get("routing")}
    if "alias" in record:
        alias = record["alias"]
        result["alias"] = (alias_target_name(alias["dns_name"]), alias["hosted_zone_id"],
                           alias["evaluate_target_health"])
    else:
        result["ttl"] = record["ttl"]
        result["values"] = sorted(dns_name(v) if record["type"] in ("CNAME", "NS") else v
                                  for v in record["values"])
    return result


def records_differ(current, desired):
    return _comparable(current) != _comparable(desired)


def record_change(record):
    """The UPSERT change for one record."""
    rrset = {"Name": record["name"] + ".", "Type": record["type"]}
    if "alias" in record:
        alias = record["alias"]
        rrset["AliasTarget"] = {"HostedZoneId": alias["hosted_zone_id"], "DNSName": alias["dns_name"],
                                "EvaluateTargetHealth": alias["evaluate_target_health"]}
    else:
        rrset["TTL"] = record["ttl"]
        rrset["ResourceRecords"] = [{"Value": v} for v in record["values"]]
    return {"Action": "UPSERT", "ResourceRecordSet": rrset}


def describe_record(record):
    if record is None:
        return None
    if "alias" in record:
        return f"alias to {alias_target_name(record['alias']['dns_name'])}"
    return f"{', '.join(record['values'])} (ttl {record['ttl']})"


# -- ELBv2 -----------------------------------------------------------------------
def attribute_value(value):
    """ELBv2 attribute values are strings; booleans in lower case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def attributes_to_set(current, desired):
    """The desired attributes whose value differs from ``current`` (a dict of AWS strings)."""
    return {k: attribute_value(v) for k, v in sorted(desired.items()) if current.get(k) != attribute_value(v)}


def forward_targets(action):
    """Target group ARNs of a forward action, whichever of its two forms AWS returns."""
    arns = set()
    if action.get("TargetGroupArn"):
        arns.add(action["TargetGroupArn"])
    for group in (action.get("ForwardConfig") or {}).get("TargetGroups", []) or []:
        arns.add(group["TargetGroupArn"])
    return arns


REDIRECT_DEFAULTS = {"Host": "#{host}", "Path": "/#{path}", "Query": "#{query}"}


def comparable_action(action):
    kind = action.get("Type")
    if kind == "forward":
        return ("forward", tuple(sorted(forward_targets(action))))
    if kind == "redirect":
        config = action.get("RedirectConfig") or {}
        values = {k: config.get(k, default) for k, default in REDIRECT_DEFAULTS.items()}
        return ("redirect", config.get("Protocol"), str(config.get("Port")), values["Host"], values["Path"],
                values["Query"], config.get("StatusCode"))
    return (kind, repr(sorted(action.items())))


def comparable_listener(listener):
    """What matters of a listener: protocol, TLS policy, default certificate, default actions."""
    certificates = listener.get("Certificates") or []
    default_cert = next((c["CertificateArn"] for c in certificates if c.get("IsDefault", True)), None)
    return {
        "protocol": listener.get("Protocol"),
        "ssl_policy": listener.get("SslPolicy") if listener.get("Protocol") in ("HTTPS", "TLS") else None,
        "certificate": default_cert if listener.get("Protocol") in ("HTTPS", "TLS") else None,
        "actions": [comparable_action(a) for a in sorted(listener.get("DefaultActions", []),
                                                         key=lambda a: a.get("Order", 1))],
    }


def describe_listener(view):
    if view is None:
        return None
    actions = []
    for action in view["actions"]:
        if action[0] == "forward":
            actions.append("forward to " + ", ".join(action[1]))
        elif action[0] == "redirect":
            actions.append(f"redirect {action[6]} to {action[1]}:{action[2]}")
        else:
            actions.append(action[0])
    text = f"{view['protocol']}: {'; '.join(actions)}"
    if view.get("ssl_policy"):
        text += f" (policy {view['ssl_policy']}, certificate {view['certificate']})"
    return text


# -- WAFv2 -------------------------------------------------------------------------
def _drop_empty(value):
    """Drop empty lists (AWS may return ``ExcludedRules: []`` where none were sent); keep empty dicts
    (``{"Block": {}}`` and ``{"None": {}}`` are meaningful)."""
    if isinstance(value, dict):
        return {k: _drop_empty(v) for k, v in value.items() if not (isinstance(v, list) and not v) and v is not None}
    if isinstance(value, list):
        return [_drop_empty(v) for v in value]
    return value


def comparable_rules(rules):
    return [_drop_empty(copy.deepcopy(r)) for r in sorted(rules or [], key=lambda r: r.get("Priority", 0))]


def rule_views(rules):
    """The rules as ``--diff`` shows them: by name, each with all it is compared on (priority, action or
    override, statement, visibility) - the same normalisation as :func:`rules_differ`, so a plan shows a
    difference exactly when there is one, down to the country or rate that changed."""
    return {rule.get("Name"): {key: value for key, value in rule.items() if key != "Name"}
            for rule in comparable_rules(rules)}


def rules_differ(current, desired):
    return comparable_rules(current) != comparable_rules(desired)
