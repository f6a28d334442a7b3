"""The calls the emulator adds to moto behave as the RDS API reference says."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from tools import moto_extensions

TOPIC = "arn:aws:sns:ap-northeast-1:123456789012:t-alarms"


@pytest.fixture
def rds(monkeypatch):
    credentials = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "ap-northeast-1"}
    for key, value in credentials.items():
        monkeypatch.setenv(key, value)
    moto_extensions.install()
    with mock_aws():
        client = boto3.client("rds", region_name="ap-northeast-1")
        client.create_db_cluster(DBClusterIdentifier="t-db", Engine="aurora-postgresql", MasterUsername="u",
                                 MasterUserPassword="p" * 12)
        client.create_event_subscription(SubscriptionName="t-events", SnsTopicArn=TOPIC, SourceType="db-cluster",
                                         EventCategories=["failure"], Enabled=True)
        yield client


def test_modify_changes_categories_topic_and_enabled(rds):
    sub = rds.modify_event_subscription(SubscriptionName="t-events", EventCategories=["failure", "maintenance"],
                                        SnsTopicArn=TOPIC + "-2", Enabled=False)["EventSubscription"]
    assert sub["EventCategoriesList"] == ["failure", "maintenance"] and sub["SnsTopicArn"] == TOPIC + "-2"
    assert sub["Enabled"] is False


def test_sources_are_added_and_removed_and_must_exist(rds):
    added = rds.add_source_identifier_to_subscription(SubscriptionName="t-events", SourceIdentifier="t-db")
    assert added["EventSubscription"]["SourceIdsList"] == ["t-db"]
    with pytest.raises(ClientError, match="SourceNotFound"):
        rds.add_source_identifier_to_subscription(SubscriptionName="t-events", SourceIdentifier="nope")
    removed = rds.remove_source_identifier_from_subscription(SubscriptionName="t-events", SourceIdentifier="t-db")
    assert removed["EventSubscription"].get("SourceIdsList", []) == []


def test_a_new_source_type_drops_the_sources(rds):
    rds.add_source_identifier_to_subscription(SubscriptionName="t-events", SourceIdentifier="t-db")
    sub = rds.modify_event_subscription(SubscriptionName="t-events", SourceType="db-instance")["EventSubscription"]
    assert sub["SourceType"] == "db-instance" and sub.get("SourceIdsList", []) == []


def test_an_unknown_subscription_is_not_found(rds):
    with pytest.raises(ClientError, match="SubscriptionNotFound"):
        rds.modify_event_subscription(SubscriptionName="nope", Enabled=True)
