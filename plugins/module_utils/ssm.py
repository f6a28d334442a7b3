# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SSM Parameter Store API wrappers: one function per call, each retried, one error type.

Values read with decryption stay inside the module that asked for them: the
callers never return them, and add them to ``module.no_log_values``.
"""

from __future__ import annotations

from ansible_collections.solo_saving.infra.plugins.module_utils.common import aws_call

# GetParameters takes at most 10 names per call.
GET_BATCH = 10


@aws_call("read SSM parameters")
def get_parameters(client, names, decrypt=True):
    """{name: parameter dict (with Value)} for the names that exist; missing names are left out."""
    found = {}
    names = list(names)
    for start in range(0, len(names), GET_BATCH):
        result = client.get_parameters(Names=names[start:start + GET_BATCH], WithDecryption=decrypt)
        for parameter in result.get("Parameters", []):
            found[parameter["Name"]] = parameter
    return found


@aws_call("read an SSM parameter", not_found=["ParameterNotFound"])
def get_parameter_value(client, name, decrypt=True):
    """The parameter's value, or None when it does not exist."""
    return client.get_parameter(Name=name, WithDecryption=decrypt)["Parameter"]["Value"]


@aws_call("describe SSM parameters")
def describe_parameters(client, names):
    """{name: metadata (Type, KeyId, ...)} for the names that exist."""
    if not names:
        return {}
    paginator = client.get_paginator("describe_parameters")
    found = {}
    flt = [{"Key": "Name", "Option": "Equals", "Values": list(names)}]
    for page in paginator.paginate(ParameterFilters=flt):
        for parameter in page.get("Parameters", []):
            found[parameter["Name"]] = parameter
    return found


@aws_call("write an SSM parameter")
def put_parameter(client, name, value, parameter_type="SecureString", key_id=None, overwrite=False, tags=None):
    """Create (with tags, atomically) or overwrite (AWS refuses tags with Overwrite) a parameter."""
    kwargs = {"Name": name, "Value": value, "Type": parameter_type, "Overwrite": overwrite}
    if key_id and parameter_type == "SecureString":
        kwargs["KeyId"] = key_id
    if tags and not overwrite:
        kwargs["Tags"] = tags
    return client.put_parameter(**kwargs)["Version"]


# -- secrets role (ssm_secure_parameters) -------------------------------------------
@aws_call("create an SSM parameter", not_found=["ParameterAlreadyExists"], retry_codes=["TooManyUpdates"])
def create_secure_parameter(client, name, value, key_id=None, description=None, tags=None):
    """Create a SecureString with its tags in one call; None when it already exists (nothing is overwritten)."""
    kwargs = {"Name": name, "Value": value, "Type": "SecureString", "Overwrite": False, "Tier": "Standard"}
    if key_id:
        kwargs["KeyId"] = key_id
    if description:
        kwargs["Description"] = description
    if tags:
        kwargs["Tags"] = tags
    return client.put_parameter(**kwargs)["Version"]


@aws_call("overwrite an SSM parameter", retry_codes=["TooManyUpdates"])
def overwrite_secure_parameter(client, name, value, key_id=None, description=None):
    """Write a new version of a parameter as a SecureString (AWS refuses tags together with Overwrite)."""
    kwargs = {"Name": name, "Value": value, "Type": "SecureString", "Overwrite": True}
    if key_id:
        kwargs["KeyId"] = key_id
    if description:
        kwargs["Description"] = description
    return client.put_parameter(**kwargs)["Version"]


@aws_call("read the tags of an SSM parameter")
def list_parameter_tags(client, name):
    result = client.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)
    return {t["Key"]: t["Value"] for t in result.get("TagList", [])}


@aws_call("tag an SSM parameter", retry_codes=["TooManyUpdates"])
def add_parameter_tags(client, name, tags):
    client.add_tags_to_resource(ResourceType="Parameter", ResourceId=name, Tags=tags)


@aws_call("list the SSM parameters under a path")
def describe_parameters_under(client, path):
    """Metadata (Name, Type, KeyId, ...) of every parameter below ``path``, recursively."""
    found = []
    flt = [{"Key": "Path", "Option": "Recursive", "Values": [path]}]
    for page in client.get_paginator("describe_parameters").paginate(ParameterFilters=flt):
        found.extend(page.get("Parameters", []))
    return found


@aws_call("delete an SSM parameter", not_found=["ParameterNotFound"])
def delete_parameter(client, name):
    client.delete_parameter(Name=name)


# -- teardown (stack_teardown) ----------------------------------------------------
@aws_call("delete SSM parameters")
def delete_parameters(client, names):
    """Delete parameters, 10 per call; names that do not exist count as deleted."""
    names = list(names)
    for start in range(0, len(names), 10):
        client.delete_parameters(Names=names[start:start + 10])
