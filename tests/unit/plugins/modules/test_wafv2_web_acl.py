"""wafv2_web_acl: web ACL, log group and logging configuration; compare without AWS's additions."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.solo_saving.infra.plugins.filter.waf import waf_rules
from ansible_collections.solo_saving.infra.plugins.module_utils import wafv2
from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError
from ansible_collections.solo_saving.infra.plugins.modules import wafv2_web_acl
from tests.support.edge_fakes import FakeWaf, install
from tests.support.modules import ModuleFail

RULES = waf_rules([{"managed": "AWSManagedRulesCommonRuleSet"}, {"managed": "AWSManagedRulesSQLiRuleSet"},
                   {"geo_allow": ["JP"]}, {"rate_limit": 2000}], "t-dev")
ARGS = {"name": "t-dev-waf", "rules": RULES, "description": "Edge protection of t-dev",
        "logging": {"log_group_name": "aws-waf-logs-t-dev"}, "tags": {"Project": "t"}}


@pytest.fixture
def fake(monkeypatch):
    fake = install(monkeypatch, FakeWaf(), wafv2)
    fake.waited = []
    # The association waits for the load balancer to be active: record it in the order of the writes.
    monkeypatch.setattr(wafv2_web_acl.elbv2, "wait_active",
                        lambda client, arn: fake.waited.append((arn, len(fake.writes))))
    return fake


def args(**changes):
    data = copy.deepcopy(ARGS)
    data.update(changes)
    return data


def test_check_mode_on_empty_account_plans_and_writes_nothing(run_module, fake):
    result = run_module(wafv2_web_acl, ARGS, check_mode=True, diff=True)
    assert fake.writes == []
    assert result["arn"] == "planned:web-acl:t-dev-waf"
    assert result["log_group_arn"] == "planned:log-group:aws-waf-logs-t-dev"
    assert result["actions"] == [
        "create web ACL t-dev-waf with rules AWSManagedRulesCommonRuleSet, AWSManagedRulesSQLiRuleSet, geo-allow, "
        "rate-limit-per-ip",
        "create log group aws-waf-logs-t-dev",
        "keep the logs of aws-waf-logs-t-dev for 30 days",
        "send the logs of web ACL t-dev-waf to aws-waf-logs-t-dev, redacting authorization, cookie",
    ]


def test_converge_then_nothing_to_do(run_module, fake):
    planned = run_module(wafv2_web_acl, ARGS, check_mode=True)
    first = run_module(wafv2_web_acl, ARGS)
    assert first["actions"] == planned["actions"]
    acl = fake.acls[first["arn"]]
    assert acl["DefaultAction"] == {"Allow": {}}
    assert acl["VisibilityConfig"]["MetricName"] == "t-dev-waf"
    assert fake.tags[first["arn"]] == {"Project": "t", "Name": "t-dev-waf"}
    logging = fake.logging[first["arn"]]
    assert logging["LogDestinationConfigs"] == ["arn:aws:logs:ap-northeast-1:123456789012:log-group:aws-waf-logs-t-dev"]
    assert logging["RedactedFields"] == [{"SingleHeader": {"Name": "authorization"}},
                                         {"SingleHeader": {"Name": "cookie"}}]
    assert first["log_group_arn"] == logging["LogDestinationConfigs"][0]
    writes = list(fake.writes)
    second = run_module(wafv2_web_acl, ARGS)
    check = run_module(wafv2_web_acl, ARGS, check_mode=True, diff=True)
    assert second["changed"] is False and check["changed"] is False
    assert check["diff"]["before"] == check["diff"]["after"]
    assert fake.writes == writes


def test_rules_compare_without_the_empty_lists_aws_adds(run_module, fake):
    first = run_module(wafv2_web_acl, ARGS)
    stored = fake.acls[first["arn"]]["Rules"]
    stored[0]["Statement"]["ManagedRuleGroupStatement"]["ExcludedRules"] = []
    stored.reverse()  # AWS's order is not ours
    assert run_module(wafv2_web_acl, ARGS)["changed"] is False


def test_changed_rules_update_the_whole_acl_with_the_lock_token(run_module, fake):
    first = run_module(wafv2_web_acl, ARGS)
    rules = waf_rules([{"managed": "AWSManagedRulesCommonRuleSet", "count": ["SizeRestrictions_BODY"]}], "t-dev")
    result = run_module(wafv2_web_acl, args(rules=rules))
    assert result["actions"] == ["update web ACL t-dev-waf: change rule AWSManagedRulesCommonRuleSet; remove rule "
                                 "AWSManagedRulesSQLiRuleSet; remove rule geo-allow; remove rule rate-limit-per-ip"]
    assert fake.acls[first["arn"]]["Rules"] == rules


def test_a_changed_country_list_shows_in_the_diff_as_that_list_and_nothing_else(run_module, fake):
    run_module(wafv2_web_acl, ARGS)
    rules = waf_rules([{"managed": "AWSManagedRulesCommonRuleSet"}, {"managed": "AWSManagedRulesSQLiRuleSet"},
                       {"geo_allow": ["JP", "US"]}, {"rate_limit": 2000}], "t-dev")
    plan = run_module(wafv2_web_acl, args(rules=rules), check_mode=True, diff=True)
    assert plan["actions"] == ["update web ACL t-dev-waf: change rule geo-allow"]
    before, after = plan["diff"]["before"]["web_acl"]["rules"], plan["diff"]["after"]["web_acl"]["rules"]
    assert {name for name in after if before.get(name) != after[name]} == {"geo-allow"}
    geo = "NotStatement", "Statement", "GeoMatchStatement", "CountryCodes"

    def codes(view):
        node = view["geo-allow"]["Statement"]
        for key in geo:
            node = node[key]
        return node

    assert (codes(before), codes(after)) == (["JP"], ["JP", "US"])
    changed = copy.deepcopy(before)
    changed["geo-allow"]["Statement"]["NotStatement"]["Statement"]["GeoMatchStatement"]["CountryCodes"] = ["JP", "US"]
    assert changed == after  # that line, and nothing else
    assert plan["diff"]["before"]["web_acl"]["default_action"] == plan["diff"]["after"]["web_acl"]["default_action"]


def test_a_changed_rate_limit_shows_as_that_limit(run_module, fake):
    run_module(wafv2_web_acl, ARGS)
    rules = waf_rules([{"managed": "AWSManagedRulesCommonRuleSet"}, {"managed": "AWSManagedRulesSQLiRuleSet"},
                       {"geo_allow": ["JP"]}, {"rate_limit": 500}], "t-dev")
    plan = run_module(wafv2_web_acl, args(rules=rules), check_mode=True, diff=True)
    before, after = plan["diff"]["before"]["web_acl"]["rules"], plan["diff"]["after"]["web_acl"]["rules"]
    limit = before["rate-limit-per-ip"]["Statement"]["RateBasedStatement"]["Limit"]
    assert (limit, after["rate-limit-per-ip"]["Statement"]["RateBasedStatement"]["Limit"]) == (2000, 500)
    assert {name for name in after if before[name] != after[name]} == {"rate-limit-per-ip"}


def test_removed_rule_action_override_is_an_update(run_module, fake):
    rules = waf_rules([{"managed": "AWSManagedRulesCommonRuleSet", "count": ["SizeRestrictions_BODY"]}], "t-dev")
    run_module(wafv2_web_acl, args(rules=rules))
    plain = waf_rules([{"managed": "AWSManagedRulesCommonRuleSet"}], "t-dev")
    assert run_module(wafv2_web_acl, args(rules=plain))["changed"] is True


def test_default_action_and_description_drift(run_module, fake):
    first = run_module(wafv2_web_acl, ARGS)
    fake.acls[first["arn"]]["DefaultAction"] = {"Block": {}}
    fake.acls[first["arn"]]["Description"] = "changed by hand"
    result = run_module(wafv2_web_acl, ARGS)
    assert result["actions"] == ["update web ACL t-dev-waf: default action block -> allow; description"]


def test_logging_drift_is_corrected(run_module, fake):
    first = run_module(wafv2_web_acl, ARGS)
    fake.logging[first["arn"]]["RedactedFields"] = [{"SingleHeader": {"Name": "authorization"}}]
    fake.groups["aws-waf-logs-t-dev"]["retentionInDays"] = 7
    fake.groups["aws-waf-logs-t-dev"]["tags"].pop("Project")
    result = run_module(wafv2_web_acl, ARGS)
    assert result["actions"] == [
        "keep the logs of aws-waf-logs-t-dev for 30 days",
        "update the tags of log group aws-waf-logs-t-dev: Project",
        "send the logs of web ACL t-dev-waf to aws-waf-logs-t-dev, redacting authorization, cookie"]


def test_without_logging_the_log_group_is_left_alone(run_module, fake):
    result = run_module(wafv2_web_acl, args(logging=None))
    assert result["log_group_arn"] == ""
    assert [w for w in fake.writes if "log" in w] == []


@pytest.mark.parametrize(("change", "message"), [
    ({"logging": {"log_group_name": "waf-logs"}}, "logging.log_group_name 'waf-logs' must start with 'aws-waf-logs-'"),
    ({"logging": {"log_group_name": "aws-waf-logs-x", "retention_days": 31}},
     "logging.retention_days 31 is not a value CloudWatch accepts"),
    ({"description": "Edge (prod)"}, "AWS WAF allows letters, digits, spaces and"),
    ({"rules": RULES + RULES[:1]}, "rules: two rules have the same Name"),
])
def test_input_errors(run_module, fake, change, message):
    with pytest.raises(ModuleFail, match=message.replace("(", r"\(").replace(")", r"\)")):
        run_module(wafv2_web_acl, args(**change))
    assert fake.writes == []


def test_aws_error_becomes_fail_json_aws(run_module, fake, monkeypatch):
    def boom(*args, **kwargs):
        raise SoloAwsError("Failed to create the web ACL", exception=RuntimeError("WAFLimitsExceededException"))

    monkeypatch.setattr(wafv2, "create_web_acl", boom)
    with pytest.raises(ModuleFail, match="Failed to create the web ACL"):
        run_module(wafv2_web_acl, ARGS)


ALB = "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:loadbalancer/app/t-dev-alb/abc"
OTHER = "arn:aws:wafv2:ap-northeast-1:123456789012:regional/webacl/by-hand/id-2"


def test_resource_arns_put_the_acl_in_front_of_them_once(run_module, fake):
    planned = run_module(wafv2_web_acl, args(resource_arns=["planned:load-balancer:t-dev-alb"]), check_mode=True,
                         diff=True)
    assert fake.writes == []
    assert planned["actions"][-1] == "associate planned:load-balancer:t-dev-alb with planned:web-acl:t-dev-waf"
    assert planned["diff"]["after"]["associations"] == {
        "planned:load-balancer:t-dev-alb": "planned:web-acl:t-dev-waf"}

    first = run_module(wafv2_web_acl, args(resource_arns=[ALB]), diff=True)
    assert first["actions"][-1] == "associate load balancer t-dev-alb with web ACL t-dev-waf"
    assert fake.associations == {ALB: first["arn"]}
    assert first["associations"] == {ALB: first["arn"]}
    assert first["diff"]["before"]["associations"] == {ALB: ""}

    again = run_module(wafv2_web_acl, args(resource_arns=[ALB]))
    assert again["changed"] is False and again["associations"] == {ALB: first["arn"]}
    assert [w for w in fake.writes if w.startswith("associate")] == [f"associate_web_acl:{ALB}"]
    # The load balancer was waited for (to be active) once, right before it was associated, never in check mode.
    associated_at = fake.writes.index(f"associate_web_acl:{ALB}")
    assert fake.waited == [(ALB, associated_at)]


def test_a_resource_behind_another_acl_is_moved_and_a_planned_one_is_refused_outside_check_mode(run_module, fake):
    fake.associations[ALB] = OTHER
    result = run_module(wafv2_web_acl, args(resource_arns=[ALB]))
    assert result["actions"][-2:] == ["disassociate load balancer t-dev-alb from web ACL by-hand",
                                      "associate load balancer t-dev-alb with web ACL t-dev-waf"]
    assert fake.associations == {ALB: result["arn"]}
    with pytest.raises(ModuleFail, match="planned:load-balancer:x is a planned id"):
        run_module(wafv2_web_acl, args(resource_arns=["planned:load-balancer:x"]))


def test_without_resource_arns_no_association_is_read(run_module, fake, monkeypatch):
    reads = []
    original = fake.get_web_acl_for_resource
    monkeypatch.setattr(wafv2, "get_web_acl_for_resource", lambda *a: reads.append(a) or original(*a))
    result = run_module(wafv2_web_acl, ARGS)
    assert result["associations"] == {}
    assert reads == []
    run_module(wafv2_web_acl, args(resource_arns=[ALB]))
    assert len(reads) == 1
