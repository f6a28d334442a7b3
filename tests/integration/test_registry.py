"""The registry stage against the emulator: the repositories of the spec, read back with boto3."""

from __future__ import annotations

import json

import pytest

from tests.support.aws import is_write, request_action, request_service

pytestmark = pytest.mark.slow

PREFIX = "solo-saving-local"
PULLER = "210987654321"


def writes(records):
    return [f"{request_service(r)}:{request_action(r)}" for r in records if is_write(r)]


def repositories(aws):
    ecr = aws.client("ecr")
    return {r["repositoryName"]: r for r in ecr.describe_repositories()["repositories"]}


def test_converge_meets_the_spec_then_changes_nothing(aws, playbook):
    first = playbook("site.yml", "--tags", "registry", check=True)
    assert first.recap()["changed"] == 1
    ecr = aws.client("ecr")
    repos = repositories(aws)
    assert sorted(repos) == [f"{PREFIX}/backend", f"{PREFIX}/frontend"]
    for name, repo in repos.items():
        assert repo["imageTagMutability"] == "IMMUTABLE"
        assert repo["imageScanningConfiguration"] == {"scanOnPush": True}
        assert repo["encryptionConfiguration"] == {"encryptionType": "AES256"}
        assert repo["repositoryUri"] == f"123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/{name}"
        rules = json.loads(ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"])["rules"]
        assert [r["selection"] for r in sorted(rules, key=lambda r: r["rulePriority"])] == [
            {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7},
            {"tagStatus": "tagged", "tagPatternList": ["*"], "countType": "imageCountMoreThan", "countNumber": 30},
        ]
        with pytest.raises(ecr.exceptions.RepositoryPolicyNotFoundException):
            ecr.get_repository_policy(repositoryName=name)
        tags = {t["Key"]: t["Value"] for t in ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]}
        assert tags["Project"] == "solo-saving" and tags["Environment"] == "local" and tags["ManagedBy"] == "ansible"

    aws.start_recording()
    check = playbook("site.yml", "--tags", "registry", "--check", "--diff", check=True)
    again = playbook("site.yml", "--tags", "registry", check=True)
    records = aws.stop_recording()
    assert check.recap()["changed"] == 0
    assert again.recap()["changed"] == 0
    assert writes(records) == []


def test_a_pull_account_and_a_new_lifecycle_are_planned_then_applied(aws, playbook):
    playbook("site.yml", "--tags", "registry", check=True)
    extra = json.dumps({"registry_pull_account_ids": [PULLER], "registry_keep_tagged_images": 50})
    aws.start_recording()
    plan = playbook("site.yml", "--tags", "registry", "--check", "--diff", "-e", extra, check=True)
    records = aws.stop_recording()
    assert plan.recap()["changed"] == 1 and writes(records) == []
    assert "countNumber: 50" in plan.stdout
    assert f"arn:aws:iam::{PULLER}:root" in plan.stdout

    playbook("site.yml", "--tags", "registry", "-e", extra, check=True)
    ecr = aws.client("ecr")
    policy = json.loads(ecr.get_repository_policy(repositoryName=f"{PREFIX}/frontend")["policyText"])
    assert policy["Statement"][0]["Principal"] == {"AWS": [f"arn:aws:iam::{PULLER}:root"]}
    assert sorted(policy["Statement"][0]["Action"]) == ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage",
                                                        "ecr:GetDownloadUrlForLayer"]
    assert playbook("site.yml", "--tags", "registry", "-e", extra, check=True).recap()["changed"] == 0
    # Back to no pull accounts: the policy goes.
    playbook("site.yml", "--tags", "registry", check=True)
    with pytest.raises(ecr.exceptions.RepositoryPolicyNotFoundException):
        ecr.get_repository_policy(repositoryName=f"{PREFIX}/backend")


def test_an_encryption_change_is_refused_and_nothing_is_written(aws, playbook):
    playbook("site.yml", "--tags", "registry", check=True)
    aws.client("ecr").put_image_tag_mutability(repositoryName=f"{PREFIX}/backend", imageTagMutability="MUTABLE")
    aws.start_recording()
    run = playbook("site.yml", "--tags", "registry", "-e", "registry_encryption_type=KMS")
    records = aws.stop_recording()
    assert run.rc != 0
    message = " ".join(run.output.split())
    assert f"repository {PREFIX}/frontend is encrypted with AES256, the inventory asks for KMS (AWS-managed key " \
           "aws/ecr)" in message
    assert "ECR cannot change a repository's encryption after creation" in message
    assert writes(records) == []
    assert repositories(aws)[f"{PREFIX}/backend"]["imageTagMutability"] == "MUTABLE"  # not even other drift


@pytest.mark.parametrize(("extra", "expected"), [
    ({"registry_repositories": ["Frontend"]},
     "registry_repositories[0] = 'Frontend' makes the repository name 'solo-saving-local/Frontend'"),
    ({"registry_pull_account_ids": ["123456789012"]},
     "registry_pull_account_ids[0] = '123456789012' is this environment's own account"),
    ({"registry_kms_key": "alias/ecr"}, "registry_kms_key is set but registry_encryption_type is AES256"),
])
def test_bad_inventory_fails_in_preflight_before_any_aws_call(aws, playbook, extra, expected):
    aws.start_recording()
    run = playbook("site.yml", "--tags", "registry", "-e", json.dumps(extra))
    records = aws.stop_recording()
    assert run.rc != 0
    assert expected in " ".join(run.output.split()), run.output[-4000:]
    assert records == [], [request_action(r) for r in records]
