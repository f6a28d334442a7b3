# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CloudWatch Logs API wrappers: one function per call."""

from __future__ import annotations

from ansible_collections.solo_saving.infra.plugins.module_utils.common import aws_call, tags_to_set


@aws_call("describe log groups")
def describe_log_groups(client, prefix):
    """{name: log group} of the log groups whose names start with ``prefix``."""
    groups = {}
    for page in client.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=prefix):
        for group in page.get("logGroups", []):
            groups[group["logGroupName"]] = group
    return groups


@aws_call("create a log group")
def create_log_group(client, name, kms_key_id, tags):
    args = {"logGroupName": name, "tags": tags}
    if kms_key_id:
        args["kmsKeyId"] = kms_key_id
    client.create_log_group(**args)


@aws_call("set the retention of a log group")
def put_retention_policy(client, name, days):
    client.put_retention_policy(logGroupName=name, retentionInDays=days)


@aws_call("remove the retention of a log group")
def delete_retention_policy(client, name):
    client.delete_retention_policy(logGroupName=name)


@aws_call("associate a KMS key with a log group")
def associate_kms_key(client, name, kms_key_id):
    client.associate_kms_key(logGroupName=name, kmsKeyId=kms_key_id)


@aws_call("dissociate the KMS key of a log group")
def disassociate_kms_key(client, name):
    client.disassociate_kms_key(logGroupName=name)


@aws_call("read the tags of a log group")
def list_tags(client, name):
    return client.list_tags_log_group(logGroupName=name).get("tags", {})


@aws_call("tag a log group")
def tag_log_group(client, name, tags):
    client.tag_log_group(logGroupName=name, tags=tags)


# -- teardown (stack_teardown) ----------------------------------------------------
@aws_call("delete a log group", not_found=["ResourceNotFoundException"])
def delete_log_group(client, name):
    client.delete_log_group(logGroupName=name)


# -- convergence (shared by the modules that own log groups) --------------------------
def common_prefix(names):
    """The longest prefix of every name: one DescribeLogGroups call lists them all."""
    prefix = names[0]
    for name in names[1:]:
        while not name.startswith(prefix):
            prefix = prefix[:-1]
    return prefix or "/"


def converge_log_groups(plan, client, specs, tags):
    """Create or correct each log group of ``specs`` ({name, retention_days, kms_key_id}) through ``plan``.

    ``plan`` is the module's :class:`Plan`: every change is one of its actions (performed unless in check
    mode), and its before/after hold each group's retention and key under ``log_groups``.
    """
    if not specs:
        return
    existing = describe_log_groups(client, common_prefix([g["name"] for g in specs]))
    for group in specs:
        name = group["name"]
        retention = group.get("retention_days") or None
        kms = group.get("kms_key_id") or None
        found = existing.get(name)
        plan.after.setdefault("log_groups", {})[name] = {"retention_days": retention, "kms_key_id": kms}
        if found is None:
            plan.before.setdefault("log_groups", {})[name] = None
            plan.act(f"create log group {name}", create_log_group, client, name, kms, tags)
            if retention:
                plan.act(f"set the retention of log group {name} to {retention} days",
                         put_retention_policy, client, name, retention)
            continue
        current = {"retention_days": found.get("retentionInDays"), "kms_key_id": found.get("kmsKeyId")}
        plan.before.setdefault("log_groups", {})[name] = current
        if current["retention_days"] != retention:
            if retention:
                plan.act(f"set the retention of log group {name} to {retention} days",
                         put_retention_policy, client, name, retention)
            else:
                plan.act(f"keep the logs of log group {name} forever", delete_retention_policy, client, name)
        if current["kms_key_id"] != kms:
            if kms:
                plan.act(f"encrypt log group {name} with KMS key {kms}", associate_kms_key, client, name, kms)
            else:
                plan.act(f"stop encrypting log group {name} with a customer KMS key",
                         disassociate_kms_key, client, name)
        missing = tags_to_set(list_tags(client, name), tags)
        if missing:
            plan.act(f"update the tags of log group {name}: {', '.join(sorted(missing))}",
                     tag_log_group, client, name, missing)
