# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CloudWatch Logs API wrappers: one function per call."""

from __future__ import annotations

from ansible_collections.solo_saving.infra.plugins.module_utils.common import aws_call


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
