"""rds_event_subscriptions: create, correct in place (modify, add/remove sources), purge, check mode."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.solo_saving.infra.plugins.modules import rds_event_subscriptions as mod

TOPIC = "arn:aws:sns:ap-northeast-1:123456789012:t-alarms"
PARAMS = {
    "topic_arn": TOPIC,
    "subscriptions": [
        {"name": "t-db-cluster-events", "source_type": "db-cluster", "categories": ["failure", "maintenance"]},
        {"name": "t-db-parameter-group-events", "source_type": "db-parameter-group",
         "categories": ["configuration change"]},
    ],
    "source_ids": {"db-cluster": ["t-db"]},
    "purge_prefix": "t-db-",
    "tags": {"Project": "t"},
}


class FakeRds:
    def __init__(self, monkeypatch):
        self.subs = {}
        self.writes = []
        for name in ("describe_event_subscriptions", "create_event_subscription", "modify_event_subscription",
                     "add_source_identifier", "remove_source_identifier", "delete_event_subscription", "list_tags",
                     "add_tags"):
            monkeypatch.setattr(mod.rds_api, name, getattr(self, name))

    def describe_event_subscriptions(self, client):
        return copy.deepcopy(list(self.subs.values()))

    def create_event_subscription(self, client, name, topic_arn, source_type, categories, source_ids, tags):
        self.writes.append(f"create {name}")
        self.subs[name] = {"CustSubscriptionId": name, "SnsTopicArn": topic_arn, "SourceType": source_type,
                           "EventCategoriesList": list(categories), "SourceIdsList": list(source_ids),
                           "Enabled": True, "EventSubscriptionArn": f"arn:es:{name}", "tags": tags}

    def modify_event_subscription(self, client, name, **changes):
        self.writes.append(f"modify {name} {sorted(changes)}")
        sub = self.subs[name]
        if "SourceType" in changes:
            sub["SourceType"], sub["SourceIdsList"] = changes["SourceType"], []
        sub["SnsTopicArn"] = changes.get("SnsTopicArn", sub["SnsTopicArn"])
        sub["EventCategoriesList"] = changes.get("EventCategories", sub["EventCategoriesList"])
        sub["Enabled"] = changes.get("Enabled", sub["Enabled"])

    def add_source_identifier(self, client, name, source_id):
        self.writes.append(f"add {source_id} {name}")
        self.subs[name]["SourceIdsList"].append(source_id)

    def remove_source_identifier(self, client, name, source_id):
        self.writes.append(f"remove {source_id} {name}")
        self.subs[name]["SourceIdsList"].remove(source_id)

    def delete_event_subscription(self, client, name):
        self.writes.append(f"delete {name}")
        self.subs.pop(name)

    def list_tags(self, client, arn):
        return [{"Key": "Project", "Value": "t"}]

    def add_tags(self, client, arn, tags):
        self.writes.append(f"tag {arn}")


def run(params=None, check=False):
    plan = mod.EventSubscriptions(None, copy.deepcopy(params or PARAMS), check)
    return plan, plan.converge()


@pytest.fixture
def rds(monkeypatch):
    return FakeRds(monkeypatch)


def test_creates_then_changes_nothing(rds):
    plan, result = run(check=True)
    assert rds.writes == [] and len(plan.actions) == 2 and plan.before["t-db-cluster-events"] is None
    plan, result = run()
    assert result["subscriptions"] == ["t-db-cluster-events", "t-db-parameter-group-events"]
    assert rds.subs["t-db-cluster-events"]["SourceIdsList"] == ["t-db"]
    assert rds.subs["t-db-parameter-group-events"]["SourceIdsList"] == []
    rds.writes.clear()
    plan, _ = run()
    assert plan.actions == [] and rds.writes == []
    assert plan.before == plan.after


def test_drift_is_corrected_in_place_never_by_delete_and_create(rds):
    run()
    sub = rds.subs["t-db-cluster-events"]
    sub.update(EventCategoriesList=["failure"], Enabled=False, SnsTopicArn="arn:other", SourceIdsList=["old-db"])
    rds.writes.clear()
    plan, _ = run(check=True)
    assert rds.writes == []
    assert plan.actions == [
        "modify RDS event subscription t-db-cluster-events (Enabled, EventCategories, SnsTopicArn)",
        "add t-db to RDS event subscription t-db-cluster-events",
        "remove old-db from RDS event subscription t-db-cluster-events"]
    plan, _ = run()
    assert not [w for w in rds.writes if w.startswith(("create", "delete"))]
    assert rds.subs["t-db-cluster-events"]["SourceIdsList"] == ["t-db"]
    assert run()[0].actions == []


def test_a_new_source_type_adds_the_sources_again(rds):
    run()
    rds.subs["t-db-cluster-events"]["SourceType"] = "db-instance"
    rds.writes.clear()
    run()
    assert rds.writes == ["modify t-db-cluster-events ['SourceType']", "add t-db t-db-cluster-events"]


def test_purges_only_the_prefix(rds):
    run()
    rds.create_event_subscription(None, "t-db-old-events", TOPIC, "db-instance", ["failure"], [], [])
    rds.create_event_subscription(None, "other-events", TOPIC, "db-instance", ["failure"], [], [])
    rds.writes.clear()
    plan, _ = run()
    assert rds.writes == ["delete t-db-old-events"]
    assert plan.after["t-db-old-events"] is None and "other-events" in rds.subs
