"""kms_customer_key: create with rotation and alias, converge policy and rotation, check mode (wrappers faked)."""

from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError
from ansible_collections.solo_saving.infra.plugins.modules import kms_customer_key as mod

ALIAS = "alias/t-alarms"
POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*",
     "Resource": "*"}]}
PARAMS = {"alias": ALIAS, "description": "t alarms", "policy": POLICY, "enable_key_rotation": True,
          "tags": {"Project": "t"}}


class FakeKms:
    def __init__(self, monkeypatch):
        self.keys, self.aliases, self.writes = {}, {}, []
        for name in ("find_alias", "describe_key", "create_key", "enable_key_rotation", "create_alias",
                     "update_alias", "get_key_policy", "put_key_policy", "get_key_rotation_status",
                     "update_key_description", "list_resource_tags", "tag_resource", "list_aliases", "list_key_ids",
                     "describe_readable_key", "list_readable_resource_tags"):
            monkeypatch.setattr(mod.kms_api, name, getattr(self, name))

    def find_alias(self, c, alias):
        return {"AliasName": alias, "TargetKeyId": self.aliases[alias]} if alias in self.aliases else None

    def list_aliases(self, c, prefix):
        return [{"AliasName": a, "TargetKeyId": k} for a, k in self.aliases.items() if a.startswith(prefix)]

    def list_key_ids(self, c):
        return list(self.keys)

    def describe_readable_key(self, c, key_id):
        return None if self.keys.get(key_id, {}).get("foreign") else self.describe_key(c, key_id)

    def list_readable_resource_tags(self, c, key_id):
        return None if self.keys[key_id].get("foreign") else self.list_resource_tags(c, key_id)

    def describe_key(self, c, key_id):
        return copy.deepcopy(self.keys.get(key_id, {}).get("meta"))

    def create_key(self, c, description, policy, tags):
        key_id = f"k{len(self.keys) + 1}"
        self.writes.append("create_key")
        self.keys[key_id] = {"meta": {"KeyId": key_id, "Arn": f"arn:aws:kms:r:1:key/{key_id}", "KeyState": "Enabled",
                                      "Description": description, "KeyManager": "CUSTOMER",
                                      "CreationDate": f"2026-12-0{len(self.keys) + 1}"},
                             "policy": policy, "rotation": False, "tags": tags}
        return copy.deepcopy(self.keys[key_id]["meta"])

    def enable_key_rotation(self, c, key_id):
        self.writes.append("enable_key_rotation")
        self.keys[key_id]["rotation"] = True

    def create_alias(self, c, alias, key_id):
        self.writes.append("create_alias")
        self.aliases[alias] = key_id

    def update_alias(self, c, alias, key_id):
        self.writes.append("update_alias")
        self.aliases[alias] = key_id

    def get_key_policy(self, c, key_id):
        return self.keys[key_id]["policy"]

    def put_key_policy(self, c, key_id, policy):
        self.writes.append("put_key_policy")
        self.keys[key_id]["policy"] = policy

    def get_key_rotation_status(self, c, key_id):
        return self.keys[key_id]["rotation"]

    def update_key_description(self, c, key_id, description):
        self.writes.append("update_key_description")

    def list_resource_tags(self, c, key_id):
        return copy.deepcopy(self.keys[key_id]["tags"])

    def tag_resource(self, c, key_id, tags):
        self.writes.append("tag_resource")


@pytest.fixture
def kms(monkeypatch):
    return FakeKms(monkeypatch)


def run(params=None, check=False):
    plan = mod.CustomerKey(None, copy.deepcopy(params or PARAMS), check)
    return plan, plan.converge()


def test_creates_the_key_with_rotation_and_alias_then_changes_nothing(kms):
    plan, result = run(check=True)
    assert kms.writes == [] and result["key_arn"] == f"planned:kms-key:{ALIAS}"
    assert plan.actions == [f"create KMS key {ALIAS}", f"turn on the rotation of KMS key {ALIAS}",
                            f"create KMS alias {ALIAS}"]
    _, result = run()
    assert kms.writes == ["create_key", "enable_key_rotation", "create_alias"]
    assert result["key_arn"] == "arn:aws:kms:r:1:key/k1"
    kms.writes.clear()
    plan, _ = run(check=True)
    assert plan.actions == [] and plan.before == plan.after
    assert run()[0].actions == [] and kms.writes == []


def test_policy_compared_as_a_document_and_rotation_repaired(kms):
    run()
    kms.keys["k1"]["policy"] = json.dumps(POLICY, indent=4)  # same document, other text
    assert run()[0].actions == []
    kms.keys["k1"]["rotation"] = False
    kms.keys["k1"]["policy"] = json.dumps({"Version": "2012-10-17", "Statement": []})
    plan, _ = run()
    assert plan.actions == [f"set the policy of KMS key {ALIAS}", f"turn on the rotation of KMS key {ALIAS}"]


def test_a_key_pending_deletion_is_replaced_and_the_alias_moved(kms):
    run()
    kms.keys["k1"]["meta"]["KeyState"] = "PendingDeletion"
    kms.writes.clear()
    _, result = run()
    assert kms.writes == ["create_key", "enable_key_rotation", "update_alias"] and result["key_id"] == "k2"


def test_a_disabled_key_is_refused_with_what_to_do(kms):
    run()
    kms.keys["k1"]["meta"]["KeyState"] = "Disabled"
    with pytest.raises(SoloAwsError, match="is disabled: enable it"):
        run()


def test_a_run_stopped_between_creating_the_key_and_its_alias_adopts_that_key(kms, monkeypatch):
    def stopped(c, alias, key_id):
        raise SoloAwsError("the run was killed here")

    monkeypatch.setattr(mod.kms_api, "create_alias", stopped)
    with pytest.raises(SoloAwsError):
        run()
    monkeypatch.setattr(mod.kms_api, "create_alias", kms.create_alias)
    kms.writes.clear()
    plan, _ = run(check=True)
    assert plan.actions == [f"create KMS alias {ALIAS} for key k1, which a stopped run created"]
    _, result = run()
    assert kms.writes == ["create_alias"] and result["key_id"] == "k1" and list(kms.keys) == ["k1"]
    assert run()[0].actions == []


def test_only_a_key_with_this_description_and_these_tags_is_adopted(kms):
    kms.create_key(None, "t alarms", json.dumps(POLICY), [{"TagKey": "Project", "TagValue": "other"}])
    kms.create_key(None, "something else", json.dumps(POLICY), [{"TagKey": "Project", "TagValue": "t"}])
    kms.create_key(None, "t alarms", json.dumps(POLICY), [{"TagKey": "Project", "TagValue": "t"}])
    kms.keys["k3"]["foreign"] = True  # a key the deployer may not read
    kms.writes.clear()
    _, result = run()
    assert kms.writes[0] == "create_key" and result["key_id"] == "k4"
