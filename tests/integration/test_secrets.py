"""The secrets stage against the emulator: no value in any output, a password generated once and never again."""

from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest

from tests.support.aws import (
    BIN,
    ROOT,
    break_lock_after_a_kill,
    is_write,
    kill_run,
    request_action,
    request_service,
    run_playbook,
)

pytestmark = pytest.mark.slow

PATH = "/solo-saving/local"
KEYS = ("db_username", "db_password", "db_host", "db_port", "db_name")
GIVEN_KEY = "sk_live_payment-0123456789-DoNotShowMe"
VAULT_PASSWORD = "integration-test-vault-password"


def writes(records):
    return [f"{request_service(r)}:{request_action(r)}" for r in records if is_write(r)]


def stored(aws):
    """{name: (value, version, type)} of every parameter under the stack's path."""
    ssm = aws.client("ssm")
    params = ssm.get_parameters_by_path(Path=PATH, Recursive=True, WithDecryption=True)["Parameters"]
    return {p["Name"][len(PATH) + 1:]: (p["Value"], p["Version"], p["Type"]) for p in params}


@pytest.fixture
def vaulted_inventory(tmp_path):
    """Extra vars with one vault-encrypted API key (as dev / prod keep them) and one generated key."""
    password_file = tmp_path / "vault-password"
    password_file.write_text(VAULT_PASSWORD)
    encrypted = subprocess.run(
        [str(BIN / "ansible-vault"), "encrypt_string", "--vault-password-file", str(password_file),
         "--name", "vault_payment_api_key", GIVEN_KEY],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert GIVEN_KEY not in encrypted
    extra = tmp_path / "secrets.yml"
    extra.write_text(encrypted + "\nsecrets_api_keys:\n"
                     "  - name: payment_api_key\n"
                     "    value: \"{{ vault_payment_api_key }}\"\n"
                     "  - name: session_key\n"
                     "    description: Generated once\n")
    return ["--vault-password-file", str(password_file), "-e", f"@{extra}"]


# Under both strategies: the default one (mitogen) and the switch that turns it off.
@pytest.mark.parametrize("strategy", ["solo_linear", "linear"])
def test_no_value_reaches_the_output_and_nothing_changes_on_a_second_run(aws, playbook, vaulted_inventory, strategy):
    env = {"ANSIBLE_STRATEGY": strategy}
    aws.start_recording()
    plan = playbook("site.yml", "--tags", "secrets", "--check", "--diff", "-vvv", *vaulted_inventory, env=env,
                    check=True)
    records = aws.stop_recording()
    assert writes(records) == []
    assert stored(aws) == {}

    first = playbook("site.yml", "--tags", "secrets", "-vvv", *vaulted_inventory, env=env, check=True)
    assert first.recap()["changed"] == 1
    values = stored(aws)
    assert sorted(values) == sorted([*KEYS, "payment_api_key", "session_key"])
    assert {kind for _, _, kind in values.values()} == {"SecureString"}
    assert values["payment_api_key"][0] == GIVEN_KEY  # the vault-encrypted value, decrypted into SSM only
    password, version, _ = values["db_password"]
    assert len(password) == 40 and not set(password) & set("/\"'@ ")
    assert values["db_host"][0] == "unset: written by the database role"

    aws.start_recording()
    again_check = playbook("site.yml", "--tags", "secrets", "--check", "--diff", "-vvv", *vaulted_inventory,
                           env=env, check=True)
    again = playbook("site.yml", "--tags", "secrets", "-vvv", *vaulted_inventory, env=env, check=True)
    records = aws.stop_recording()
    assert again_check.recap()["changed"] == 0
    assert again.recap()["changed"] == 0
    assert writes(records) == []
    assert stored(aws)["db_password"] == (password, version, "SecureString")

    secrets = [v for v, _, _ in values.values() if not v.startswith("unset")]
    for run in (plan, first, again_check, again):
        for secret in secrets:
            assert secret not in run.output
    # The run still says what it did, by name.
    assert "create /solo-saving/local/db_password with a generated value" in first.output


def test_a_run_killed_midway_then_run_again_keeps_the_password(aws):
    env = aws.env()
    proc = subprocess.Popen([str(BIN / "ansible-playbook"), "site.yml", "--tags", "secrets"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    ssm = aws.client("ssm")
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if ssm.get_parameters(Names=[f"{PATH}/db_password"])["Parameters"]:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before it could be interrupted"
    finally:
        if proc.poll() is None:
            kill_run(proc)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    break_lock_after_a_kill(aws)
    password, version, _ = stored(aws)["db_password"]

    rerun = run_playbook(aws, "site.yml", "--tags", "secrets", check=True)
    after = stored(aws)
    assert after["db_password"] == (password, version, "SecureString")
    assert sorted(after) == sorted(KEYS)
    assert run_playbook(aws, "site.yml", "--tags", "secrets", check=True).recap()["changed"] == 0
    assert rerun.rc == 0


def test_a_partial_state_left_by_an_interrupted_run_is_completed_without_touching_the_password(aws, playbook):
    # What a first run killed right after creating the password leaves behind: the password, tagged, alone.
    aws.client("ssm").put_parameter(Name=f"{PATH}/db_password", Value="Left-By-A-Killed-Run_0123456789abcdef.~",
                                    Type="SecureString", Tags=[{"Key": "Project", "Value": "solo-saving"}])
    run = playbook("site.yml", "--tags", "secrets", check=True)
    assert run.recap()["changed"] == 1
    after = stored(aws)
    assert after["db_password"] == ("Left-By-A-Killed-Run_0123456789abcdef.~", 1, "SecureString")
    assert sorted(after) == sorted(KEYS)
    tags = aws.client("ssm").list_tags_for_resource(ResourceType="Parameter", ResourceId=f"{PATH}/db_password")
    assert {t["Key"]: t["Value"] for t in tags["TagList"]}["Environment"] == "local"  # the missing tags were added


def test_the_lookup_reads_names_and_arns_and_fails_before_a_deploy(aws, playbook, tmp_path):
    lookup = ("tests/integration/playbooks/lookup_layers.yml", "-e", f"lookup_output={tmp_path / 'out.json'}")
    empty = playbook(*lookup)
    assert empty.rc != 0
    assert "does not exist yet: run the network stage first" in " ".join(empty.output.split())

    playbook("site.yml", "--tags", "network,endpoints,secrets,registry", check=True)
    aws.start_recording()
    playbook(*lookup, check=True)
    records = aws.stop_recording()
    assert writes(records) == []
    result = json.loads((tmp_path / "out.json").read_text())
    secrets = result["secrets"]
    assert secrets["path"] == PATH and secrets["kms_key_id"] == ""
    assert sorted(secrets["parameters"]) == sorted(KEYS)
    assert secrets["parameters"]["db_password"]["arn"] == \
        f"arn:aws:ssm:ap-northeast-1:123456789012:parameter{PATH}/db_password"
    assert sorted(result["endpoints"]["interface"]) == ["ecr.api", "ecr.dkr", "logs", "ssm"]
    assert result["registry"]["repositories"]["backend"]["uri"].endswith("/solo-saving-local/backend")


@pytest.mark.parametrize(("extra", "expected"), [
    ({"secrets_db_username": "rdsadmin"}, "secrets_db_username = 'rdsadmin' is reserved by Aurora PostgreSQL"),
    ({"secrets_api_keys": [{"name": "db_password", "value": GIVEN_KEY}]},
     "secrets_api_keys[0] (db_password): db_password is a database parameter of the secrets role; rename the API key"),
    ({"secrets_path": "/aws/solo"}, "secrets_path = '/aws/solo': AWS reserves names starting with /aws and /ssm"),
])
def test_bad_inventory_fails_in_preflight_before_any_aws_call_and_quotes_no_value(aws, playbook, extra, expected):
    aws.start_recording()
    run = playbook("site.yml", "--tags", "secrets", "-e", json.dumps(extra))
    records = aws.stop_recording()
    assert run.rc != 0
    assert expected in " ".join(run.output.split()), run.output[-4000:]
    assert GIVEN_KEY not in run.output
    assert records == [], [request_action(r) for r in records]
