"""The IAM evaluator of the policy tests: pure functions, cases from the IAM User Guide."""

from __future__ import annotations

import pytest

from tests.support.iam_eval import Request, arn_matches, condition_holds, denial_report, evaluate
from tests.support.iam_requests import Call, action_facts, arn_fits, request_tags, sar_arn

VPC = "arn:aws:ec2:ap-northeast-1:123456789012:vpc/vpc-1"


@pytest.mark.parametrize(("pattern", "arn", "expected"), [
    ("*", VPC, True),
    ("arn:aws:ec2:ap-northeast-1:*:vpc/*", VPC, True),
    ("arn:aws:ec2:*:*:vpc/vpc-?", VPC, True),
    ("arn:aws:ec2:ap-northeast-1:*:subnet/*", VPC, False),
    # The resource part may hold ':' and '/', which '*' spans there.
    ("arn:aws:logs:*:*:log-group:/ecs/solo-saving-*", "arn:aws:logs:r:1:log-group:/ecs/solo-saving-x/backend", True),
    # Elsewhere '*' stays inside its part.
    ("arn:aws:iam::*:role/x", "arn:aws:iam::1:2:role/x", False),
    # Case matters in ARNs.
    ("arn:aws:ec2:*:*:VPC/*", VPC, False),
    # A request that names no resource is authorized against "*", which only "*" matches.
    ("arn:aws:ecs:*:*:cluster/*", "*", False),
])
def test_arn_matching(pattern, arn, expected):
    assert arn_matches(pattern, arn) is expected


@pytest.mark.parametrize(("operator", "key", "values", "context", "expected"), [
    ("StringEquals", "aws:RequestTag/Project", "p", {"aws:RequestTag/Project": "p"}, True),
    ("StringEquals", "aws:RequestTag/Project", "p", {"aws:RequestTag/Project": "P"}, False),
    ("StringEquals", "aws:RequestTag/Project", ["a", "p"], {"aws:RequestTag/Project": "p"}, True),
    ("StringEquals", "aws:RequestTag/Project", "p", {}, False),  # a missing key fails a positive operator
    ("StringNotEquals", "iam:AWSServiceName", "ecs.amazonaws.com", {}, True),  # ... and passes a negated one
    ("StringNotEquals", "iam:AWSServiceName", ["ecs.amazonaws.com"], {"iam:AWSServiceName": "ec2.amazonaws.com"},
     True),
    ("StringEqualsIfExists", "aws:RequestTag/Project", "p", {}, True),
    ("StringLike", "iam:PermissionsBoundary", "arn:aws:iam::*:policy/b",
     {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b"}, True),
    ("StringLike", "iam:PermissionsBoundary", "arn:aws:iam::*:policy/b",
     {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/b2"}, False),
    ("StringEqualsIgnoreCase", "k", "ABC", {"k": "abc"}, True),
    ("ArnLike", "ecs:cluster", "arn:aws:ecs:*:*:cluster/solo-*", {"ecs:cluster": "arn:aws:ecs:r:1:cluster/solo-x"},
     True),
    ("ArnLike", "ecs:cluster", "arn:aws:ecs:*:*:cluster/solo-*", {"ecs:cluster": "arn:aws:ecs:r:1:cluster/other"},
     False),
    ("ArnNotLike", "iam:PolicyARN", "arn:aws:iam::aws:policy/ok", {"iam:PolicyARN": "arn:aws:iam::aws:policy/Admin"},
     True),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["Project", "Env"], {"aws:TagKeys": ["Project"]}, True),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["Project"], {"aws:TagKeys": ["Project", "Owner"]}, False),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["Project"], {}, True),  # holds for a missing key
    ("ForAnyValue:StringEquals", "aws:TagKeys", ["Project"], {"aws:TagKeys": ["Owner", "Project"]}, True),
    ("ForAnyValue:StringEquals", "aws:TagKeys", ["Project"], {}, False),
    ("Null", "aws:RequestTag/Project", "true", {}, True),
    ("Null", "aws:RequestTag/Project", "false", {}, False),
    ("Null", "aws:RequestTag/Project", "false", {"aws:RequestTag/Project": "p"}, True),
    ("Bool", "aws:SecureTransport", "true", {"aws:SecureTransport": True}, True),
    ("Bool", "aws:SecureTransport", "true", {"aws:SecureTransport": "false"}, False),
    ("NumericLessThanEquals", "aws:MultiFactorAuthAge", "3600", {"aws:MultiFactorAuthAge": "60"}, True),
])
def test_condition_operators(operator, key, values, context, expected):
    assert condition_holds(operator, key, values, context) is expected


def test_condition_keys_match_case_insensitively():
    assert condition_holds("StringEquals", "AWS:RequestTag/Project", "p", {"aws:requesttag/project": "p"})


POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Read", "Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"},
    {"Sid": "Tagged", "Effect": "Allow", "Action": ["ec2:DeleteVpc"], "Resource": "arn:aws:ec2:*:*:vpc/*",
     "Condition": {"StringEquals": {"aws:ResourceTag/Project": "p"}}},
    {"Sid": "AllButIam", "Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::secret/*"},
    {"Sid": "NoBoundaryRemoval", "Effect": "Deny", "Action": "iam:DeleteRolePermissionsBoundary", "Resource": "*"},
]}


def test_explicit_deny_wins_over_any_allow():
    allow_all = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    decision = evaluate(Request("iam:DeleteRolePermissionsBoundary", "arn:aws:iam::1:role/x"), [allow_all, POLICY])
    assert not decision.allowed and decision.reason == "explicit deny" and decision.statement == "NoBoundaryRemoval"


def test_actions_match_case_insensitively_with_wildcards():
    assert evaluate(Request("EC2:describevpcs", "*"), [POLICY]).allowed


def test_resource_tag_conditions():
    assert evaluate(Request("ec2:DeleteVpc", VPC, {"aws:ResourceTag/Project": "p"}), [POLICY]).allowed
    denied = evaluate(Request("ec2:DeleteVpc", VPC, {}), [{"Statement": POLICY["Statement"][:2]}])
    assert not denied.allowed and denied.statement == "Tagged"
    assert "aws:ResourceTag/Project" in denied.detail


def test_not_action_and_not_resource():
    assert evaluate(Request("s3:GetObject", "arn:aws:s3:::public/x"), [POLICY]).allowed
    assert not evaluate(Request("s3:GetObject", "arn:aws:s3:::secret/x"), [POLICY]).allowed
    assert not evaluate(Request("iam:CreateRole", "arn:aws:iam::1:role/x"), [POLICY]).allowed


def test_a_permissions_boundary_caps_the_identity_policy():
    boundary = {"Statement": [{"Sid": "OnlyDescribe", "Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}]}
    assert evaluate(Request("ec2:DescribeVpcs", "*"), [POLICY], boundary).allowed
    capped = evaluate(Request("s3:GetObject", "arn:aws:s3:::public/x"), [POLICY], boundary)
    assert not capped.allowed and capped.reason == "outside the permissions boundary"


def test_the_denial_names_the_request_the_values_and_the_closest_statement():
    request = Request("ec2:DeleteVpc", VPC, {"aws:ResourceTag/Project": "other"}, "teardown request 7")
    text = denial_report(request, evaluate(request, [{"Statement": POLICY["Statement"][:2]}]))
    assert text.startswith("DENIED teardown request 7 -> ec2:DeleteVpc on " + VPC)
    assert "aws:ResourceTag/Project='other'" in text and "closest statement Tagged" in text


def test_the_reference_gives_resource_types_arn_formats_and_condition_keys():
    facts = action_facts("ec2:CreateSubnet")
    assert facts["subnet"][0] and facts["vpc"][0]  # both required
    assert "aws:RequestTag/${TagKey}" in facts["subnet"][1]
    assert "aws:RequestTag/${TagKey}" not in facts["vpc"][1]  # no request tag on the VPC it is created in
    assert action_facts("ecs:ListServices") == {"": (False, ["ecs:cluster"])}
    assert sar_arn("ecs", "service", "c", "s") == "arn:aws:ecs:ap-northeast-1:123456789012:service/c/s"
    assert arn_fits("rds", "og", "arn:aws:rds:ap-northeast-1:123456789012:og:default:aurora-postgresql-16")
    assert not arn_fits("rds", "og", "arn:aws:rds:ap-northeast-1:123456789012:pg:x")


@pytest.mark.parametrize(("params", "expected"), [
    ({"TagSpecification": [{"ResourceType": "vpc", "Tag": [{"Key": "Project", "Value": "p"}]}]}, {"Project": "p"}),
    ({"tags": [{"key": "Project", "value": "p"}]}, {"Project": "p"}),
    ({"tags": {"Project": "p"}}, {"Project": "p"}),
    ({"Tags": {"Tag": [{"Key": "Project", "Value": "p"}]}}, {"Project": "p"}),
    ({"Name": "x"}, None),
])
def test_request_tags_of_every_protocol(params, expected):
    assert request_tags(Call("x:Y", params)) == expected


def test_a_create_carries_its_request_tags_on_the_new_resource_only():
    """ec2:CreateSubnet is authorized on the new subnet (request tags) and on the VPC (its own tags only)."""
    from tests.support.iam_requests import TagIndex, authorizations_of

    state = TagIndex()
    vpc = sar_arn("ec2", "vpc", "vpc-1")
    state.tags[vpc] = {"Project": "p"}
    call = Call("ec2:CreateSubnet", {"VpcId": "vpc-1", "TagSpecification": [
        {"ResourceType": "subnet", "Tag": [{"Key": "Project", "Value": "p"}]}]})
    requests = {(r.action, r.resource): r.context for r in authorizations_of(call, state)}
    assert requests[("ec2:CreateSubnet", vpc)] == {"aws:ResourceTag/Project": "p"}
    assert requests[("ec2:CreateSubnet", sar_arn("ec2", "subnet", "*"))] == {
        "aws:RequestTag/Project": "p", "aws:TagKeys": ["Project"]}
    assert requests[("ec2:CreateTags", sar_arn("ec2", "subnet", "*"))]["ec2:CreateAction"] == "CreateSubnet"
