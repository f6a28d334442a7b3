# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""KMS API wrappers: one function per call, each retried, one error type."""

from __future__ import annotations

from ansible_collections.solo_saving.infra.plugins.module_utils.common import aws_call

# KMS refuses a key policy that names a principal IAM has not propagated yet, and answers a key or alias
# just created as unknown for a moment (KMS Developer Guide, "Eventual consistency").
POLICY_RETRY_CODES = ["MalformedPolicyDocumentException"]
# The shortest waiting period AWS allows before it deletes a key (ScheduleKeyDeletion, 7 to 30 days).
MIN_PENDING_WINDOW_DAYS = 7


@aws_call("describe the KMS key", not_found=["NotFoundException"])
def describe_key(client, key_id):
    """The key's metadata (Arn, KeyManager, ...) for a key id, key ARN, alias name or alias ARN; None if unknown."""
    return client.describe_key(KeyId=key_id)["KeyMetadata"]


@aws_call("list the KMS aliases")
def find_alias(client, alias):
    """The alias entry (AliasName, TargetKeyId, ...) named ``alias`` (``alias/...``), or None."""
    for page in client.get_paginator("list_aliases").paginate():
        for entry in page.get("Aliases", []):
            if entry["AliasName"] == alias:
                return entry
    return None


@aws_call("list the KMS aliases")
def list_aliases(client, prefix):
    """Every alias whose name starts with ``prefix`` and that names a key (AWS's own aliases name none at first)."""
    found = []
    for page in client.get_paginator("list_aliases").paginate():
        found.extend(a for a in page.get("Aliases", []) if a["AliasName"].startswith(prefix) and a.get("TargetKeyId"))
    return found


@aws_call("list the KMS keys")
def list_key_ids(client):
    """The ids of every key of the account and region (customer and AWS-managed)."""
    ids = []
    for page in client.get_paginator("list_keys").paginate():
        ids.extend(k["KeyId"] for k in page.get("Keys", []))
    return ids


# A deployer scoped to its project's keys may not read the others: for a search, they are not there.
@aws_call("describe the KMS key", not_found=["NotFoundException", "AccessDeniedException"])
def describe_readable_key(client, key_id):
    """The key's metadata; None when there is no such key or the caller may not read it."""
    return client.describe_key(KeyId=key_id)["KeyMetadata"]


@aws_call("read the tags of the KMS key", not_found=["NotFoundException", "AccessDeniedException"])
def list_readable_resource_tags(client, key_id):
    """The key's tags ([{TagKey, TagValue}]); None when there is no such key or the caller may not read them."""
    tags = []
    for page in client.get_paginator("list_resource_tags").paginate(KeyId=key_id):
        tags.extend(page.get("Tags", []))
    return tags


@aws_call("create the KMS key", retry_codes=POLICY_RETRY_CODES)
def create_key(client, description, policy, tags):
    return client.create_key(Description=description, Policy=policy, KeyUsage="ENCRYPT_DECRYPT",
                             KeySpec="SYMMETRIC_DEFAULT", Tags=tags)["KeyMetadata"]


@aws_call("create the KMS alias", retry_codes=["NotFoundException"])
def create_alias(client, alias, key_id):
    client.create_alias(AliasName=alias, TargetKeyId=key_id)


@aws_call("point the KMS alias at another key", retry_codes=["NotFoundException"])
def update_alias(client, alias, key_id):
    client.update_alias(AliasName=alias, TargetKeyId=key_id)


@aws_call("delete the KMS alias", not_found=["NotFoundException"])
def delete_alias(client, alias):
    client.delete_alias(AliasName=alias)


@aws_call("read the KMS key policy")
def get_key_policy(client, key_id):
    return client.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]


@aws_call("set the KMS key policy", retry_codes=POLICY_RETRY_CODES)
def put_key_policy(client, key_id, policy):
    client.put_key_policy(KeyId=key_id, PolicyName="default", Policy=policy)


@aws_call("read the rotation status of the KMS key")
def get_key_rotation_status(client, key_id):
    return bool(client.get_key_rotation_status(KeyId=key_id).get("KeyRotationEnabled"))


@aws_call("turn on the rotation of the KMS key")
def enable_key_rotation(client, key_id):
    client.enable_key_rotation(KeyId=key_id)


@aws_call("change the description of the KMS key")
def update_key_description(client, key_id, description):
    client.update_key_description(KeyId=key_id, Description=description)


@aws_call("read the tags of the KMS key")
def list_resource_tags(client, key_id):
    tags = []
    for page in client.get_paginator("list_resource_tags").paginate(KeyId=key_id):
        tags.extend(page.get("Tags", []))
    return tags


@aws_call("tag the KMS key")
def tag_resource(client, key_id, tags):
    client.tag_resource(KeyId=key_id, Tags=tags)


# -- teardown (stack_teardown) ----------------------------------------------------
@aws_call("schedule the deletion of the KMS key", not_found=["NotFoundException"])
def schedule_key_deletion(client, key_id, days=MIN_PENDING_WINDOW_DAYS):
    """AWS deletes a key only after a waiting period; until then it is PendingDeletion and unusable."""
    client.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=days)
