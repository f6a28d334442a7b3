"""The pure helpers of the Aurora modules: versions, scaling, parameters, keys, readiness."""

from __future__ import annotations

import pytest

from ansible_collections.solo_saving.infra.plugins.module_utils import aurora


@pytest.mark.parametrize(("text", "expected"), [
    ("16.6", (16, 6)), ("13.10", (13, 10)), ("17", (17,)), ("16.6.1", (16, 6, 1)), ("x", None), ("", None),
    (None, None),
])
def test_parse_version(text, expected):
    assert aurora.parse_version(text) == expected


def test_family_uses_the_major_version():
    assert aurora.parameter_group_family("aurora-postgresql", "16.6") == "aurora-postgresql16"


@pytest.mark.parametrize(("current", "desired", "kind"), [
    ("16.6", "16.6", "same"),
    ("16.6", "16.8", "minor-upgrade"),
    ("16.8", "16.6", "newer-minor"),
    ("16.10", "16.9", "newer-minor"),  # numeric, not string, order
    ("16.6", "17.4", "major-upgrade"),
    ("17.4", "16.6", "downgrade"),
])
def test_version_change(current, desired, kind):
    assert aurora.version_change(current, desired) == kind


def test_instance_layout_cycles_zones_for_readers():
    assert aurora.instance_layout("c", ["a", "b"], 3) == [
        {"identifier": "c-1", "availability_zone": "a", "promotion_tier": 0},
        {"identifier": "c-2", "availability_zone": "b", "promotion_tier": 1},
        {"identifier": "c-3", "availability_zone": "a", "promotion_tier": 1},
        {"identifier": "c-4", "availability_zone": "b", "promotion_tier": 1},
    ]
    assert aurora.instance_layout("c", [], 1) == []


@pytest.mark.parametrize(("args", "expected"), [
    ((0.5, 4, 300), {"MinCapacity": 0.5, "MaxCapacity": 4.0}),
    ((0, 4, 300), {"MinCapacity": 0.0, "MaxCapacity": 4.0, "SecondsUntilAutoPause": 300}),
    ((0, 4, None), {"MinCapacity": 0.0, "MaxCapacity": 4.0}),
])
def test_scaling_configuration(args, expected):
    assert aurora.scaling_configuration(*args) == expected


@pytest.mark.parametrize(("current", "desired", "differs"), [
    ({"MinCapacity": 0.5, "MaxCapacity": 4.0}, {"MinCapacity": 0.5, "MaxCapacity": 4}, False),
    ({"MinCapacity": 0.5, "MaxCapacity": 4.0}, {"MinCapacity": 0.5, "MaxCapacity": 8}, True),
    ({}, {"MinCapacity": 0.5, "MaxCapacity": 4}, True),
    (None, {"MinCapacity": 0.5, "MaxCapacity": 4}, True),
    ({"MinCapacity": 0, "MaxCapacity": 4}, {"MinCapacity": 0, "MaxCapacity": 4, "SecondsUntilAutoPause": 300},
     False),  # not reported (older API, emulator): not compared
    ({"MinCapacity": 0, "MaxCapacity": 4, "SecondsUntilAutoPause": 600},
     {"MinCapacity": 0, "MaxCapacity": 4, "SecondsUntilAutoPause": 300}, True),
])
def test_scaling_differs(current, desired, differs):
    assert aurora.scaling_differs(current, desired) is differs


def test_parameter_changes():
    rows = [{"ParameterName": "rds.force_ssl", "ParameterValue": "0", "Source": "user"},
            {"ParameterName": "work_mem", "ParameterValue": "4096", "Source": "user"},
            {"ParameterName": "timezone", "ParameterValue": "UTC", "Source": "engine-default"}]
    assert aurora.parameter_changes(rows, {"rds.force_ssl": 1, "log_connections": True}) == (
        {"rds.force_ssl": "1", "log_connections": "1"}, ["work_mem"])
    assert aurora.parameter_changes(rows, {"rds.force_ssl": "0"}, purge=False) == ({}, [])


def test_apply_method():
    assert aurora.apply_method({"ApplyType": "dynamic"}) == "immediate"
    assert aurora.apply_method({"ApplyType": "static"}) == "pending-reboot"
    assert aurora.apply_method(None) == "pending-reboot"


@pytest.mark.parametrize(("current", "desired", "expected"), [
    ("arn:aws:kms:r:1:key/abc", "", True),
    ("arn:aws:kms:r:1:key/abc", "arn:aws:kms:r:1:key/abc", True),
    ("arn:aws:kms:r:1:key/abc", "abc", True),
    ("arn:aws:kms:r:1:key/abc", "def", False),
    ("arn:aws:kms:r:1:key/abc", "arn:aws:kms:r:1:key/def", False),
    ("arn:aws:kms:r:1:key/abc", "alias/app", None),
    ("arn:aws:kms:r:1:key/abc", "arn:aws:kms:r:1:alias/app", None),
])
def test_kms_key_matches(current, desired, expected):
    assert aurora.kms_key_matches(current, desired) is expected


@pytest.mark.parametrize(("cluster", "members", "expected", "ready", "stuck"), [
    ("available", {"a": "available", "b": "backing-up"}, ["a", "b"], True, None),
    ("creating", {"a": "creating"}, ["a"], False, None),
    ("available", {"a": "available", "b": "creating"}, ["a", "b"], False, None),
    ("stopped", {"a": "stopped"}, ["a"], False, "the cluster is stopped"),
    ("available", {"a": "storage-full"}, ["a"], False, "instance a is storage-full"),
    ("available", {}, ["a"], False, "instance a does not exist"),
    ("available", {}, [], False, "the cluster has no instances"),
])
def test_readiness(cluster, members, expected, ready, stuck):
    got_ready, got_stuck, summary = aurora.readiness(
        {"Status": cluster}, [{"DBInstanceIdentifier": k, "DBInstanceStatus": v} for k, v in members.items()],
        expected)
    assert got_ready is ready
    assert (got_stuck is None) if stuck is None else (stuck in got_stuck)
    assert summary.startswith(f"cluster {cluster}; ")
