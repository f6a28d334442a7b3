"""Requests the emulator runs never make, evaluated as the recorded ones are.

AWS creates log groups for Container Insights and Aurora that the teardown deletes, a customer KMS key is
used only where an inventory sets one, and an alarm subscription is removed only when the e-mail changes:
the emulator run takes none of these paths, so their requests are built here from the calls the
collection makes and evaluated against the deployer policy.
"""

from __future__ import annotations

import json

import pytest

from tests.support.aws import ROOT
from tests.support.iam_eval import denial_report, evaluate
from tests.support.iam_requests import Call, TagIndex, authorizations_of, observe, sar_arn

DEPLOYER = json.loads((ROOT / "docs" / "iam" / "deployer-policy.json").read_text())
KEY = sar_arn("kms", "key", "1234abcd-12ab-34cd-56ef-1234567890ab")


def index(**tags):
    found = TagIndex()
    found.tags[KEY] = tags
    return found


def denied(calls, state):
    found = []
    for call in calls:
        for request in authorizations_of(call, state):
            decision = evaluate(request, [DEPLOYER])
            if not decision.allowed:
                found.append(denial_report(request, decision))
        observe(call, state)
    return found


@pytest.mark.parametrize("group", ["/aws/ecs/containerinsights/solo-saving-prod/performance",
                                   "/aws/rds/cluster/solo-saving-prod-db/postgresql"])
def test_the_teardown_deletes_the_log_groups_aws_creates_for_the_stack(group):
    calls = [Call("logs:ListTagsLogGroup", {"logGroupName": group}),
             Call("logs:DeleteLogGroup", {"logGroupName": group})]
    assert denied(calls, TagIndex()) == []


def test_a_customer_key_tagged_for_the_project_encrypts_and_decrypts_parameters():
    name = "/solo-saving/prod/db_password"
    calls = [Call("ssm:PutParameter", {"Name": name, "Type": "SecureString", "KeyId": KEY, "Value": "x"}),
             Call("ssm:GetParameters", {"Names": [name], "WithDecryption": True})]
    assert denied(calls, index(Project="solo-saving")) == []
    state, actions = index(Project="solo-saving"), set()
    for call in calls:
        actions |= {r.action for r in authorizations_of(call, state)}
        observe(call, state)
    assert {"kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"} <= actions


def test_a_key_of_another_project_is_refused():
    calls = [Call("ssm:PutParameter", {"Name": "/solo-saving/prod/x", "Type": "SecureString", "KeyId": KEY})]
    found = denied(calls, index(Project="other"))
    assert found and all("kms:" in line for line in found)


def test_a_repository_encrypted_with_the_projects_key():
    call = Call("ecr:CreateRepository", {"repositoryName": "solo-saving-prod/backend",
                                         "encryptionConfiguration": {"encryptionType": "KMS", "kmsKey": KEY}})
    assert denied([call], index(Project="solo-saving")) == []


def test_an_alarm_subscription_is_removed_and_the_ecs_listings_are_scoped_by_cluster():
    cluster = {"cluster": "solo-saving-prod"}
    calls = [Call("sns:Unsubscribe", {"SubscriptionArn": sar_arn("sns", "topic", "solo-saving-prod-alarms") + ":1"}),
             Call("ecs:ListServices", cluster), Call("ecs:ListTasks", cluster)]
    assert denied(calls, TagIndex()) == []
    other = [Call("ecs:ListServices", {"cluster": "someone-else"})]
    assert denied(other, TagIndex())


LB = "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:loadbalancer/app/solo-saving-prod-alb/50dc6c495c0c9188"
LISTENER = LB.replace(":loadbalancer/", ":listener/") + "/f2f7dc8efc522ab2"
RULE = LB.replace(":loadbalancer/", ":listener-rule/") + "/f2f7dc8efc522ab2/9683b2d02a6cabee"


@pytest.mark.parametrize("call", [
    Call("elasticloadbalancing:ModifyListener", {"ListenerArn": LISTENER}),
    Call("elasticloadbalancing:DeleteRule", {"RuleArn": RULE}),
    Call("elasticloadbalancing:SetSecurityGroups", {"LoadBalancerArn": LB}),
    Call("elasticloadbalancing:SetIpAddressType", {"LoadBalancerArn": LB}),
    Call("iam:RemoveRoleFromInstanceProfile", {"InstanceProfileName": "solo-saving-prod-x",
                                               "RoleName": "solo-saving-prod-x"}),
], ids=lambda c: c.action)
def test_drift_corrections_and_leftovers_of_the_stack(call):
    assert denied([call], TagIndex()) == []


def test_drift_corrections_on_ec2_need_the_project_tag():
    table = sar_arn("ec2", "route-table", "rtb-1")
    state = TagIndex()
    call = Call("ec2:ReplaceRoute", {"RouteTableId": "rtb-1", "DestinationCidrBlock": "0.0.0.0/0"})
    assert denied([call], state)
    state.tags[table] = {"Project": "solo-saving"}
    assert denied([call], state) == []
