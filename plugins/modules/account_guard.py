#!/usr/bin/python
# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: account_guard
short_description: Fail unless the region, its zones, the account and the engine are the inventory's
version_added: 0.2.0
description:
  - Asks C(sts:GetCallerIdentity) which account the credentials belong to and fails, naming both accounts,
    when it is not I(account_id). Nothing else is called, so the only permission it needs is one every
    principal has.
  - Unlike M(amazon.aws.aws_caller_info), it does not list the account's aliases (C(iam:ListAccountAliases),
    a permission the deployer would otherwise need, and a second call), and it is the check and the
    failure in one task.
  - With I(aurora_engine_version), also asks C(rds:DescribeDBEngineVersions) whether the region offers that
    Aurora PostgreSQL version with Serverless v2, and fails naming the versions it does offer otherwise.
  - With I(availability_zones), also asks C(ec2:DescribeAvailabilityZones) once which zones the region has,
    and fails naming the variable and the region's zones when a zone of the inventory is not one of them.
  - Before any call, it checks that the region is one botocore knows, and fails naming I(region_variable)
    otherwise (an unknown region would end in a connection error or a traceback).
  - Read-only; it runs the same in check mode.
author:
  - Solo Saving platform team (@solo-saving)
options:
  account_id:
    description: The twelve-digit id of the account the run is meant for.
    type: str
    required: true
  hint:
    description: What to do about a mismatch, appended to the failure message.
    type: str
    default: ""
  aurora_engine_version:
    description:
      - An Aurora PostgreSQL version (such as C(16.6)) the region must offer with Serverless v2; empty for no check.
      - The local emulator does not implement the call, so the pre-flight passes it against AWS only, and the
        database role's offline list of versions stands in on the emulator.
    type: str
    default: ""
  engine_version_variable:
    description: The inventory variable of I(aurora_engine_version), named in the failure message.
    type: str
    default: database_engine_version
  availability_zones:
    description:
      - The zones the inventory names, by variable (the variable's name, then its list of zones); each must be a
        zone of the region that is C(available). Variables with the same zones are reported together.
      - Empty for no check (and no call).
    type: dict
    default: {}
  region_variable:
    description: The inventory variable that sets the region, named when the region does not exist.
    type: str
    default: stack_region
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Refuse to touch an account other than the inventory's.
  solo_saving.infra.account_guard:
    account_id: "{{ stack_account_id }}"
    hint: use the profile of the right account or fix stack_account_id
    availability_zones:
      network_azs: [ap-northeast-1a, ap-northeast-1c]
"""

RETURN = r"""
account:
  description: The account the credentials belong to.
  returned: always
  type: str
  sample: "123456789012"
arn:
  description: The ARN of the calling identity.
  returned: always
  type: str
serverless_v2_versions:
  description: The Aurora PostgreSQL versions of the same major version that the region offers with Serverless v2.
  returned: when I(aurora_engine_version) is given
  type: list
  elements: str
availability_zones:
  description: The zones of the region that are C(available).
  returned: when I(availability_zones) is given
  type: list
  elements: str
  sample: [ap-northeast-1a, ap-northeast-1c, ap-northeast-1d]
"""

import difflib

from ansible_collections.solo_saving.infra.plugins.module_utils import ec2, rds
from ansible_collections.solo_saving.infra.plugins.module_utils import sts as api
from ansible_collections.solo_saving.infra.plugins.module_utils.aws_module import SoloAwsModule, new_session
from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError, fail_aws


def known_regions():
    """Every region botocore's endpoint data knows, in every partition (the interpreter's shared data)."""
    session = new_session()
    return sorted({region for partition in session.get_available_partitions()
                   for service in ("ec2", "sts") for region in session.get_available_regions(service, partition)})


def region_problem(region, variable, regions):
    """Why ``region`` cannot be used (it is not a region botocore knows), or None."""
    if region in regions:
        return None
    close = difflib.get_close_matches(region, regions, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return (f"{variable} = '{region}' is not an AWS region: {hint}the regions are {', '.join(regions)} "
            "(a region opened after this botocore release needs a newer boto3/botocore)")


def zone_problems(wanted, zones, region):
    """One message per group of variables naming a zone the region lacks; [] when every zone exists.

    ``wanted`` is {variable: [zone, ...]} in the inventory's order, ``zones`` the region's available zones.
    """
    groups = {}
    for variable, listed in wanted.items():
        groups.setdefault(tuple(str(z) for z in listed or []), []).append(variable)
    problems = []
    for listed, variables in groups.items():
        missing = [z for z in listed if z not in zones]
        if not missing:
            continue
        names = variables[0] + (f" (and {', '.join(variables[1:])}, the same zones)" if variables[1:] else "")
        problems.append(f"{names} = {list(listed)!r}: {', '.join(missing)} "
                        f"{'is not an availability zone' if len(missing) == 1 else 'are not availability zones'} "
                        f"of {region}; its zones are {', '.join(zones)}")
    return problems


def main():
    module = SoloAwsModule(argument_spec=dict(
        account_id=dict(type="str", required=True),
        hint=dict(type="str", default=""),
        aurora_engine_version=dict(type="str", default=""),
        engine_version_variable=dict(type="str", default="database_engine_version"),
        availability_zones=dict(type="dict", default={}),
        region_variable=dict(type="str", default="stack_region"),
    ), supports_check_mode=True)
    problem = region_problem(module.region, module.params["region_variable"], known_regions())
    if problem:
        module.fail_json(msg=problem)
    expected = module.params["account_id"].strip()
    try:
        identity = api.get_caller_identity(module.client("sts"))
    except SoloAwsError as e:
        fail_aws(module, e)
    account = identity["Account"]
    if account != expected:
        hint = module.params["hint"].strip() or f"the run expects account {expected}"
        module.fail_json(msg=f"The credentials belong to account {account}, but {hint}", account=account,
                         arn=identity["Arn"])
    result = dict(changed=False, account=account, arn=identity["Arn"])
    if module.params["availability_zones"]:
        result["availability_zones"] = check_zones(module, module.params["availability_zones"])
    version = module.params["aurora_engine_version"].strip()
    if version:
        result["serverless_v2_versions"] = check_engine_version(module, version)
    module.exit_json(**result)


def check_zones(module, wanted):
    """The region's available zones; fail naming each variable with a zone that is not one of them."""
    try:
        found = ec2.describe_availability_zones(module.client("ec2"))
    except SoloAwsError as e:
        fail_aws(module, e)
    zones = sorted(z["ZoneName"] for z in found if z.get("State", "available") == "available")
    problems = zone_problems(wanted, zones, module.region)
    if problems:
        module.fail_json(msg=" | ".join(problems), availability_zones=zones)
    return zones


def check_engine_version(module, version):
    """The Serverless v2 versions of ``version``'s major version; fail unless ``version`` is one of them."""
    major = version.split(".", 1)[0]
    try:
        offered = rds.describe_db_engine_versions(module.client("rds"), "aurora-postgresql")
    except SoloAwsError as e:
        fail_aws(module, e)
    serverless = [v["EngineVersion"] for v in offered if v.get("SupportsServerlessV2")]
    same_major = [v for v in serverless if v.split(".", 1)[0] == major]
    if version not in serverless:
        listed = ", ".join(same_major) or "none of that major version"
        module.fail_json(msg=f"{module.params['engine_version_variable']} = '{version}': the region does not offer "
                             f"Aurora PostgreSQL {version} with Serverless v2 (it offers {listed}); pick one of those",
                         serverless_v2_versions=same_major)
    return same_major


if __name__ == "__main__":
    main()
