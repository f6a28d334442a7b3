#!/usr/bin/python
# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: application_load_balancer
short_description: Converge an application load balancer, its target group and its listeners in one call
version_added: 0.1.0
description:
  - Creates or updates an application load balancer, one target group, an HTTPS listener forwarding to
    that target group only, and (optionally) an HTTP listener that only answers with a C(301) redirect to
    HTTPS. Listeners on other ports and rules other than the listeners' default rules are removed (see
    I(purge_listeners), I(purge_rules)), so the load balancer routes to nothing but the target group.
  - Load balancer and target group attributes are compared key by key and changed in one call each; only
    the keys given are managed. A new load balancer or target group gets all of them in one call.
  - Resources are found by name and created with their tags in the same call, so a run interrupted
    anywhere and started again adopts what exists instead of duplicating it.
  - A target group's protocol, port, target type and VPC cannot change in place; the module refuses
    such a change with a message instead of replacing a target group an ECS service is attached to.
  - In check mode nothing is written; what would be created is returned as C(planned:<kind>:<name>). Planned
    ids of other modules (subnets, security groups, certificate) are never sent to AWS.
  - Replaces M(amazon.aws.elb_application_lb) plus M(community.aws.elb_target_group) (two tasks), whose
    attribute handling reads back attributes the local emulator does not return.
author:
  - Solo Saving platform team (@solo-saving)
options:
  name:
    description: Name of the load balancer (at most 32 characters).
    type: str
    required: true
  subnets:
    description: Subnets of the load balancer, one per availability zone (at least two).
    type: list
    elements: str
    required: true
  security_groups:
    description: Security groups of the load balancer.
    type: list
    elements: str
    required: true
  scheme:
    description: C(internet-facing) or C(internal). It cannot change once created.
    type: str
    default: internet-facing
    choices: [internet-facing, internal]
  ip_address_type:
    description: C(ipv4), or C(dualstack) (the subnets need IPv6 CIDR blocks).
    type: str
    default: ipv4
    choices: [ipv4, dualstack]
  attributes:
    description:
      - Load balancer attributes by their AWS key (for example C(deletion_protection.enabled),
        C(routing.http.drop_invalid_header_fields.enabled), C(access_logs.s3.enabled)). Booleans and
        numbers are sent as AWS's strings.
    type: dict
    default: {}
  target_group:
    description: The target group the HTTPS listener forwards to.
    type: dict
    required: true
    suboptions:
      name:
        description: Name of the target group (at most 32 characters).
        type: str
        required: true
      vpc_id:
        description: The VPC of the targets. It cannot change once created.
        type: str
        required: true
      port:
        description: Port of the targets. It cannot change once created.
        type: int
        required: true
      protocol:
        description: Protocol to the targets. It cannot change once created.
        type: str
        default: HTTP
        choices: [HTTP, HTTPS]
      protocol_version:
        description: C(HTTP1), C(HTTP2) or C(GRPC). It cannot change once created.
        type: str
        default: HTTP1
        choices: [HTTP1, HTTP2, GRPC]
      target_type:
        description: C(ip) for Fargate tasks, or C(instance). It cannot change once created.
        type: str
        default: ip
        choices: [ip, instance]
      health_check:
        description: The health check.
        type: dict
        default: {}
        suboptions:
          path:
            description: Path of the health check request.
            type: str
            default: /
          port:
            description: Port of the health check, or C(traffic-port).
            type: str
            default: traffic-port
          interval:
            description: Seconds between checks (5-300).
            type: int
            default: 15
          timeout:
            description: Seconds before a check fails (2-120, less than the interval).
            type: int
            default: 5
          healthy_threshold:
            description: Consecutive successes before a target is healthy (2-10).
            type: int
            default: 2
          unhealthy_threshold:
            description: Consecutive failures before a target is unhealthy (2-10).
            type: int
            default: 3
          matcher:
            description: HTTP codes that mean healthy, for example C(200) or C(200-399).
            type: str
            default: 200-399
      attributes:
        description: Target group attributes by AWS key, for example C(deregistration_delay.timeout_seconds).
        type: dict
        default: {}
  https_listener:
    description: The HTTPS listener.
    type: dict
    required: true
    suboptions:
      port:
        description: Listener port.
        type: int
        default: 443
      certificate_arn:
        description: ARN of the ACM certificate.
        type: str
        required: true
      ssl_policy:
        description: TLS security policy.
        type: str
        default: ELBSecurityPolicy-TLS13-1-2-2021-06
  http_redirect:
    description: Add an HTTP listener on I(http_port) whose only action is a C(301) redirect to HTTPS.
    type: bool
    default: true
  http_port:
    description: Port of the redirecting HTTP listener.
    type: int
    default: 80
  purge_listeners:
    description: Delete listeners on other ports.
    type: bool
    default: true
  purge_rules:
    description: Delete the rules of the two listeners other than their default rule.
    type: bool
    default: true
  tags:
    description: Tags for the load balancer, the target group and the listeners, in addition to C(Name).
    type: dict
    default: {}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Converge the ALB in front of the frontend.
  solo_saving.infra.application_load_balancer:
    name: solo-saving-prod-alb
    subnets: [subnet-1, subnet-2]
    security_groups: [sg-1]
    attributes:
      deletion_protection.enabled: true
      routing.http.drop_invalid_header_fields.enabled: true
    target_group:
      name: solo-saving-prod-tg-frontend
      vpc_id: vpc-1
      port: 3000
      health_check:
        path: /api/health
      attributes:
        deregistration_delay.timeout_seconds: 30
    https_listener:
      certificate_arn: arn:aws:acm:ap-northeast-1:123456789012:certificate/abc
  register: alb
"""

RETURN = r"""
load_balancer_arn:
  description: The load balancer's ARN (a planned id in check mode when it would be created).
  returned: always
  type: str
dns_name:
  description: The load balancer's DNS name.
  returned: always
  type: str
canonical_hosted_zone_id:
  description: The hosted zone id for alias records to the load balancer.
  returned: always
  type: str
target_group_arn:
  description: The target group's ARN.
  returned: always
  type: str
https_listener_arn:
  description: The HTTPS listener's ARN.
  returned: always
  type: str
http_listener_arn:
  description: The redirecting HTTP listener's ARN (empty without I(http_redirect)).
  returned: always
  type: str
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

from ansible_collections.solo_saving.infra.plugins.module_utils import elbv2 as api
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
    EdgeError,
    attribute_value,
    attributes_to_set,
    comparable_listener,
    describe_listener,
)


def _kv(attributes):
    return ", ".join(f"{k}={v}" for k, v in sorted(attributes.items()))


class LoadBalancer:
    def __init__(self, client, params, plan):
        self.client = client
        self.params = params
        self.plan = plan
        self.name = params["name"]
        self.tg = params["target_group"]

    def tags(self, name):
        return dict(self.params["tags"] or {}, Name=name)

    def converge_tags(self, arn, current, name, label):
        missing = tags_to_set(current, self.tags(name))
        if missing:
            self.plan.act(f"update the tags of {label}: {', '.join(sorted(missing))}", api.add_tags,
                          self.client, arn, missing)

    # -- load balancer ---------------------------------------------------------
    def load_balancer(self):
        p = self.params
        view = {"scheme": p["scheme"], "ip_address_type": p["ip_address_type"],
                "subnets": sorted(p["subnets"]), "security_groups": sorted(p["security_groups"])}
        self.plan.after["load_balancer"] = view
        found = api.describe_load_balancers(self.client, [self.name]) or []
        if not found:
            self.plan.before["load_balancer"] = None
            created = self.plan.act(
                f"create {p['scheme']} application load balancer {self.name}", api.create_load_balancer,
                self.client, self.name, p["subnets"], p["security_groups"], p["scheme"], p["ip_address_type"],
                self.tags(self.name))
            if created is None:
                return {"LoadBalancerArn": planned_id("alb", self.name),
                        "DNSName": planned_id("alb-dns", self.name),
                        "CanonicalHostedZoneId": planned_id("alb-zone", self.name)}, True
            return created, True
        lb = found[0]
        if lb.get("Type") != "application":
            raise EdgeError(f"load balancer {self.name} is a {lb.get('Type')} load balancer; rename it or delete it")
        current = {"scheme": lb["Scheme"], "ip_address_type": lb.get("IpAddressType", "ipv4"),
                   "subnets": sorted(z["SubnetId"] for z in lb.get("AvailabilityZones", [])),
                   "security_groups": sorted(lb.get("SecurityGroups", []))}
        self.plan.before["load_balancer"] = current
        if current["scheme"] != p["scheme"]:
            raise EdgeError(f"load balancer {self.name} is {current['scheme']}, the inventory asks for {p['scheme']}:"
                            " the scheme cannot change; delete the load balancer (and its DNS record) to recreate it")
        arn = lb["LoadBalancerArn"]
        if current["subnets"] != view["subnets"]:
            self.plan.act(f"move load balancer {self.name} to subnets {', '.join(view['subnets'])}",
                          api.set_subnets, self.client, arn, p["subnets"])
        if current["security_groups"] != view["security_groups"]:
            self.plan.act(f"set the security groups of load balancer {self.name} to "
                          f"{', '.join(view['security_groups'])}", api.set_security_groups, self.client, arn,
                          p["security_groups"])
        if current["ip_address_type"] != p["ip_address_type"]:
            self.plan.act(f"set the IP address type of load balancer {self.name} to {p['ip_address_type']}",
                          api.set_ip_address_type, self.client, arn, p["ip_address_type"])
        return lb, False

    def attributes(self, label, key, desired, arn, new, describe, modify):
        """Set the ``desired`` attributes that differ, in one call; all of them on a new resource."""
        desired = desired or {}
        self.plan.after[key] = {k: attribute_value(v) for k, v in desired.items()}
        if not desired:
            return
        if new:
            self.plan.before[key] = None
            change = {k: attribute_value(v) for k, v in desired.items()}
        else:
            current = describe(self.client, arn)
            self.plan.before[key] = {k: current.get(k) for k in desired}
            change = attributes_to_set(current, desired)
        if change:
            self.plan.act(f"set the attributes of {label}: {_kv(change)}", modify, self.client, arn, change)

    # -- target group ------------------------------------------------------------
    def health_check(self):
        hc = self.tg["health_check"] or {}
        return {
            "HealthCheckEnabled": True,
            "HealthCheckProtocol": self.tg["protocol"],
            "HealthCheckPort": str(hc.get("port") or "traffic-port"),
            "HealthCheckPath": hc.get("path") or "/",
            "HealthCheckIntervalSeconds": int(hc.get("interval") or 15),
            "HealthCheckTimeoutSeconds": int(hc.get("timeout") or 5),
            "HealthyThresholdCount": int(hc.get("healthy_threshold") or 2),
            "UnhealthyThresholdCount": int(hc.get("unhealthy_threshold") or 3),
            "Matcher": {"HttpCode": str(hc.get("matcher") or "200-399")},
        }

    def target_group(self):
        tg = self.tg
        fixed = {"Protocol": tg["protocol"], "ProtocolVersion": tg["protocol_version"], "Port": tg["port"],
                 "VpcId": tg["vpc_id"], "TargetType": tg["target_type"]}
        health = self.health_check()
        self.plan.after["target_group"] = {**fixed, **health}
        found = api.describe_target_groups(self.client, [tg["name"]]) or []
        if not found:
            self.plan.before["target_group"] = None
            created = self.plan.act(
                f"create target group {tg['name']} ({tg['protocol']}:{tg['port']}, {tg['target_type']} targets)",
                api.create_target_group, self.client, {"Name": tg["name"], **fixed, **health}, self.tags(tg["name"]))
            return (created["TargetGroupArn"] if created else planned_id("target-group", tg["name"])), True
        group = found[0]
        arn = group["TargetGroupArn"]
        current_fixed = {k: group.get(k) for k in fixed}
        current_fixed["ProtocolVersion"] = current_fixed["ProtocolVersion"] or "HTTP1"  # not returned for old groups
        current_health = {k: group.get(k) for k in health}
        current_health["HealthCheckPort"] = str(current_health["HealthCheckPort"])
        self.plan.before["target_group"] = {**current_fixed, **current_health}
        if current_fixed != fixed:
            what = ", ".join(f"{k} {current_fixed[k]} -> {fixed[k]}" for k in fixed if current_fixed[k] != fixed[k])
            raise EdgeError(f"target group {tg['name']} cannot change in place ({what}): detach it from the ECS "
                            "service and delete it, or give the target group another name, then run again")
        changed = {k: v for k, v in health.items() if current_health.get(k) != v}
        if changed:
            self.plan.act(f"change the health check of target group {tg['name']}: {', '.join(sorted(changed))}",
                          api.modify_target_group, self.client, arn, changed)
        return arn, False

    # -- listeners -----------------------------------------------------------------
    def desired_listeners(self, tg_arn):
        https = self.params["https_listener"]
        listeners = {https["port"]: {
            "Protocol": "HTTPS", "SslPolicy": https["ssl_policy"],
            "Certificates": [{"CertificateArn": https["certificate_arn"]}],
            "DefaultActions": [{"Type": "forward", "TargetGroupArn": tg_arn}],
        }}
        if self.params["http_redirect"]:
            listeners[self.params["http_port"]] = {
                "Protocol": "HTTP",
                "DefaultActions": [{"Type": "redirect", "RedirectConfig": {
                    "Protocol": "HTTPS", "Port": str(https["port"]), "Host": "#{host}", "Path": "/#{path}",
                    "Query": "#{query}", "StatusCode": "HTTP_301"}}],
            }
        return listeners

    def listeners(self, lb_arn, tg_arn):
        desired = self.desired_listeners(tg_arn)
        current = {} if is_planned(lb_arn) else {x["Port"]: x for x in api.describe_listeners(self.client, lb_arn)}
        self.plan.before["listeners"] = {str(p): describe_listener(comparable_listener(x)) for p, x in current.items()}
        self.plan.after["listeners"] = {str(p): describe_listener(comparable_listener(x)) for p, x in desired.items()}
        arns = {}
        for port, listener in sorted(desired.items()):
            label = f"{listener['Protocol']} listener :{port} of {self.name}"
            found = current.get(port)
            if found is None:
                created = self.plan.act(f"create the {label}", api.create_listener, self.client, lb_arn,
                                        {"Port": port, **listener}, self.tags(f"{self.name}-{port}"))
                arns[port] = created["ListenerArn"] if created else planned_id("listener", f"{self.name}:{port}")
                continue
            arns[port] = found["ListenerArn"]
            if comparable_listener(found) != comparable_listener(listener):
                self.plan.act(f"change the {label} to {describe_listener(comparable_listener(listener))}",
                              api.modify_listener, self.client, found["ListenerArn"], listener)
            if self.params["purge_rules"]:
                for rule in api.describe_rules(self.client, found["ListenerArn"]):
                    if not rule.get("IsDefault"):
                        self.plan.act(f"delete rule {rule.get('Priority')} of the {label} (only the default "
                                      "action is wanted)", api.delete_rule, self.client, rule["RuleArn"])
        if self.params["purge_listeners"]:
            for port, listener in sorted(current.items()):
                if port not in desired:
                    self.plan.act(f"delete the {listener.get('Protocol')} listener :{port} of {self.name}",
                                  api.delete_listener, self.client, listener["ListenerArn"])
        return arns

    def converge(self):
        inputs = [*self.params["subnets"], *self.params["security_groups"], self.tg["vpc_id"],
                  self.params["https_listener"]["certificate_arn"]]
        for value in inputs:
            if is_planned(value) and not self.plan.check_mode:
                raise EdgeError(f"{value} is a planned id from a check-mode run; it can only be used in check mode")
        lb, new_lb = self.load_balancer()
        lb_arn = lb["LoadBalancerArn"]
        tg_arn, new_tg = self.target_group()
        if not new_lb or not new_tg:
            arns = [a for a in (lb_arn, tg_arn) if not is_planned(a)]
            tags = api.describe_tags(self.client, arns) if arns else {}
            if not new_lb:
                self.converge_tags(lb_arn, tags.get(lb_arn, {}), self.name, f"load balancer {self.name}")
            if not new_tg:
                self.converge_tags(tg_arn, tags.get(tg_arn, {}), self.tg["name"], f"target group {self.tg['name']}")
        self.attributes(f"load balancer {self.name}", "load_balancer_attributes", self.params["attributes"], lb_arn,
                        new_lb, api.describe_load_balancer_attributes, api.modify_load_balancer_attributes)
        self.attributes(f"target group {self.tg['name']}", "target_group_attributes", self.tg["attributes"], tg_arn,
                        new_tg, api.describe_target_group_attributes, api.modify_target_group_attributes)
        listener_arns = self.listeners(lb_arn, tg_arn)
        https_port = self.params["https_listener"]["port"]
        http_port = self.params["http_port"] if self.params["http_redirect"] else None
        return {
            "load_balancer_arn": lb_arn,
            "dns_name": lb["DNSName"],
            "canonical_hosted_zone_id": lb["CanonicalHostedZoneId"],
            "target_group_arn": tg_arn,
            "https_listener_arn": listener_arns[https_port],
            "http_listener_arn": listener_arns.get(http_port, ""),
        }


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        subnets=dict(type="list", elements="str", required=True),
        security_groups=dict(type="list", elements="str", required=True),
        scheme=dict(type="str", default="internet-facing", choices=["internet-facing", "internal"]),
        ip_address_type=dict(type="str", default="ipv4", choices=["ipv4", "dualstack"]),
        attributes=dict(type="dict", default={}),
        target_group=dict(type="dict", required=True, options=dict(
            name=dict(type="str", required=True),
            vpc_id=dict(type="str", required=True),
            port=dict(type="int", required=True),
            protocol=dict(type="str", default="HTTP", choices=["HTTP", "HTTPS"]),
            protocol_version=dict(type="str", default="HTTP1", choices=["HTTP1", "HTTP2", "GRPC"]),
            target_type=dict(type="str", default="ip", choices=["ip", "instance"]),
            health_check=dict(type="dict", default={}, options=dict(
                path=dict(type="str", default="/"),
                port=dict(type="str", default="traffic-port"),
                interval=dict(type="int", default=15),
                timeout=dict(type="int", default=5),
                healthy_threshold=dict(type="int", default=2),
                unhealthy_threshold=dict(type="int", default=3),
                matcher=dict(type="str", default="200-399"),
            )),
            attributes=dict(type="dict", default={}),
        )),
        https_listener=dict(type="dict", required=True, options=dict(
            port=dict(type="int", default=443),
            certificate_arn=dict(type="str", required=True),
            ssl_policy=dict(type="str", default="ELBSecurityPolicy-TLS13-1-2-2021-06"),
        )),
        http_redirect=dict(type="bool", default=True),
        http_port=dict(type="int", default=80),
        purge_listeners=dict(type="bool", default=True),
        purge_rules=dict(type="bool", default=True),
        tags=dict(type="dict", default={}),
    )
    module = SoloAwsModule(argument_spec=argument_spec, supports_check_mode=True)
    for label, value in (("name", module.params["name"]), ("target_group.name", module.params["target_group"]["name"])):
        if len(value) > 32:
            module.fail_json(msg=f"{label} {value!r} is {len(value)} characters; AWS allows at most 32")
    if module.params["http_redirect"] and module.params["http_port"] == module.params["https_listener"]["port"]:
        module.fail_json(msg="http_port and https_listener.port must differ")
    plan = Plan(module.check_mode)
    balancer = LoadBalancer(module.client("elbv2"), module.params, plan)
    try:
        result = balancer.converge()
    except EdgeError as e:
        module.fail_json(msg=str(e), actions=plan.actions)
    except SoloAwsError as e:
        fail_aws(module, e)
    module.exit_plan(plan, **result)


if __name__ == "__main__":
    main()
