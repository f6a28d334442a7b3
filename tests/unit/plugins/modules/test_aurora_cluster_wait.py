"""aurora_cluster_wait: bounded waiting on a fake clock, fast failures, check mode."""

from __future__ import annotations

import pytest

from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError
from ansible_collections.solo_saving.infra.plugins.modules import aurora_cluster_wait as mod
from tests.support.modules import ModuleFail

ARGS = {"identifier": "t-db", "instances": ["t-db-1", "t-db-2"], "timeout": 60, "delay": 15}


class Timeline:
    """Statuses that change as the fake clock advances; sleep() only moves the clock."""

    def __init__(self, steps):
        self.steps = steps  # [(at_second, cluster_status, {instance: status})]
        self.clock = 0.0
        self.sleeps = []

    def now(self):
        return self.clock

    def sleep(self, seconds):
        assert seconds > 0, "a zero sleep would spin"
        assert len(self.sleeps) < 1000, "the waiter does not stop"
        self.sleeps.append(seconds)
        self.clock += seconds

    def state(self):
        current = self.steps[0]
        for step in self.steps:
            if step[0] <= self.clock:
                current = step
        return current

    def describe_db_cluster(self, client, identifier):
        status = self.state()[1]
        return None if status is None else {"DBClusterIdentifier": identifier, "Status": status}

    def describe_cluster_instances(self, client, identifier):
        return [{"DBInstanceIdentifier": k, "DBInstanceStatus": v} for k, v in self.state()[2].items()]


@pytest.fixture
def timeline(monkeypatch):
    def make(*steps):
        line = Timeline(list(steps))
        monkeypatch.setattr(mod, "now", line.now)
        monkeypatch.setattr(mod, "sleep", line.sleep)
        monkeypatch.setattr(mod.api, "describe_db_cluster", line.describe_db_cluster)
        monkeypatch.setattr(mod.api, "describe_cluster_instances", line.describe_cluster_instances)
        return line

    return make


AVAILABLE = {"t-db-1": "available", "t-db-2": "available"}


def test_available_cluster_returns_at_once(run_module, timeline):
    line = timeline((0, "available", AVAILABLE))
    result = run_module(mod, ARGS)
    assert result["available"] is True and result["changed"] is False
    assert result["instances"] == [{"identifier": "t-db-1", "status": "available"},
                                   {"identifier": "t-db-2", "status": "available"}]
    assert line.sleeps == []


def test_waits_until_the_cluster_and_instances_are_available(run_module, timeline):
    line = timeline((0, "creating", {"t-db-1": "creating", "t-db-2": "creating"}),
                    (20, "available", {"t-db-1": "available", "t-db-2": "creating"}),
                    (40, "available", AVAILABLE))
    result = run_module(mod, ARGS)
    assert result["available"] is True
    assert line.sleeps == [15, 15, 15]
    assert result["elapsed"] == 45


def test_timeout_fails_with_the_last_status_and_does_not_hang(run_module, timeline):
    line = timeline((0, "creating", {"t-db-1": "creating", "t-db-2": "available"}))
    with pytest.raises(ModuleFail) as failure:
        run_module(mod, {**ARGS, "timeout": 2, "delay": 1})
    msg = failure.value.result["msg"]
    assert msg.startswith("Aurora cluster t-db was not available after 2 s (last status: cluster creating; "
                          "t-db-1 creating, t-db-2 available)")
    assert "raise database_wait_timeout" in msg
    assert failure.value.result["available"] is False
    assert sum(line.sleeps) <= 2


def test_the_last_sleep_is_cut_to_the_deadline(run_module, timeline):
    line = timeline((0, "creating", {"t-db-1": "creating", "t-db-2": "creating"}))
    with pytest.raises(ModuleFail, match="was not available after 40 s"):
        run_module(mod, {**ARGS, "timeout": 40})
    assert line.sleeps == [15, 15, 10]


def test_zero_timeout_checks_once(run_module, timeline):
    line = timeline((0, "modifying", AVAILABLE))
    with pytest.raises(ModuleFail, match=r"after 0 s \(last status: cluster modifying"):
        run_module(mod, {**ARGS, "timeout": 0})
    assert line.sleeps == []


@pytest.mark.parametrize(("cluster", "instances", "message"), [
    ("stopped", AVAILABLE, r"will not become available: the cluster is stopped, which waiting will not change"),
    ("available", {"t-db-1": "available", "t-db-2": "incompatible-parameters"},
     r"instance t-db-2 is incompatible-parameters, which waiting will not change"),
    ("available", {"t-db-1": "available"}, r"instance t-db-2 does not exist: run the database stage"),
])
def test_statuses_that_waiting_cannot_change_fail_at_once(run_module, timeline, cluster, instances, message):
    line = timeline((0, cluster, instances))
    with pytest.raises(ModuleFail, match=message):
        run_module(mod, ARGS)
    assert line.sleeps == []


def test_missing_cluster_fails_naming_the_stage(run_module, timeline):
    timeline((0, None, {}))
    with pytest.raises(ModuleFail, match=r"Aurora cluster t-db does not exist: run the database stage first"):
        run_module(mod, ARGS)


def test_check_mode_reads_once_and_never_fails_on_a_missing_cluster(run_module, timeline):
    line = timeline((0, None, {}))
    result = run_module(mod, ARGS, check_mode=True)
    assert result["status"] == "absent" and result["available"] is False
    line = timeline((0, "creating", {"t-db-1": "creating", "t-db-2": "creating"}))
    result = run_module(mod, ARGS, check_mode=True)
    assert result["status"] == "creating" and result["available"] is False
    assert line.sleeps == []


def test_every_member_is_waited_for_by_default(run_module, timeline):
    timeline((0, "available", {"x-1": "available", "x-9": "creating"}), (15, "available", {"x-1": "available",
                                                                                          "x-9": "available"}))
    result = run_module(mod, {**ARGS, "instances": []})
    assert [i["identifier"] for i in result["instances"]] == ["x-1", "x-9"]


def test_aws_error_becomes_fail_json_aws(run_module, timeline, monkeypatch):
    timeline((0, "available", AVAILABLE))

    def boom(*a, **kw):
        raise SoloAwsError("Failed to describe the DB cluster", exception=RuntimeError("denied"))

    monkeypatch.setattr(mod.api, "describe_db_cluster", boom)
    with pytest.raises(ModuleFail, match="Failed to describe the DB cluster"):
        run_module(mod, ARGS)
