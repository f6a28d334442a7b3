# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""IAM API wrappers: one function per call.

Policy documents come back from boto3 as dicts (botocore decodes the
URL-encoded JSON IAM returns); they are sent as JSON text.
"""

from __future__ import annotations

import json
import urllib.parse

try:
    from botocore.exceptions import ClientError
except ImportError:  # pragma: no cover - handled by AnsibleAWSModule
    ClientError = Exception

from ansible_collections.solo_saving.infra.plugins.module_utils.common import aws_call

# IAM is eventually consistent: a role created a moment ago may not be found yet.
IAM_RETRY_CODES = ["NoSuchEntity"]


def _document(value):
    """A policy document as returned by boto3 (dict, or URL-encoded JSON text) -> dict."""
    if isinstance(value, str):
        return json.loads(urllib.parse.unquote(value))
    return value


@aws_call("read an IAM role", not_found=["NoSuchEntity"])
def get_role(client, name):
    role = client.get_role(RoleName=name)["Role"]
    role["AssumeRolePolicyDocument"] = _document(role.get("AssumeRolePolicyDocument"))
    return role


@aws_call("create an IAM role")
def create_role(client, name, path, description, trust_policy, tags, max_session_duration, permissions_boundary=""):
    extra = {"PermissionsBoundary": permissions_boundary} if permissions_boundary else {}
    return client.create_role(RoleName=name, Path=path, Description=description,
                              AssumeRolePolicyDocument=json.dumps(trust_policy), Tags=tags,
                              MaxSessionDuration=max_session_duration, **extra)["Role"]


@aws_call("set the permissions boundary of an IAM role", retry_codes=IAM_RETRY_CODES)
def put_role_permissions_boundary(client, name, arn):
    client.put_role_permissions_boundary(RoleName=name, PermissionsBoundary=arn)


@aws_call("update an IAM role", retry_codes=IAM_RETRY_CODES)
def update_role(client, name, description, max_session_duration):
    client.update_role(RoleName=name, Description=description, MaxSessionDuration=max_session_duration)


@aws_call("update the trust policy of an IAM role", retry_codes=IAM_RETRY_CODES)
def update_assume_role_policy(client, name, trust_policy):
    client.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust_policy))


@aws_call("list the inline policies of an IAM role")
def inline_policies(client, name):
    """{policy name: document} of the role's inline policies."""
    names = []
    for page in client.get_paginator("list_role_policies").paginate(RoleName=name):
        names.extend(page.get("PolicyNames", []))
    return {policy: _document(client.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"])
            for policy in names}


@aws_call("put an inline policy on an IAM role", retry_codes=IAM_RETRY_CODES)
def put_role_policy(client, name, policy_name, document):
    client.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(document))


@aws_call("delete an inline policy of an IAM role", not_found=["NoSuchEntity"])
def delete_role_policy(client, name, policy_name):
    client.delete_role_policy(RoleName=name, PolicyName=policy_name)


@aws_call("list the managed policies attached to an IAM role")
def attached_policies(client, name):
    arns = []
    for page in client.get_paginator("list_attached_role_policies").paginate(RoleName=name):
        arns.extend(p["PolicyArn"] for p in page.get("AttachedPolicies", []))
    return arns


@aws_call("attach a managed policy to an IAM role", retry_codes=IAM_RETRY_CODES)
def attach_role_policy(client, name, arn):
    client.attach_role_policy(RoleName=name, PolicyArn=arn)


@aws_call("detach a managed policy from an IAM role", not_found=["NoSuchEntity"])
def detach_role_policy(client, name, arn):
    client.detach_role_policy(RoleName=name, PolicyArn=arn)


@aws_call("read the tags of an IAM role")
def list_role_tags(client, name):
    tags = []
    for page in client.get_paginator("list_role_tags").paginate(RoleName=name):
        tags.extend(page.get("Tags", []))
    return tags


@aws_call("tag an IAM role", retry_codes=IAM_RETRY_CODES)
def tag_role(client, name, tags):
    client.tag_role(RoleName=name, Tags=tags)


@aws_call("read a managed IAM policy")
def managed_policy_document(client, arn):
    """The default version's document of a managed policy."""
    version = client.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    return _document(client.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"])


# -- teardown (stack_teardown) ----------------------------------------------------
@aws_call("list the IAM roles")
def list_roles(client):
    roles = []
    for page in client.get_paginator("list_roles").paginate():
        roles.extend(page.get("Roles", []))
    return roles


@aws_call("list the instance profiles of an IAM role", not_found=["NoSuchEntity"])
def instance_profiles_for_role(client, name):
    names = []
    for page in client.get_paginator("list_instance_profiles_for_role").paginate(RoleName=name):
        names.extend(p["InstanceProfileName"] for p in page.get("InstanceProfiles", []))
    return names


@aws_call("remove an IAM role from an instance profile", not_found=["NoSuchEntity"])
def remove_role_from_instance_profile(client, profile, name):
    client.remove_role_from_instance_profile(InstanceProfileName=profile, RoleName=name)


@aws_call("delete an IAM role", not_found=["NoSuchEntity"], retry_codes=["DeleteConflict"])
def delete_role(client, name):
    client.delete_role(RoleName=name)


# -- service-linked roles (get_role reads them too) ---------------------------------
@aws_call("create a service-linked role")
def create_service_linked_role(client, service):
    """Create the service-linked role of ``service`` (e.g. ecs.amazonaws.com); one that exists counts as done.

    IAM answers InvalidInput ("has been taken in this account") for a role that exists.
    """
    try:
        return client.create_service_linked_role(AWSServiceName=service)["Role"]
    except ClientError as e:
        code = e.response.get("Error", {}).get("Code")
        message = e.response.get("Error", {}).get("Message", "")
        if code == "EntityAlreadyExists" or (code == "InvalidInput" and "has been taken" in message):
            return None
        raise
