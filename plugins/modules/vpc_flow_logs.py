#!/usr/bin/python
# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vpc_flow_logs
short_description: The VPC's flow log to CloudWatch Logs, with its log group
version_added: 0.1.0
description:
  - Converges one flow log of the VPC (AWS FSBP EC2.6) that publishes to a CloudWatch Logs group, and the
    group itself (retention, optional KMS key, tags).
  - A flow log cannot be modified - a change of traffic type, aggregation interval, log group or delivery role
    replaces it (the new one is created before the old one is deleted, so no moment is unlogged).
  - Neither amazon.aws nor community.aws has a flow log module; the log group is converged here too, so
    that one task plans both.
  - Creating the flow log right after its delivery role retries AWS's C(InvalidParameter) "Unable to assume
    given IAM role" while IAM propagates the role (hashicorp/terraform-provider-aws #29323).
author:
  - Solo Saving platform team (@solo-saving)
options:
  vpc_id:
    description: The VPC; a C(planned:) identifier in check mode on an empty account.
    type: str
    required: true
  name:
    description: The flow log's C(Name) tag, by which it is found again.
    type: str
    required: true
  log_group_name:
    description: The CloudWatch Logs group the flow log publishes to.
    type: str
    required: true
  retention_days:
    description: Days the log group keeps records; 0 keeps them forever.
    type: int
    default: 90
  kms_key_id:
    description: ARN of a KMS key for the log group; empty means CloudWatch Logs' own encryption.
    type: str
    default: ""
  traffic_type:
    description: What is logged - rejected traffic (enough to see what the security groups stop), or all of it.
    type: str
    choices: [REJECT, ACCEPT, ALL]
    default: REJECT
  max_aggregation_interval:
    description: Seconds over which a flow is aggregated into one record.
    type: int
    choices: [60, 600]
    default: 600
  deliver_logs_permission_arn:
    description: The role the flow log service assumes to write into the log group.
    type: str
    required: true
  tags:
    description: Tags of the flow log and the log group.
    type: dict
    default: {}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Log the traffic the security groups reject.
  solo_saving.infra.vpc_flow_logs:
    vpc_id: "{{ network_result.vpc_id }}"
    name: solo-saving-prod-vpc-flow-logs
    log_group_name: solo-saving-prod-vpc-flow-logs
    retention_days: 90
    deliver_logs_permission_arn: arn:aws:iam::123456789012:role/solo-saving-prod-vpc-flow-logs
"""

RETURN = r"""
flow_log_id:
  description: The flow log's id (C(planned:flow-log:<name>) in check mode before it exists).
  returned: always
  type: str
actions:
  description: What was done, or would be done in check mode, one sentence each.
  returned: always
  type: list
  elements: str
diff:
  description: The flow log's settings and the log group's, before and after.
  returned: with --diff
  type: dict
"""

from ansible_collections.solo_saving.infra.plugins.module_utils import ec2 as api
from ansible_collections.solo_saving.infra.plugins.module_utils import logs as logs_api
from ansible_collections.solo_saving.infra.plugins.module_utils.aws_module import SoloAwsModule
from ansible_collections.solo_saving.infra.plugins.module_utils.common import (
    Plan,
    SoloAwsError,
    fail_aws,
    is_planned,
    planned_id,
    tag_dict,
    tag_specifications,
    tags_to_set,
)


def flow_log_view(flow_log):
    """The settings of a flow log (as DescribeFlowLogs gives it) that the module manages."""
    return {
        "traffic_type": flow_log.get("TrafficType"),
        "log_group_name": flow_log.get("LogGroupName"),
        "deliver_logs_permission_arn": flow_log.get("DeliverLogsPermissionArn"),
        "max_aggregation_interval": flow_log.get("MaxAggregationInterval", 600),
    }


class VpcFlowLogs(Plan):
    def __init__(self, ec2, logs, params, check_mode):
        super().__init__(check_mode)
        self.ec2, self.logs, self.params = ec2, logs, params
        self.tags = {**(params["tags"] or {}), "Name": params["name"]}

    def desired(self):
        p = self.params
        return {"traffic_type": p["traffic_type"], "log_group_name": p["log_group_name"],
                "deliver_logs_permission_arn": p["deliver_logs_permission_arn"],
                "max_aggregation_interval": p["max_aggregation_interval"]}

    def converge(self):
        p = self.params
        logs_api.converge_log_groups(self, self.logs, [{"name": p["log_group_name"], "retention_days":
                                                        p["retention_days"], "kms_key_id": p["kms_key_id"]}],
                                     {k: v for k, v in self.tags.items() if k != "Name"})
        found = [] if is_planned(p["vpc_id"]) else api.describe_flow_logs(
            self.ec2, resource_id=p["vpc_id"], tag__Name=p["name"])
        desired = self.desired()
        self.after["flow_log"] = desired
        matching = [f for f in found if flow_log_view(f) == desired]
        keep = matching[0] if matching else None
        self.before["flow_log"] = flow_log_view(keep or found[0]) if found else None
        if keep is None:
            created = self.act(f"create flow log {p['name']} of {p['traffic_type']} traffic to log group "
                               f"{p['log_group_name']}", api.create_flow_log, self.ec2, p["vpc_id"],
                               p["log_group_name"], p["deliver_logs_permission_arn"], p["traffic_type"],
                               p["max_aggregation_interval"], tag_specifications("vpc-flow-log", self.tags))
            flow_log_id = created or planned_id("flow-log", p["name"])
        else:
            flow_log_id = keep["FlowLogId"]
            missing = tags_to_set(tag_dict(keep.get("Tags")), self.tags)
            if missing:
                self.act(f"update the tags of flow log {p['name']}: {', '.join(sorted(missing))}",
                         api.create_tags, self.ec2, [flow_log_id], missing)
        for flow_log in found:
            if flow_log is not keep:
                self.act(f"delete flow log {flow_log['FlowLogId']} (replaced: a flow log cannot be modified)",
                         api.delete_flow_log, self.ec2, flow_log["FlowLogId"])
        return {"flow_log_id": flow_log_id}


def main():
    argument_spec = dict(
        vpc_id=dict(type="str", required=True),
        name=dict(type="str", required=True),
        log_group_name=dict(type="str", required=True),
        retention_days=dict(type="int", default=90),
        kms_key_id=dict(type="str", default="", no_log=False),
        traffic_type=dict(type="str", default="REJECT", choices=["REJECT", "ACCEPT", "ALL"]),
        max_aggregation_interval=dict(type="int", default=600, choices=[60, 600]),
        deliver_logs_permission_arn=dict(type="str", required=True),
        tags=dict(type="dict", default={}),
    )
    module = SoloAwsModule(argument_spec=argument_spec, supports_check_mode=True)
    if module.params["retention_days"] < 0:
        module.fail_json(msg="retention_days must be 0 (keep forever) or a number of days")
    plan = VpcFlowLogs(module.client("ec2"), module.client("logs"), module.params, module.check_mode)
    try:
        result = plan.converge()
    except SoloAwsError as e:
        fail_aws(module, e)
    module.exit_plan(plan, **result)


if __name__ == "__main__":
    main()
