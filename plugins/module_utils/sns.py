# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SNS API wrappers: one function per call."""

from __future__ import annotations

from ansible_collections.solo_saving.infra.plugins.module_utils.common import aws_call


@aws_call("list SNS topics")
def find_topic(client, name):
    """The ARN of the topic named ``name`` in this account and region, or None."""
    for page in client.get_paginator("list_topics").paginate():
        for topic in page.get("Topics", []):
            if topic["TopicArn"].rsplit(":", 1)[-1] == name:
                return topic["TopicArn"]
    return None


@aws_call("create the SNS topic")
def create_topic(client, name, attributes, tags):
    # CreateTopic is idempotent by name (same attributes): a re-run after a
    # crash gets the same topic back instead of a duplicate.
    return client.create_topic(Name=name, Attributes=attributes, Tags=tags)["TopicArn"]


@aws_call("read the attributes of the SNS topic", not_found=["NotFound"])
def get_topic_attributes(client, arn):
    return client.get_topic_attributes(TopicArn=arn)["Attributes"]


@aws_call("set an attribute of the SNS topic")
def set_topic_attribute(client, arn, name, value):
    client.set_topic_attributes(TopicArn=arn, AttributeName=name, AttributeValue=value)


@aws_call("read the tags of the SNS topic")
def list_tags(client, arn):
    return client.list_tags_for_resource(ResourceArn=arn).get("Tags", [])


@aws_call("tag the SNS topic")
def tag_resource(client, arn, tags):
    client.tag_resource(ResourceArn=arn, Tags=tags)


@aws_call("list the subscriptions of the SNS topic")
def list_subscriptions(client, arn):
    subscriptions = []
    for page in client.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=arn):
        subscriptions.extend(page.get("Subscriptions", []))
    return subscriptions


@aws_call("subscribe to the SNS topic")
def subscribe(client, arn, protocol, endpoint):
    client.subscribe(TopicArn=arn, Protocol=protocol, Endpoint=endpoint)


@aws_call("unsubscribe from the SNS topic", not_found=["NotFound"])
def unsubscribe(client, subscription_arn):
    client.unsubscribe(SubscriptionArn=subscription_arn)


# -- teardown (stack_teardown) ----------------------------------------------------
@aws_call("list SNS topics")
def list_topic_arns(client):
    arns = []
    for page in client.get_paginator("list_topics").paginate():
        arns.extend(t["TopicArn"] for t in page.get("Topics", []))
    return arns


@aws_call("delete the SNS topic", not_found=["NotFound"])
def delete_topic(client, arn):
    """Deleting a topic deletes its subscriptions too."""
    client.delete_topic(TopicArn=arn)
