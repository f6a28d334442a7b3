"""registry_errors / ecr_lifecycle_policy / ecr_pull_policy / ecr_repository_specs."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.solo_saving.infra.plugins.filter.registry import (
    FilterModule,
    ecr_lifecycle_policy,
    ecr_pull_policy,
    ecr_repository_specs,
    registry_errors,
)

GOOD = {
    "name_prefix": "solo-saving-prod",
    "repositories": ["frontend", "backend"],
    "encryption_type": "AES256",
    "kms_key": "",
    "keep_tagged_images": 30,
    "untagged_expire_days": 7,
    "pull_account_ids": ["210987654321"],
    "account_id": "123456789012",
}


def spec(**changes):
    return {**GOOD, **changes}


def test_good_spec_has_no_errors():
    assert registry_errors(spec()) == []
    assert registry_errors(spec(encryption_type="KMS", kms_key="alias/ecr")) == []


@pytest.mark.parametrize(("changes", "expected"), [
    ({"repositories": []}, "registry_repositories must list the repositories"),
    ({"repositories": ["Frontend"]}, "registry_repositories[0] = 'Frontend' makes the repository name "
                                     "'solo-saving-prod/Frontend': use lower-case letters"),
    ({"repositories": ["front--end"]}, "registry_repositories[0] = 'front--end'"),
    ({"repositories": ["web", "web"]}, "registry_repositories = ['web', 'web'] lists a repository twice"),
    ({"name_prefix": "Solo"}, "makes the repository name 'Solo/frontend'"),
    ({"encryption_type": "SSE"}, "registry_encryption_type = 'SSE': use AES256 or KMS"),
    ({"kms_key": "alias/x"}, "registry_kms_key is set but registry_encryption_type is AES256"),
    ({"encryption_type": "KMS", "kms_key": "my key"}, "registry_kms_key = 'my key': give a KMS key id"),
    ({"keep_tagged_images": 0}, "registry_keep_tagged_images = 0: give the number of tagged images to keep, from 1"),
    ({"untagged_expire_days": "7"}, "registry_untagged_expire_days = '7'"),
    ({"pull_account_ids": "210987654321"}, "registry_pull_account_ids must be a list of 12-digit account ids"),
    ({"pull_account_ids": [210987654321]}, "registry_pull_account_ids[0] = 210987654321: give a 12-digit account id "
                                           "as a quoted string"),
    ({"pull_account_ids": ["12345"]}, "registry_pull_account_ids[0] = '12345'"),
    ({"pull_account_ids": ["123456789012"]}, "registry_pull_account_ids[0] = '123456789012' is this environment's "
                                             "own account"),
])
def test_each_rule_names_the_variable(changes, expected):
    errors = registry_errors(spec(**changes))
    assert any(expected in e for e in errors), errors


def test_lifecycle_policy_expires_untagged_first_then_keeps_the_newest_tagged():
    policy = ecr_lifecycle_policy(30, 7)
    untagged, tagged = policy["rules"]
    assert untagged["rulePriority"] < tagged["rulePriority"]
    assert untagged["selection"] == {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                                     "countNumber": 7}
    assert tagged["selection"] == {"tagStatus": "tagged", "tagPatternList": ["*"], "countType": "imageCountMoreThan",
                                   "countNumber": 30}
    assert {r["action"]["type"] for r in policy["rules"]} == {"expire"}


def test_pull_policy_lists_each_account_once_and_is_none_without_accounts():
    assert ecr_pull_policy([]) is None
    assert ecr_pull_policy(None) is None
    policy = ecr_pull_policy(["222222222222", "111111111111", "222222222222"])
    statement = policy["Statement"][0]
    assert statement["Principal"] == {"AWS": ["arn:aws:iam::111111111111:root", "arn:aws:iam::222222222222:root"]}
    assert statement["Action"] == ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    assert "ecr:PutImage" not in statement["Action"]
    assert ecr_pull_policy(["111111111111"], partition="aws-cn")["Statement"][0]["Principal"]["AWS"] == [
        "arn:aws-cn:iam::111111111111:root"]


def test_repository_specs():
    assert ecr_repository_specs(["frontend"], "p-dev") == [{"key": "frontend", "name": "p-dev/frontend"}]
    assert ecr_repository_specs(["frontend"]) == [{"key": "frontend", "name": "frontend"}]


def test_wrappers_refuse_bad_types():
    filters = FilterModule().filters()
    with pytest.raises(AnsibleFilterError, match="registry_errors expects a mapping"):
        filters["registry_errors"]([])
    with pytest.raises(AnsibleFilterError, match="ecr_lifecycle_policy expects two numbers"):
        filters["ecr_lifecycle_policy"]("many", 7)
    with pytest.raises(AnsibleFilterError, match="ecr_pull_policy expects a list"):
        filters["ecr_pull_policy"]("111111111111")
    with pytest.raises(AnsibleFilterError, match="ecr_repository_specs expects the list"):
        filters["ecr_repository_specs"]("frontend")
    assert filters["ecr_lifecycle_policy"]("30", "7")["rules"][1]["selection"]["countNumber"] == 30
