#!/usr/bin/python
# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: kms_customer_key
short_description: Converge a customer-managed symmetric KMS key found by its alias (policy, rotation, tags)
version_added: 0.1.0
description:
  - Finds the key by I(alias); creates it (symmetric, encrypt/decrypt) with I(policy) and the alias when there is
    none, and otherwise sets what differs from the key policy (compared as documents, not as text), the automatic
    yearly rotation, the description and the tags.
  - A key the alias names that is pending deletion is left alone; a new key is created and the alias moved to it
    (a key pending deletion cannot encrypt). A disabled key is refused (someone disabled it; enable it or delete
    the alias).
  - In check mode nothing is written; a key that would be created is returned as C(planned:kms-key:<alias>).
  - Written rather than C(amazon.aws.kms_key) so that C(--check --diff) shows the policy, rotation and tags a run
    would set, in the collection's before/after shape, and the calls share the collection's retries.
author:
  - Solo Saving platform team (@solo-saving)
options:
  alias:
    description: The key's alias, C(alias/<name>) (not an AWS alias, C(alias/aws/...)).
    type: str
    required: true
  description:
    description: The key's description.
    type: str
    default: ""
  policy:
    description: The key policy (a dict or JSON text). It must let the account administer the key.
    type: raw
    required: true
  enable_key_rotation:
    description: Automatic rotation of the key material (yearly). Rotation is never turned off by the module.
    type: bool
    default: true
  tags:
    description: Tags of the key. Other tags found on it are kept.
    type: dict
    default: {}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Converge the customer key of the alarm topic.
  solo_saving.infra.kms_customer_key:
    alias: alias/solo-saving-prod-alarms
    description: Encrypts the alarm topic of solo-saving-prod
    policy: "{{ lookup('file', 'alarm-key-policy.json') }}"
    tags:
      Project: solo-saving
"""

RETURN = r"""
key_arn:
  description: The key's ARN (C(planned:kms-key:<alias>) in check mode when the key would be created).
  returned: always
  type: str
key_id:
  description: The key's id (empty in check mode when the key would be created).
  returned: always
  type: str
alias:
  description: The alias.
  returned: always
  type: str
actions:
  description: What the run did (or, in check mode, would do), one sentence each.
  returned: always
  type: list
  elements: str
diff:
  description: Before and after views (with C(--diff)).
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.solo_saving.infra.plugins.module_utils import json_policy
from ansible_collections.solo_saving.infra.plugins.module_utils import kms as kms_api
from ansible_collections.solo_saving.infra.plugins.module_utils.aws_module import SoloAwsModule
from ansible_collections.solo_saving.infra.plugins.module_utils.common import (
    Plan,
    SoloAwsError,
    fail_aws,
    planned_id,
    tags_to_set,
)


def kms_tags(tags):
    """Ansible dict of tags -> KMS's [{'TagKey':..,'TagValue':..}] sorted by key."""
    return [{"TagKey": k, "TagValue": str(v)} for k, v in sorted((tags or {}).items())]


def kms_tag_dict(tags):
    return {t["TagKey"]: t["TagValue"] for t in tags or []}


class CustomerKey(Plan):
    def __init__(self, client, params, check_mode):
        self.kms = client
        self.params = params
        super().__init__(check_mode)
        self.alias = params["alias"]
        self.policy = json_policy.load_policy(params["policy"])
        self.tags = {k: str(v) for k, v in (params["tags"] or {}).items()}

    def view(self, description, policy, rotation, tags):
        return {"alias": self.alias, "description": description, "policy": json_policy.normalize_policy(policy),
                "rotation": rotation, "tags": tags}

    def current_key(self):
        """(metadata, alias entry) of the key the alias names; metadata None when there is no usable key."""
        entry = kms_api.find_alias(self.kms, self.alias)
        if entry is None or not entry.get("TargetKeyId"):
            return None, entry
        metadata = kms_api.describe_key(self.kms, entry["TargetKeyId"])
        if metadata is None or metadata.get("KeyState") in ("PendingDeletion", "PendingReplicaDeletion"):
            return None, entry
        if metadata.get("KeyState") == "Disabled":
            raise SoloAwsError(f"KMS key {metadata['Arn']} ({self.alias}) is disabled: enable it (aws kms "
                               f"enable-key --key-id {metadata['KeyId']}), or delete the alias for a new key")
        return metadata, entry

    def orphan_key(self):
        """A key an earlier run created but was stopped before naming (CreateKey and CreateAlias are two calls).

        An enabled customer key that no alias names, with this module's description and every one of its tags;
        the oldest when there are several. None without tags to recognise it by.
        """
        if not self.tags:
            return None
        aliased = {a["TargetKeyId"] for a in kms_api.list_aliases(self.kms, "alias/")}
        found = []
        for key_id in kms_api.list_key_ids(self.kms):
            if key_id in aliased:
                continue
            metadata = kms_api.describe_readable_key(self.kms, key_id)
            if not metadata or metadata.get("KeyManager") != "CUSTOMER" or metadata.get("KeyState") != "Enabled" \
                    or (metadata.get("Description") or "") != self.params["description"]:
                continue
            tags = kms_tag_dict(kms_api.list_readable_resource_tags(self.kms, key_id) or [])
            if all(tags.get(k) == v for k, v in self.tags.items()):
                found.append(metadata)
        return min(found, key=lambda m: str(m.get("CreationDate", ""))) if found else None

    def converge(self):
        p = self.params
        self.after = self.view(p["description"], self.policy, p["enable_key_rotation"], dict(self.tags))
        metadata, entry = self.current_key()
        if metadata is None:
            metadata = self.orphan_key()
            if metadata is not None:
                if entry is None:
                    self.act(f"create KMS alias {self.alias} for key {metadata['KeyId']}, which a stopped run created",
                             kms_api.create_alias, self.kms, self.alias, metadata["KeyId"])
                else:
                    self.act(f"point KMS alias {self.alias} at key {metadata['KeyId']}, which a stopped run created",
                             kms_api.update_alias, self.kms, self.alias, metadata["KeyId"])
        if metadata is None:
            self.before = {}
            created = self.act(f"create KMS key {self.alias}", kms_api.create_key, self.kms, p["description"],
                               json_policy.dumps(self.policy), kms_tags(self.tags))
            key_id = created["KeyId"] if created else ""
            if p["enable_key_rotation"]:
                self.act(f"turn on the rotation of KMS key {self.alias}", kms_api.enable_key_rotation, self.kms,
                         key_id)
            if entry is None:
                self.act(f"create KMS alias {self.alias}", kms_api.create_alias, self.kms, self.alias, key_id)
            else:
                self.act(f"point KMS alias {self.alias} at the new key (its key {entry['TargetKeyId']} is pending "
                         "deletion)", kms_api.update_alias, self.kms, self.alias, key_id)
            return {"key_arn": created["Arn"] if created else planned_id("kms-key", self.alias), "key_id": key_id}
        key_id = metadata["KeyId"]
        policy = kms_api.get_key_policy(self.kms, key_id)
        rotation = kms_api.get_key_rotation_status(self.kms, key_id)
        tags = kms_tag_dict(kms_api.list_resource_tags(self.kms, key_id))
        description = metadata.get("Description") or ""
        self.before = self.view(description, policy, rotation, {k: tags.get(k) for k in self.tags if k in tags})
        if not json_policy.policies_equal(policy, self.policy):
            self.act(f"set the policy of KMS key {self.alias}", kms_api.put_key_policy, self.kms, key_id,
                     json_policy.dumps(self.policy))
        if p["enable_key_rotation"] and not rotation:
            self.act(f"turn on the rotation of KMS key {self.alias}", kms_api.enable_key_rotation, self.kms, key_id)
        if not p["enable_key_rotation"]:
            self.after["rotation"] = rotation  # never turned off here
        if description != p["description"]:
            self.act(f"change the description of KMS key {self.alias}", kms_api.update_key_description, self.kms,
                     key_id, p["description"])
        missing = tags_to_set(tags, self.tags)
        if missing:
            self.act(f"update the tags of KMS key {self.alias}: {', '.join(sorted(missing))}",
                     kms_api.tag_resource, self.kms, key_id, kms_tags(missing))
        return {"key_arn": metadata["Arn"], "key_id": key_id}


def main():
    argument_spec = dict(
        alias=dict(type="str", required=True),
        description=dict(type="str", default=""),
        policy=dict(type="raw", required=True),
        enable_key_rotation=dict(type="bool", default=True),
        tags=dict(type="dict", default={}),
    )
    module = SoloAwsModule(argument_spec=argument_spec, supports_check_mode=True)
    alias = module.params["alias"]
    if not alias.startswith("alias/") or alias.startswith("alias/aws/"):
        module.fail_json(msg=f"alias {alias!r} must start with 'alias/' and not name an AWS-managed key "
                             "(alias/aws/...)")
    try:
        json_policy.load_policy(module.params["policy"])
    except json_policy.PolicyError as e:
        module.fail_json(msg=f"policy is {e}")
    runner = CustomerKey(module.client("kms"), module.params, module.check_mode)
    try:
        result = runner.converge()
    except SoloAwsError as e:
        fail_aws(module, e)
    module.exit_plan(runner, alias=alias, **result)


if __name__ == "__main__":
    main()
