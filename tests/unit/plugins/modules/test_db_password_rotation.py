"""db_password_rotation: new value everywhere, resumable, check mode honest, value never returned."""

from __future__ import annotations

import json

import pytest

from ansible_collections.solo_saving.infra.plugins.modules import db_password_rotation as rotation
from tests.support.modules import ModuleFail

ARGS = {"cluster_identifier": "p-e-db", "password_parameter": "/p/e/db/password",
        "ecs_cluster": "p-e", "ecs_services": ["p-e-backend"]}


class Fakes:
    def __init__(self):
        self.params = {"/p/e/db/password": "old-password"}
        self.cluster_password = "old-password"
        self.cluster = {"Status": "available", "DBClusterArn": "arn:aws:rds:r:1:cluster:p-e-db"}
        self.deployed = []
        self.writes = []
        self.fail_overwrite = False
        # What DescribeDBClusters answers after ModifyDBCluster, in turn (then self.cluster).
        self.after_modify = []

    def get_parameter_value(self, client, name, decrypt=True):
        return self.params.get(name)

    def create_secure_parameter(self, client, name, value, key_id=None, description=None, tags=None):
        if name in self.params:
            return None
        self.writes.append(f"create {name}")
        self.params[name] = value
        return 1

    def overwrite_secure_parameter(self, client, name, value, key_id=None, description=None):
        if self.fail_overwrite:
            raise KeyboardInterrupt("killed")
        self.writes.append(f"overwrite {name}")
        self.params[name] = value
        return 2

    def delete_parameter(self, client, name):
        self.writes.append(f"delete {name}")
        self.params.pop(name, None)

    def describe_db_cluster(self, client, identifier):
        if self.after_modify and "modify cluster" in self.writes:
            state = self.after_modify.pop(0)
            self.writes.append(f"read cluster: {state.get('Status')}")
            return state
        return self.cluster

    def modify_db_cluster(self, client, identifier, **changes):
        self.writes.append("modify cluster")
        self.cluster_password = changes["MasterUserPassword"]

    def describe_parameters(self, client, names):
        return {n: {"Name": n, "Version": 7 if n == "/p/e/db/password" else 1} for n in names if n in self.params}

    def add_tags(self, client, arn, tags):
        self.writes.append(f"tag {arn.rsplit(':', 1)[-1]} {tags[0]['Key']}={tags[0]['Value']}")

    def update_service(self, client, args):
        self.writes.append(f"deploy {args['service']}")
        assert args["forceNewDeployment"] is True


@pytest.fixture
def fakes(monkeypatch, run_module):
    fake = Fakes()
    for api, names in ((rotation.ssm_api, ("get_parameter_value", "create_secure_parameter",
                                           "overwrite_secure_parameter", "delete_parameter", "describe_parameters")),
                       (rotation.rds_api, ("describe_db_cluster", "modify_db_cluster", "add_tags")),
                       (rotation.ecs_api, ("update_service",))):
        for name in names:
            monkeypatch.setattr(api, name, getattr(fake, name))
    fake.sleeps = []
    monkeypatch.setattr(rotation.time, "sleep", fake.sleeps.append)
    return fake


def test_rotation_sets_the_same_new_value_on_cluster_and_parameter(run_module, fakes):
    result = run_module(rotation, ARGS)
    new = fakes.params["/p/e/db/password"]
    assert new != "old-password" and len(new) == 32
    assert fakes.cluster_password == new
    assert "/p/e/db/password-pending" not in fakes.params
    assert fakes.writes == ["create /p/e/db/password-pending", "modify cluster", "overwrite /p/e/db/password",
                            "tag p-e-db MasterPasswordStamp=v7-0", "delete /p/e/db/password-pending",
                            "deploy p-e-backend"]
    assert result["resumed"] is False and result["version"] == 2
    assert new not in json.dumps(result)


def test_interrupted_rotation_is_finished_with_the_pending_value(run_module, fakes):
    fakes.fail_overwrite = True
    with pytest.raises(KeyboardInterrupt):
        run_module(rotation, ARGS)
    pending = fakes.params["/p/e/db/password-pending"]
    assert fakes.cluster_password == pending != fakes.params["/p/e/db/password"]
    fakes.fail_overwrite = False
    result = run_module(rotation, ARGS)
    assert result["resumed"] is True
    assert fakes.params["/p/e/db/password"] == pending == fakes.cluster_password
    assert "resume the interrupted rotation from /p/e/db/password-pending" in result["actions"]


def test_check_mode_writes_nothing(run_module, fakes):
    result = run_module(rotation, ARGS, check_mode=True)
    assert fakes.writes == []
    assert result["changed"] is True
    assert result["actions"][0] == "store a new password in /p/e/db/password-pending"
    assert "version" not in result


@pytest.mark.parametrize(("change", "message"), [
    ({"password_parameter": "/p/e/none"}, "parameter /p/e/none does not exist: deploy the secrets layer first"),
    ({"length": 8}, "length: 8 is outside 16-41"),
    ({"ecs_cluster": ""}, "ecs_cluster: give the cluster of ecs_services"),
])
def test_errors(run_module, fakes, change, message):
    with pytest.raises(ModuleFail, match=message):
        run_module(rotation, {**ARGS, **change})
    assert fakes.writes == []


def test_missing_cluster(run_module, fakes):
    fakes.cluster = None
    with pytest.raises(ModuleFail, match="cluster p-e-db does not exist: deploy the database first"):
        run_module(rotation, ARGS)


def test_wait_fails_clearly_on_timeout(monkeypatch):
    clock = iter(range(0, 10000, 100))
    monkeypatch.setattr(rotation.rds_api, "describe_db_cluster",
                        lambda client, identifier: {"Status": "resetting-master-credentials"})
    with pytest.raises(rotation.RotationError, match=r"cluster c is still 'resetting-master-credentials' after "
                                                     r"300 s; the new password is in the pending parameter"):
        rotation.wait_password_applied(object(), "c", 300, 10, sleep=lambda s: None, clock=lambda: next(clock))


def test_the_main_parameter_waits_until_the_cluster_has_applied_the_password(run_module, fakes):
    """AWS: "available" with the password pending, then resetting-master-credentials, then available."""
    fakes.after_modify = [{"Status": "available", "PendingModifiedValues": {"MasterUserPassword": "****"}},
                          {"Status": "resetting-master-credentials"}, {"Status": "resetting-master-credentials"},
                          {"Status": "available", "PendingModifiedValues": {}}]
    result = run_module(rotation, {**ARGS, "wait_delay": 3})
    assert fakes.writes == ["create /p/e/db/password-pending", "modify cluster", "read cluster: available",
                            "read cluster: resetting-master-credentials", "read cluster: resetting-master-credentials",
                            "read cluster: available", "overwrite /p/e/db/password",
                            "tag p-e-db MasterPasswordStamp=v7-0", "delete /p/e/db/password-pending",
                            "deploy p-e-backend"]
    assert fakes.sleeps == [3, 3, 3, 3]
    assert [(r["condition"], r["tries"]) for r in result["retried"]] == [
        ("cluster available, password pending", 1), ("cluster resetting-master-credentials", 2)]


def test_the_first_look_at_the_cluster_is_one_delay_after_the_change(run_module, fakes):
    run_module(rotation, {**ARGS, "wait_delay": 7})
    assert fakes.sleeps == [7]
