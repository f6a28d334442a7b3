"""database_errors / aurora_instance_layout: every rule, with the message a user reads."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.solo_saving.infra.plugins.filter.database import (
    KNOWN_VERSIONS,
    FilterModule,
    database_errors,
    supports_auto_pause,
)

GOOD = {
    "cluster_identifier": "solo-saving-prod-db",
    "engine_version": "16.6",
    "extra_engine_versions": [],
    "min_capacity": 0.5,
    "max_capacity": 4,
    "seconds_until_auto_pause": 300,
    "azs": ["ap-northeast-1a", "ap-northeast-1c"],
    "network_azs": ["ap-northeast-1a", "ap-northeast-1c"],
    "reader_count": 1,
    "is_production": True,
    "deletion_protection": True,
    "backup_retention_days": 7,
    "backup_window": "18:00-18:30",
    "maintenance_window": "sun:19:00-sun:19:30",
    "log_exports": ["postgresql"],
    "db_name": "solosaving",
    "cluster_parameters": {},
    "kms_key_id": "",
    "performance_insights": False,
    "performance_insights_retention": 7,
    "parameter_names": {"database_master_password_parameter": "/solo-saving/prod/db_password"},
    "wait_timeout": 1800,
    "wait_delay": 15,
}


def spec(**changes):
    return {**GOOD, **changes}


def test_good_spec_has_no_errors():
    assert database_errors(spec()) == []


@pytest.mark.parametrize(("changes", "expected"), [
    # The acceptance cases: min > max, 300 ACU, 0.3 ACU.
    ({"min_capacity": 8, "max_capacity": 4},
     "database_min_capacity (8) is above database_max_capacity (4): the minimum must not exceed the maximum"),
    ({"max_capacity": 300}, "database_max_capacity = 300: Aurora Serverless v2 capacity goes from 0 to 256 ACU"),
    ({"min_capacity": 0.3}, "database_min_capacity = 0.3: capacity moves in steps of 0.5 ACU; use 0 or 0.5"),
    ({"max_capacity": 4.7}, "database_max_capacity = 4.7: capacity moves in steps of 0.5 ACU; use 4.5 or 5"),
    ({"min_capacity": -1}, "database_min_capacity = -1: Aurora Serverless v2 capacity goes from 0 to 256 ACU"),
    ({"max_capacity": "lots"}, "database_max_capacity = 'lots' is not a number of ACUs"),
    ({"min_capacity": True}, "database_min_capacity = True is not a number of ACUs"),
    ({"min_capacity": 0, "max_capacity": 0.5}, "database_max_capacity = 0.5: the maximum must be at least 1 ACU"),
    ({"min_capacity": 0, "engine_version": "16.2"},
     "database_min_capacity = 0 (pause when idle) needs an engine version that supports it (13.15, 14.12, 15.7, "
     "16.3, 17.4 or later in the same major version); database_engine_version is '16.2'"),
    ({"min_capacity": 0, "seconds_until_auto_pause": 60},
     "database_seconds_until_auto_pause = 60: give seconds from 300 (5 minutes) to 86400 (one day)"),
    ({"engine_version": "16.99"},
     "database_engine_version = '16.99' is not a known Aurora PostgreSQL version with Serverless v2 (known 16.x "
     "versions: 16.1, 16.2, 16.3, 16.4, 16.6, 16.8, 16.9, 16.10); if AWS released it after this collection, add "
     "it to database_extra_engine_versions"),
    ({"engine_version": "12.9"}, "(known major versions: 13, 14, 15, 16, 17)"),
    ({"azs": ["ap-northeast-1a"], "network_azs": ["ap-northeast-1a"]},
     "database_azs = ['ap-northeast-1a']: production (stack_is_production) needs at least 2 availability zones"),
    ({"azs": ["ap-northeast-1a", "ap-northeast-1a"]}, "lists a zone twice"),
    ({"azs": ["ap-northeast-1a", "ap-northeast-1d"]},
     "database_azs[1] = 'ap-northeast-1d' has no DB subnet: the network's zones are network_azs"),
    ({"azs": []}, "database_azs must list the availability zones of the instances"),
    ({"reader_count": 0},
     "database_reader_count = 0: production (stack_is_production) needs at least one reader in a second zone"),
    ({"reader_count": 16}, "database_reader_count = 16: give 0 to 15 readers"),
    ({"deletion_protection": False}, "database_deletion_protection must be true in production"),
    ({"backup_retention_days": 3}, "database_backup_retention_days = 3: keep backups 7 to 35 days"),
    ({"backup_retention_days": 36}, "database_backup_retention_days = 36: keep backups 7 to 35 days"),
    ({"backup_window": "3am"}, "database_backup_window = '3am': write it as hh24:mi-hh24:mi in UTC"),
    ({"backup_window": "18:00-18:10"}, "database_backup_window = '18:00-18:10': AWS needs a window of at least 30"),
    ({"maintenance_window": "sunday 19:00"}, "database_maintenance_window = 'sunday 19:00': write it as "
                                             "ddd:hh24:mi-ddd:hh24:mi in UTC"),
    ({"maintenance_window": "sun:19:00-sun:19:15"}, "AWS needs a window of at least 30 minutes"),
    ({"maintenance_window": "sun:18:15-sun:18:45"},
     "database_backup_window ('18:00-18:30') overlaps database_maintenance_window ('sun:18:15-sun:18:45')"),
    ({"backup_window": "23:45-00:15", "maintenance_window": "mon:00:00-mon:00:30"}, "overlaps"),
    ({"cluster_identifier": "Solo_DB"}, "database_cluster_identifier = 'Solo_DB': use 2 to 60 lower-case letters"),
    ({"cluster_identifier": "db--x"}, "database_cluster_identifier = 'db--x'"),
    ({"cluster_identifier": "a" * 61}, "use 2 to 60 lower-case letters"),
    ({"db_name": "1app"}, "database_db_name = '1app': use up to 63 letters, digits and underscores"),
    ({"db_name": "postgres"}, "database_db_name = 'postgres' is a name PostgreSQL or RDS reserves"),
    ({"cluster_parameters": {"rds.force_ssl": 0}},
     "database_cluster_parameters['rds.force_ssl'] = 0: the stack requires TLS in transit"),
    ({"cluster_parameters": {"work_mem": [1]}}, "database_cluster_parameters['work_mem'] must be a single value"),
    ({"cluster_parameters": "x"}, "database_cluster_parameters must be a mapping"),
    ({"log_exports": []}, "database_log_exports = [] must include 'postgresql'"),
    ({"log_exports": ["postgresql", "audit"]}, "database_log_exports: 'audit' is not a log type"),
    ({"kms_key_id": "my key"}, "database_kms_key_id = 'my key' is not a KMS key id, key ARN or alias"),
    ({"performance_insights": True, "performance_insights_retention": 30},
     "database_performance_insights_retention = 30: Performance Insights keeps 7 days or a multiple of 31"),
    ({"parameter_names": {"database_host_parameter": ""}},
     "database_host_parameter = '': give the full SSM parameter name"),
    ({"wait_timeout": -1}, "database_wait_timeout = -1: give the seconds to wait"),
    ({"wait_delay": 0}, "database_wait_delay = 0: give the seconds between checks"),
])
def test_each_rule_names_the_variable(changes, expected):
    errors = database_errors(spec(**changes))
    assert any(expected in e for e in errors), errors


@pytest.mark.parametrize("changes", [
    {"min_capacity": 0, "engine_version": "16.3"},
    {"min_capacity": 0, "engine_version": "17.4", "seconds_until_auto_pause": 86400},
    {"min_capacity": "1.5", "max_capacity": "256"},
    {"engine_version": "16.11", "extra_engine_versions": ["16.11"]},
    {"is_production": False, "azs": ["ap-northeast-1a"], "reader_count": 0, "deletion_protection": False},
    {"kms_key_id": "alias/solo"},
    {"kms_key_id": "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
    {"performance_insights": True, "performance_insights_retention": 731},
    {"cluster_parameters": {"rds.force_ssl": "1", "log_min_duration_statement": 500}},
    {"maintenance_window": "SUN:19:00-SUN:19:30"},
])
def test_valid_variants_pass(changes):
    assert database_errors(spec(**changes)) == []


def test_several_errors_are_reported_together():
    errors = database_errors(spec(min_capacity=300, max_capacity=0.3, backup_retention_days=1))
    assert len(errors) == 3


@pytest.mark.parametrize(("version", "expected"), [
    ("16.3", True), ("16.2", False), ("15.7", True), ("15.6", False), ("14.12", True), ("13.15", True),
    ("13.14", False), ("17.4", True), ("18.1", True), ("nope", False),
])
def test_auto_pause_support(version, expected):
    assert supports_auto_pause(version) is expected


def test_every_known_version_parses_in_its_major():
    for major, versions in KNOWN_VERSIONS.items():
        assert all(v.split(".")[0] == major for v in versions)


def test_layout_filter_places_writer_then_readers():
    layout = FilterModule().filters()["aurora_instance_layout"]
    assert layout("x", ["z-a", "z-c"], 2) == [
        {"identifier": "x-1", "availability_zone": "z-a", "promotion_tier": 0},
        {"identifier": "x-2", "availability_zone": "z-c", "promotion_tier": 1},
        {"identifier": "x-3", "availability_zone": "z-a", "promotion_tier": 1},
    ]
    assert layout("x", ["z-a"], "0") == [{"identifier": "x-1", "availability_zone": "z-a", "promotion_tier": 0}]


@pytest.mark.parametrize(("args", "message"), [
    ((None, ["z"], 1), "expects a cluster identifier and a list of zones"),
    (("x", "z", 1), "expects a cluster identifier and a list of zones"),
    (("x", ["z"], -1), "reader_count must be a whole number"),
])
def test_layout_filter_rejects_bad_input(args, message):
    with pytest.raises(AnsibleFilterError, match=message):
        FilterModule().filters()["aurora_instance_layout"](*args)


def test_errors_filter_rejects_a_non_mapping():
    with pytest.raises(AnsibleFilterError, match="database_errors expects a mapping, got list"):
        FilterModule().filters()["database_errors"]([])


@pytest.mark.parametrize("version, checked_by_aws, error", [
    ("16.99", True, None),  # the pre-flight asks AWS: a version newer than the list passes here
    ("16.99", False, "database_engine_version = '16.99' is not a known Aurora PostgreSQL version"),
    ("sixteen", True, "database_engine_version = 'sixteen' is not a known Aurora PostgreSQL version"),
    ("16", True, "database_engine_version = '16' is not a known Aurora PostgreSQL version"),
])
def test_the_offline_version_list_stands_in_only_where_aws_is_not_asked(version, checked_by_aws, error):
    errors = database_errors(spec(engine_version=version, versions_checked_by_aws=checked_by_aws))
    if error is None:
        assert errors == []
    else:
        assert len(errors) == 1 and errors[0].startswith(error)
