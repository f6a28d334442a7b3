#!/usr/bin/python
# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: wafv2_web_acl
short_description: Converge a WAFv2 web ACL, its CloudWatch log group and its logging configuration in one call
version_added: 0.1.0
description:
  - Creates or updates a web ACL with complete WAFv2 rules (for example the output of the
    M(solo_saving.infra.waf_rules) filter), its default action and visibility configuration. The rules
    compare without the empty lists AWS may add, so a second run changes nothing. An update sends the
    whole definition with the lock token AWS returned, as C(UpdateWebACL) requires.
  - Optionally sends the web ACL's logs to a CloudWatch Logs log group (whose name must start with
    C(aws-waf-logs-)), created with its tags and retention, with the given request headers redacted
    (by default C(authorization) and C(cookie)).
  - The web ACL is found by name and created with its tags in the same call; a run interrupted anywhere
    and started again adopts what exists.
  - In check mode nothing is written; a web ACL that would be created is returned as
    C(planned:web-acl:<name>).
  - Unlike M(community.aws.wafv2_web_acl), it also manages logging, and plans in check mode on an empty
    account.
  - With I(resource_arns) it also puts the web ACL in front of those resources, as
    M(solo_saving.infra.wafv2_association) does, in the same task.
author:
  - Solo Saving platform team (@solo-saving)
options:
  name:
    description: Name of the web ACL.
    type: str
    required: true
  scope:
    description: C(REGIONAL) (load balancers, API Gateway ...) or C(CLOUDFRONT).
    type: str
    default: REGIONAL
    choices: [REGIONAL, CLOUDFRONT]
  description:
    description: Description of the web ACL (letters, digits, spaces and C(+=:#@/-,.) only).
    type: str
    default: ""
  default_action:
    description: What happens to a request no rule blocked.
    type: str
    default: allow
    choices: [allow, block]
  rules:
    description:
      - Complete WAFv2 rules (C(Name), C(Priority), C(Statement), C(Action) or C(OverrideAction),
        C(VisibilityConfig)), in the API's form.
    type: list
    elements: dict
    default: []
  metric_name:
    description: CloudWatch metric name of the web ACL; defaults to I(name).
    type: str
  tags:
    description: Tags for the web ACL and the log group, in addition to C(Name). Other tags are kept.
    type: dict
    default: {}
  logging:
    description: Logging to CloudWatch Logs; omit to leave logging alone.
    type: dict
    suboptions:
      log_group_name:
        description: Name of the log group; AWS WAF requires the C(aws-waf-logs-) prefix.
        type: str
        required: true
      retention_days:
        description: Days CloudWatch keeps the logs (one of the values CloudWatch accepts).
        type: int
        default: 30
      redacted_headers:
        description: Request headers replaced by C(REDACTED) in the logs (lower case).
        type: list
        elements: str
        default: [authorization, cookie]
  resource_arns:
    description:
      - ARNs of regional resources (application load balancers ...) to protect with this web ACL. A resource
        associated with another web ACL is moved to this one; resources not listed are left alone.
      - A load balancer still provisioning may be refused for a while; the association is retried.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Converge the web ACL in front of the ALB, with logging.
  solo_saving.infra.wafv2_web_acl:
    name: solo-saving-prod-waf
    rules: "{{ edge_waf_rules | solo_saving.infra.waf_rules('solo-saving-prod') }}"
    logging:
      log_group_name: aws-waf-logs-solo-saving-prod
    resource_arns:
      - "{{ alb.load_balancer_arn }}"
    tags:
      Project: solo-saving
  register: web_acl
"""

RETURN = r"""
arn:
  description: The web ACL's ARN (a planned id in check mode when it would be created).
  returned: always
  type: str
id:
  description: The web ACL's id.
  returned: always
  type: str
log_group_arn:
  description: The log group's ARN (empty without I(logging)).
  returned: always
  type: str
associations:
  description: The web ACL ARN of each resource of I(resource_arns) after the run.
  returned: always
  type: dict
actions:
  description: What the run did (or, in check mode, would do), one sentence each.
  returned: always
  type: list
  elements: str
diff:
  description: Before and after views (with C(--diff)).
  returned: when diff mode is on
  type: dict
"""

import re

from ansible_collections.solo_saving.infra.plugins.module_utils import elbv2
from ansible_collections.solo_saving.infra.plugins.module_utils import wafv2 as api
from ansible_collections.solo_saving.infra.plugins.module_utils.aws_module import SoloAwsModule
from ansible_collections.solo_saving.infra.plugins.module_utils.common import (
    Plan,
    SoloAwsError,
    fail_aws,
    is_planned,
    planned_id,
    tags_to_set,
)
from ansible_collections.solo_saving.infra.plugins.module_utils.edge import (
    RETENTION_DAYS,
    EdgeError,
    rule_views,
    rules_differ,
)
from ansible_collections.solo_saving.infra.plugins.module_utils.waf_association import converge_associations

LOG_GROUP_PREFIX = "aws-waf-logs-"
DESCRIPTION_RE = re.compile(r"^[\w+=:#@/\-,.][\w+=:#@/\-,.\s]+[\w+=:#@/\-,.]$")


def _rule_names(rules):
    return [r.get("Name") for r in sorted(rules or [], key=lambda r: r.get("Priority", 0))]


def _rule_changes(before, after):
    """``add rule x; change rule y; remove rule z`` between two :func:`rule_views`."""
    parts = [f"add rule {name}" for name in after if name not in before]
    parts += [f"change rule {name}" for name in after if name in before and before[name] != after[name]]
    parts += [f"remove rule {name}" for name in before if name not in after]
    return "; ".join(parts) or "rule order"


class WebAcl:
    def __init__(self, waf, logs, params, plan, elb=None):
        self.waf = waf
        self.logs = logs
        self.elb = elb  # () -> an elbv2 client, made only when a load balancer is to be associated
        self.params = params
        self.plan = plan
        self.name = params["name"]
        self.scope = params["scope"]
        self.tags = dict(params["tags"] or {}, Name=self.name)
        self.desired = {
            "DefaultAction": {"Allow": {}} if params["default_action"] == "allow" else {"Block": {}},
            "Rules": params["rules"],
            "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True,
                                 "MetricName": params["metric_name"] or self.name},
            "Description": params["description"] or "",
        }

    def web_acl(self):
        desired = self.desired
        self.plan.after["web_acl"] = {"default_action": self.params["default_action"],
                                      "rules": rule_views(desired["Rules"])}
        summary = next((a for a in api.list_web_acls(self.waf, self.scope) if a["Name"] == self.name), None)
        if summary is None:
            self.plan.before["web_acl"] = None
            created = self.plan.act(
                f"create web ACL {self.name} with rules {', '.join(_rule_names(desired['Rules'])) or '(none)'}",
                api.create_web_acl, self.waf, self.name, self.scope, desired["DefaultAction"], desired["Rules"],
                desired["VisibilityConfig"], desired["Description"], self.tags)
            if created is None:
                return planned_id("web-acl", self.name), ""
            return created["ARN"], created["Id"]
        found = api.get_web_acl(self.waf, self.name, self.scope, summary["Id"])
        if found is None:
            raise EdgeError(f"web ACL {self.name} vanished while being read; run again")
        acl, lock_token = found
        current_action = "allow" if "Allow" in (acl.get("DefaultAction") or {}) else "block"
        self.plan.before["web_acl"] = {"default_action": current_action, "rules": rule_views(acl.get("Rules"))}
        differences = []
        if acl.get("DefaultAction") != desired["DefaultAction"]:
            differences.append(f"default action {current_action} -> {self.params['default_action']}")
        if rules_differ(acl.get("Rules"), desired["Rules"]):
            differences.append(_rule_changes(rule_views(acl.get("Rules")), rule_views(desired["Rules"])))
        if acl.get("VisibilityConfig") != desired["VisibilityConfig"]:
            differences.append("visibility configuration")
        if (acl.get("Description") or "") != desired["Description"]:
            differences.append("description")
        if differences:
            self.plan.act(f"update web ACL {self.name}: {'; '.join(differences)}", api.update_web_acl, self.waf,
                          self.name, self.scope, acl["Id"], lock_token, desired["DefaultAction"], desired["Rules"],
                          desired["VisibilityConfig"], desired["Description"])
        missing = tags_to_set(api.list_web_acl_tags(self.waf, acl["ARN"]) or {}, self.tags)
        if missing:
            self.plan.act(f"update the tags of web ACL {self.name}: {', '.join(sorted(missing))}",
                          api.tag_web_acl, self.waf, acl["ARN"], missing)
        return acl["ARN"], acl["Id"]

    def log_group(self, logging):
        name = logging["log_group_name"]
        days = logging["retention_days"]
        self.plan.after["log_group"] = {"name": name, "retention_days": days}
        group = api.describe_log_group(self.logs, name)
        if group is None:
            self.plan.before["log_group"] = None
            self.plan.act(f"create log group {name}", api.create_log_group, self.logs, name, self.tags)
            self.plan.act(f"keep the logs of {name} for {days} days", api.put_retention_policy, self.logs, name, days)
            if self.plan.check_mode:
                return planned_id("log-group", name)
            group = api.describe_log_group(self.logs, name)
            if group is None:
                raise EdgeError(f"log group {name} was created but cannot be read back; run again")
            return _log_group_arn(group)
        arn = _log_group_arn(group)
        self.plan.before["log_group"] = {"name": name, "retention_days": group.get("retentionInDays")}
        if group.get("retentionInDays") != days:
            self.plan.act(f"keep the logs of {name} for {days} days", api.put_retention_policy, self.logs, name, days)
        missing = tags_to_set(api.list_log_group_tags(self.logs, arn), self.tags)
        if missing:
            self.plan.act(f"update the tags of log group {name}: {', '.join(sorted(missing))}",
                          api.tag_log_group, self.logs, arn, missing)
        return arn

    def logging(self, acl_arn):
        logging = self.params["logging"]
        if not logging:
            return ""
        log_arn = self.log_group(logging)
        headers = sorted({h.lower() for h in logging["redacted_headers"]})
        desired = {"ResourceArn": acl_arn, "LogDestinationConfigs": [log_arn],
                   "RedactedFields": [{"SingleHeader": {"Name": h}} for h in headers]}
        view = {"destination": logging["log_group_name"], "redacted_headers": headers}
        self.plan.after["logging"] = view
        current = None if is_planned(acl_arn) else api.get_logging_configuration(self.waf, acl_arn)
        if current is not None:
            current_headers = sorted(f["SingleHeader"]["Name"].lower() for f in current.get("RedactedFields", [])
                                     if "SingleHeader" in f)
            others = [f for f in current.get("RedactedFields", []) if "SingleHeader" not in f]
            destinations = [d.split(":log-group:")[-1] for d in current.get("LogDestinationConfigs", [])]
            self.plan.before["logging"] = {"destination": ", ".join(destinations),
                                           "redacted_headers": current_headers}
            if (current.get("LogDestinationConfigs") == [log_arn] and current_headers == headers and not others
                    and not current.get("LoggingFilter")):
                return log_arn
        else:
            self.plan.before["logging"] = None
        self.plan.act(f"send the logs of web ACL {self.name} to {logging['log_group_name']}, redacting "
                      f"{', '.join(headers) or 'nothing'}", api.put_logging_configuration, self.waf, desired)
        return log_arn

    def load_balancer_active(self, resource_arn):
        """WAF associates a load balancer only once it is active: wait for it (minutes on AWS)."""
        if ":loadbalancer/app/" in resource_arn and self.elb is not None:
            elbv2.wait_active(self.elb(), resource_arn)

    def converge(self):
        arn, acl_id = self.web_acl()
        log_arn = self.logging(arn)
        associations = {}
        if self.params["resource_arns"]:
            associations = converge_associations(self.waf, arn, self.params["resource_arns"], True, self.plan,
                                                 self.plan.before.setdefault("associations", {}),
                                                 self.plan.after.setdefault("associations", {}),
                                                 ready=self.load_balancer_active)
        return {"arn": arn, "id": acl_id, "log_group_arn": log_arn, "associations": associations}


def _log_group_arn(group):
    """The log group's ARN without the ``:*`` suffix DescribeLogGroups puts on ``arn``."""
    arn = group.get("logGroupArn") or group["arn"]
    return arn[:-2] if arn.endswith(":*") else arn


def validate(module):
    params = module.params
    if params["description"] and not DESCRIPTION_RE.match(params["description"]):
        module.fail_json(msg=f"description {params['description']!r}: AWS WAF allows letters, digits, spaces and "
                             "+=:#@/-,. only")
    logging = params["logging"]
    if logging:
        if not logging["log_group_name"].startswith(LOG_GROUP_PREFIX):
            module.fail_json(msg=f"logging.log_group_name {logging['log_group_name']!r} must start with "
                                 f"{LOG_GROUP_PREFIX!r} (AWS WAF sends logs only to such groups)")
        if logging["retention_days"] not in RETENTION_DAYS:
            module.fail_json(msg=f"logging.retention_days {logging['retention_days']} is not a value CloudWatch "
                                 f"accepts: {', '.join(str(d) for d in RETENTION_DAYS)}")
    names = [r.get("Name") for r in params["rules"]]
    if len(set(names)) != len(names):
        module.fail_json(msg="rules: two rules have the same Name")


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        scope=dict(type="str", default="REGIONAL", choices=["REGIONAL", "CLOUDFRONT"]),
        description=dict(type="str", default=""),
        default_action=dict(type="str", default="allow", choices=["allow", "block"]),
        rules=dict(type="list", elements="dict", default=[]),
        metric_name=dict(type="str"),
        tags=dict(type="dict", default={}),
        resource_arns=dict(type="list", elements="str", default=[]),
        logging=dict(type="dict", options=dict(
            log_group_name=dict(type="str", required=True),
            retention_days=dict(type="int", default=30),
            redacted_headers=dict(type="list", elements="str", default=["authorization", "cookie"]),
        )),
    )
    module = SoloAwsModule(argument_spec=argument_spec, supports_check_mode=True)
    validate(module)
    plan = Plan(module.check_mode)
    acl = WebAcl(module.client("wafv2"), module.client("logs"), module.params, plan,
                 elb=lambda: module.client("elbv2"))
    try:
        result = acl.converge()
    except EdgeError as e:
        module.fail_json(msg=str(e), actions=plan.actions)
    except SoloAwsError as e:
        fail_aws(module, e)
    module.exit_plan(plan, **result)


if __name__ == "__main__":
    main()
