# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of the stack-wide settings (stack_* variables)."""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

NAME_RE = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
REGION_RE = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
ACCOUNT_RE = re.compile(r"^\d{12}$")
# ALB and target group names are limited to 32 characters; the longest suffix
# the stack appends is 11 characters ("-tg-frontend"), so 20 leaves room.
MAX_PREFIX = 20
# AWS's tag limits (Tagging AWS resources, "Tag naming limits and requirements"): 50 tags a resource,
# keys of 1 to 128 and values of 0 to 256 Unicode characters, letters, digits, spaces and _ . : / = + - @,
# and no key starting with aws: (AWS's own).
MAX_TAGS = 50
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256
TAG_TEXT_RE = re.compile(r"^[\w .:/=+\-@]*$")
# The tags the stack sets on every resource (stack_tags), which stack_extra_tags cannot replace.
STACK_TAG_KEYS = ("Project", "Environment", "ManagedBy")


def tag_errors(variable, tags, reserved=()):
    """Every way ``tags`` (the value of the inventory variable ``variable``) breaks AWS's tag limits."""
    if not isinstance(tags, dict):
        example = "{CostCenter: savings, Owner: platform-team}"
        kind = "list" if isinstance(tags, list) else "string" if isinstance(tags, str) else type(tags).__name__
        return [f"{variable} = {tags!r} is a {kind}: give a mapping of tag key to value, like {example}"]
    errors = []
    if len(tags) > MAX_TAGS - len(reserved):
        errors.append(f"{variable} has {len(tags)} tags: AWS allows {MAX_TAGS} a resource, "
                      f"{len(reserved)} of them the stack's own; keep to {MAX_TAGS - len(reserved)}")
    for key, value in tags.items():
        where = f"{variable}[{key!r}]"
        text = str(key)
        if not isinstance(key, str) or not 1 <= len(text) <= MAX_TAG_KEY:
            errors.append(f"{where}: a tag key is a string of 1 to {MAX_TAG_KEY} characters")
        elif text.lower().startswith("aws:"):
            errors.append(f"{where}: keys starting with 'aws:' are AWS's own; choose another key")
        elif not TAG_TEXT_RE.match(text):
            errors.append(f"{where}: a tag key may hold letters, digits, spaces and _ . : / = + - @ only")
        elif text in reserved:
            errors.append(f"{where}: the stack sets {text} itself (from stack_project / stack_environment); "
                          "remove it")
        if isinstance(value, (dict, list)) or value is None or isinstance(value, bool):
            errors.append(f"{where} = {value!r}: a tag value is a string (quote it; '' for none)")
            continue
        value = str(value)
        if len(value) > MAX_TAG_VALUE:
            errors.append(f"{where}: the value has {len(value)} characters; AWS allows {MAX_TAG_VALUE}")
        elif not TAG_TEXT_RE.match(value):
            errors.append(f"{where}: a tag value may hold letters, digits, spaces and _ . : / = + - @ only")
    return errors


def stack_errors(spec):
    """Messages for every problem in the stack settings; [] when all is well.

    ``spec`` keys: project, environment, region, account_id, inventory_dir, and optionally extra_tags
    (stack_extra_tags), stack_tags and tags ({variable: the tags a role puts on its resources, e.g.
    network_tags}; those equal to stack_tags are not checked twice).
    """
    errors = []
    where = spec.get("inventory_dir") or "inventories/<env>"
    project = str(spec.get("project") or "")
    environment = str(spec.get("environment") or "")
    if not NAME_RE.match(project) or "--" in project:
        errors.append(f"stack_project = '{project}': use lower-case letters, digits and single hyphens, "
                      "starting with a letter (AWS resource names are built from it)")
    if not re.match(r"^[a-z][a-z0-9]*$", environment):
        errors.append(f"stack_environment = '{environment}': set it to a short lower-case name such as 'dev' "
                      f"or 'prod' in {where}/group_vars/<env>/stack.yml")
    prefix = f"{project}-{environment}"
    if len(prefix) > MAX_PREFIX:
        errors.append(f"stack_project + stack_environment make the name prefix '{prefix}' ({len(prefix)} "
                      f"characters); keep it to {MAX_PREFIX} so load balancer and target group names fit "
                      "AWS's 32-character limit")
    region = str(spec.get("region") or "")
    if not REGION_RE.match(region):
        errors.append(f"stack_region = '{region}' is not an AWS region name (like 'ap-northeast-1')")
    account = str(spec.get("account_id") or "")
    if not ACCOUNT_RE.match(account):
        errors.append(f"stack_account_id = '{account}': set the 12-digit id of the AWS account this "
                      f"environment lives in, in {where}/group_vars/<env>/stack.yml (quoted, as a string)")
    if "extra_tags" in spec:
        errors.extend(tag_errors("stack_extra_tags", spec["extra_tags"], STACK_TAG_KEYS))
    # A role's tags default to stack_tags (checked through stack_extra_tags): only an inventory's own value
    # of one of them is checked again.
    for variable, tags in sorted((spec.get("tags") or {}).items()):
        if tags != spec.get("stack_tags"):
            errors.extend(tag_errors(variable, tags))
    return errors


def _stack_errors(spec):
    if not isinstance(spec, dict):
        raise AnsibleFilterError(f"stack_errors expects a mapping, got {type(spec).__name__}")
    return stack_errors(spec)


class FilterModule:
    def filters(self):
        return {"stack_errors": _stack_errors}
