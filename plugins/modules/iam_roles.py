#!/usr/bin/python
# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: iam_roles
short_description: Converge several IAM roles, their trust policies and inline policies exactly, in one call
version_added: 0.1.0
description:
  - Creates or updates each role of I(roles) - trust policy, description, maximum session duration, tags, attached
    managed policies and inline policies.
  - The inline and managed policies of a role are converged exactly - a policy found on the role but not in the
    list is removed - so a role holds what the inventory says and nothing more (least privilege by construction).
  - Policies are compared as documents (key order, one-element lists written as scalars and the order of actions
    do not matter), so a re-run changes nothing.
  - With I(permissions_boundary), every role is created with that permissions boundary, and a role found with
    another one (or none) gets it; the deployer's IAM policy allows role changes only on roles that carry it.
  - In check mode nothing is written; a role that would be created is returned with its ARN as AWS will build it
    when I(account_id) is given, else with a C(planned:iam-role:<name>) identifier.
  - One call for every role of a layer replaces a pair of C(amazon.aws.iam_role) / C(amazon.aws.iam_policy) tasks
    per role, with the same idempotence and a plan on an empty account.
author:
  - Solo Saving platform team (@solo-saving)
options:
  roles:
    description: The roles.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Role name.
        type: str
        required: true
      path:
        description: Role path (cannot change once created).
        type: str
        default: /
      description:
        description: Role description.
        type: str
        default: ""
      assume_role_policy:
        description: The trust policy document.
        type: dict
        required: true
      inline_policies:
        description: Inline policies by name; every other inline policy of the role is deleted.
        type: dict
        default: {}
      managed_policy_arns:
        description: Managed policies to attach; every other attached policy is detached.
        type: list
        elements: str
        default: []
      max_session_duration:
        description: Maximum session duration in seconds (3600-43200).
        type: int
        default: 3600
  permissions_boundary:
    description:
      - ARN of the managed policy set as the permissions boundary of every role; empty for none.
      - The boundary is created once by the account owner (C(docs/iam/) of the project).
    type: str
    default: ""
  account_id:
    description: The account id, to return the ARN of a role that check mode plans to create.
    type: str
    default: ""
  partition:
    description: The partition of the ARNs (C(aws), C(aws-cn), C(aws-us-gov)).
    type: str
    default: aws
  tags:
    description: Tags for every role. Other tags found on them are kept.
    type: dict
    default: {}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Converge the task execution role of the backend.
  solo_saving.infra.iam_roles:
    roles:
      - name: solo-saving-prod-backend-execution
        description: ECS task execution role of the backend
        assume_role_policy:
          Version: "2012-10-17"
          Statement:
            - Effect: Allow
              Principal: {Service: ecs-tasks.amazonaws.com}
              Action: sts:AssumeRole
        inline_policies:
          execution:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: ecr:GetAuthorizationToken
                Resource: "*"
    permissions_boundary: arn:aws:iam::123456789012:policy/solo-saving-permissions-boundary
    tags:
      Project: solo-saving
  register: roles
"""

RETURN = r"""
roles:
  description: By role name - C(name), C(arn), C(role_id).
  returned: always
  type: dict
  sample: {solo-saving-prod-backend-execution: {name: solo-saving-prod-backend-execution,
           arn: "arn:aws:iam::123456789012:role/solo-saving-prod-backend-execution", role_id: AROA123}}
actions:
  description: What the run did (or, in check mode, would do), one sentence each.
  returned: always
  type: list
  elements: str
diff:
  description: Before and after views of the roles (with C(--diff)).
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.solo_saving.infra.plugins.module_utils import iam as api
from ansible_collections.solo_saving.infra.plugins.module_utils.aws_module import SoloAwsModule
from ansible_collections.solo_saving.infra.plugins.module_utils.common import (
    Plan,
    SoloAwsError,
    fail_aws,
    planned_id,
    tag_dict,
    tag_list,
    tags_to_set,
)
from ansible_collections.solo_saving.infra.plugins.module_utils.json_policy import normalize_policy, policies_equal


class IamRoles(Plan):
    def __init__(self, client, params, check_mode):
        self.client = client
        self.params = params
        super().__init__(check_mode)
        self.tags = {k: str(v) for k, v in (params["tags"] or {}).items()}

    def planned_arn(self, spec):
        if self.params["account_id"]:
            return f"arn:{self.params['partition']}:iam::{self.params['account_id']}:role{spec['path']}{spec['name']}"
        return planned_id("iam-role", spec["name"])

    def converge_role(self, spec):
        name = spec["name"]
        self.after[name] = {
            "description": spec["description"],
            "assume_role_policy": normalize_policy(spec["assume_role_policy"]),
            "inline_policies": {k: normalize_policy(v) for k, v in sorted(spec["inline_policies"].items())},
            "managed_policy_arns": sorted(spec["managed_policy_arns"]),
            "max_session_duration": spec["max_session_duration"],
            "permissions_boundary": self.params["permissions_boundary"],
        }
        role = api.get_role(self.client, name)
        if role is None:
            self.before[name] = None
            created = self.act(f"create IAM role {name}", api.create_role, self.client, name, spec["path"],
                               spec["description"], spec["assume_role_policy"], tag_list(self.tags),
                               spec["max_session_duration"], permissions_boundary=self.params["permissions_boundary"])
            for policy_name, document in sorted(spec["inline_policies"].items()):
                self.act(f"put inline policy {policy_name} on IAM role {name}", api.put_role_policy, self.client,
                         name, policy_name, document)
            for arn in sorted(spec["managed_policy_arns"]):
                self.act(f"attach {arn} to IAM role {name}", api.attach_role_policy, self.client, name, arn)
            if created:
                return {"name": name, "arn": created["Arn"], "role_id": created["RoleId"]}
            return {"name": name, "arn": self.planned_arn(spec), "role_id": planned_id("iam-role-id", name)}
        if role.get("Path", "/") != spec["path"]:
            raise RoleError(f"IAM role {name} has path {role.get('Path')}, the inventory asks for {spec['path']}: a "
                            "role's path cannot change; delete the role or set the path back")
        inline = api.inline_policies(self.client, name)
        attached = api.attached_policies(self.client, name)
        self.before[name] = {
            "description": role.get("Description", ""),
            "assume_role_policy": normalize_policy(role.get("AssumeRolePolicyDocument")),
            "inline_policies": {k: normalize_policy(v) for k, v in sorted(inline.items())},
            "managed_policy_arns": sorted(attached),
            "max_session_duration": role.get("MaxSessionDuration", 3600),
            "permissions_boundary": (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn", ""),
        }
        boundary = self.params["permissions_boundary"]
        if boundary and self.before[name]["permissions_boundary"] != boundary:
            self.act(f"set the permissions boundary of IAM role {name} to {boundary}",
                     api.put_role_permissions_boundary, self.client, name, boundary)
        if not policies_equal(role.get("AssumeRolePolicyDocument"), spec["assume_role_policy"]):
            self.act(f"update the trust policy of IAM role {name}", api.update_assume_role_policy, self.client, name,
                     spec["assume_role_policy"])
        if (role.get("Description", "") != spec["description"]
                or role.get("MaxSessionDuration", 3600) != spec["max_session_duration"]):
            self.act(f"update the description and session duration of IAM role {name}", api.update_role,
                     self.client, name, spec["description"], spec["max_session_duration"])
        for policy_name, document in sorted(spec["inline_policies"].items()):
            if policy_name not in inline:
                self.act(f"put inline policy {policy_name} on IAM role {name}", api.put_role_policy, self.client,
                         name, policy_name, document)
            elif not policies_equal(inline[policy_name], document):
                self.act(f"update inline policy {policy_name} of IAM role {name}", api.put_role_policy,
                         self.client, name, policy_name, document)
        for policy_name in sorted(set(inline) - set(spec["inline_policies"])):
            self.act(f"delete inline policy {policy_name} of IAM role {name}", api.delete_role_policy, self.client,
                     name, policy_name)
        for arn in sorted(set(spec["managed_policy_arns"]) - set(attached)):
            self.act(f"attach {arn} to IAM role {name}", api.attach_role_policy, self.client, name, arn)
        for arn in sorted(set(attached) - set(spec["managed_policy_arns"])):
            self.act(f"detach {arn} from IAM role {name}", api.detach_role_policy, self.client, name, arn)
        current_tags = role.get("Tags")
        if current_tags is None:
            current_tags = api.list_role_tags(self.client, name)
        missing = tags_to_set(tag_dict(current_tags), self.tags)
        if missing:
            self.act(f"update the tags of IAM role {name}: {', '.join(sorted(missing))}", api.tag_role, self.client,
                     name, tag_list(missing))
        return {"name": name, "arn": role["Arn"], "role_id": role["RoleId"]}

    def converge(self):
        return {spec["name"]: self.converge_role(spec) for spec in self.params["roles"]}


class RoleError(Exception):
    """A request the module refuses."""


def main():
    argument_spec = dict(
        roles=dict(type="list", elements="dict", required=True, options=dict(
            name=dict(type="str", required=True),
            path=dict(type="str", default="/"),
            description=dict(type="str", default=""),
            assume_role_policy=dict(type="dict", required=True),
            inline_policies=dict(type="dict", default={}),
            managed_policy_arns=dict(type="list", elements="str", default=[]),
            max_session_duration=dict(type="int", default=3600),
        )),
        permissions_boundary=dict(type="str", default=""),
        account_id=dict(type="str", default=""),
        partition=dict(type="str", default="aws"),
        tags=dict(type="dict", default={}),
    )
    module = SoloAwsModule(argument_spec=argument_spec, supports_check_mode=True)
    names = [r["name"] for r in module.params["roles"]]
    if len(set(names)) != len(names):
        module.fail_json(msg="roles: names must be unique")
    for spec in module.params["roles"]:
        if not (spec["path"].startswith("/") and spec["path"].endswith("/")):
            module.fail_json(msg=f"roles[{spec['name']}].path must start and end with '/', got {spec['path']!r}")
    runner = IamRoles(module.client("iam"), module.params, module.check_mode)
    try:
        roles = runner.converge()
    except RoleError as e:
        module.fail_json(msg=str(e), actions=runner.actions)
    except SoloAwsError as e:
        fail_aws(module, e)
    module.exit_plan(runner, roles=roles)


if __name__ == "__main__":
    main()
