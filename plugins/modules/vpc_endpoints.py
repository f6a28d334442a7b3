#!/usr/bin/python
# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vpc_endpoints
short_description: Converge a VPC's interface and gateway endpoints, drift included, in one call
version_added: 0.1.0
description:
  - Creates or updates a list of VPC endpoints of one VPC. Interface endpoints are placed in the given
    subnets with the given security groups and private DNS; gateway endpoints are attached to the given
    route tables.
  - Unlike M(amazon.aws.ec2_vpc_endpoint), which only updates tags once an endpoint exists, every
    property that AWS can change in place is converged with C(ModifyVpcEndpoint) - subnets, security
    groups, route tables, the endpoint policy and private DNS - and C(--diff) shows the difference.
  - An endpoint is found by its VPC, service name and type (and, when several match, by its C(Name) tag),
    and created with its tags in the same call and with a client token, so a run interrupted at any
    point and started again adopts what exists instead of duplicating it.
  - In check mode nothing is written; endpoints that would be created are returned with identifiers of
    the form C(planned:vpce:<name>). Planned VPC, subnet, security group and route table identifiers
    from upstream modules are accepted in check mode and never sent to AWS.
author:
  - Solo Saving platform team (@solo-saving)
options:
  vpc_id:
    description: The VPC of the endpoints (a planned id is accepted in check mode).
    type: str
    required: true
  name_prefix:
    description:
      - Prefix of the endpoints' C(Name) tags. An endpoint is named C(<name_prefix>-vpce-<service>) (dots
        become hyphens), with C(-gateway) appended for gateway endpoints, unless it gives I(endpoints[].name).
    type: str
    required: true
  endpoints:
    description: The endpoints. A service may appear once per type.
    type: list
    elements: dict
    default: []
    suboptions:
      service:
        description:
          - The service, either short (C(ecr.api), C(logs), C(s3)) - completed to
            C(com.amazonaws.<region>.<service>) - or a full service name.
        type: str
        required: true
      type:
        description: The endpoint type.
        type: str
        choices: [interface, gateway]
        default: interface
      name:
        description: The C(Name) tag, when the default built from I(name_prefix) does not suit.
        type: str
      subnet_ids:
        description: Interface endpoints only, required for them; at most one subnet per availability zone.
        type: list
        elements: str
        default: []
      security_group_ids:
        description: Interface endpoints only, required for them.
        type: list
        elements: str
        default: []
      route_table_ids:
        description: Gateway endpoints only, required for them.
        type: list
        elements: str
        default: []
      private_dns_enabled:
        description: Interface endpoints only. Whether the service's default DNS name resolves to the endpoint.
        type: bool
        default: true
      policy:
        description:
          - The endpoint policy, as a mapping or JSON text. Unset means AWS's default policy (full access),
            and a policy found on the endpoint is reset to it. Compared semantically, not as text.
        type: raw
  tags:
    description: Tags for every endpoint, in addition to C(Name). Other tags found on the endpoints are kept.
    type: dict
    default: {}
  purge:
    description:
      - Delete the endpoints of the VPC whose C(Name) tag starts with C(<name_prefix>-vpce-) and which are
        not in I(endpoints) (an endpoint removed from the inventory stops costing money).
      - Endpoints without such a tag are never touched.
    type: bool
    default: false
  wait:
    description:
      - Wait until created or modified endpoints are C(available). Skipped in check mode. Fails when
        I(wait_timeout) passes.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for the endpoints.
    type: int
    default: 600
notes:
  - AWS allows one interface endpoint with private DNS per service and VPC, which is also how this module
    finds an existing endpoint.
  - The moto emulator ignores C(PrivateDnsEnabled) in C(ModifyVpcEndpoint) and reports the value given at
    creation (C(true) by default), creates no network interfaces for subnets added later, and no routes for
    route tables added later. Real AWS does all three.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Converge the endpoints the ECS tasks need without a NAT gateway.
  solo_saving.infra.vpc_endpoints:
    vpc_id: "{{ network_result.vpc_id }}"
    name_prefix: solo-saving-prod
    endpoints:
      - service: ecr.api
        subnet_ids: "{{ network_result.subnet_ids.app }}"
        security_group_ids: ["{{ network_result.security_group_ids.endpoints }}"]
      - service: ecr.dkr
        subnet_ids: "{{ network_result.subnet_ids.app }}"
        security_group_ids: ["{{ network_result.security_group_ids.endpoints }}"]
      - service: s3
        type: gateway
        route_table_ids:
          - "{{ network_result.route_table_ids.app }}"
          - "{{ network_result.route_table_ids.db }}"
    tags:
      Project: solo-saving
      Environment: prod
  register: endpoints
"""

RETURN = r"""
interface:
  description: Interface endpoint id by short service name (planned ids in check mode for new endpoints).
  returned: always
  type: dict
  sample: {ecr.api: vpce-0123456789abcdef0, logs: vpce-0fedcba9876543210}
gateway:
  description: Gateway endpoint id by short service name.
  returned: always
  type: dict
  sample: {s3: vpce-0aaaabbbbccccdddd}
endpoints:
  description: Every managed endpoint by C(Name) tag.
  returned: always
  type: dict
  contains:
    id:
      description: The endpoint id.
      type: str
    service_name:
      description: The full service name.
      type: str
    type:
      description: C(interface) or C(gateway).
      type: str
    state:
      description: The endpoint's state after the run (C(planned) in check mode for a new endpoint).
      type: str
    dns_names:
      description: The endpoint-specific DNS names (interface endpoints).
      type: list
      elements: str
actions:
  description: What the run did (or, in check mode, would do), one sentence each.
  returned: always
  type: list
  elements: str
diff:
  description: Before and after views of the endpoints, by name (with C(--diff)).
  returned: when diff mode is on
  type: dict
"""

import json
import time

from ansible_collections.solo_saving.infra.plugins.module_utils import ec2 as api
from ansible_collections.solo_saving.infra.plugins.module_utils.aws_module import SoloAwsModule
from ansible_collections.solo_saving.infra.plugins.module_utils.common import (
    Plan,
    SoloAwsError,
    fail_aws,
    idempotency_token,
    is_planned,
    planned_id,
    tag_dict,
    tag_list,
    tags_to_set,
)
from ansible_collections.solo_saving.infra.plugins.module_utils.json_policy import (
    PolicyError,
    dumps,
    is_full_access,
    load_policy,
    policies_equal,
)

AWS_TYPE = {"interface": "Interface", "gateway": "Gateway"}
FULL_ACCESS = "AWS default (full access)"
POLL_SECONDS = 5


class EndpointError(Exception):
    """A request the module refuses (ambiguity, planned ids outside check mode)."""


def full_service_name(service, region):
    """``ecr.api`` -> ``com.amazonaws.<region>.ecr.api``; full names (``com.amazonaws.*``, ``aws.*``) stay."""
    return service if service.startswith(("com.amazonaws.", "aws.")) else f"com.amazonaws.{region}.{service}"


def short_service_name(service_name, region):
    prefix = f"com.amazonaws.{region}."
    return service_name[len(prefix):] if service_name.startswith(prefix) else service_name


def default_name(prefix, short, kind):
    name = f"{prefix}-vpce-{short.replace('.', '-')}"
    return f"{name}-gateway" if kind == "gateway" else name


def endpoint_view(kind, service_name, subnet_ids, group_ids, route_table_ids, private_dns, policy):
    """The comparable view of one endpoint (the diff shows these)."""
    view = {"service": service_name, "type": kind}
    if kind == "interface":
        view["subnet_ids"] = sorted(subnet_ids)
        view["security_group_ids"] = sorted(group_ids)
        view["private_dns_enabled"] = bool(private_dns)
    else:
        view["route_table_ids"] = sorted(route_table_ids)
    view["policy"] = FULL_ACCESS if is_full_access(policy) else load_policy(policy)
    return view


def same_policy(left, right):
    """Compare two views' policies: the default marker, or documents compared semantically."""
    if isinstance(left, str) or isinstance(right, str):
        return left == right
    return policies_equal(left, right)


def plan_changes(kind, current, desired):
    """ModifyVpcEndpoint arguments turning ``current`` into ``desired`` (views), and a sentence per change."""
    changes, sentences = {}, []
    pairs = {"interface": (("subnet_ids", "SubnetIds", "subnets"),
                           ("security_group_ids", "SecurityGroupIds", "security groups")),
             "gateway": (("route_table_ids", "RouteTableIds", "route tables"),)}[kind]
    for key, aws, label in pairs:
        add = sorted(set(desired[key]) - set(current[key]))
        remove = sorted(set(current[key]) - set(desired[key]))
        if add:
            changes[f"Add{aws}"] = add
            sentences.append(f"add {label} {', '.join(add)}")
        if remove:
            changes[f"Remove{aws}"] = remove
            sentences.append(f"remove {label} {', '.join(remove)}")
    if kind == "interface" and current["private_dns_enabled"] != desired["private_dns_enabled"]:
        changes["PrivateDnsEnabled"] = desired["private_dns_enabled"]
        sentences.append(f"turn private DNS {'on' if desired['private_dns_enabled'] else 'off'}")
    return changes, sentences


class VpcEndpoints(Plan):
    """Describe -> compare -> act, endpoint by endpoint."""

    def __init__(self, client, params, region, check_mode):
        self.client = client
        self.params = params
        self.region = region
        super().__init__(check_mode)
        self.prefix = params["name_prefix"]
        self.tags = params["tags"] or {}
        self.touched = []

    # -- inputs ------------------------------------------------------------------
    def desired(self):
        """Normalised desired endpoints, in input order, with their names."""
        result, seen = [], set()
        for spec in self.params["endpoints"]:
            kind = spec["type"]
            service_name = full_service_name(spec["service"], self.region)
            short = short_service_name(service_name, self.region)
            if (kind, service_name) in seen:
                raise EndpointError(f"endpoints: {kind} endpoint for {short} is listed twice")
            seen.add((kind, service_name))
            label = f"{kind} endpoint {short}"
            if kind == "interface":
                if not spec["subnet_ids"] or not spec["security_group_ids"]:
                    raise EndpointError(f"endpoints: the {label} needs subnet_ids and security_group_ids")
                if spec["route_table_ids"]:
                    raise EndpointError(f"endpoints: the {label} takes no route_table_ids (gateway endpoints only)")
            else:
                if not spec["route_table_ids"]:
                    raise EndpointError(f"endpoints: the {label} needs route_table_ids")
                if spec["subnet_ids"] or spec["security_group_ids"]:
                    raise EndpointError(f"endpoints: the {label} takes no subnet_ids or security_group_ids "
                                        "(interface endpoints only)")
            try:
                policy = load_policy(spec.get("policy")) or None  # {} means the default too
            except PolicyError as e:
                raise EndpointError(f"endpoints: the policy of the {label} is {e}") from None
            ids = [*spec["subnet_ids"], *spec["security_group_ids"], *spec["route_table_ids"]]
            if not self.check_mode and any(is_planned(i) for i in [self.params["vpc_id"], *ids]):
                raise EndpointError(f"endpoints: the {label} refers to a resource that does not exist yet "
                                    "(a planned id from a check-mode run); run the upstream stage first")
            result.append({
                "kind": kind, "short": short, "service_name": service_name,
                "name": spec.get("name") or default_name(self.prefix, short, kind),
                "view": endpoint_view(kind, service_name, spec["subnet_ids"], spec["security_group_ids"],
                                      spec["route_table_ids"], spec["private_dns_enabled"], policy),
                "policy": policy,
            })
        names = [d["name"] for d in result]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise EndpointError(f"endpoints: two endpoints are named {', '.join(duplicates)}; give distinct names")
        return result

    # -- per endpoint ---------------------------------------------------------------
    @staticmethod
    def current_view(found):
        kind = found["VpcEndpointType"].lower()
        return endpoint_view(kind, found["ServiceName"], found.get("SubnetIds") or [],
                             [g["GroupId"] for g in found.get("Groups") or []], found.get("RouteTableIds") or [],
                             found.get("PrivateDnsEnabled"), found.get("PolicyDocument"))

    def find(self, existing, want):
        matches = [e for e in existing
                   if e["ServiceName"] == want["service_name"] and e["VpcEndpointType"].lower() == want["kind"]]
        if len(matches) > 1:
            named = [e for e in matches if tag_dict(e.get("Tags")).get("Name") == want["name"]]
            if len(named) == 1:
                return named[0]
            ids = ", ".join(sorted(e["VpcEndpointId"] for e in matches))
            raise EndpointError(
                f"found {len(matches)} {want['kind']} endpoints for {want['short']} in the VPC ({ids}); delete the "
                f"extra ones by hand (keep the one tagged Name={want['name']}) and run again")
        return matches[0] if matches else None

    def create(self, want):
        view = want["view"]
        tags = dict(self.tags)
        tags["Name"] = want["name"]
        params = {
            "VpcId": self.params["vpc_id"],
            "ServiceName": want["service_name"],
            "VpcEndpointType": AWS_TYPE[want["kind"]],
            "TagSpecifications": [{"ResourceType": "vpc-endpoint", "Tags": tag_list(tags)}],
        }
        if want["kind"] == "interface":
            params.update(SubnetIds=view["subnet_ids"], SecurityGroupIds=view["security_group_ids"],
                          PrivateDnsEnabled=view["private_dns_enabled"])
        else:
            params["RouteTableIds"] = view["route_table_ids"]
        # Derived from the request: a retry, or the next run after a crash, gets the same endpoint back.
        params["ClientToken"] = idempotency_token(
            want["name"], *(json.dumps(params[k], sort_keys=True) for k in sorted(params) if k != "TagSpecifications"),
            length=64)
        if want["policy"] is not None:
            params["PolicyDocument"] = dumps(want["policy"])
        where = (f"in {len(view['subnet_ids'])} subnets" if want["kind"] == "interface"
                 else f"on {len(view['route_table_ids'])} route tables")
        created = self.act(f"create {want['kind']} endpoint {want['name']} for {want['short']} {where}",
                           api.create_vpc_endpoint, self.client, **params)
        if created is None:
            return {"id": planned_id("vpce", want["name"]), "state": "planned", "dns_names": []}
        self.touched.append(created["VpcEndpointId"])
        return self.summary(created)

    @staticmethod
    def summary(endpoint):
        return {"id": endpoint["VpcEndpointId"], "state": str(endpoint.get("State", "")).lower(),
                "dns_names": [d["DnsName"] for d in endpoint.get("DnsEntries") or [] if d.get("DnsName")]}

    def update(self, found, want):
        endpoint_id = found["VpcEndpointId"]
        current = self.current_view(found)
        self.before[want["name"]] = current
        changes, sentences = plan_changes(want["kind"], current, want["view"])
        if same_policy(current["policy"], want["view"]["policy"]):
            current["policy"] = want["view"]["policy"]  # equal in meaning: show no difference
        else:
            if want["policy"] is None:
                changes["ResetPolicy"] = True
                sentences.append("reset the policy to AWS's default (full access)")
            else:
                changes["PolicyDocument"] = dumps(want["policy"])
                sentences.append("replace the policy")
        if changes:
            self.act(f"modify {want['kind']} endpoint {want['name']}: {'; '.join(sentences)}",
                     api.modify_vpc_endpoint, self.client, endpoint_id, **changes)
            self.touched.append(endpoint_id)
        desired_tags = dict(self.tags)
        desired_tags["Name"] = want["name"]
        missing = tags_to_set(tag_dict(found.get("Tags")), desired_tags)
        if missing:
            self.act(f"update the tags of endpoint {want['name']}: {', '.join(sorted(missing))}",
                     api.create_tags, self.client, [endpoint_id], tag_list(missing))
        return self.summary(found)

    def purge(self, existing, kept_ids):
        marker = f"{self.prefix}-vpce-"
        for endpoint in existing:
            name = tag_dict(endpoint.get("Tags")).get("Name") or ""
            if endpoint["VpcEndpointId"] in kept_ids or not name.startswith(marker):
                continue
            self.before[name] = self.current_view(endpoint)
            self.after[name] = None
            self.act(f"delete endpoint {name} ({endpoint['VpcEndpointId']}), no longer in the inventory",
                     api.delete_vpc_endpoint, self.client, endpoint["VpcEndpointId"])

    def wait(self, results):
        ids = sorted(set(self.touched))
        if self.check_mode or not self.params["wait"] or not ids:
            return
        deadline = time.monotonic() + self.params["wait_timeout"]
        while True:
            found = {e["VpcEndpointId"]: e for e in api.describe_vpc_endpoints(self.client, ids=ids)}
            pending = {i: str(found[i].get("State", "")).lower() for i in ids
                       if i in found and str(found[i].get("State", "")).lower() != "available"}
            bad = {i: s for i, s in pending.items() if s not in ("pending", "pendingacceptance")}
            if bad:
                raise EndpointError("endpoints did not become available: "
                                    + ", ".join(f"{i} is {s}" for i, s in sorted(bad.items())))
            if not pending:
                break
            if time.monotonic() >= deadline:
                raise EndpointError(f"endpoints still pending after {self.params['wait_timeout']} s: "
                                    f"{', '.join(sorted(pending))}; raise wait_timeout or check them in the console")
            time.sleep(POLL_SECONDS)
        for entry in results.values():
            if entry["id"] in found:
                entry.update(self.summary(found[entry["id"]]))

    # -- entry ---------------------------------------------------------------------
    def converge(self):
        wanted = self.desired()
        vpc_id = self.params["vpc_id"]
        existing = [] if is_planned(vpc_id) else api.describe_vpc_endpoints(self.client, vpc_id=vpc_id)
        results, interface, gateway, kept = {}, {}, {}, set()
        for want in wanted:
            found = self.find(existing, want)
            self.after[want["name"]] = want["view"]
            if found is None:
                self.before[want["name"]] = None
                entry = self.create(want)
            else:
                kept.add(found["VpcEndpointId"])
                entry = self.update(found, want)
            entry.update(service_name=want["service_name"], type=want["kind"])
            results[want["name"]] = entry
            (interface if want["kind"] == "interface" else gateway)[want["short"]] = entry["id"]
        if self.params["purge"]:
            self.purge(existing, kept)
        self.wait(results)
        return {"endpoints": results, "interface": interface, "gateway": gateway}


def main():
    argument_spec = dict(
        vpc_id=dict(type="str", required=True),
        name_prefix=dict(type="str", required=True),
        endpoints=dict(type="list", elements="dict", default=[], options=dict(
            service=dict(type="str", required=True),
            type=dict(type="str", choices=["interface", "gateway"], default="interface"),
            name=dict(type="str"),
            subnet_ids=dict(type="list", elements="str", default=[]),
            security_group_ids=dict(type="list", elements="str", default=[]),
            route_table_ids=dict(type="list", elements="str", default=[]),
            private_dns_enabled=dict(type="bool", default=True),
            policy=dict(type="raw"),
        )),
        tags=dict(type="dict", default={}),
        purge=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=600),
    )
    module = SoloAwsModule(argument_spec=argument_spec, supports_check_mode=True)
    client = module.client("ec2")
    endpoints = VpcEndpoints(client, module.params, module.region, module.check_mode)
    try:
        result = endpoints.converge()
    except EndpointError as e:
        module.fail_json(msg=str(e), actions=endpoints.actions)
    except SoloAwsError as e:
        fail_aws(module, e)
    module.exit_plan(endpoints, **result)


if __name__ == "__main__":
    main()
