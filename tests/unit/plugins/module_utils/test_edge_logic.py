"""Pure helpers of the edge modules: DNS names, records, certificates, listeners, WAF rules."""

from __future__ import annotations

import pytest

from ansible_collections.solo_saving.infra.plugins.module_utils.common import Plan
from ansible_collections.solo_saving.infra.plugins.module_utils.edge import (
    alias_target_name,
    attributes_to_set,
    certificate_names,
    comparable_listener,
    describe_listener,
    dns_name,
    idempotency_token,
    in_zone,
    pick_certificate,
    record_change,
    record_from_aws,
    record_from_spec,
    records_differ,
    rules_differ,
    validation_records,
)


@pytest.mark.parametrize(("raw", "expected"), [
    ("App.Example.COM.", "app.example.com"),
    ("\\052.example.com.", "*.example.com"),
    ("example.com", "example.com"),
])
def test_dns_name(raw, expected):
    assert dns_name(raw) == expected


@pytest.mark.parametrize(("name", "zone", "inside"), [
    ("example.com", "example.com.", True),
    ("app.example.com", "example.com", True),
    ("app.badexample.com", "example.com", False),
    ("example.org", "example.com", False),
])
def test_in_zone(name, zone, inside):
    assert in_zone(name, zone) is inside


def test_idempotency_token_is_stable_and_acm_shaped():
    token = idempotency_token("t-dev-app", "app.example.com")
    assert token == idempotency_token("t-dev-app", "app.example.com")
    assert token != idempotency_token("t-dev-app", "app.example.com", "www.example.com")
    assert len(token) == 32 and token.isalnum()


def cert(arn, status, names, created=0):
    return {"CertificateArn": arn, "Status": status, "DomainName": names[0], "SubjectAlternativeNames": names,
            "CreatedAt": created}


def test_pick_certificate_prefers_issued_then_newest_and_exact_names():
    certificates = [
        cert("pending", "PENDING_VALIDATION", ["app.example.com"], 5),
        cert("old", "ISSUED", ["app.example.com"], 1),
        cert("new", "ISSUED", ["app.example.com"], 2),
        cert("more-names", "ISSUED", ["app.example.com", "www.example.com"], 9),
        cert("expired", "EXPIRED", ["app.example.com"], 9),
    ]
    assert pick_certificate(certificates, ["app.example.com"])["CertificateArn"] == "new"
    assert pick_certificate(certificates[:1], ["App.Example.com."])["CertificateArn"] == "pending"
    assert pick_certificate(certificates, ["app.example.com", "www.example.com"])["CertificateArn"] == "more-names"
    assert pick_certificate(certificates, ["other.example.com"]) is None
    assert certificate_names(certificates[3]) == {"app.example.com", "www.example.com"}


def test_validation_records_wait_for_every_record_and_deduplicate():
    options = [{"DomainName": "example.com", "ResourceRecord": {"Name": "_a.example.com.", "Type": "CNAME",
                                                                "Value": "_b.acm-validations.aws."}},
               {"DomainName": "*.example.com", "ResourceRecord": {"Name": "_a.example.com.", "Type": "CNAME",
                                                                  "Value": "_b.acm-validations.aws."}}]
    assert validation_records({"DomainValidationOptions": options}) == [
        {"name": "_a.example.com", "type": "CNAME", "ttl": 300, "values": ["_b.acm-validations.aws"]}]
    assert validation_records({"DomainValidationOptions": [{"DomainName": "example.com"}]}) is None
    assert validation_records({}) is None


def test_alias_record_round_trip():
    spec = {"name": "App.example.com", "type": "a", "alias": {"dns_name": "dualstack.x.elb.amazonaws.com",
                                                              "hosted_zone_id": "Z1"}}
    record = record_from_spec(spec)
    assert record == {"name": "app.example.com", "type": "A",
                      "alias": {"dns_name": "dualstack.x.elb.amazonaws.com", "hosted_zone_id": "Z1",
                                "evaluate_target_health": True}}
    change = record_change(record)
    assert change == {"Action": "UPSERT", "ResourceRecordSet": {
        "Name": "app.example.com.", "Type": "A",
        "AliasTarget": {"HostedZoneId": "Z1", "DNSName": "dualstack.x.elb.amazonaws.com",
                        "EvaluateTargetHealth": True}}}
    stored = dict(change["ResourceRecordSet"], AliasTarget=dict(change["ResourceRecordSet"]["AliasTarget"],
                                                                 DNSName="X.elb.amazonaws.com."))
    assert not records_differ(record_from_aws(stored), record)
    assert alias_target_name("DualStack.X.elb.amazonaws.com.") == "x.elb.amazonaws.com"


@pytest.mark.parametrize(("current", "differs"), [
    ({"Name": "_a.example.com.", "Type": "CNAME", "TTL": 300, "ResourceRecords": [{"Value": "_B.acm.aws."}]}, False),
    ({"Name": "_a.example.com.", "Type": "CNAME", "TTL": 60, "ResourceRecords": [{"Value": "_b.acm.aws"}]}, True),
    ({"Name": "_a.example.com.", "Type": "CNAME", "TTL": 300, "ResourceRecords": [{"Value": "_c.acm.aws"}]}, True),
    ({"Name": "_a.example.com.", "Type": "CNAME", "TTL": 300, "SetIdentifier": "x", "Weight": 1,
      "ResourceRecords": [{"Value": "_b.acm.aws"}]}, True),
])
def test_value_records_compare(current, differs):
    desired = record_from_spec({"name": "_a.example.com", "type": "CNAME", "values": ["_b.acm.aws"], "ttl": 300})
    assert records_differ(record_from_aws(current), desired) is differs
    assert records_differ(None, desired) is True


def test_attributes_to_set_sends_only_differences_as_aws_strings():
    current = {"deletion_protection.enabled": "false", "idle_timeout.timeout_seconds": "60"}
    desired = {"deletion_protection.enabled": True, "idle_timeout.timeout_seconds": 60,
               "routing.http.drop_invalid_header_fields.enabled": True}
    assert attributes_to_set(current, desired) == {"deletion_protection.enabled": "true",
                                                   "routing.http.drop_invalid_header_fields.enabled": "true"}


def test_listeners_compare_whatever_form_aws_returns():
    desired = {"Protocol": "HTTPS", "SslPolicy": "P", "Certificates": [{"CertificateArn": "c"}],
               "DefaultActions": [{"Type": "forward", "TargetGroupArn": "tg"}]}
    returned = {"Port": 443, "Protocol": "HTTPS", "SslPolicy": "P", "Certificates": [{"CertificateArn": "c"}],
                "DefaultActions": [{"Type": "forward", "TargetGroupArn": "tg", "Order": 1, "ForwardConfig": {
                    "TargetGroups": [{"TargetGroupArn": "tg", "Weight": 1}],
                    "TargetGroupStickinessConfig": {"Enabled": False}}}]}
    assert comparable_listener(returned) == comparable_listener(desired)
    redirect = {"Protocol": "HTTP", "DefaultActions": [{"Type": "redirect", "RedirectConfig": {
        "Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]}
    explicit = {"Protocol": "HTTP", "DefaultActions": [{"Type": "redirect", "RedirectConfig": {
        "Protocol": "HTTPS", "Port": "443", "Host": "#{host}", "Path": "/#{path}", "Query": "#{query}",
        "StatusCode": "HTTP_301"}}]}
    assert comparable_listener(redirect) == comparable_listener(explicit)
    assert describe_listener(comparable_listener(explicit)) == "HTTP: redirect HTTP_301 to HTTPS:443"
    fixed = {"Protocol": "HTTP", "DefaultActions": [{"Type": "fixed-response", "FixedResponseConfig": {
        "StatusCode": "404"}}]}
    assert comparable_listener(fixed) != comparable_listener(explicit)
    assert describe_listener(comparable_listener(fixed)) == "HTTP: fixed-response"


def test_rules_compare_ignoring_order_and_empty_lists_but_not_empty_dicts():
    rule = {"Name": "a", "Priority": 0, "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "x"}},
            "OverrideAction": {"None": {}}}
    other = {"Name": "b", "Priority": 1, "Statement": {"GeoMatchStatement": {"CountryCodes": ["JP"]}},
             "Action": {"Block": {}}}
    returned = [dict(other), {**rule, "Statement": {"ManagedRuleGroupStatement": {
        "VendorName": "AWS", "Name": "x", "ExcludedRules": []}}, "RuleLabels": None}]
    assert not rules_differ(returned, [rule, other])
    assert rules_differ([{**rule, "OverrideAction": {"Count": {}}}, other], [rule, other])
    assert rules_differ([rule], [rule, other])


def test_plan_records_and_acts_only_outside_check_mode():
    calls = []
    plan = Plan(check_mode=True)
    assert plan.act("do it", calls.append, 1) is None
    assert plan.actions == ["do it"] and calls == [] and plan.changed
    plan = Plan(check_mode=False)
    plan.act("do it", calls.append, 1)
    assert calls == [1]
    assert Plan(check_mode=False).changed is False
