# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""WAFv2 rules from a short inventory spec.

The inventory lists what it wants, in order of evaluation::

    - managed: AWSManagedRulesCommonRuleSet        # an AWS managed rule group
      count: [SizeRestrictions_BODY]               #   these of its rules only count
    - managed: AWSManagedRulesSQLiRuleSet
    - geo_allow: [JP]                              # block every other country
    - geo_block: [KP]                              # block these countries
    - rate_limit: 2000                             # block an IP above 2000 requests / 5 min
      window: 300

and ``waf_rules`` turns it into complete WAFv2 rules: priorities in list order,
``VisibilityConfig`` (metrics and sampled requests on), ``OverrideAction``
``None`` (or ``Count`` with ``count: true``) for rule groups with
``RuleActionOverrides`` for single rules, ``Action`` ``Block`` (or ``Count``)
for the others. ``waf_rule_errors`` returns every problem as a message naming the
offending entry, so the pre-flight fails before any AWS call.
"""

from __future__ import annotations

import difflib
import re

from ansible.errors import AnsibleFilterError

# AWS managed rule groups that need no configuration (docs: "AWS Managed Rules rule groups list").
AWS_MANAGED_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesAdminProtectionRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
    "AWSManagedRulesLinuxRuleSet",
    "AWSManagedRulesUnixRuleSet",
    "AWSManagedRulesWindowsRuleSet",
    "AWSManagedRulesPHPRuleSet",
    "AWSManagedRulesWordPressRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesAnonymousIpList",
)
# Groups that exist but need ManagedRuleGroupConfigs (and cost extra): not expressible in the short spec.
AWS_CONFIGURED_GROUPS = (
    "AWSManagedRulesBotControlRuleSet",
    "AWSManagedRulesATPRuleSet",
    "AWSManagedRulesACFPRuleSet",
    "AWSManagedRulesAntiDDoSRuleSet",
)
# ISO 3166-1 alpha-2, as AWS WAF's CountryCode enumeration has it (which adds XK, Kosovo's user-assigned code).
COUNTRY_CODES = frozenset((
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ", "BA", "BB",
    "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", "BT", "BV", "BW", "BY",
    "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", "CX",
    "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK",
    "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS",
    "GT", "GU", "GW", "GY", "HK", "HM", "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR",
    "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA",
    "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE",
    "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM",
    "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC", "SD", "SE", "SG",
    "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF",
    "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY",
    "UZ", "VA", "VC", "VE", "VG", "VI", "VN", "VU", "WF", "WS", "XK", "YE", "YT", "ZA", "ZM", "ZW"
))
# Rate-based rules: AWS WAF's limits (the minimum went from 100 to 10 in August 2024).
RATE_LIMIT_MIN = 10
RATE_LIMIT_MAX = 2_000_000_000
RATE_WINDOWS = (60, 120, 300, 600)
KINDS = ("managed", "geo_allow", "geo_block", "rate_limit")
OPTIONS = {
    "managed": {"name", "count", "vendor", "version"},
    "geo_allow": {"name", "count"},
    "geo_block": {"name", "count"},
    "rate_limit": {"name", "count", "window"},
}
DEFAULT_NAMES = {"geo_allow": "geo-allow", "geo_block": "geo-block", "rate_limit": "rate-limit-per-ip"}
NAME_RE = re.compile(r"^[\w-]{1,128}$")
METRIC_RE = re.compile(r"^[\w#:.\-/]{1,255}$")


def _entry_errors(where, entry):
    """Problems of one entry (``where`` names it, e.g. "edge_waf_rules[3] = {...}")."""
    if not isinstance(entry, dict):
        return [f"{where}: each entry must be a mapping such as {{managed: AWSManagedRulesSQLiRuleSet}}"]
    kinds = [k for k in KINDS if k in entry]
    if len(kinds) != 1:
        return [f"{where}: give exactly one of {', '.join(KINDS)}"]
    kind = kinds[0]
    errors = []
    unknown = sorted(set(entry) - {kind} - OPTIONS[kind])
    if unknown:
        errors.append(f"{where}: unknown key(s) {', '.join(unknown)}; a {kind} entry takes "
                      f"{', '.join(sorted(OPTIONS[kind]))}")
    name = entry.get("name")
    if name is not None and not (isinstance(name, str) and NAME_RE.match(name)):
        errors.append(f"{where}: name {name!r} must be 1-128 letters, digits, '_' or '-'")
    value = entry[kind]
    if kind == "managed":
        errors.extend(_managed_errors(where, entry, value))
    elif kind in ("geo_allow", "geo_block"):
        errors.extend(_geo_errors(where, entry, kind, value))
    else:
        errors.extend(_rate_errors(where, entry, value))
    return errors


def _managed_errors(where, entry, value):
    errors = []
    vendor = entry.get("vendor", "AWS")
    if not isinstance(value, str) or not NAME_RE.match(value):
        return [f"{where}: managed must be the name of a managed rule group, like 'AWSManagedRulesSQLiRuleSet'"]
    if vendor == "AWS":
        if value in AWS_CONFIGURED_GROUPS:
            errors.append(f"{where}: {value} needs ManagedRuleGroupConfigs (and costs extra), which this short spec "
                          "does not offer")
        elif value not in AWS_MANAGED_GROUPS:
            close = difflib.get_close_matches(value, AWS_MANAGED_GROUPS, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            errors.append(f"{where}: unknown AWS managed rule group {value!r}; {hint}the groups are "
                          f"{', '.join(AWS_MANAGED_GROUPS)}")
    count = entry.get("count", False)
    if isinstance(count, list):
        bad = [r for r in count if not (isinstance(r, str) and NAME_RE.match(r))]
        if bad or not count:
            errors.append(f"{where}: count lists the group's rules to count instead of block, by name "
                          f"(like [SizeRestrictions_BODY]); {bad or count!r} is not that")
        elif len(set(count)) != len(count):
            errors.append(f"{where}: count names a rule twice")
    elif not isinstance(count, bool):
        errors.append(f"{where}: count must be true (the whole group only counts) or a list of rule names")
    version = entry.get("version")
    if version is not None and not isinstance(version, str):
        errors.append(f"{where}: version must be a string like 'Version_1.4'")
    return errors


def _geo_errors(where, entry, kind, value):
    errors = []
    if not isinstance(value, list) or not value:
        return [f"{where}: {kind} must be a non-empty list of ISO 3166-1 alpha-2 country codes, like [JP]"]
    for code in value:
        if not isinstance(code, str) or code.upper() not in COUNTRY_CODES:
            errors.append(f"{where}: {code!r} is not an ISO 3166-1 alpha-2 country code (two letters, like 'JP')")
    upper = [str(c).upper() for c in value]
    if len(set(upper)) != len(upper):
        errors.append(f"{where}: {kind} lists a country twice")
    if not isinstance(entry.get("count", False), bool):
        errors.append(f"{where}: count must be true or false")
    return errors


def _rate_errors(where, entry, value):
    errors = []
    window = entry.get("window", 300)
    if isinstance(value, bool) or not isinstance(value, int):
        errors.append(f"{where}: rate_limit must be a whole number of requests per window")
    elif not RATE_LIMIT_MIN <= value <= RATE_LIMIT_MAX:
        errors.append(f"{where}: rate limit {value} is outside what AWS WAF accepts: at least {RATE_LIMIT_MIN} "
                      f"(at most {RATE_LIMIT_MAX}) requests per {window if window in RATE_WINDOWS else 300} s "
                      "from one IP address")
    if window not in RATE_WINDOWS or isinstance(window, bool):
        errors.append(f"{where}: window {window!r} must be one of {', '.join(str(w) for w in RATE_WINDOWS)} seconds")
    if not isinstance(entry.get("count", False), bool):
        errors.append(f"{where}: count must be true or false")
    return errors


def _rule_name(entry, kind):
    return entry.get("name") or (entry[kind] if kind == "managed" else DEFAULT_NAMES[kind])


def waf_rule_errors(spec, variable="waf_rules", metric_prefix=None):
    """Every problem of a rule spec, each naming the offending entry; [] when all is well."""
    if not isinstance(spec, list):
        return [f"{variable} must be a list of rules such as [{{managed: AWSManagedRulesCommonRuleSet}}, "
                "{rate_limit: 2000}]"]
    errors = []
    names = {}
    for index, entry in enumerate(spec):
        where = f"{variable}[{index}] = {entry!r}"
        entry_errors = _entry_errors(where, entry)
        errors.extend(entry_errors)
        if entry_errors:
            continue
        kind = next(k for k in KINDS if k in entry)
        name = _rule_name(entry, kind)
        if name in names:
            errors.append(f"{where}: rule name {name!r} is already used by {variable}[{names[name]}]; give one "
                          "of them a name")
        names.setdefault(name, index)
        if metric_prefix is not None and not METRIC_RE.match(f"{metric_prefix}-{name}"):
            errors.append(f"{where}: metric name {metric_prefix}-{name!s} is not valid for CloudWatch")
    return errors


def _visibility(metric_prefix, name):
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": f"{metric_prefix}-{name}"}


def waf_rules(spec, metric_prefix, variable="waf_rules"):
    """Complete WAFv2 rules for ``spec`` (see the module docstring); raises ValueError on a bad spec."""
    errors = waf_rule_errors(spec, variable, metric_prefix)
    if errors:
        raise ValueError(" | ".join(errors))
    rules = []
    for priority, entry in enumerate(spec):
        kind = next(k for k in KINDS if k in entry)
        name = _rule_name(entry, kind)
        count = entry.get("count", False)
        rule = {"Name": name, "Priority": priority}
        if kind == "managed":
            statement = {"VendorName": entry.get("vendor", "AWS"), "Name": entry["managed"]}
            if entry.get("version"):
                statement["Version"] = entry["version"]
            if isinstance(count, list):
                statement["RuleActionOverrides"] = [{"Name": r, "ActionToUse": {"Count": {}}} for r in count]
            rule["Statement"] = {"ManagedRuleGroupStatement": statement}
            rule["OverrideAction"] = {"Count": {}} if count is True else {"None": {}}
        else:
            if kind == "rate_limit":
                rule["Statement"] = {"RateBasedStatement": {
                    "Limit": entry["rate_limit"], "EvaluationWindowSec": entry.get("window", 300),
                    "AggregateKeyType": "IP"}}
            else:
                geo = {"GeoMatchStatement": {"CountryCodes": [c.upper() for c in entry[kind]]}}
                # An allow-list blocks what is NOT from the listed countries.
                rule["Statement"] = {"NotStatement": {"Statement": geo}} if kind == "geo_allow" else geo
            rule["Action"] = {"Count": {}} if count else {"Block": {}}
        rule["VisibilityConfig"] = _visibility(metric_prefix, name)
        rules.append(rule)
    return rules


def _waf_rules(spec, metric_prefix, variable="waf_rules"):
    if not isinstance(metric_prefix, str) or not metric_prefix:
        raise AnsibleFilterError("waf_rules needs a metric name prefix, e.g. waf_rules('solo-saving-prod')")
    try:
        return waf_rules(spec, metric_prefix, variable)
    except ValueError as e:
        raise AnsibleFilterError(str(e)) from None


def _waf_rule_errors(spec, variable="waf_rules"):
    return waf_rule_errors(spec, variable)


class FilterModule:
    def filters(self):
        return {"waf_rules": _waf_rules, "waf_rule_errors": _waf_rule_errors}
