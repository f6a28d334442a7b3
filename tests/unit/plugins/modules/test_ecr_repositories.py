"""ecr_repositories: create, drift correction, semantic policy comparison, refused encryption change, check mode."""

from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.solo_saving.infra.plugins.filter.registry import ecr_lifecycle_policy, ecr_pull_policy
from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError
from ansible_collections.solo_saving.infra.plugins.modules import ecr_repositories as mod
from tests.support.modules import ModuleFail

ACCOUNT = "123456789012"
KEY_ARN = f"arn:aws:kms:ap-northeast-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ARGS = {
    "repositories": [{"key": "frontend", "name": "t-dev/frontend"}, {"key": "backend", "name": "t-dev/backend"}],
    "lifecycle_policy": ecr_lifecycle_policy(30, 7),
    "tags": {"Project": "t"},
}


class FakeEcr:
    """In-memory ECR behind the module_utils.ecr wrappers; records every write."""

    def __init__(self):
        self.repos = {}
        self.writes = []

    def describe_repository(self, client, name):
        repo = self.repos.get(name)
        if repo is None:
            return None
        return copy.deepcopy({k: v for k, v in repo.items() if k not in ("lifecycle", "policy", "tags")})

    def create_repository(self, client, **params):
        name = params["repositoryName"]
        self.writes.append(f"create:{name}")
        encryption = dict(params["encryptionConfiguration"])
        if encryption["encryptionType"] == "KMS":
            encryption.setdefault("kmsKey", f"arn:aws:kms:ap-northeast-1:{ACCOUNT}:key/aws-managed-ecr")
        self.repos[name] = {
            "repositoryName": name,
            "repositoryArn": f"arn:aws:ecr:ap-northeast-1:{ACCOUNT}:repository/{name}",
            "repositoryUri": f"{ACCOUNT}.dkr.ecr.ap-northeast-1.amazonaws.com/{name}",
            "imageTagMutability": params["imageTagMutability"],
            "imageScanningConfiguration": params["imageScanningConfiguration"],
            "encryptionConfiguration": encryption,
            "lifecycle": None, "policy": None,
            "tags": {t["Key"]: t["Value"] for t in params.get("tags", [])},
        }
        return self.describe_repository(client, name)

    def _repo(self, name):
        return self.repos[name]

    def put_image_scanning_configuration(self, client, name, scan):
        self.writes.append(f"scan:{name}")
        self._repo(name)["imageScanningConfiguration"] = {"scanOnPush": scan}

    def put_image_tag_mutability(self, client, name, mutability):
        self.writes.append(f"mutability:{name}")
        self._repo(name)["imageTagMutability"] = mutability

    def get_lifecycle_policy(self, client, name):
        return self._repo(name)["lifecycle"]

    def put_lifecycle_policy(self, client, name, text):
        self.writes.append(f"lifecycle:{name}")
        json.loads(text)
        self._repo(name)["lifecycle"] = text

    def delete_lifecycle_policy(self, client, name):
        self.writes.append(f"delete-lifecycle:{name}")
        self._repo(name)["lifecycle"] = None

    def get_repository_policy(self, client, name):
        return self._repo(name)["policy"]

    def set_repository_policy(self, client, name, text):
        self.writes.append(f"policy:{name}")
        json.loads(text)
        self._repo(name)["policy"] = text

    def delete_repository_policy(self, client, name):
        self.writes.append(f"delete-policy:{name}")
        self._repo(name)["policy"] = None

    def list_tags(self, client, arn):
        return dict(next(r for r in self.repos.values() if r["repositoryArn"] == arn)["tags"])

    def tag_resource(self, client, arn, tags):
        self.writes.append(f"tag:{arn.rsplit('/', 1)[-1]}")
        next(r for r in self.repos.values() if r["repositoryArn"] == arn)["tags"].update(
            {t["Key"]: t["Value"] for t in tags})


@pytest.fixture
def fake(monkeypatch):
    fake = FakeEcr()
    for name in dir(fake):
        if not name.startswith("_") and hasattr(mod.api, name):
            monkeypatch.setattr(mod.api, name, getattr(fake, name))
    aliases = {"alias/ecr": KEY_ARN, KEY_ARN: KEY_ARN}
    monkeypatch.setattr(mod.kms_api, "describe_key",
                        lambda client, key: {"Arn": aliases[key]} if key in aliases else None)
    return fake


def test_check_mode_on_an_empty_account_plans_and_writes_nothing(run_module, fake):
    result = run_module(mod, ARGS, check_mode=True, diff=True)
    assert fake.writes == []
    assert result["actions"] == [
        "create repository t-dev/frontend (AES256)", "set the lifecycle policy of t-dev/frontend",
        "create repository t-dev/backend (AES256)", "set the lifecycle policy of t-dev/backend",
    ]
    assert result["repositories"]["frontend"] == {"name": "t-dev/frontend",
                                                  "arn": "planned:ecr-repository:t-dev/frontend",
                                                  "uri": "planned:ecr-repository:t-dev/frontend"}
    assert result["diff"]["before"] == {"t-dev/frontend": None, "t-dev/backend": None}
    after = result["diff"]["after"]["t-dev/frontend"]
    assert after["image_tag_mutability"] == "IMMUTABLE" and after["scan_on_push"] is True
    assert after["lifecycle_policy"]["rules"][1]["selection"]["tagPatternList"] == ["*"]  # as given, not canonical


def test_run_creates_with_every_setting_then_nothing_changes(run_module, fake):
    planned = run_module(mod, ARGS, check_mode=True)
    first = run_module(mod, ARGS)
    assert planned["actions"] == first["actions"]
    repo = fake.repos["t-dev/frontend"]
    assert repo["imageTagMutability"] == "IMMUTABLE"
    assert repo["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo["encryptionConfiguration"] == {"encryptionType": "AES256"}  # no empty kmsKey sent
    assert repo["tags"] == {"Project": "t"}
    assert first["repositories"]["backend"] == {
        "name": "t-dev/backend", "arn": f"arn:aws:ecr:ap-northeast-1:{ACCOUNT}:repository/t-dev/backend",
        "uri": f"{ACCOUNT}.dkr.ecr.ap-northeast-1.amazonaws.com/t-dev/backend"}
    writes = list(fake.writes)
    second = run_module(mod, ARGS)
    check = run_module(mod, ARGS, check_mode=True, diff=True)
    assert second["changed"] is False and check["changed"] is False
    assert check["diff"]["before"] == check["diff"]["after"]
    assert fake.writes == writes


def test_policies_reformatted_by_aws_are_not_a_change(run_module, fake):
    args = {**ARGS, "repository_policy": ecr_pull_policy(["210987654321"])}
    run_module(mod, args)
    repo = fake.repos["t-dev/frontend"]
    repo["lifecycle"] = json.dumps(json.loads(repo["lifecycle"]), indent=2)
    policy = json.loads(repo["policy"])
    policy["Statement"][0]["Action"].reverse()
    policy["Statement"][0]["Principal"]["AWS"] = policy["Statement"][0]["Principal"]["AWS"][0]
    repo["policy"] = json.dumps(policy)
    result = run_module(mod, args, check_mode=True, diff=True)
    assert result["changed"] is False
    assert result["diff"]["before"] == result["diff"]["after"]


def test_drift_is_corrected(run_module, fake):
    run_module(mod, ARGS)
    repo = fake.repos["t-dev/backend"]
    repo["imageTagMutability"] = "MUTABLE"
    repo["imageScanningConfiguration"] = {"scanOnPush": False}
    repo["lifecycle"] = json.dumps(ecr_lifecycle_policy(5, 1))
    repo["policy"] = json.dumps(ecr_pull_policy(["210987654321"]))
    repo["tags"] = {}
    result = run_module(mod, ARGS, diff=True)
    assert result["actions"] == [
        "turn scan on push on for t-dev/backend",
        "make the tags of t-dev/backend IMMUTABLE",
        "set the lifecycle policy of t-dev/backend",
        "delete the repository policy of t-dev/backend",
        "update the tags of t-dev/backend: Project",
    ]
    assert result["diff"]["before"]["t-dev/backend"]["image_tag_mutability"] == "MUTABLE"
    assert result["diff"]["before"]["t-dev/backend"]["lifecycle_policy"]["rules"][1]["selection"]["countNumber"] == 5
    assert run_module(mod, ARGS)["changed"] is False


def test_a_pull_policy_is_added_and_removed_with_the_inventory(run_module, fake):
    run_module(mod, ARGS)
    args = {**ARGS, "repository_policy": ecr_pull_policy(["210987654321"])}
    result = run_module(mod, args)
    assert result["actions"] == ["set the repository policy of t-dev/frontend",
                                 "set the repository policy of t-dev/backend"]
    assert json.loads(fake.repos["t-dev/frontend"]["policy"])["Statement"][0]["Principal"] == {
        "AWS": ["arn:aws:iam::210987654321:root"]}
    assert run_module(mod, ARGS)["actions"] == ["delete the repository policy of t-dev/frontend",
                                                "delete the repository policy of t-dev/backend"]


def test_per_repository_settings_override_the_module_level_ones(run_module, fake):
    args = copy.deepcopy(ARGS)
    args["repositories"][1].update(image_tag_mutability="MUTABLE", scan_on_push=False, lifecycle_policy={})
    run_module(mod, args)
    assert fake.repos["t-dev/backend"]["imageTagMutability"] == "MUTABLE"
    assert fake.repos["t-dev/backend"]["imageScanningConfiguration"] == {"scanOnPush": False}
    assert fake.repos["t-dev/backend"]["lifecycle"] is None
    assert fake.repos["t-dev/frontend"]["imageTagMutability"] == "IMMUTABLE"


def test_kms_encryption_with_a_customer_key_given_by_alias(run_module, fake):
    args = {**ARGS, "encryption_type": "KMS", "kms_key": "alias/ecr"}
    run_module(mod, args)
    fake.repos["t-dev/frontend"]["encryptionConfiguration"]["kmsKey"] = KEY_ARN  # AWS reports the key's ARN
    fake.repos["t-dev/backend"]["encryptionConfiguration"]["kmsKey"] = KEY_ARN
    assert run_module(mod, args)["changed"] is False
    # The AWS-managed key: any KMS key matches (telling them apart would need KMS read access).
    assert run_module(mod, {**ARGS, "encryption_type": "KMS"})["changed"] is False


@pytest.mark.parametrize(("change", "expected"), [
    ({"encryption_type": "KMS"}, "repository t-dev/frontend is encrypted with AES256, the inventory asks for KMS "
                                 "(AWS-managed key aws/ecr); repository t-dev/backend is encrypted with AES256"),
    ({"encryption_type": "KMS", "kms_key": "alias/other"}, "the inventory asks for KMS (alias/other)"),
])
def test_an_encryption_change_is_refused_before_any_change(run_module, fake, change, expected):
    run_module(mod, ARGS)
    fake.repos["t-dev/backend"]["imageTagMutability"] = "MUTABLE"  # drift that must not be fixed either
    writes = list(fake.writes)
    with pytest.raises(ModuleFail) as failure:
        run_module(mod, {**ARGS, **change})
    message = failure.value.result["msg"]
    assert expected in message
    assert "ECR cannot change a repository's encryption after creation: set the encryption " \
           "(registry_encryption_type / registry_kms_key) back to what the repository has, or delete the " \
           "repository - its images are lost - and run again" in message
    assert message.endswith("Nothing was changed.")
    assert fake.writes == writes


def test_a_kms_repository_asked_back_to_aes256_is_refused(run_module, fake):
    run_module(mod, {**ARGS, "encryption_type": "KMS", "kms_key": KEY_ARN})
    with pytest.raises(ModuleFail, match=rf"encrypted with KMS \({KEY_ARN}\), the inventory asks for AES256"):
        run_module(mod, ARGS, check_mode=True)


@pytest.mark.parametrize(("change", "message"), [
    ({"repositories": [{"key": "a", "name": "x/a"}, {"key": "a", "name": "x/b"}]}, "a \\(x/b\\) is listed twice"),
    ({"lifecycle_policy": "{bad"}, "the lifecycle policy of t-dev/frontend is not valid JSON"),
    ({"repository_policy": "[]"}, r"the repository policy of t-dev/frontend is not a JSON object \(got list\)"),
    ({"kms_key": "alias/x"}, "t-dev/frontend has a KMS key but AES256 encryption"),
])
def test_input_errors_before_any_call(run_module, fake, change, message):
    with pytest.raises(ModuleFail, match=message):
        run_module(mod, {**ARGS, **change})
    assert fake.writes == []


def test_aws_error_becomes_fail_json_aws(run_module, fake, monkeypatch):
    def boom(*args, **kwargs):
        raise SoloAwsError("Failed to create an ECR repository", exception=RuntimeError("LimitExceededException"))

    monkeypatch.setattr(mod.api, "create_repository", boom)
    with pytest.raises(ModuleFail) as failure:
        run_module(mod, ARGS)
    assert failure.value.result["msg"] == "Failed to create an ECR repository"
