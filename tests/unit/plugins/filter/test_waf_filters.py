"""waf_rules / waf_rule_errors: the short spec becomes complete WAFv2 rules; bad entries are named."""

from __future__ import annotations

import botocore.session
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.solo_saving.infra.plugins.filter.waf import (
    COUNTRY_CODES,
    RATE_LIMIT_MAX,
    RATE_LIMIT_MIN,
    FilterModule,
    waf_rule_errors,
    waf_rules,
)

SPEC = [
    {"managed": "AWSManagedRulesCommonRuleSet"},
    {"managed": "AWSManagedRulesSQLiRuleSet"},
    {"managed": "AWSManagedRulesKnownBadInputsRuleSet"},
    {"geo_allow": ["JP"]},
    {"rate_limit": 2000},
    {"managed": "AWSManagedRulesAnonymousIpList", "count": ["HostingProviderIPList"]},
]


def visibility(name):
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": f"p-{name}"}


def test_the_issue_spec_becomes_complete_rules():
    rules = waf_rules(SPEC, "p")
    assert [r["Priority"] for r in rules] == [0, 1, 2, 3, 4, 5]
    assert rules[0] == {
        "Name": "AWSManagedRulesCommonRuleSet", "Priority": 0,
        "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet"}},
        "OverrideAction": {"None": {}},
        "VisibilityConfig": visibility("AWSManagedRulesCommonRuleSet"),
    }
    assert rules[3] == {
        "Name": "geo-allow", "Priority": 3,
        "Statement": {"NotStatement": {"Statement": {"GeoMatchStatement": {"CountryCodes": ["JP"]}}}},
        "Action": {"Block": {}},
        "VisibilityConfig": visibility("geo-allow"),
    }
    assert rules[4] == {
        "Name": "rate-limit-per-ip", "Priority": 4,
        "Statement": {"RateBasedStatement": {"Limit": 2000, "EvaluationWindowSec": 300, "AggregateKeyType": "IP"}},
        "Action": {"Block": {}},
        "VisibilityConfig": visibility("rate-limit-per-ip"),
    }
    assert rules[5]["Statement"]["ManagedRuleGroupStatement"]["RuleActionOverrides"] == [
        {"Name": "HostingProviderIPList", "ActionToUse": {"Count": {}}}]
    assert rules[5]["OverrideAction"] == {"None": {}}
    assert all("Action" not in r for r in rules if "ManagedRuleGroupStatement" in r["Statement"])


@pytest.mark.parametrize(("entry", "expected"), [
    ({"geo_block": ["cn", "RU"]},
     {"Statement": {"GeoMatchStatement": {"CountryCodes": ["CN", "RU"]}}, "Action": {"Block": {}},
      "Name": "geo-block"}),
    ({"geo_allow": ["JP"], "count": True}, {"Action": {"Count": {}}}),
    ({"rate_limit": 100, "window": 60, "name": "burst"},
     {"Name": "burst", "Statement": {"RateBasedStatement": {"Limit": 100, "EvaluationWindowSec": 60,
                                                            "AggregateKeyType": "IP"}}}),
    ({"rate_limit": RATE_LIMIT_MIN}, {"Statement": {"RateBasedStatement": {
        "Limit": 10, "EvaluationWindowSec": 300, "AggregateKeyType": "IP"}}}),
    ({"managed": "AWSManagedRulesSQLiRuleSet", "count": True}, {"OverrideAction": {"Count": {}}}),
    ({"managed": "AWSManagedRulesSQLiRuleSet", "version": "Version_2.0"},
     {"Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesSQLiRuleSet",
                                                  "Version": "Version_2.0"}}}),
    ({"managed": "SomeMarketplaceRules", "vendor": "F5"},
     {"Statement": {"ManagedRuleGroupStatement": {"VendorName": "F5", "Name": "SomeMarketplaceRules"}}}),
])
def test_entry_options(entry, expected):
    (rule,) = waf_rules([entry], "p")
    for key, value in expected.items():
        assert rule[key] == value


@pytest.mark.parametrize(("spec", "message"), [
    ([{"managed": "AWSManagedRulesSQLIRuleSet"}],
     "edge_waf_rules[0] = {'managed': 'AWSManagedRulesSQLIRuleSet'}: unknown AWS managed rule group "
     "'AWSManagedRulesSQLIRuleSet'; did you mean AWSManagedRulesSQLiRuleSet?"),
    ([{"managed": "NoSuchGroup"}], "edge_waf_rules[0] = {'managed': 'NoSuchGroup'}: unknown AWS managed rule group "
                                   "'NoSuchGroup'; the groups are AWSManagedRulesCommonRuleSet, "),
    ([{"managed": "AWSManagedRulesBotControlRuleSet"}],
     "edge_waf_rules[0] = {'managed': 'AWSManagedRulesBotControlRuleSet'}: AWSManagedRulesBotControlRuleSet needs "
     "ManagedRuleGroupConfigs"),
    ([{"rate_limit": 2000}, {"geo_allow": ["JPN"]}],
     "edge_waf_rules[1] = {'geo_allow': ['JPN']}: 'JPN' is not an ISO 3166-1 alpha-2 country code"),
    ([{"geo_block": ["ZZ"]}], "edge_waf_rules[0] = {'geo_block': ['ZZ']}: 'ZZ' is not an ISO 3166-1 alpha-2"),
    ([{"geo_block": ["UK"]}], "'UK' is not an ISO 3166-1 alpha-2 country code"),
    ([{"geo_allow": []}], "edge_waf_rules[0] = {'geo_allow': []}: geo_allow must be a non-empty list"),
    ([{"geo_allow": "JP"}], "geo_allow must be a non-empty list of ISO 3166-1 alpha-2 country codes"),
    ([{"geo_allow": ["JP", "jp"]}], "geo_allow lists a country twice"),
    ([{"rate_limit": 9}],
     "edge_waf_rules[0] = {'rate_limit': 9}: rate limit 9 is outside what AWS WAF accepts: at least 10"),
    ([{"rate_limit": RATE_LIMIT_MAX + 1}], "is outside what AWS WAF accepts"),
    ([{"rate_limit": "2000"}], "rate_limit must be a whole number of requests per window"),
    ([{"rate_limit": 2000, "window": 30}], "window 30 must be one of 60, 120, 300, 600 seconds"),
    ([{"managed": "AWSManagedRulesSQLiRuleSet", "geo_allow": ["JP"]}],
     "give exactly one of managed, geo_allow, geo_block, rate_limit"),
    ([{"name": "x"}], "give exactly one of managed, geo_allow, geo_block, rate_limit"),
    (["AWSManagedRulesSQLiRuleSet"], "edge_waf_rules[0] = 'AWSManagedRulesSQLiRuleSet': each entry must be a mapping"),
    ([{"managed": "AWSManagedRulesSQLiRuleSet", "action": "block"}],
     "unknown key(s) action; a managed entry takes count, name, vendor, version"),
    ([{"geo_allow": ["JP"], "window": 60}], "unknown key(s) window; a geo_allow entry takes count, name"),
    ([{"managed": "AWSManagedRulesSQLiRuleSet", "count": "all"}],
     "count must be true (the whole group only counts) or a list of rule names"),
    ([{"managed": "AWSManagedRulesSQLiRuleSet", "count": []}], "count lists the group's rules to count"),
    ([{"managed": "AWSManagedRulesSQLiRuleSet", "count": ["bad name"]}], "count lists the group's rules to count"),
    ([{"managed": "AWSManagedRulesSQLiRuleSet", "count": ["A", "A"]}], "count names a rule twice"),
    ([{"rate_limit": 2000, "count": ["A"]}], "count must be true or false"),
    ([{"rate_limit": 2000, "name": "has space"}], "name 'has space' must be 1-128 letters, digits, '_' or '-'"),
    ([{"rate_limit": 2000}, {"rate_limit": 100}],
     "edge_waf_rules[1] = {'rate_limit': 100}: rule name 'rate-limit-per-ip' is already used by edge_waf_rules[0]"),
    ([{"managed": "AWSManagedRulesSQLiRuleSet", "version": 2}], "version must be a string like 'Version_1.4'"),
    ({"managed": "AWSManagedRulesSQLiRuleSet"}, "edge_waf_rules must be a list of rules"),
])
def test_errors_name_the_offending_entry(spec, message):
    errors = waf_rule_errors(spec, "edge_waf_rules")
    assert any(message in e for e in errors), errors


def test_a_good_spec_has_no_errors():
    assert waf_rule_errors(SPEC, "edge_waf_rules") == []


def test_every_error_is_reported_at_once():
    errors = waf_rule_errors([{"managed": "Nope"}, {"geo_allow": ["XX"]}, {"rate_limit": 1}], "edge_waf_rules")
    assert [e.split(" = ")[0] for e in errors] == ["edge_waf_rules[0]", "edge_waf_rules[1]", "edge_waf_rules[2]"]


def test_country_codes_match_what_aws_waf_accepts():
    """The list is ISO 3166-1 alpha-2 as WAF's CountryCode enumeration has it (botocore's service model)."""
    model = botocore.session.get_session().get_service_model("wafv2")
    assert set(model.shape_for("CountryCode").enum) == COUNTRY_CODES


def test_rate_limit_bounds_match_the_api():
    metadata = botocore.session.get_session().get_service_model("wafv2").shape_for("RateLimit").metadata
    assert (metadata["min"], metadata["max"]) == (RATE_LIMIT_MIN, RATE_LIMIT_MAX)


def test_filter_wrapper_raises_ansible_errors():
    filters = FilterModule().filters()
    with pytest.raises(AnsibleFilterError, match=r"edge_waf_rules\[0\] = \{'rate_limit': 1\}: rate limit 1"):
        filters["waf_rules"]([{"rate_limit": 1}], "p", "edge_waf_rules")
    with pytest.raises(AnsibleFilterError, match="needs a metric name prefix"):
        filters["waf_rules"](SPEC, "")
    assert filters["waf_rule_errors"](SPEC, "edge_waf_rules") == []
    assert len(filters["waf_rules"](SPEC, "p")) == len(SPEC)


def test_invalid_metric_prefix_is_reported():
    errors = waf_rule_errors([{"rate_limit": 2000}], "edge_waf_rules", metric_prefix="has space")
    assert errors == ["edge_waf_rules[0] = {'rate_limit': 2000}: metric name has space-rate-limit-per-ip is not "
                      "valid for CloudWatch"]
