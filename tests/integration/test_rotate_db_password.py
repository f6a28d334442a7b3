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
