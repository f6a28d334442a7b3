#!/usr/bin/python
# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ecr_repositories
short_description: Converge a list of ECR repositories - scanning, tag immutability, encryption, policies, tags
version_added: 0.1.0
description:
  - Creates or updates ECR repositories in one call - scan on push, tag mutability, encryption (set at
    creation), the lifecycle policy, the repository policy and tags.
  - Policies are compared as JSON structures, not as text, so AWS's re-serialisation reports no change.
    An unset policy means "no policy" - one found on the repository is deleted.
  - ECR cannot change a repository's encryption after creation. When the inventory asks for another
    encryption than the repository has, the module changes nothing at all and fails, saying how to proceed.
  - Unlike M(community.aws.ecs_ecr), check mode returns the same shape as a real run, and C(AES256)
    encryption does not send an empty KMS key.
  - In check mode nothing is written; a repository that would be created is returned with the ARN and URI
    C(planned:ecr-repository:<name>).
author:
  - Solo Saving platform team (@solo-saving)
options:
  repositories:
    description: The repositories. Unset settings take the module-level value.
    type: list
    elements: dict
    default: []
    suboptions:
      key:
        description: Short name the result is keyed by (for example C(frontend)).
        type: str
        required: true
      name:
        description: The repository name (for example C(solo-saving-prod/frontend)).
        type: str
        required: true
      scan_on_push:
        description: Overrides I(scan_on_push).
        type: bool
      image_tag_mutability:
        description: Overrides I(image_tag_mutability).
        type: str
        choices: [MUTABLE, IMMUTABLE]
      encryption_type:
        description: Overrides I(encryption_type).
        type: str
        choices: [AES256, KMS]
      kms_key:
        description: Overrides I(kms_key).
        type: str
      lifecycle_policy:
        description: Overrides I(lifecycle_policy).
        type: raw
      repository_policy:
        description: Overrides I(repository_policy).
        type: raw
  scan_on_push:
    description: Scan images for vulnerabilities when they are pushed (basic scanning).
    type: bool
    default: true
  image_tag_mutability:
    description: C(IMMUTABLE) refuses to push a tag that exists, so a deployed tag always means the same image.
    type: str
    choices: [MUTABLE, IMMUTABLE]
    default: IMMUTABLE
  encryption_type:
    description: Encryption at rest, fixed at creation.
    type: str
    choices: [AES256, KMS]
    default: AES256
  kms_key:
    description:
      - With C(KMS) encryption, the customer managed key (id, ARN, alias name or alias ARN). Empty means the
        AWS-managed key C(aws/ecr); a repository encrypted with any KMS key then matches, since telling keys
        apart would need KMS read permissions the AWS-managed key does not otherwise require.
    type: str
    default: ""
  lifecycle_policy:
    description: The lifecycle policy (a mapping or JSON text); unset means none.
    type: raw
  repository_policy:
    description: The repository policy (a mapping or JSON text), for example cross-account pulls; unset means none.
    type: raw
  tags:
    description: Tags for every repository. Other tags found on the repositories are kept.
    type: dict
    default: {}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Converge the stack's image repositories.
  solo_saving.infra.ecr_repositories:
    repositories:
      - {key: frontend, name: solo-saving-prod/frontend}
      - {key: backend, name: solo-saving-prod/backend}
    lifecycle_policy:
      rules:
        - rulePriority: 1
          description: Expire untagged images after 7 days
          selection: {tagStatus: untagged, countType: sinceImagePushed, countUnit: days, countNumber: 7}
          action: {type: expire}
    tags:
      Project: solo-saving
  register: registry
"""

RETURN = r"""
repositories:
  description: Name, ARN and URI of every repository, by key.
  returned: always
  type: dict
  sample: {frontend: {name: solo-saving-prod/frontend,
                      arn: "arn:aws:ecr:ap-northeast-1:123456789012:repository/solo-saving-prod/frontend",
                      uri: "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/solo-saving-prod/frontend"}}
actions:
  description: What the run did (or, in check mode, would do), one sentence each.
  returned: always
  type: list
  elements: str
diff:
  description: Before and after views of the repositories, by name (with C(--diff)).
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.solo_saving.infra.plugins.module_utils import ecr as api
from ansible_collections.solo_saving.infra.plugins.module_utils import kms as kms_api
from ansible_collections.solo_saving.infra.plugins.module_utils.aws_module import SoloAwsModule
from ansible_collections.solo_saving.infra.plugins.module_utils.common import (
    Plan,
    SoloAwsError,
    fail_aws,
    planned_id,
    tag_list,
    tags_to_set,
)
from ansible_collections.solo_saving.infra.plugins.module_utils.json_policy import (
    PolicyError,
    dumps,
    load_policy,
    policies_equal,
)

SETTINGS = ("scan_on_push", "image_tag_mutability", "encryption_type", "kms_key", "lifecycle_policy",
            "repository_policy")


class RepositoryError(Exception):
    """A request the module refuses (an encryption change, a bad policy)."""


def key_form(key_id):
    """'key/<id>' or 'alias/<name>' for any way of naming a KMS key."""
    if key_id.startswith("arn:"):
        return key_id.split(":", 5)[5]
    if key_id.startswith("alias/"):
        return key_id
    return f"key/{key_id}"


def encryption_label(encryption_type, kms_key):
    if encryption_type == "KMS":
        return f"KMS ({kms_key or 'AWS-managed key aws/ecr'})"
    return "AES256"


class EcrRepositories(Plan):
    """Describe -> compare -> act, repository by repository."""

    def __init__(self, client, kms_client_factory, params, check_mode):
        self.client = client
        self.kms_client_factory = kms_client_factory
        self._kms_client = None
        self.params = params
        super().__init__(check_mode)
        self.tags = params["tags"] or {}

    def desired(self):
        result, keys, names = [], set(), set()
        for repo in self.params["repositories"]:
            if repo["key"] in keys or repo["name"] in names:
                raise RepositoryError(f"repositories: {repo['key']} ({repo['name']}) is listed twice")
            keys.add(repo["key"])
            names.add(repo["name"])
            want = {"key": repo["key"], "name": repo["name"]}
            for setting in SETTINGS:
                want[setting] = repo[setting] if repo.get(setting) is not None else self.params[setting]
            for policy in ("lifecycle_policy", "repository_policy"):
                try:
                    want[policy] = load_policy(want[policy]) or None  # {} means none too
                except PolicyError as e:
                    raise RepositoryError(f"repositories: the {policy.replace('_', ' ')} of {repo['name']} is "
                                          f"{e}") from None
            if want["encryption_type"] == "AES256" and want["kms_key"]:
                raise RepositoryError(f"repositories: {repo['name']} has a KMS key but AES256 encryption; set the "
                                      "encryption type to KMS or drop the key")
            result.append(want)
        return result

    @staticmethod
    def view(want):
        return {
            "scan_on_push": bool(want["scan_on_push"]),
            "image_tag_mutability": want["image_tag_mutability"],
            "encryption": encryption_label(want["encryption_type"], want["kms_key"]),
            "lifecycle_policy": want["lifecycle_policy"],
            "repository_policy": want["repository_policy"],
        }

    # -- encryption (immutable) ----------------------------------------------------------
    def _arn_of(self, key_id):
        if self._kms_client is None:
            self._kms_client = self.kms_client_factory()
        metadata = kms_api.describe_key(self._kms_client, key_id)
        return metadata["Arn"] if metadata else None

    def encryption_matches(self, found, want):
        current = found.get("encryptionConfiguration") or {"encryptionType": "AES256"}
        if current.get("encryptionType") != want["encryption_type"]:
            return False
        if want["encryption_type"] != "KMS" or not want["kms_key"]:
            return True
        have = current.get("kmsKey") or ""
        if key_form(have) == key_form(want["kms_key"]):
            return True
        return bool(have) and self._arn_of(want["kms_key"]) in (have, self._arn_of(have))

    def check_encryption(self, wanted, found):
        """Fail before any change when a repository's encryption differs from the inventory's."""
        problems = []
        for want in wanted:
            repo = found.get(want["name"])
            if repo is None or self.encryption_matches(repo, want):
                continue
            current = repo.get("encryptionConfiguration") or {"encryptionType": "AES256"}
            problems.append(
                f"repository {want['name']} is encrypted with "
                f"{encryption_label(current.get('encryptionType'), current.get('kmsKey'))}, the inventory asks for "
                f"{encryption_label(want['encryption_type'], want['kms_key'])}")
        if problems:
            raise RepositoryError(
                "; ".join(problems) + ". ECR cannot change a repository's encryption after creation: set the "
                "encryption (registry_encryption_type / registry_kms_key) back to what the repository has, or "
                "delete the repository - its images are lost - and run again to create it with the new encryption. "
                "Nothing was changed.")

    # -- per repository --------------------------------------------------------------
    def create(self, want):
        params = {
            "repositoryName": want["name"],
            "imageTagMutability": want["image_tag_mutability"],
            "imageScanningConfiguration": {"scanOnPush": bool(want["scan_on_push"])},
            "encryptionConfiguration": {"encryptionType": want["encryption_type"]},
        }
        if want["encryption_type"] == "KMS" and want["kms_key"]:
            params["encryptionConfiguration"]["kmsKey"] = want["kms_key"]
        if self.tags:
            params["tags"] = tag_list(self.tags)
        created = self.act(f"create repository {want['name']} "
                           f"({encryption_label(want['encryption_type'], want['kms_key'])})",
                           api.create_repository, self.client, **params)
        if want["lifecycle_policy"] is not None:
            self.act(f"set the lifecycle policy of {want['name']}", api.put_lifecycle_policy, self.client,
                     want["name"], dumps(want["lifecycle_policy"]))
        if want["repository_policy"] is not None:
            self.act(f"set the repository policy of {want['name']}", api.set_repository_policy, self.client,
                     want["name"], dumps(want["repository_policy"]))
        if created is None:
            planned = planned_id("ecr-repository", want["name"])
            return {"name": want["name"], "arn": planned, "uri": planned}
        return {"name": want["name"], "arn": created["repositoryArn"], "uri": created["repositoryUri"]}

    def update(self, found, want):
        name = want["name"]
        desired = self.after[name]
        current = {
            "scan_on_push": bool((found.get("imageScanningConfiguration") or {}).get("scanOnPush")),
            "image_tag_mutability": found.get("imageTagMutability"),
            "encryption": desired["encryption"],  # checked equal before any change
        }
        for policy, read in (("lifecycle_policy", api.get_lifecycle_policy),
                             ("repository_policy", api.get_repository_policy)):
            try:
                have = load_policy(read(self.client, name))
            except PolicyError:
                have = {"unreadable": True}  # not JSON: replaced by the desired policy
            # Equal in meaning shows as equal in the diff, whatever AWS's formatting.
            current[policy] = desired[policy] if policies_equal(have, desired[policy]) else have
        self.before[name] = current
        if current["scan_on_push"] != desired["scan_on_push"]:
            self.act(f"turn scan on push {'on' if desired['scan_on_push'] else 'off'} for {name}",
                     api.put_image_scanning_configuration, self.client, name, desired["scan_on_push"])
        if current["image_tag_mutability"] != desired["image_tag_mutability"]:
            self.act(f"make the tags of {name} {desired['image_tag_mutability']}", api.put_image_tag_mutability,
                     self.client, name, desired["image_tag_mutability"])
        if current["lifecycle_policy"] != desired["lifecycle_policy"]:
            if desired["lifecycle_policy"] is None:
                self.act(f"delete the lifecycle policy of {name}", api.delete_lifecycle_policy, self.client, name)
            else:
                self.act(f"set the lifecycle policy of {name}", api.put_lifecycle_policy, self.client, name,
                         dumps(desired["lifecycle_policy"]))
        if current["repository_policy"] != desired["repository_policy"]:
            if desired["repository_policy"] is None:
                self.act(f"delete the repository policy of {name}", api.delete_repository_policy, self.client,
                         name)
            else:
                self.act(f"set the repository policy of {name}", api.set_repository_policy, self.client, name,
                         dumps(desired["repository_policy"]))
        if self.tags:
            missing = tags_to_set(api.list_tags(self.client, found["repositoryArn"]), self.tags)
            if missing:
                self.act(f"update the tags of {name}: {', '.join(sorted(missing))}", api.tag_resource,
                         self.client, found["repositoryArn"], tag_list(missing))
        return {"name": name, "arn": found["repositoryArn"], "uri": found["repositoryUri"]}

    # -- entry ---------------------------------------------------------------------
    def converge(self):
        wanted = self.desired()
        found = {want["name"]: api.describe_repository(self.client, want["name"]) for want in wanted}
        self.check_encryption(wanted, found)
        result = {}
        for want in wanted:
            self.after[want["name"]] = self.view(want)
            repo = found[want["name"]]
            if repo is None:
                self.before[want["name"]] = None
                result[want["key"]] = self.create(want)
            else:
                result[want["key"]] = self.update(repo, want)
        return {"repositories": result}


def main():
    repo_options = dict(
        key=dict(type="str", required=True, no_log=False),
        name=dict(type="str", required=True),
        scan_on_push=dict(type="bool"),
        image_tag_mutability=dict(type="str", choices=["MUTABLE", "IMMUTABLE"]),
        encryption_type=dict(type="str", choices=["AES256", "KMS"]),
        kms_key=dict(type="str", no_log=False),
        lifecycle_policy=dict(type="raw"),
        repository_policy=dict(type="raw"),
    )
    argument_spec = dict(
        repositories=dict(type="list", elements="dict", default=[], options=repo_options),
        scan_on_push=dict(type="bool", default=True),
        image_tag_mutability=dict(type="str", choices=["MUTABLE", "IMMUTABLE"], default="IMMUTABLE"),
        encryption_type=dict(type="str", choices=["AES256", "KMS"], default="AES256"),
        kms_key=dict(type="str", default="", no_log=False),
        lifecycle_policy=dict(type="raw"),
        repository_policy=dict(type="raw"),
        tags=dict(type="dict", default={}),
    )
    module = SoloAwsModule(argument_spec=argument_spec, supports_check_mode=True)
    registry = EcrRepositories(module.client("ecr"), lambda: module.client("kms"), module.params,
                               module.check_mode)
    try:
        result = registry.converge()
    except RepositoryError as e:
        module.fail_json(msg=str(e), actions=registry.actions)
    except SoloAwsError as e:
        fail_aws(module, e)
    module.exit_plan(registry, **result)


if __name__ == "__main__":
    main()
