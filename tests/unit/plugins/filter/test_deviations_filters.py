"""deviation_errors and audit_verdict: verify's inventory-dependent rules in the pre-flight, and deviations."""

from __future__ import annotations

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.solo_saving.infra.plugins.filter import deviations
from ansible_collections.solo_saving.infra.plugins.filter.deviations import (
    DEVIATIONS,
    FilterModule,
    audit_verdict,
    deviation_errors,
)
from ansible_collections.solo_saving.infra.plugins.filter.endpoints import REQUIRED_INTERFACE
from ansible_collections.solo_saving.infra.plugins.module_utils import audit
from tests.conftest import ROOT

GOOD = {
    "deviations": [], "is_production": False,
    "database_azs": ["ap-northeast-1a", "ap-northeast-1c"], "database_reader_count": 1,
    "waf_rules": [{"rate_limit": 2000}, {"geo_allow": ["JP"]}, {"managed": "AWSManagedRulesKnownBadInputsRuleSet"},
                  {"managed": "AWSManagedRulesCommonRuleSet"}, {"managed": "AWSManagedRulesSQLiRuleSet"}],
    "alarm_thresholds": {"alb_5xx": 10, "target_5xx": 10, "unhealthy_targets": 1, "ecs_cpu": 85, "ecs_memory": 85,
                         "aurora_cpu": 80, "aurora_acu": 90, "aurora_connections": 200},
    "environments": {"services_frontend_environment": {"NODE_ENV": "production"},
                     "services_backend_environment": {}},
    "backend_secrets": {"DB_PASSWORD": "db_password"},
}


def test_the_spec_passes():
    assert deviation_errors(GOOD) == []


@pytest.mark.parametrize(("change", "expected"), [
    ({"database_reader_count": 0},
     "database_reader_count = 0: the spec has a reader in a second zone to fail over to (verify: aurora-two-azs); "
     "set it to 1, or acknowledge the deviation with stack_deviations: [no_db_reader] (in stack.yml of the "
     "environment; not in production)"),
    ({"database_azs": ["ap-northeast-1a"]},
     "database_azs = ['ap-northeast-1a']: the spec puts the Aurora writer and its reader in two availability zones "
     "(verify: aurora-two-azs); list two zones of network_azs, or acknowledge the deviation with stack_deviations: "
     "[single_az_database]"),
    ({"waf_rules": [{"rate_limit": 2000}, {"geo_allow": ["JP"]}, {"managed": "AWSManagedRulesCommonRuleSet"}]},
     "edge_waf_rules lacks AWSManagedRulesSQLiRuleSet, AWSManagedRulesKnownBadInputsRuleSet: the spec's web ACL has "
     "the AWS managed rule groups"),
    ({"waf_rules": [{"rate_limit": 2000}, *GOOD["waf_rules"][2:]]},
     "edge_waf_rules has no geo rule: the spec blocks traffic by country"),
    ({"waf_rules": GOOD["waf_rules"][1:]}, "edge_waf_rules has no rate-based rule"),
    ({"alarm_thresholds": {**GOOD["alarm_thresholds"], "aurora_cpu": None, "aurora_acu": None,
                           "aurora_connections": None}},
     "no alarm on AWS/RDS: services_alarm_aurora_cpu_threshold, services_alarm_aurora_acu_threshold, "
     "services_alarm_aurora_connections_threshold are all null"),
    ({"environments": {"services_backend_environment": {"DB_PASSWD": "x"}}},
     "services_backend_environment.DB_PASSWD looks like a secret (verify: task-definitions-reference-secrets-by-arn)"),
    ({"backend_secrets": {}}, "services_backend_secrets is empty: the backend reads its database credentials"),
    ({"interface_endpoints": [{"service": "ecr.api"}, {"service": "ssm", "private_dns": False}]},
     "endpoints_interface[1] (ssm): private_dns must stay on - without it the tasks resolve the public endpoint"),
    ({"deviations": ["no_reader"]},
     "stack_deviations[0] = 'no_reader' is not a deviation: did you mean 'no_db_reader'? the deviations are "
     "single_az_database, no_db_reader"),
    ({"deviations": "no_db_reader"}, "stack_deviations = 'no_db_reader' must be a list of deviation names"),
    ({"deviations": ["no_db_reader"]},
     "stack_deviations lists 'no_db_reader' (no Aurora reader to fail over to (database_reader_count: 0)), but the "
     "inputs follow the spec there: remove it, so that verify does not excuse that rule"),
    ({"deviations": ["no_db_reader"], "database_reader_count": 0, "is_production": True},
     "stack_deviations = ['no_db_reader']: production (stack_is_production) follows the spec without deviations"),
])
def test_each_rule_names_the_variable_and_the_fix(change, expected):
    errors = deviation_errors({**GOOD, **change})
    assert any(expected in e for e in errors), errors


@pytest.mark.parametrize(("change", "deviation"), [
    ({"database_reader_count": 0}, "no_db_reader"),
    ({"database_azs": ["ap-northeast-1a"]}, "single_az_database"),
    ({"waf_rules": [{"rate_limit": 2000}, {"geo_allow": ["JP"]}]}, "no_managed_waf_rules"),
    ({"waf_rules": GOOD["waf_rules"][1:]}, "no_waf_rate_limit"),
    ({"waf_rules": [GOOD["waf_rules"][0], *GOOD["waf_rules"][2:]]}, "no_waf_geo_rule"),
    ({"alarm_thresholds": {**GOOD["alarm_thresholds"], "ecs_cpu": None, "ecs_memory": None}}, "missing_alarms"),
])
def test_an_acknowledged_deviation_is_accepted(change, deviation):
    assert deviation_errors({**GOOD, **change}) != []
    assert deviation_errors({**GOOD, **change, "deviations": [deviation]}) == []


def test_in_production_the_database_role_speaks_for_the_database():
    # Its own rules refuse one zone and no reader in production, in their words: no second message here.
    errors = deviation_errors({**GOOD, "is_production": True, "database_reader_count": 0,
                               "database_azs": ["ap-northeast-1a"]})
    assert errors == []


def test_secret_names_the_services_role_misses_are_those_verify_adds():
    errors = deviation_errors({**GOOD, "environments": {"services_frontend_environment": {
        "API_TOKEN": "x", "PRIVATE_KEY": "y", "AWS_CREDENTIALS": "z", "LOG_LEVEL": "info"}}})
    # API_TOKEN is the services role's to refuse (its own rule); the two others only verify would catch.
    assert [e.split(" ", 1)[0] for e in errors] == ["services_frontend_environment.AWS_CREDENTIALS",
                                                   "services_frontend_environment.PRIVATE_KEY"]


RESULTS = [
    {"rule": "no-nat-gateway", "passed": True, "findings": []},
    {"rule": "aurora-two-azs", "passed": False, "findings": [
        {"resource": "db", "message": "DB instances span 1 availability zone(s): ['ap-northeast-1a']; the spec "
                                      "wants a writer and a reader in different zones"},
        {"resource": "solo-saving-dev-db", "message": "the cluster's security groups are ['sg-1'], not only the DB "
                                                      "SG"}]},
    {"rule": "waf-associated-with-required-rules", "passed": False, "findings": [
        {"resource": "acl", "message": "web ACL acl has no geo rule"}]},
]


def test_verdict_without_deviations_is_the_audit():
    verdict = audit_verdict(RESULTS, [])
    assert verdict["holding"] == ["no-nat-gateway"]
    assert verdict["broken"] == ["aurora-two-azs", "waf-associated-with-required-rules"]
    assert len(verdict["violations"]) == 3 and verdict["acknowledged"] == []


def test_a_deviation_accepts_only_its_own_findings():
    verdict = audit_verdict(RESULTS, ["no_db_reader", "no_waf_geo_rule"])
    assert verdict["holding"] == ["no-nat-gateway", "waf-associated-with-required-rules"]
    assert verdict["broken"] == ["aurora-two-azs"]
    assert verdict["violations"] == ["aurora-two-azs: solo-saving-dev-db: the cluster's security groups are ['sg-1'], "
                                     "not only the DB SG"]
    assert verdict["acknowledged"] == [
        "aurora-two-azs: db: DB instances span 1 availability zone(s): ['ap-northeast-1a']; the spec wants a writer "
        "and a reader in different zones (acknowledged deviation: no_db_reader)",
        "waf-associated-with-required-rules: acl: web ACL acl has no geo rule (acknowledged deviation: "
        "no_waf_geo_rule)"]


def test_each_deviation_names_a_rule_and_a_finding_of_the_audit():
    source = (ROOT / "plugins/module_utils/audit.py").read_text()
    for name, deviation in DEVIATIONS.items():
        assert deviation["rule"] in audit.RULES, name
        assert deviation["finding"] in source, name


def test_the_required_lists_are_verifys():
    play = yaml.safe_load((ROOT / "playbooks/verify.yml").read_text())[1]
    assert set(play["vars"]["__verify_waf_managed_groups"]) == set(deviations.REQUIRED_WAF_GROUPS)
    assert tuple(play["vars"]["__verify_interface_endpoints"]) == deviations.REQUIRED_INTERFACE_ENDPOINTS
    assert set(REQUIRED_INTERFACE) == set(deviations.REQUIRED_INTERFACE_ENDPOINTS)
    assert deviations.SECRET_NAME.pattern == audit.SECRET_NAME.pattern
    assert deviations.SECRET_NAME.flags == audit.SECRET_NAME.flags


def test_the_stack_default_is_no_deviation_and_is_documented():
    defaults = yaml.safe_load((ROOT / "roles/stack/defaults/main.yml").read_text())
    assert defaults["stack_deviations"] == []
    text = (ROOT / "roles/stack/defaults/main.yml").read_text()
    for name in DEVIATIONS:
        assert name in text


def test_wrappers_reject_bad_input_types():
    filters = FilterModule().filters()
    with pytest.raises(AnsibleFilterError, match="deviation_errors expects a mapping, got list"):
        filters["deviation_errors"]([])
    with pytest.raises(AnsibleFilterError, match="audit_verdict expects the results list"):
        filters["audit_verdict"]({"results": []})
    with pytest.raises(AnsibleFilterError, match="audit_verdict expects the list stack_deviations"):
        filters["audit_verdict"](RESULTS, "no_db_reader")
