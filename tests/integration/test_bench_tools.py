"""The benchmark's tooling end to end: the realistic-latency emulator under boto3, and the timeline callback."""

from __future__ import annotations

import json
import subprocess

import boto3
import pytest

from tests.support.aws import BIN, ROOT
from tools import emulator, latency_emulator

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def realistic(tmp_path_factory):
    port = emulator.free_port()
    log = tmp_path_factory.mktemp("latency") / "emulator.log"
    proc = latency_emulator.spawn(port, log, profile="realistic", scale=1.0)
    try:
        yield emulator.url(port)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _advance(url: str, seconds: float) -> None:
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{url}/latency-api/advance?seconds={seconds}", method="POST"),
                           timeout=10).close()


def test_an_aurora_cluster_reads_creating_then_available(realistic):
    rds = boto3.client("rds", region_name="ap-northeast-1", endpoint_url=realistic,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    rds.create_db_cluster(DBClusterIdentifier="bench-db", Engine="aurora-postgresql", MasterUsername="app",
                          MasterUserPassword="not-a-secret-0", StorageEncrypted=True)
    rds.create_db_instance(DBInstanceIdentifier="bench-db-1", DBClusterIdentifier="bench-db",
                           Engine="aurora-postgresql", DBInstanceClass="db.serverless")
    assert rds.describe_db_clusters(DBClusterIdentifier="bench-db")["DBClusters"][0]["Status"] == "creating"
    with pytest.raises(rds.exceptions.InvalidDBClusterStateFault):
        rds.modify_db_cluster(DBClusterIdentifier="bench-db", BackupRetentionPeriod=3, ApplyImmediately=True)
    seconds = latency_emulator.durations("realistic", 1.0)  # the emulator's clock: 1 s per minute of AWS
    _advance(realistic, seconds["aurora_cluster"])
    assert rds.describe_db_clusters(DBClusterIdentifier="bench-db")["DBClusters"][0]["Status"] == "available"
    instance = rds.describe_db_instances(DBInstanceIdentifier="bench-db-1")["DBInstances"][0]
    assert instance["DBInstanceStatus"] == "creating"
    _advance(realistic, seconds["aurora_instance"] - seconds["aurora_cluster"])
    instance = rds.describe_db_instances(DBInstanceIdentifier="bench-db-1")["DBInstances"][0]
    assert instance["DBInstanceStatus"] == "available"
    waiter = rds.get_waiter("db_instance_available")
    waiter.wait(DBInstanceIdentifier="bench-db-1", WaiterConfig={"Delay": 1, "MaxAttempts": 2})


def test_the_timeline_callback_writes_plays_and_tasks(tmp_path):
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        "- name: Bench - a play\n  hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - name: Say something.\n      ansible.builtin.debug:\n        msg: hi\n"
        "    - name: Skip this.\n      ansible.builtin.debug:\n        msg: no\n      when: false\n")
    timeline = tmp_path / "timeline.jsonl"
    env = {"PATH": str(BIN), "ANSIBLE_CALLBACKS_ENABLED": "bench_timeline",
           "ANSIBLE_CALLBACK_PLUGINS": str(ROOT / "bench" / "callback_plugins"),
           "BENCH_TIMELINE_PATH": str(timeline), "ANSIBLE_LOCALHOST_WARNING": "0",
           "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0"}
    proc = subprocess.run([str(BIN / "ansible-playbook"), str(playbook)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    events = [json.loads(line) for line in timeline.read_text().splitlines()]
    assert [e["event"] for e in events] == ["start", "play", "task", "task", "end"]
    assert events[1]["name"] == "Bench - a play"
    assert [(e["name"], e["status"]) for e in events[2:4]] == [("Say something.", "ok"), ("Skip this.", "skipped")]
    assert all(e["t0"] <= e["t1"] for e in events[2:4])
