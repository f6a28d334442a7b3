#!/usr/bin/python
# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: metric_alarms
short_description: Converge an SNS alarm topic, its subscriptions and a set of CloudWatch metric alarms in one call
version_added: 0.1.0
description:
  - Creates or updates an SNS topic (display name, optional KMS key, tags) and its subscriptions, and puts each
    metric alarm of I(alarms) with the topic as its alarm (and optionally OK) action.
  - An alarm is put only when it differs from what CloudWatch returns, so a re-run changes nothing.
  - Alarms whose names start with I(purge_prefix) and are not in I(alarms) are deleted, so an alarm removed from the
    inventory goes away. Alarms that AWS creates for target-tracking scaling policies (C(TargetTracking-...)) never
    match the prefix.
  - Subscriptions of the managed protocols that are not listed are removed once confirmed (a subscription pending
    confirmation has no ARN and cannot be removed; AWS drops it after three days).
  - In check mode nothing is written; a topic that would be created is returned with the ARN AWS will give it when
    I(account_id) is given, else a C(planned:sns-topic:<name>) identifier.
author:
  - Solo Saving platform team (@solo-saving)
options:
  topic:
    description: The SNS topic the alarms notify.
    type: dict
    required: true
    suboptions:
      name:
        description: Topic name.
        type: str
        required: true
      display_name:
        description: Display name (the sender name of e-mail notifications).
        type: str
        default: ""
      kms_master_key_id:
        description:
          - A customer KMS key for server-side encryption; empty for none. CloudWatch cannot publish to a topic
            encrypted with the AWS-managed key C(alias/aws/sns); a customer key's policy must allow
            C(cloudwatch.amazonaws.com) to use it.
        type: str
        default: ""
      subscriptions:
        description: Subscriptions of the topic.
        type: list
        elements: dict
        default: []
        suboptions:
          protocol:
            description: Protocol (C(email), C(email-json), C(https), C(sms)...).
            type: str
            required: true
          endpoint:
            description: Endpoint (the e-mail address, URL, phone number...).
            type: str
            required: true
  alarms:
    description: The metric alarms.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Alarm name.
        type: str
        required: true
      description:
        description: Alarm description (what to do when it fires).
        type: str
        default: ""
      namespace:
        description: Metric namespace, for example C(AWS/ECS).
        type: str
        required: true
      metric:
        description: Metric name.
        type: str
        required: true
      statistic:
        description: Statistic.
        type: str
        choices: [Average, Sum, Minimum, Maximum, SampleCount]
        default: Average
      dimensions:
        description: Metric dimensions, name to value.
        type: dict
        default: {}
      period:
        description: Period in seconds.
        type: int
        default: 300
      evaluation_periods:
        description: Periods evaluated.
        type: int
        default: 1
      datapoints_to_alarm:
        description: Breaching data points (of I(evaluation_periods)) that fire the alarm; default all of them.
        type: int
      threshold:
        description: Threshold.
        type: float
        required: true
      comparison:
        description: Comparison operator.
        type: str
        choices: [GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold, LessThanOrEqualToThreshold]
        default: GreaterThanOrEqualToThreshold
      treat_missing_data:
        description: How missing data points count.
        type: str
        choices: [breaching, notBreaching, ignore, missing]
        default: notBreaching
      unit:
        description: Unit of the metric, if it must be given.
        type: str
  ok_actions:
    description: Notify the topic when an alarm returns to OK as well.
    type: bool
    default: true
  purge_prefix:
    description: Delete alarms whose names start with this and are not in I(alarms); empty for no purge.
    type: str
    default: ""
  account_id:
    description: The account id, to return the ARN of a topic that check mode plans to create.
    type: str
    default: ""
  partition:
    description: The partition of the ARNs.
    type: str
    default: aws
  tags:
    description: Tags for the topic and the alarms. Other tags found on them are kept.
    type: dict
    default: {}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Converge the alarm topic and the alarms of the services.
  solo_saving.infra.metric_alarms:
    topic:
      name: solo-saving-prod-alarms
      subscriptions:
        - {protocol: email, endpoint: admin@example.com}
    alarms:
      - name: solo-saving-prod-alarm-frontend-cpu-high
        description: The frontend's average CPU is high.
        namespace: AWS/ECS
        metric: CPUUtilization
        dimensions: {ClusterName: solo-saving-prod, ServiceName: frontend}
        threshold: 85
        evaluation_periods: 3
    purge_prefix: solo-saving-prod-alarm-
    tags:
      Project: solo-saving
"""

RETURN = r"""
topic_arn:
  description: The topic ARN.
  returned: always
  type: str
alarms:
  description: The names of the alarms.
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

from ansible_collections.solo_saving.infra.plugins.module_utils import cloudwatch as cw_api
from ansible_collections.solo_saving.infra.plugins.module_utils import sns as sns_api
from ansible_collections.solo_saving.infra.plugins.module_utils.aws_module import SoloAwsModule
from ansible_collections.solo_saving.infra.plugins.module_utils.common import (
    Plan,
    SoloAwsError,
    fail_aws,
    planned_id,
    tag_dict,
    tag_list,
    tags_to_set,
)


def alarm_request(spec, topic_arn, ok_actions):
    """PutMetricAlarm arguments (without tags) for one alarm of the module's ``alarms``."""
    request = {
        "AlarmName": spec["name"],
        "AlarmDescription": spec["description"],
        "ActionsEnabled": True,
        "AlarmActions": [topic_arn],
        "OKActions": [topic_arn] if ok_actions else [],
        "InsufficientDataActions": [],
        "Namespace": spec["namespace"],
        "MetricName": spec["metric"],
        "Statistic": spec["statistic"],
        "Dimensions": [{"Name": k, "Value": str(v)} for k, v in sorted(spec["dimensions"].items())],
        "Period": spec["period"],
        "EvaluationPeriods": spec["evaluation_periods"],
        "DatapointsToAlarm": spec.get("datapoints_to_alarm") or spec["evaluation_periods"],
        "Threshold": float(spec["threshold"]),
        "ComparisonOperator": spec["comparison"],
        "TreatMissingData": spec["treat_missing_data"],
    }
    if spec.get("unit"):
        request["Unit"] = spec["unit"]
    return request


def comparable_alarm(alarm):
    """The settings of a PutMetricAlarm request or DescribeAlarms entry, in one comparable form."""
    evaluation = alarm.get("EvaluationPeriods")
    return {
        "description": alarm.get("AlarmDescription") or "",
        "actions_enabled": alarm.get("ActionsEnabled", True),
        "alarm_actions": sorted(alarm.get("AlarmActions") or []),
        "ok_actions": sorted(alarm.get("OKActions") or []),
        "insufficient_data_actions": sorted(alarm.get("InsufficientDataActions") or []),
        "metric": f"{alarm.get('Namespace')}/{alarm.get('MetricName')}",
        "statistic": alarm.get("Statistic"),
        "dimensions": {d["Name"]: d["Value"] for d in alarm.get("Dimensions") or []},
        "period": alarm.get("Period"),
        "evaluation_periods": evaluation,
        # Left out, DatapointsToAlarm means all the evaluation periods.
        "datapoints_to_alarm": alarm.get("DatapointsToAlarm") or evaluation,
        "threshold": float(alarm["Threshold"]) if alarm.get("Threshold") is not None else None,
        "comparison": alarm.get("ComparisonOperator"),
        "treat_missing_data": alarm.get("TreatMissingData") or "missing",
        "unit": alarm.get("Unit"),
    }


class Alarms(Plan):
    def __init__(self, clients, params, region, check_mode):
        self.sns = clients["sns"]
        self.cw = clients["cloudwatch"]
        self.params = params
        self.region = region
        super().__init__(check_mode)
        self.tags = {k: str(v) for k, v in (params["tags"] or {}).items()}

    def topic(self):
        spec = self.params["topic"]
        name = spec["name"]
        attributes = {"DisplayName": spec["display_name"], "KmsMasterKeyId": spec["kms_master_key_id"]}
        wanted = sorted(f"{s['protocol']}:{s['endpoint']}" for s in spec["subscriptions"])
        self.after["topic"] = {"name": name, **attributes, "subscriptions": wanted}
        arn = sns_api.find_topic(self.sns, name)
        current_attributes = sns_api.get_topic_attributes(self.sns, arn) if arn else None
        if current_attributes is None:
            self.before["topic"] = None
            create_attributes = {k: v for k, v in attributes.items() if v}
            created = self.act(f"create SNS topic {name}", sns_api.create_topic, self.sns, name, create_attributes,
                               tag_list(self.tags))
            arn = created or self.planned_arn(name)
            for sub in spec["subscriptions"]:
                self.act(f"subscribe {sub['protocol']}:{sub['endpoint']} to SNS topic {name}", sns_api.subscribe,
                         self.sns, arn, sub["protocol"], sub["endpoint"])
            return arn
        current = {k: current_attributes.get(k, "") for k in attributes}
        for key, value in attributes.items():
            if current[key] != value:
                self.act(f"set {key} of SNS topic {name}", sns_api.set_topic_attribute, self.sns, arn, key, value)
        missing = tags_to_set(tag_dict(sns_api.list_tags(self.sns, arn)), self.tags)
        if missing:
            self.act(f"update the tags of SNS topic {name}: {', '.join(sorted(missing))}", sns_api.tag_resource,
                     self.sns, arn, tag_list(missing))
        subscriptions = sns_api.list_subscriptions(self.sns, arn)
        have = {(s["Protocol"], s["Endpoint"]): s for s in subscriptions}
        self.before["topic"] = {"name": name, **current, "subscriptions": sorted(f"{p}:{e}" for p, e in have)}
        want = {(s["protocol"], s["endpoint"]) for s in spec["subscriptions"]}
        for protocol, endpoint in sorted(want - set(have)):
            self.act(f"subscribe {protocol}:{endpoint} to SNS topic {name}", sns_api.subscribe, self.sns, arn,
                     protocol, endpoint)
        for (protocol, endpoint), sub in sorted(have.items()):
            if (protocol, endpoint) in want or not sub["SubscriptionArn"].startswith("arn:"):
                continue  # wanted, or pending confirmation (no ARN to remove yet)
            self.act(f"unsubscribe {protocol}:{endpoint} from SNS topic {name}", sns_api.unsubscribe, self.sns,
                     sub["SubscriptionArn"])
        return arn

    def planned_arn(self, name):
        if self.params["account_id"]:
            return f"arn:{self.params['partition']}:sns:{self.region}:{self.params['account_id']}:{name}"
        return planned_id("sns-topic", name)

    def alarms(self, topic_arn):
        specs = self.params["alarms"]
        prefix = self.params["purge_prefix"]
        names = [a["name"] for a in specs]
        existing = {}
        for query in sorted({prefix} if prefix else set(names)):
            existing.update(cw_api.describe_alarms(self.cw, query))
        self.before["alarms"], self.after["alarms"] = {}, {}
        for spec in specs:
            name = spec["name"]
            request = alarm_request(spec, topic_arn, self.params["ok_actions"])
            desired = comparable_alarm(request)
            self.after["alarms"][name] = desired
            found = existing.get(name)
            if found is None:
                self.before["alarms"][name] = None
                self.act(f"create alarm {name}", cw_api.put_metric_alarm, self.cw,
                         dict(request, Tags=tag_list(self.tags)))
                continue
            current = comparable_alarm(found)
            self.before["alarms"][name] = current
            if current != desired:
                changed = sorted(k for k in desired if desired[k] != current[k])
                self.act(f"update alarm {name} ({', '.join(changed)})", cw_api.put_metric_alarm, self.cw, request)
            # PutMetricAlarm ignores Tags on an existing alarm: tag it separately.
            missing = tags_to_set(tag_dict(cw_api.list_tags(self.cw, found["AlarmArn"])), self.tags)
            if missing:
                self.act(f"update the tags of alarm {name}: {', '.join(sorted(missing))}", cw_api.tag_resource,
                         self.cw, found["AlarmArn"], tag_list(missing))
        if prefix:
            stale = sorted(n for n in existing if n.startswith(prefix) and n not in names)
            for name in stale:
                self.before["alarms"][name] = comparable_alarm(existing[name])
            if stale:
                self.act(f"delete alarms {', '.join(stale)}", cw_api.delete_alarms, self.cw, stale)
        return names

    def converge(self):
        topic_arn = self.topic()
        names = self.alarms(topic_arn)
        return {"topic_arn": topic_arn, "alarms": names}


def main():
    argument_spec = dict(
        topic=dict(type="dict", required=True, options=dict(
            name=dict(type="str", required=True),
            display_name=dict(type="str", default=""),
            kms_master_key_id=dict(type="str", default="", no_log=False),
            subscriptions=dict(type="list", elements="dict", default=[], options=dict(
                protocol=dict(type="str", required=True),
                endpoint=dict(type="str", required=True),
            )),
        )),
        alarms=dict(type="list", elements="dict", default=[], options=dict(
            name=dict(type="str", required=True),
            description=dict(type="str", default=""),
            namespace=dict(type="str", required=True),
            metric=dict(type="str", required=True),
            statistic=dict(type="str", default="Average",
                           choices=["Average", "Sum", "Minimum", "Maximum", "SampleCount"]),
            dimensions=dict(type="dict", default={}),
            period=dict(type="int", default=300),
            evaluation_periods=dict(type="int", default=1),
            datapoints_to_alarm=dict(type="int"),
            threshold=dict(type="float", required=True),
            comparison=dict(type="str", default="GreaterThanOrEqualToThreshold",
                            choices=["GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold",
                                     "LessThanOrEqualToThreshold"]),
            treat_missing_data=dict(type="str", default="notBreaching",
                                    choices=["breaching", "notBreaching", "ignore", "missing"]),
            unit=dict(type="str"),
        )),
        ok_actions=dict(type="bool", default=True),
        purge_prefix=dict(type="str", default=""),
        account_id=dict(type="str", default=""),
        partition=dict(type="str", default="aws"),
        tags=dict(type="dict", default={}),
    )
    module = SoloAwsModule(argument_spec=argument_spec, supports_check_mode=True)
    names = [a["name"] for a in module.params["alarms"]]
    if len(set(names)) != len(names):
        module.fail_json(msg="alarms: names must be unique")
    prefix = module.params["purge_prefix"]
    outside = [n for n in names if prefix and not n.startswith(prefix)]
    if outside:
        module.fail_json(msg=f"alarms {', '.join(outside)} do not start with purge_prefix {prefix!r}: a later run "
                             "could not tell them from alarms of others; rename them")
    runner = Alarms({"sns": module.client("sns"), "cloudwatch": module.client("cloudwatch")}, module.params,
                    module.region, module.check_mode)
    try:
        result = runner.converge()
    except SoloAwsError as e:
        fail_aws(module, e)
    module.exit_plan(runner, **result)


if __name__ == "__main__":
    main()
