"""rotate-db-password.yml: new value in SSM, resumable, never printed, not undone by site.yml."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow
PASSWORD = "/solo-saving/local/db_password"


def test_rotation(aws, playbook):
    playbook("site.yml", check=True)
    ssm = aws.client("ssm")
    before = ssm.get_parameter(Name=PASSWORD, WithDecryption=True)["Parameter"]

    run = playbook("playbooks/rotate-db-password.yml", "-vvv", check=True)
    after = ssm.get_parameter(Name=PASSWORD, WithDecryption=True)["Parameter"]
    assert after["Value"] != before["Value"]
    assert after["Version"] == before["Version"] + 1
    assert after["Type"] == "SecureString"
    assert before["Value"] not in run.output and after["Value"] not in run.output
    assert "force a new deployment of backend" in run.output
    names = [p["Name"] for p in ssm.describe_parameters()["Parameters"]]
    assert f"{PASSWORD}-pending" not in names

    # An interrupted rotation (the new value already stored as pending) is finished, with that value.
    ssm.put_parameter(Name=f"{PASSWORD}-pending", Value="Resumed-Value-1234567890_abc", Type="SecureString")
    resumed = playbook("playbooks/rotate-db-password.yml", check=True)
    assert "resume the interrupted rotation" in resumed.output
    assert ssm.get_parameter(Name=PASSWORD, WithDecryption=True)["Parameter"]["Value"] == "Resumed-Value-1234567890_abc"

    # site.yml keeps the rotated password.
    again = playbook("site.yml", check=True)
    assert again.recap()["changed"] == 0
    assert ssm.get_parameter(Name=PASSWORD, WithDecryption=True)["Parameter"]["Value"] == "Resumed-Value-1234567890_abc"

    # Check mode writes nothing.
    version = ssm.get_parameter(Name=PASSWORD)["Parameter"]["Version"]
    playbook("playbooks/rotate-db-password.yml", "--check", check=True)
    assert ssm.get_parameter(Name=PASSWORD)["Parameter"]["Version"] == version


def modified_passwords(records):
    """The ModifyDBCluster requests that set a master password (the value itself is not looked at)."""
    import base64

    from tests.support.aws import request_action

    return [r for r in records if request_action(r) == "ModifyDBCluster"
            and b"MasterUserPassword" in base64.b64decode(r.get("body") or b"")]


def test_a_lost_password_parameter_is_regenerated_and_set_on_the_cluster(aws, playbook):
    playbook("site.yml", check=True)
    ssm = aws.client("ssm")
    ssm.delete_parameter(Name=PASSWORD)
    plan = playbook("site.yml", "--check", "-v", check=True)
    assert "set the master password of solo-saving-local-db from " in plan.output
    aws.start_recording()
    run = playbook("site.yml", check=True)
    records = aws.stop_recording()
    assert plan.recap()["changed"] == run.recap()["changed"] == 2  # the parameter, then the cluster: as planned
    value = ssm.get_parameter(Name=PASSWORD, WithDecryption=True)["Parameter"]["Value"]
    assert len(modified_passwords(records)) == 1  # the cluster got the new value, in the same run
    assert value not in run.output
    assert "the backend's running tasks hold the old one - redeploy it" in " ".join(run.output.split())
    assert playbook("site.yml", check=True).recap()["changed"] == 0


def test_an_interrupted_rotation_stops_site_yml_until_it_is_finished(aws, playbook):
    playbook("site.yml", check=True)
    ssm = aws.client("ssm")
    ssm.put_parameter(Name=f"{PASSWORD}-pending", Value="Half-Rotated-Value-1234567890", Type="SecureString")
    stopped = playbook("site.yml")
    assert stopped.rc != 0
    assert "a rotation of the master password was interrupted" in " ".join(stopped.output.split())
    assert "Half-Rotated-Value-1234567890" not in stopped.output
    playbook("playbooks/rotate-db-password.yml", check=True)
    assert playbook("site.yml", check=True).recap()["changed"] == 0
