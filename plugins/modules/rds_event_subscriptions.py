#!/usr/bin/python
# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: rds_event_subscriptions
short_description: Converge RDS event subscriptions to an SNS topic (source types, categories, sources, tags)
version_added: 0.1.0
description:
  - Creates each subscription of I(subscriptions) (enabled) and corrects what differs on an existing one in place,
    as AWS allows it - ModifyEventSubscription for the topic, the source type, the categories and Enabled;
    AddSourceIdentifierToSubscription / RemoveSourceIdentifierFromSubscription for the sources - so that a
    subscription is never missing while it is corrected.
  - The sources of a subscription are I(source_ids) of its source type; a source type not in I(source_ids) covers
    every source of that type in the account and region.
  - Subscriptions whose names start with I(purge_prefix) and are not in I(subscriptions) are deleted.
  - VPC security groups are not an RDS event source; C(db-security-group) means the DB security groups of
    EC2-Classic.
  - In check mode nothing is written; the result and C(--diff) show what a run would do.
author:
  - Solo Saving platform team (@solo-saving)
options:
  topic_arn:
    description: The SNS topic every subscription notifies.
    type: str
    required: true
  subscriptions:
    description: The subscriptions.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Subscription name (letters, digits and hyphens).
        type: str
        required: true
      source_type:
        description: The kind of source the subscription watches.
        type: str
        required: true
        choices: [db-instance, db-cluster, db-parameter-group, db-security-group, db-snapshot, db-cluster-snapshot,
                  db-proxy, blue-green-deployment]
      categories:
        description: Event categories, as RDS names them for the source type (C(aws rds describe-event-categories)).
        type: list
        elements: str
        required: true
  source_ids:
    description: The sources by source type (for example C(db-cluster) to the cluster's identifier).
    type: dict
    default: {}
  purge_prefix:
    description: Delete subscriptions whose names start with this and are not in I(subscriptions); empty for none.
    type: str
    default: ""
  tags:
    description: Tags of the subscriptions. Other tags found on them are kept.
    type: dict
    default: {}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Converge the RDS event subscriptions to the alarm topic.
  solo_saving.infra.rds_event_subscriptions:
    topic_arn: arn:aws:sns:ap-northeast-1:123456789012:solo-saving-prod-alarms
    subscriptions:
      - name: solo-saving-prod-db-cluster-events
        source_type: db-cluster
        categories: [configuration change, failover, failure, maintenance, notification]
    source_ids:
      db-cluster: [solo-saving-prod-db]
    purge_prefix: solo-saving-prod-db-
    tags:
      Project: solo-saving
"""

RETURN = r"""
subscriptions:
  description: The names of the subscriptions.
  returned: always
  type: list
  elements: str
actions:
  description: What the run did (or, in check mode, would do), one sentence each.
  returned: always
  type: list
  elements: str
diff:
  description: Before and after views (with C(--diff)).
  returned: when diff mode is on
  type: dict
"""

import re

from ansible_collections.solo_saving.infra.plugins.module_utils import rds as rds_api
from ansible_collections.solo_saving.infra.plugins.module_utils.aws_module import SoloAwsModule
from ansible_collections.solo_saving.infra.plugins.module_utils.common import (
    Plan,
    SoloAwsError,
    fail_aws,
    tag_dict,
    tag_list,
    tags_to_set,
)

SOURCE_TYPES = ["db-instance", "db-cluster", "db-parameter-group", "db-security-group", "db-snapshot",
                "db-cluster-snapshot", "db-proxy", "blue-green-deployment"]
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,254}$")


def view(topic_arn, source_type, categories, source_ids, enabled=True):
    return {"topic_arn": topic_arn, "source_type": source_type, "categories": sorted(set(categories)),
            "source_ids": sorted(set(source_ids)), "enabled": enabled}


def found_view(subscription):
    return view(subscription.get("SnsTopicArn"), subscription.get("SourceType"),
                subscription.get("EventCategoriesList") or [], subscription.get("SourceIdsList") or [],
                bool(subscription.get("Enabled")))


class EventSubscriptions(Plan):
    def __init__(self, client, params, check_mode):
        self.rds = client
        self.params = params
        super().__init__(check_mode)
        self.tags = {k: str(v) for k, v in (params["tags"] or {}).items()}

    def converge(self):
        p = self.params
        existing = {s["CustSubscriptionId"]: s for s in rds_api.describe_event_subscriptions(self.rds)}
        names = []
        for spec in p["subscriptions"]:
            name = spec["name"]
            names.append(name)
            ids = [str(i) for i in (p["source_ids"] or {}).get(spec["source_type"]) or []]
            desired = view(p["topic_arn"], spec["source_type"], spec["categories"], ids)
            self.after[name] = desired
            found = existing.get(name)
            if found is None:
                self.before[name] = None
                self.act(f"create RDS event subscription {name} ({spec['source_type']}: "
                         f"{', '.join(desired['categories'])})", rds_api.create_event_subscription, self.rds, name,
                         p["topic_arn"], spec["source_type"], desired["categories"], desired["source_ids"],
                         tag_list(self.tags))
                continue
            self.update(name, found, desired)
        prefix = p["purge_prefix"]
        for name in sorted(n for n in existing if prefix and n.startswith(prefix) and n not in names):
            self.before[name] = found_view(existing[name])
            self.after[name] = None
            self.act(f"delete RDS event subscription {name}", rds_api.delete_event_subscription, self.rds, name)
        return {"subscriptions": names}

    def update(self, name, found, desired):
        current = found_view(found)
        self.before[name] = current
        changes = {}
        if current["topic_arn"] != desired["topic_arn"]:
            changes["SnsTopicArn"] = desired["topic_arn"]
        if current["source_type"] != desired["source_type"]:
            # A new source type drops the subscription's sources: they are added again below.
            changes["SourceType"] = desired["source_type"]
            current = dict(current, source_ids=[])
        if current["categories"] != desired["categories"]:
            changes["EventCategories"] = desired["categories"]
        if not current["enabled"]:
            changes["Enabled"] = True
        if changes:
            what = ", ".join(sorted(changes))
            self.act(f"modify RDS event subscription {name} ({what})", rds_api.modify_event_subscription, self.rds,
                     name, **changes)
        for source_id in sorted(set(desired["source_ids"]) - set(current["source_ids"])):
            self.act(f"add {source_id} to RDS event subscription {name}", rds_api.add_source_identifier, self.rds,
                     name, source_id)
        for source_id in sorted(set(current["source_ids"]) - set(desired["source_ids"])):
            self.act(f"remove {source_id} from RDS event subscription {name}", rds_api.remove_source_identifier,
                     self.rds, name, source_id)
        arn = found.get("EventSubscriptionArn")
        if arn:
            missing = tags_to_set(tag_dict(rds_api.list_tags(self.rds, arn)), self.tags)
            if missing:
                self.act(f"update the tags of RDS event subscription {name}: {', '.join(sorted(missing))}",
                         rds_api.add_tags, self.rds, arn, tag_list(missing))


def main():
    argument_spec = dict(
        topic_arn=dict(type="str", required=True),
        subscriptions=dict(type="list", elements="dict", default=[], options=dict(
            name=dict(type="str", required=True),
            source_type=dict(type="str", required=True, choices=SOURCE_TYPES),
            categories=dict(type="list", elements="str", required=True),
        )),
        source_ids=dict(type="dict", default={}),
        purge_prefix=dict(type="str", default=""),
        tags=dict(type="dict", default={}),
    )
    module = SoloAwsModule(argument_spec=argument_spec, supports_check_mode=True)
    specs = module.params["subscriptions"]
    names = [s["name"] for s in specs]
    if len(set(names)) != len(names):
        module.fail_json(msg="subscriptions: names must be unique")
    bad = [n for n in names if not NAME_RE.match(n)]
    if bad:
        module.fail_json(msg=f"subscriptions: {', '.join(bad)}: a name starts with a letter and has only letters, "
                             "digits and hyphens (at most 255)")
    empty = [s["name"] for s in specs if not s["categories"]]
    if empty:
        module.fail_json(msg=f"subscriptions: {', '.join(empty)} name no event category (an empty list would "
                             "subscribe to every category)")
    prefix = module.params["purge_prefix"]
    outside = [n for n in names if prefix and not n.startswith(prefix)]
    if outside:
        module.fail_json(msg=f"subscriptions {', '.join(outside)} do not start with purge_prefix {prefix!r}")
    unknown = sorted(set(module.params["source_ids"] or {}) - set(SOURCE_TYPES))
    if unknown:
        module.fail_json(msg=f"source_ids: unknown source type(s) {unknown}; the types are {SOURCE_TYPES}")
    runner = EventSubscriptions(module.client("rds"), module.params, module.check_mode)
    try:
        result = runner.converge()
    except SoloAwsError as e:
        fail_aws(module, e)
    module.exit_plan(runner, **result)


if __name__ == "__main__":
    main()
