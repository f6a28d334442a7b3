#!/usr/bin/python
# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: wafv2_association
short_description: Associate regional resources (load balancers ...) with a WAFv2 web ACL, idempotently
version_added: 0.1.0
description:
  - Asks C(GetWebACLForResource) which web ACL each resource has and associates the resources that have
    none, or another one, with I(web_acl_arn). A resource already protected by I(web_acl_arn) is left
    alone, so a second run changes nothing.
  - A resource associated with another web ACL is first disassociated, then associated (each resource
    has at most one web ACL); between the two calls it is unprotected for a moment. This only happens
    when someone attached another web ACL by hand.
  - A web ACL created a moment ago may be refused for a while (C(WAFUnavailableEntityException)); the
    association is retried.
  - Unlike M(community.aws.wafv2_resources), it never calls C(ListResourcesForWebACL) (which the local
    emulator does not implement) and it tells which web ACL a resource has.
  - In check mode nothing is written; planned ids (C(planned:...)) are never sent to AWS.
author:
  - Solo Saving platform team (@solo-saving)
options:
  web_acl_arn:
    description: ARN of the regional web ACL.
    type: str
    required: true
  resource_arns:
    description: ARNs of the resources to protect (application load balancers, API Gateway stages ...).
    type: list
    elements: str
    required: true
  state:
    description: C(present) associates the resources with the web ACL; C(absent) removes their association with it.
    type: str
    default: present
    choices: [present, absent]
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Put the web ACL in front of the load balancer.
  solo_saving.infra.wafv2_association:
    web_acl_arn: "{{ web_acl.arn }}"
    resource_arns:
      - "{{ alb.load_balancer_arn }}"
"""

RETURN = r"""
associations:
  description: The web ACL ARN of each resource after the run (empty string for none).
  returned: always
  type: dict
actions:
  description: What the run did (or, in check mode, would do), one sentence each.
  returned: always
  type: list
  elements: str
diff:
  description: Before and after web ACL of each resource (with C(--diff)).
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.solo_saving.infra.plugins.module_utils.aws_module import SoloAwsModule
from ansible_collections.solo_saving.infra.plugins.module_utils.common import Plan, SoloAwsError, fail_aws
from ansible_collections.solo_saving.infra.plugins.module_utils.edge import EdgeError
from ansible_collections.solo_saving.infra.plugins.module_utils.waf_association import converge_associations


def converge(client, params, plan):
    associations = converge_associations(client, params["web_acl_arn"], params["resource_arns"],
                                         params["state"] == "present", plan, plan.before, plan.after)
    return {"associations": associations}


def main():
    argument_spec = dict(
        web_acl_arn=dict(type="str", required=True),
        resource_arns=dict(type="list", elements="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    module = SoloAwsModule(argument_spec=argument_spec, supports_check_mode=True)
    plan = Plan(module.check_mode)
    try:
        result = converge(module.client("wafv2"), module.params, plan)
    except EdgeError as e:
        module.fail_json(msg=str(e), actions=plan.actions)
    except SoloAwsError as e:
        fail_aws(module, e)
    module.exit_plan(plan, **result)


if __name__ == "__main__":
    main()
