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


def stack_errors(spec):
    """Messages for every problem in the stack settings; [] when all is well.

    ``spec`` keys: project, environment, region, account_id, inventory_dir.
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
    return errors


def _stack_errors(spec):
    if not isinstance(spec, dict):
        raise AnsibleFilterError(f"stack_errors expects a mapping, got {type(spec).__name__}")
    return stack_errors(spec)


class FilterModule:
    def filters(self):
        return {"stack_errors": _stack_errors}
