"""One run at a time per environment: concurrent runs, a run killed while it holds the lock, a failed run."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from tests.support.aws import BIN, ROOT, is_lock_request, is_write, kill_run, request_action

pytestmark = pytest.mark.slow
TABLE = "solo-saving-run-locks"
LOCK = "solo-saving-local"
VPCS = [{"Name": "tag:Project", "Values": ["solo-saving"]}, {"Name": "tag:Environment", "Values": ["local"]}]


def start(aws, *args):
    return subprocess.Popen([str(BIN / "ansible-playbook"), *args], cwd=ROOT, env=aws.env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)


def holder(aws):
    try:
        item = aws.client("dynamodb").get_item(TableName=TABLE, Key={"lock_id": {"S": LOCK}}).get("Item")
    except aws.client("dynamodb").exceptions.ResourceNotFoundException:
        return None
    return item


def test_two_runs_started_together_leave_one_stack(aws, playbook):
    first, second = start(aws, "site.yml"), start(aws, "site.yml")
    outputs = [p.communicate(timeout=900)[0] for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], outputs[0][-3000:] + outputs[1][-3000:]
    # One run built the stack; the other waited for the lock, then found it built.
    assert len(aws.client("ec2").describe_vpcs(Filters=VPCS)["Vpcs"]) == 1
    assert any("changed=0" in out.rsplit("PLAY RECAP", 1)[-1] for out in outputs)
    assert holder(aws) is None
    third = playbook("site.yml", check=True)
    assert third.recap()["changed"] == 0


def test_a_run_killed_while_it_holds_the_lock_stops_the_next_until_the_lock_is_broken(aws, playbook):
    run = start(aws, "site.yml")
    deadline = time.monotonic() + 120
    while holder(aws) is None:
        assert run.poll() is None and time.monotonic() < deadline, "the run never took the lock"
        time.sleep(0.2)
    kill_run(run)
    run.wait(timeout=30)
    item = holder(aws)
    assert item is not None  # a killed run releases nothing: its lease or a break ends the lock

    aws.start_recording()
    refused = playbook("site.yml", "-e", "stack_lock_wait_seconds=0")
    records = aws.stop_recording()
    assert refused.rc != 0
    text = " ".join(refused.output.split())
    assert f"another run holds the lock of {LOCK}: {item['owner']['S']}" in text
    assert f"-e break_lock_confirm={LOCK}" in text
    assert [request_action(r) for r in records if is_write(r)] == []  # nothing of the stack was touched
    assert "PutItem" in [request_action(r) for r in records if is_lock_request(r)]  # its own try only

    unconfirmed = playbook("playbooks/break-lock.yml")
    assert unconfirmed.rc != 0 and f"-e break_lock_confirm={LOCK}" in " ".join(unconfirmed.output.split())
    assert holder(aws) is not None
    playbook("playbooks/break-lock.yml", "-e", f"break_lock_confirm={LOCK}", check=True)
    assert holder(aws) is None
    again = playbook("site.yml", check=True)
    assert len(aws.client("ec2").describe_vpcs(Filters=VPCS)["Vpcs"]) == 1
    assert playbook("site.yml", check=True).recap()["changed"] == 0
    assert again.rc == 0


def test_a_run_that_fails_after_taking_the_lock_releases_it(aws, playbook):
    playbook("site.yml", "--tags", "network", check=True)
    moved = {"network_vpc_cidr": "10.30.0.0/16",
             "network_subnet_cidrs": {"public": ["10.30.0.0/24", "10.30.1.0/24"],
                                      "app": ["10.30.10.0/24", "10.30.11.0/24"],
                                      "db": ["10.30.20.0/24", "10.30.21.0/24"]}}
    failed = playbook("site.yml", "--tags", "network", "-e", json.dumps(moved))
    assert failed.rc != 0 and "a VPC's primary CIDR cannot change" in " ".join(failed.output.split())
    assert f"run lock {LOCK} released: the run ended without releasing it" in failed.output
    assert holder(aws) is None


def test_check_mode_takes_no_lock(aws, playbook):
    aws.start_recording()
    playbook("site.yml", "--check", check=True)
    records = aws.stop_recording()
    assert not any(is_lock_request(r) for r in records)
