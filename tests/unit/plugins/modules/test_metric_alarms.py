"""metric_alarms: topic, subscriptions and alarms compared before any put, purge, check mode (wrapper layer faked)."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.solo_saving.infra.plugins.modules import metric_alarms as mod
from tests.support.modules import ModuleFail

TOPIC_ARN = "arn:aws:sns:ap-northeast-1:123456789012:t-alarms"
ARGS = {
    "topic": {"name": "t-alarms", "display_name": "t alarms",
              "subscriptions": [{"protocol": "email", "endpoint": "ops@example.com"}]},
    "alarms": [
        {"name": "t-alarm-backend-cpu-high", "namespace": "AWS/ECS", "metric": "CPUUtilization",
         "dimensions": {"ServiceName": "backend", "ClusterName": "t"}, "threshold": 85, "evaluation_periods": 2},
        {"name": "t-alarm-alb-5xx", "namespace": "AWS/ApplicationELB", "metric": "HTTPCode_ELB_5XX_Count",
         "statistic": "Sum", "dimensions": {"LoadBalancer": "app/t/1"}, "threshold": 10},
    ],
    "purge_prefix": "t-alarm-",
    "account_id": "123456789012",
    "tags": {"Project": "t"},
}


class FakeAws:
    def __init__(self):
        self.topics = {}
        self.topic_tags = {}
        self.subscriptions = []
        self.alarms = {}
        self.alarm_tags = {}
        self.writes = []

    # sns
    def find_topic(self, client, name):
        return next((arn for arn in self.topics if arn.endswith(f":{name}")), None)

    def create_topic(self, client, name, attributes, tags):
        self.writes.append("create_topic")
        self.topics[TOPIC_ARN] = {"TopicArn": TOPIC_ARN, **attributes}
        self.topic_tags[TOPIC_ARN] = tags
        return TOPIC_ARN

    def get_topic_attributes(self, client, arn):
        return copy.deepcopy(self.topics.get(arn))

    def set_topic_attribute(self, client, arn, name, value):
        self.writes.append(f"set_attribute:{name}")
        self.topics[arn][name] = value

    def sns_list_tags(self, client, arn):
        return copy.deepcopy(self.topic_tags.get(arn, []))

    def sns_tag_resource(self, client, arn, tags):
        self.writes.append("tag_topic")

    def list_subscriptions(self, client, arn):
        return copy.deepcopy(self.subscriptions)

    def subscribe(self, client, arn, protocol, endpoint):
        self.writes.append(f"subscribe:{endpoint}")
        self.subscriptions.append({"Protocol": protocol, "Endpoint": endpoint,
                                   "SubscriptionArn": "PendingConfirmation"})

    def unsubscribe(self, client, arn):
        self.writes.append(f"unsubscribe:{arn}")
        self.subscriptions = [s for s in self.subscriptions if s["SubscriptionArn"] != arn]

    # cloudwatch
    def describe_alarms(self, client, prefix):
        return {k: copy.deepcopy(v) for k, v in self.alarms.items() if k.startswith(prefix)}

    def put_metric_alarm(self, client, args):
        self.writes.append(f"put_alarm:{args['AlarmName']}")
        stored = {k: copy.deepcopy(v) for k, v in args.items() if k != "Tags"}
        stored["AlarmArn"] = f"arn:aws:cloudwatch:r:1:alarm:{args['AlarmName']}"
        # CloudWatch hands dimensions back in its own order.
        stored["Dimensions"] = list(reversed(stored["Dimensions"]))
        self.alarms[args["AlarmName"]] = stored
        if "Tags" in args:
            self.alarm_tags[stored["AlarmArn"]] = args["Tags"]

    def delete_alarms(self, client, names):
        self.writes.append(f"delete_alarms:{','.join(names)}")
        for name in names:
            self.alarms.pop(name)

    def cw_list_tags(self, client, arn):
        return copy.deepcopy(self.alarm_tags.get(arn, []))

    def cw_tag_resource(self, client, arn, tags):
        self.writes.append(f"tag_alarm:{arn.rsplit(':', 1)[-1]}")


@pytest.fixture
def fake(monkeypatch):
    fake = FakeAws()
    for name in ("find_topic", "create_topic", "get_topic_attributes", "set_topic_attribute", "list_subscriptions",
                 "subscribe", "unsubscribe"):
        monkeypatch.setattr(mod.sns_api, name, getattr(fake, name))
    monkeypatch.setattr(mod.sns_api, "list_tags", fake.sns_list_tags)
    monkeypatch.setattr(mod.sns_api, "tag_resource", fake.sns_tag_resource)
    for name in ("describe_alarms", "put_metric_alarm", "delete_alarms"):
        monkeypatch.setattr(mod.cw_api, name, getattr(fake, name))
    monkeypatch.setattr(mod.cw_api, "list_tags", fake.cw_list_tags)
    monkeypatch.setattr(mod.cw_api, "tag_resource", fake.cw_tag_resource)
    return fake


def test_check_mode_on_empty_account(run_module, fake):
    result = run_module(mod, ARGS, check_mode=True, diff=True)
    assert fake.writes == []
    assert result["topic_arn"] == TOPIC_ARN
    assert result["actions"] == ["create SNS topic t-alarms", "subscribe email:ops@example.com to SNS topic t-alarms",
                                 "create alarm t-alarm-backend-cpu-high", "create alarm t-alarm-alb-5xx"]
    assert result["diff"]["after"]["alarms"]["t-alarm-alb-5xx"]["alarm_actions"] == [TOPIC_ARN]


def test_run_then_second_run_change_nothing(run_module, fake):
    planned = run_module(mod, ARGS, check_mode=True)
    first = run_module(mod, ARGS)
    assert first["actions"] == planned["actions"]
    alarm = fake.alarms["t-alarm-backend-cpu-high"]
    assert alarm["AlarmActions"] == [TOPIC_ARN] and alarm["OKActions"] == [TOPIC_ARN]
    assert alarm["DatapointsToAlarm"] == 2 and alarm["Threshold"] == 85.0
    writes = list(fake.writes)
    second = run_module(mod, ARGS)
    check = run_module(mod, ARGS, check_mode=True, diff=True)
    assert second["actions"] == [] and check["changed"] is False
    assert check["diff"]["before"] == check["diff"]["after"]
    assert fake.writes == writes


def test_changed_threshold_and_removed_alarm(run_module, fake):
    run_module(mod, ARGS)
    fake.alarms["t-alarm-old"] = copy.deepcopy(fake.alarms["t-alarm-alb-5xx"]) | {"AlarmName": "t-alarm-old"}
    fake.alarms["TargetTracking-service/t/backend-AlarmHigh-1"] = {"AlarmName": "x"}
    args = copy.deepcopy(ARGS)
    args["alarms"][0]["threshold"] = 90
    result = run_module(mod, args)
    assert result["actions"] == ["update alarm t-alarm-backend-cpu-high (threshold)", "delete alarms t-alarm-old"]
    assert "TargetTracking-service/t/backend-AlarmHigh-1" in fake.alarms


def test_subscriptions_and_attributes_are_converged(run_module, fake):
    run_module(mod, ARGS)
    fake.subscriptions = [
        {"Protocol": "email", "Endpoint": "old@example.com", "SubscriptionArn": f"{TOPIC_ARN}:abc"},
        {"Protocol": "email", "Endpoint": "pending@example.com", "SubscriptionArn": "PendingConfirmation"},
    ]
    fake.topics[TOPIC_ARN]["DisplayName"] = "other"
    result = run_module(mod, ARGS)
    assert result["actions"] == ["set DisplayName of SNS topic t-alarms",
                                 "subscribe email:ops@example.com to SNS topic t-alarms",
                                 "unsubscribe email:old@example.com from SNS topic t-alarms"]


def test_tags_of_an_existing_alarm_are_set_separately(run_module, fake):
    run_module(mod, ARGS)
    fake.alarm_tags.clear()
    result = run_module(mod, ARGS)
    assert result["actions"] == ["update the tags of alarm t-alarm-backend-cpu-high: Project",
                                 "update the tags of alarm t-alarm-alb-5xx: Project"]


@pytest.mark.parametrize(("change", "message"), [
    (lambda a: a["alarms"].append(copy.deepcopy(a["alarms"][0])), "alarms: names must be unique"),
    (lambda a: a["alarms"][0].update(name="other-cpu"), "alarms other-cpu do not start with purge_prefix 't-alarm-'"),
])
def test_input_errors_before_any_call(run_module, fake, change, message):
    args = copy.deepcopy(ARGS)
    change(args)
    with pytest.raises(ModuleFail, match=message):
        run_module(mod, args)
    assert fake.writes == []


def test_comparable_alarm_defaults():
    request = mod.alarm_request({**ARGS["alarms"][1], "description": "", "statistic": "Sum", "period": 300,
                                 "evaluation_periods": 1, "comparison": "GreaterThanOrEqualToThreshold",
                                 "treat_missing_data": "notBreaching"}, TOPIC_ARN, ok_actions=False)
    described = dict(request)
    described.pop("DatapointsToAlarm")  # left out: all the evaluation periods
    assert mod.comparable_alarm(described) == mod.comparable_alarm(request)
    assert request["OKActions"] == []
