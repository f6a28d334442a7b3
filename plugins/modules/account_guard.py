#!/usr/bin/python
# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: account_guard
short_description: Fail unless the credentials belong to the expected AWS account
version_added: 0.2.0
description:
  - Asks C(sts:GetCallerIdentity) which account the credentials belong to and fails, naming both accounts,
    when it is not I(account_id). Nothing else is called, so the only permission it needs is one every
    principal has.
  - Unlike M(amazon.aws.aws_caller_info), it does not list the account's aliases (C(iam:ListAccountAliases),
    a permission the deployer would otherwise need, and a second call), and it is the check and the
    failure in one task.
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
"""

from ansible_collections.solo_saving.infra.plugins.module_utils import sts as api
from ansible_collections.solo_saving.infra.plugins.module_utils.aws_module import SoloAwsModule
from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError, fail_aws


def main():
    module = SoloAwsModule(argument_spec=dict(
        account_id=dict(type="str", required=True),
        hint=dict(type="str", default=""),
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
    module.exit_json(changed=False, account=account, arn=identity["Arn"])


if __name__ == "__main__":
    main()
