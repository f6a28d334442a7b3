# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""WAFv2 API wrappers, and the CloudWatch Logs calls for the web ACL's log group.

One function per call, each retried, one error type. WAF cannot see a load
balancer (or a web ACL) for minutes after it is created: AssociateWebACL and
GetWebACLForResource answer WAFUnavailableEntityException meanwhile, and
AssociateWebACL WAFNonexistentItemException while the load balancer provisions.
Those answers are retried for ten minutes: terraform-provider-aws raised its
timeout to five (#17527, #29080, #17545) and its users still report failures.
"""

from __future__ import annotations

try:
    from botocore.exceptions import ClientError
except ImportError:  # pragma: no cover - handled by AnsibleAWSModule
    ClientError = Exception

from ansible_collections.solo_saving.infra.plugins.module_utils.common import (
    Condition,
    aws_call,
    error_code,
    record_retry,
    tag_list,
)

NOT_FOUND = ["WAFNonexistentItemException"]
ASSOCIATION_SECONDS = 600
UNAVAILABLE = [Condition("WAFUnavailableEntityException", ASSOCIATION_SECONDS,
                         why="WAF cannot see a resource created minutes ago (terraform-provider-aws #17527)")]
# While the load balancer provisions, AssociateWebACL answers as if it did not exist
# (kubernetes-sigs/aws-load-balancer-controller #2022).
PROVISIONING = [Condition("WAFNonexistentItemException", ASSOCIATION_SECONDS,
                          why="a load balancer still provisioning (aws-load-balancer-controller #2022)")]
# Another writer changed the web ACL since we read it: read it again (its new lock token) and retry.
LOCK_RETRIES = 5


@aws_call("list the web ACLs")
def list_web_acls(client, scope):
    found, kwargs = [], {"Scope": scope, "Limit": 100}
    while True:
        page = client.list_web_acls(**kwargs)
        found.extend(page.get("WebACLs", []))
        if not page.get("NextMarker") or not page.get("WebACLs"):
            return found
        kwargs["NextMarker"] = page["NextMarker"]


@aws_call("read the web ACL", not_found=NOT_FOUND)
def get_web_acl(client, name, scope, acl_id):
    result = client.get_web_acl(Name=name, Scope=scope, Id=acl_id)
    return result["WebACL"], result["LockToken"]


@aws_call("create the web ACL")
def create_web_acl(client, name, scope, default_action, rules, visibility_config, description, tags):
    kwargs = {"Name": name, "Scope": scope, "DefaultAction": default_action, "Rules": rules,
              "VisibilityConfig": visibility_config, "Tags": tag_list(tags)}
    if description:
        kwargs["Description"] = description
    return client.create_web_acl(**kwargs)["Summary"]


def with_fresh_lock_token(client, name, scope, acl_id, lock_token, call):
    """``call(lock_token)``; on WAFOptimisticLockException read the web ACL's new token and call again.

    The definition we send is the whole desired one, so it is right whatever the other writer changed.
    """
    for attempt in range(LOCK_RETRIES + 1):
        try:
            return call(lock_token)
        except ClientError as e:
            if error_code(e) != "WAFOptimisticLockException" or attempt == LOCK_RETRIES:
                raise
            record_retry("WAFOptimisticLockException", "write the web ACL with a fresh lock token")
            found = get_web_acl(client, name, scope, acl_id)
            if found is None:
                raise
            lock_token = found[1]
    return None  # pragma: no cover - the loop returns or raises


@aws_call("update the web ACL")
def update_web_acl(client, name, scope, acl_id, lock_token, default_action, rules, visibility_config, description):
    """UpdateWebACL replaces the whole definition: rules left out are removed."""
    kwargs = {"Name": name, "Scope": scope, "Id": acl_id, "DefaultAction": default_action,
              "Rules": rules, "VisibilityConfig": visibility_config}
    if description:
        kwargs["Description"] = description
    with_fresh_lock_token(client, name, scope, acl_id, lock_token,
                          lambda token: client.update_web_acl(LockToken=token, **kwargs))


@aws_call("read the tags of the web ACL", not_found=NOT_FOUND)
def list_web_acl_tags(client, arn):
    info = client.list_tags_for_resource(ResourceARN=arn).get("TagInfoForResource", {})
    return {t["Key"]: t.get("Value") for t in info.get("TagList", [])}


@aws_call("tag the web ACL")
def tag_web_acl(client, arn, tags):
    client.tag_resource(ResourceARN=arn, Tags=tag_list(tags))


@aws_call("read the logging configuration of the web ACL", not_found=NOT_FOUND)
def get_logging_configuration(client, arn):
    return client.get_logging_configuration(ResourceArn=arn)["LoggingConfiguration"]


@aws_call("set the logging configuration of the web ACL", retry_codes=UNAVAILABLE)
def put_logging_configuration(client, configuration):
    client.put_logging_configuration(LoggingConfiguration=configuration)


@aws_call("find the web ACL of a resource", not_found=NOT_FOUND, retry_codes=UNAVAILABLE)
def get_web_acl_for_resource(client, resource_arn):
    """The web ACL associated with the resource, or None."""
    return client.get_web_acl_for_resource(ResourceArn=resource_arn).get("WebACL")


@aws_call("associate the web ACL with a resource", retry_codes=[*UNAVAILABLE, *PROVISIONING])
def associate_web_acl(client, acl_arn, resource_arn):
    client.associate_web_acl(WebACLArn=acl_arn, ResourceArn=resource_arn)


@aws_call("disassociate a resource from its web ACL", not_found=NOT_FOUND, retry_codes=UNAVAILABLE)
def disassociate_web_acl(client, resource_arn):
    client.disassociate_web_acl(ResourceArn=resource_arn)


# -- CloudWatch Logs: the web ACL's log destination --------------------------------
@aws_call("describe the log group")
def describe_log_group(client, name):
    """The log group named exactly ``name``, or None."""
    paginator = client.get_paginator("describe_log_groups")
    for page in paginator.paginate(logGroupNamePrefix=name):
        for group in page.get("logGroups", []):
            if group["logGroupName"] == name:
                return group
    return None


@aws_call("create the log group")
def create_log_group(client, name, tags):
    """Tagged in the same call, so a crash cannot leave an untagged group."""
    client.create_log_group(logGroupName=name, tags={k: str(v) for k, v in tags.items()})


@aws_call("set the retention of the log group")
def put_retention_policy(client, name, days):
    client.put_retention_policy(logGroupName=name, retentionInDays=days)


@aws_call("read the tags of the log group")
def list_log_group_tags(client, arn):
    return client.list_tags_for_resource(resourceArn=arn).get("tags", {})


@aws_call("tag the log group")
def tag_log_group(client, arn, tags):
    client.tag_resource(resourceArn=arn, tags=tags)


# -- teardown (stack_teardown) ----------------------------------------------------
@aws_call("delete the logging configuration of the web ACL", not_found=NOT_FOUND)
def delete_logging_configuration(client, arn):
    client.delete_logging_configuration(ResourceArn=arn)


@aws_call("delete the web ACL", not_found=NOT_FOUND, retry_codes=["WAFAssociatedItemException"])
def delete_web_acl(client, name, scope, acl_id, lock_token):
    with_fresh_lock_token(client, name, scope, acl_id, lock_token,
                          lambda token: client.delete_web_acl(Name=name, Scope=scope, Id=acl_id, LockToken=token))
