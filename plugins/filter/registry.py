# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the registry layer: inventory validation and the policies of the repositories."""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

# ECR repository names: lower-case components separated by '/', 2 to 256 characters.
REPO_RE = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$")
ACCOUNT_RE = re.compile(r"^\d{12}$")
KMS_RE = re.compile(
    r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias/[A-Za-z0-9/_-]+"
    r"|arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+))$")
# What another account needs to pull an image.
PULL_ACTIONS = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
# ECR keeps at most 10,000 images per repository; lifecycle counts up to that make sense.
MAX_IMAGES = 10000


def registry_errors(spec):
    """Every problem with the registry inputs, as messages; [] when all is well.

    ``spec`` keys: name_prefix, repositories, encryption_type, kms_key, keep_tagged_images,
    untagged_expire_days, pull_account_ids, account_id.
    """
    errors = []
    prefix = str(spec.get("name_prefix") or "")
    repositories = spec.get("repositories")
    if not isinstance(repositories, list) or not repositories:
        errors.append("registry_repositories must list the repositories, for example [frontend, backend]")
        repositories = []
    for i, name in enumerate(repositories):
        full = f"{prefix}/{name}" if prefix else str(name)
        if not isinstance(name, str) or not REPO_RE.match(full) or not 2 <= len(full) <= 256:
            errors.append(f"registry_repositories[{i}] = {name!r} makes the repository name '{full}': use lower-case "
                          "letters, digits and single '.', '_' or '-' between them (2 to 256 characters in all)")
    if len(set(map(str, repositories))) != len(repositories):
        errors.append(f"registry_repositories = {repositories!r} lists a repository twice")
    encryption = spec.get("encryption_type")
    kms_key = str(spec.get("kms_key") or "")
    if encryption not in ("AES256", "KMS"):
        errors.append(f"registry_encryption_type = {encryption!r}: use AES256 or KMS")
    elif encryption == "AES256" and kms_key:
        errors.append("registry_kms_key is set but registry_encryption_type is AES256: set the type to KMS to use "
                      "the key, or empty registry_kms_key")
    if kms_key and not KMS_RE.match(kms_key):
        errors.append(f"registry_kms_key = '{kms_key}': give a KMS key id, key ARN, alias name (alias/...) or alias "
                      "ARN, or leave it empty for the AWS-managed key aws/ecr")
    for name, low, high, what in (("keep_tagged_images", 1, MAX_IMAGES, "tagged images to keep"),
                                  ("untagged_expire_days", 1, 3650, "days after which untagged images expire")):
        value = spec.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors.append(f"registry_{name} = {value!r}: give the number of {what}, from {low} to {high}")
    accounts = spec.get("pull_account_ids")
    if accounts is None:
        accounts = []
    if not isinstance(accounts, list):
        errors.append("registry_pull_account_ids must be a list of 12-digit account ids (quoted strings)")
        accounts = []
    for i, account in enumerate(accounts):
        if not ACCOUNT_RE.match(str(account)) or isinstance(account, int):
            errors.append(f"registry_pull_account_ids[{i}] = {account!r}: give a 12-digit account id as a quoted "
                          "string (an unquoted number loses leading zeros)")
        elif str(account) == str(spec.get("account_id") or ""):
            errors.append(f"registry_pull_account_ids[{i}] = '{account}' is this environment's own account, which "
                          "needs no repository policy: remove it")
    return errors


def ecr_lifecycle_policy(keep_tagged_images, untagged_expire_days):
    """Keep the last ``keep_tagged_images`` tagged images; expire untagged ones after ``untagged_expire_days``."""
    return {"rules": [
        {"rulePriority": 1,
         "description": f"Expire untagged images {untagged_expire_days} days after push",
         "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                       "countNumber": int(untagged_expire_days)},
         "action": {"type": "expire"}},
        {"rulePriority": 2,
         "description": f"Keep the last {keep_tagged_images} tagged images",
         "selection": {"tagStatus": "tagged", "tagPatternList": ["*"], "countType": "imageCountMoreThan",
                       "countNumber": int(keep_tagged_images)},
         "action": {"type": "expire"}},
    ]}


def ecr_pull_policy(account_ids, partition="aws"):
    """A repository policy letting ``account_ids`` pull images; None when the list is empty."""
    accounts = sorted({str(a) for a in account_ids or []})
    if not accounts:
        return None
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "CrossAccountPull",
        "Effect": "Allow",
        "Principal": {"AWS": [f"arn:{partition}:iam::{a}:root" for a in accounts]},
        "Action": list(PULL_ACTIONS),
    }]}


def ecr_repository_specs(names, prefix=""):
    """[name, ...] -> [{key: name, name: <prefix>/<name>}, ...] for the ecr_repositories module."""
    return [{"key": str(name), "name": f"{prefix}/{name}" if prefix else str(name)} for name in names or []]


def _registry_errors(spec):
    if not isinstance(spec, dict):
        raise AnsibleFilterError(f"registry_errors expects a mapping, got {type(spec).__name__}")
    return registry_errors(spec)


def _ecr_lifecycle_policy(keep_tagged_images, untagged_expire_days):
    try:
        keep, days = int(keep_tagged_images), int(untagged_expire_days)
    except (TypeError, ValueError):
        raise AnsibleFilterError("ecr_lifecycle_policy expects two numbers: images to keep, days to expire") from None
    return ecr_lifecycle_policy(keep, days)


def _ecr_repository_specs(names, prefix=""):
    if names is not None and not isinstance(names, list):
        raise AnsibleFilterError("ecr_repository_specs expects the list of repository names")
    return ecr_repository_specs(names, prefix)


def _ecr_pull_policy(account_ids, partition="aws"):
    if account_ids is not None and not isinstance(account_ids, list):
        raise AnsibleFilterError("ecr_pull_policy expects a list of account ids")
    return ecr_pull_policy(account_ids, partition)


class FilterModule:
    def filters(self):
        return {"registry_errors": _registry_errors, "ecr_lifecycle_policy": _ecr_lifecycle_policy,
                "ecr_pull_policy": _ecr_pull_policy, "ecr_repository_specs": _ecr_repository_specs}
