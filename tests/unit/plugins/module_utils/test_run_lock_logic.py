"""The run lock: one run at a time, by DynamoDB's conditional writes (moto in-process)."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from ansible_collections.solo_saving.infra.plugins.callback import run_lock as callback
from ansible_collections.solo_saving.infra.plugins.module_utils import dynamodb
from ansible_collections.solo_saving.infra.plugins.module_utils import run_lock as lock
from ansible_collections.solo_saving.infra.plugins.module_utils.aws_module import SoloAwsModule
from ansible_collections.solo_saving.infra.plugins.modules import run_lock as module
from tests.support.clock import FakeClock
from tests.support.modules import ModuleFail

TABLE = "p-run-locks"


@pytest.fixture
def ddb(monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "ap-northeast-1"}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="ap-northeast-1")
        lock.ensure_table(client, TABLE, {"Project": "p"})
        yield client


def Wall(now=1_000_000):
    """The clock of the lock's leases, in whole seconds."""
    return FakeClock(now)


def take(client, run_id, wall, lease=600, wait=0, owner="alice@laptop"):
    return lock.acquire(client, TABLE, "p-dev", run_id, owner, "site.yml", lease, wait, delay=10, sleep=wall.sleep,
                        clock=wall, wall=wall)


def test_the_first_run_takes_the_lock_and_a_second_one_is_refused_naming_the_holder(ddb):
    wall = Wall()
    item = take(ddb, "run-1", wall)
    assert item["owner"] == "alice@laptop" and item["expires"] == wall.now + 600
    with pytest.raises(lock.LockHeld) as held:
        take(ddb, "run-2", wall, owner="bob@ci")
    message = str(held.value)
    assert message.startswith("another run holds the lock of p-dev: alice@laptop (site.yml) since 1970-01-12 13:46:40 "
                              "UTC, lease ending in 10 min.")
    assert "ansible-playbook playbooks/break-lock.yml -i <inventory> -e break_lock_confirm=p-dev" in message
    assert dynamodb.get_lock(ddb, TABLE, "p-dev")["run_id"] == "run-1"


def test_a_waiting_run_takes_the_lock_once_it_is_released(ddb, monkeypatch):
    wall = Wall()
    take(ddb, "run-1", wall)
    real_sleep = wall.sleep

    def sleep_then_release(seconds):
        real_sleep(seconds)
        lock.release(ddb, TABLE, "p-dev", "run-1")

    wall.sleep = sleep_then_release
    item = take(ddb, "run-2", wall, wait=60)
    assert item["run_id"] == "run-2" and wall.sleeps == [10]


def test_waiting_is_bounded(ddb):
    wall = Wall()
    take(ddb, "run-1", wall)
    with pytest.raises(lock.LockHeld):
        take(ddb, "run-2", wall, wait=45)
    assert sum(wall.sleeps) == 50  # tries every 10 s, gives up after the first try past 45 s


def test_an_expired_lease_is_taken_over(ddb):
    wall = Wall()
    take(ddb, "run-1", wall, lease=600)
    wall.now += 601  # the run that held it was killed: its lease ended
    assert take(ddb, "run-2", wall)["run_id"] == "run-2"


def test_the_same_run_renews_its_own_lock(ddb):
    wall = Wall()
    take(ddb, "run-1", wall)
    wall.now += 100
    again = take(ddb, "run-1", wall)
    assert again["expires"] == wall.now + 600
    assert dynamodb.get_lock(ddb, TABLE, "p-dev")["expires"] == wall.now + 600


def test_the_first_take_in_an_account_creates_the_table(ddb):
    wall = Wall()
    item = lock.acquire(ddb, "p-new-locks", "p-dev", "run-1", "alice", "site.yml", 600, 0, sleep=wall.sleep,
                        clock=wall, wall=wall, tags={"Project": "p"})
    assert item["run_id"] == "run-1"
    assert dynamodb.get_lock(ddb, "p-new-locks", "p-dev")["owner"] == "alice"


def test_releasing_without_a_table_or_a_lock_is_harmless(ddb):
    assert lock.release(ddb, "p-no-such-table", "p-dev", "run-1") is None
    assert lock.release(ddb, TABLE, "p-dev", "run-1") is False  # nobody holds it: nothing to delete


def test_only_the_holder_releases(ddb):
    wall = Wall()
    take(ddb, "run-1", wall)
    assert lock.release(ddb, TABLE, "p-dev", "run-2") is False
    assert dynamodb.get_lock(ddb, TABLE, "p-dev") is not None
    assert lock.release(ddb, TABLE, "p-dev", "run-1") is True
    assert dynamodb.get_lock(ddb, TABLE, "p-dev") is None


def test_the_table_is_made_once_on_demand_and_tagged(ddb):
    assert lock.ensure_table(ddb, TABLE, {"Project": "p"}) is False
    table = ddb.describe_table(TableName=TABLE)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert ddb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"] == [{"Key": "Project", "Value": "p"}]


# -- the module -------------------------------------------------------------------------------------------------
@pytest.fixture
def run(ddb, run_module, monkeypatch):
    monkeypatch.setattr(SoloAwsModule, "client", lambda self, *a, **kw: ddb)

    def _run(check_mode=False, **args):
        return run_module(module, {"table": TABLE, "lock_id": "p-dev", **args}, check_mode=check_mode)

    return _run


def test_taking_and_releasing_is_bookkeeping_never_a_change(run, ddb):
    taken = run(run_id="r1", owner="alice@laptop", wait_timeout=0)
    assert taken["changed"] is False and taken["run_lock"]["held"] is True
    assert taken["run_lock"]["region"] == "ap-northeast-1"
    with pytest.raises(ModuleFail, match="another run holds the lock of p-dev: alice@laptop"):
        run(run_id="r2", wait_timeout=0)
    released = run(state="released", run_id="r1")
    assert released["changed"] is False and released["run_lock"]["held"] is False
    assert dynamodb.get_lock(ddb, TABLE, "p-dev") is None


def test_check_mode_writes_nothing_and_says_who_holds_the_lock(run, ddb):
    run(run_id="r1", owner="alice@laptop", wait_timeout=0)
    planned = run(check_mode=True, run_id="r2", wait_timeout=0)
    assert planned["holder"]["owner"] == "alice@laptop" and planned["run_lock"]["held"] is False
    assert dynamodb.get_lock(ddb, TABLE, "p-dev")["run_id"] == "r1"


def test_breaking_deletes_whoever_holds_it(run, ddb):
    run(run_id="r1", owner="alice@laptop", wait_timeout=0)
    broken = run(state="broken")
    assert broken["changed"] is True and broken["holder"]["owner"] == "alice@laptop"
    assert run(state="broken")["changed"] is False


def test_bad_settings_fail_before_any_call(run):
    with pytest.raises(ModuleFail, match="lease_seconds must be at least 60"):
        run(run_id="r1", lease_seconds=10)


# -- the callback ------------------------------------------------------------------------------------------------
class Result:
    def __init__(self, result):
        self._result = result


def test_the_callback_releases_a_lock_the_run_still_holds_at_its_end(ddb, monkeypatch):
    wall = Wall()
    take(ddb, "run-1", wall)
    released = []
    monkeypatch.setattr(callback, "release", lambda held: released.append(held) or
                        lock.release(ddb, held["table"], held["lock_id"], held["run_id"]))
    plugin = callback.CallbackModule()
    plugin.v2_runner_on_ok(Result({"run_lock": {"table": TABLE, "lock_id": "p-dev", "run_id": "run-1", "held": True,
                                                "region": "ap-northeast-1"}}))
    plugin.v2_runner_on_ok(Result({"changed": True}))  # other tasks are ignored
    plugin.v2_playbook_on_stats(None)
    assert [h["run_id"] for h in released] == ["run-1"]
    assert dynamodb.get_lock(ddb, TABLE, "p-dev") is None


def test_the_callback_leaves_a_lock_the_run_released(monkeypatch):
    released = []
    monkeypatch.setattr(callback, "release", released.append)
    plugin = callback.CallbackModule()
    for held in (True, False):
        plugin.v2_runner_on_ok(Result({"run_lock": {"table": TABLE, "lock_id": "p-dev", "run_id": "r", "held": held}}))
    plugin.v2_playbook_on_stats(None)
    assert released == []


def test_a_table_that_exists_but_takes_no_writes_yet_is_waited_for_within_a_bound(ddb, monkeypatch):
    wall = Wall()
    monkeypatch.setattr(dynamodb, "put_lock", lambda *a, **k: None)  # "ResourceNotFound" to every write
    with pytest.raises(lock.LockHeld, match="exists but DynamoDB does not take writes to it"):
        take(ddb, "run-1", wall)
    assert 0 < sum(wall.sleeps) <= lock.TABLE_VISIBLE_SECONDS + 2
