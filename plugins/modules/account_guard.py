#!/usr/bin/python
# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: account_guard
short_description: Fail unless the credentials belong to the expected AWS account (and AWS offers the engine)
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
      - The local emulator does not implement the call: the pre-flight passes it against AWS only, and the
        database role's offline list of versions stands in on the emulator.
    type: str
    default: ""
  engine_version_variable:
    description: The inventory variable of I(aurora_engine_version), named in the failure message.
    type: str
    default: database_engine_version
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
"""

from ansible_collections.solo_saving.infra.plugins.module_utils import rds
from ansible_collections.solo_saving.infra.plugins.module_utils import sts as api
from ansible_collections.solo_saving.infra.plugins.module_utils.aws_module import SoloAwsModule
from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError, fail_aws


def main():
    module = SoloAwsModule(argument_spec=dict(
        account_id=dict(type="str", required=True),
        hint=dict(type="str", default=""),
        aurora_engine_version=dict(type="str", default=""),
        engine_version_variable=dict(type="str", default="database_engine_version"),
    ), supports_check_mode=True)
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
    version = module.params["aurora_engine_version"].strip()
    if version:
        result["serverless_v2_versions"] = check_engine_version(module, version)
    module.exit_json(**result)


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
