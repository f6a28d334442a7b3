#!/usr/bin/python
# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vpc_network
short_description: Converge a VPC, its tiered subnets, route tables and security groups in one call
version_added: 0.1.0
description:
  - Creates or updates a VPC with DNS support and host names on, subnets per tier and availability
    zone, an internet gateway, one route table per tier, and a set of security groups whose rules
    may reference each other by key.
  - Only the tiers listed in I(public_tiers) get a default route to the internet gateway. Every other
    route table is kept free of default routes (C(0.0.0.0/0), C(::/0)), so a NAT gateway or an
    internet route added by hand is removed. Routes AWS adds for gateway endpoints are left alone.
  - Security group rules are converged exactly, in both directions; the egress rule AWS adds to a new
    group is removed unless asked for. Mutually referencing groups are created empty first, so
    a single run converges and a second run changes nothing.
  - Every resource is found by its C(Name) tag and created with its tags in the same call, so a run
    interrupted at any point and started again adopts what exists instead of duplicating it.
  - In check mode nothing is written; resources that would be created are returned with identifiers
    of the form C(planned:<kind>:<name>), which the other modules of this collection understand.
  - Fills a gap of the stock modules, which need one task per resource and cannot plan on an empty
    account in check mode (a planned VPC has no id for the subnets and groups that follow).
author:
  - Solo Saving platform team (@solo-saving)
options:
  name_prefix:
    description: Prefix of every resource name, e.g. C(solo-saving-prod).
    type: str
    required: true
  cidr_block:
    description: The VPC's IPv4 CIDR block. It cannot change once the VPC exists.
    type: str
    required: true
  subnets:
    description: The subnets, one per tier and availability zone.
    type: list
    elements: dict
    default: []
    suboptions:
      tier:
        description: Tier name (for example C(public), C(app), C(db)); one route table per tier.
        type: str
        required: true
      az:
        description: Availability zone name.
        type: str
        required: true
      cidr:
        description: The subnet's CIDR block, inside I(cidr_block). It cannot change once created.
        type: str
        required: true
  public_tiers:
    description: Tiers whose route table gets a default route to the internet gateway.
    type: list
    elements: str
    default: [public]
  security_groups:
    description: Security groups of the VPC and their complete rule sets.
    type: list
    elements: dict
    default: []
    suboptions:
      key:
        description: Short name; the group is named C(<name_prefix>-<key>) and rules refer to it by key.
        type: str
        required: true
      description:
        description: Group description (AWS cannot change it after creation).
        type: str
        required: true
      ingress:
        description:
          - Inbound rules. Each has C(proto) (default C(tcp), C(-1) for all), C(port) or C(from_port) and
            C(to_port), a C(description), and exactly one of C(cidr), C(cidr_ipv6), C(group) (a key of
            this list) or C(prefix_list) (an AWS-managed prefix list short name such as C(s3), or an id);
            each of these four takes a string or a list.
        type: list
        elements: dict
        default: []
      egress:
        description: Outbound rules, in the same form as I(ingress). An empty list means no egress at all.
        type: list
        elements: dict
        default: []
  tags:
    description: Tags for every resource, in addition to C(Name). Other tags found on the resources are kept.
    type: dict
    default: {}
  remove_nat_gateways:
    description:
      - The spec has no NAT gateway (tasks reach AWS through the VPC endpoints). A NAT gateway found in the VPC
        (added by hand) fails the run, in check mode too, naming it and this switch; with C(true) it is deleted
        (its Elastic IP is left; release it by hand if nothing else uses it).
    type: bool
    default: false
  close_default_security_group:
    description:
      - Revoke every rule of the VPC's default security group (AWS FSBP EC2.2), which nothing of the stack
        uses, so that a resource put in it by default reaches nothing and nothing reaches it.
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Converge the network of the stack.
  solo_saving.infra.vpc_network:
    name_prefix: solo-saving-prod
    cidr_block: 10.20.0.0/16
    subnets:
      - {tier: public, az: ap-northeast-1a, cidr: 10.20.0.0/24}
      - {tier: public, az: ap-northeast-1c, cidr: 10.20.1.0/24}
      - {tier: app, az: ap-northeast-1a, cidr: 10.20.10.0/24}
      - {tier: app, az: ap-northeast-1c, cidr: 10.20.11.0/24}
    security_groups:
      - key: alb
        description: Internet-facing load balancer
        ingress:
          - {port: 443, cidr: 0.0.0.0/0, description: HTTPS from the internet}
        egress:
          - {port: 3000, group: frontend, description: To the frontend tasks}
      - key: frontend
        description: Frontend tasks
        ingress:
          - {port: 3000, group: alb, description: From the load balancer}
    tags:
      Project: solo-saving
      Environment: prod
  register: network
"""

RETURN = r"""
vpc_id:
  description: The VPC id (a planned id in check mode when the VPC does not exist yet).
  returned: always
  type: str
  sample: vpc-0123456789abcdef0
internet_gateway_id:
  description: The internet gateway id.
  returned: always
  type: str
subnets:
  description: Subnet ids by tier, then by availability zone.
  returned: always
  type: dict
  sample: {app: {ap-northeast-1a: subnet-1, ap-northeast-1c: subnet-2}}
subnet_ids:
  description: Subnet ids by tier, in the order of I(subnets).
  returned: always
  type: dict
  sample: {app: [subnet-1, subnet-2]}
route_table_ids:
  description: Route table id by tier.
  returned: always
  type: dict
security_group_ids:
  description: Security group id by key.
  returned: always
  type: dict
  sample: {alb: sg-1, frontend: sg-2}
actions:
  description: What the run did (or, in check mode, would do), one sentence each.
  returned: always
  type: list
  elements: str
diff:
  description: Before and after views of the managed resources (with C(--diff)).
  returned: when diff mode is on
  type: dict
"""

import ipaddress

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
    tag_specifications,
    tags_to_set,
)
from ansible_collections.solo_saving.infra.plugins.module_utils.network import (
    describe_rule,
    diff_rules,
    permission_rule_keys,
    rule_permission,
    spec_rule_keys,
)

DEFAULT_ROUTES = ("0.0.0.0/0", "::/0")


class NetworkError(Exception):
    """A request the module refuses (data loss or ambiguity)."""


class VpcNetwork(Plan):
    """Describe -> compare -> act, one resource kind after the other."""

    def __init__(self, client, params, region, check_mode):
        self.client = client
        self.params = params
        self.region = region
        super().__init__(check_mode)
        self.prefix = params["name_prefix"]
        self.tags = params["tags"] or {}
        self._prefix_lists = {}
        self._labels = {}  # resource id -> short name, for readable rules
        self._default_group = None  # the VPC's "default" security group, as described

    # -- helpers -----------------------------------------------------------
    def resource_tags(self, name, **extra):
        tags = dict(self.tags)
        tags.update(extra)
        tags["Name"] = name
        return tags

    def converge_tags(self, resource_id, current_tags, desired_tags, label):
        missing = tags_to_set(tag_dict(current_tags), desired_tags)
        if missing and not is_planned(resource_id):
            self.act(f"update the tags of {label}: {', '.join(sorted(missing))}",
                     api.create_tags, self.client, [resource_id], tag_list(missing))

    @staticmethod
    def by_name(resources):
        index = {}
        for res in resources:
            name = tag_dict(res.get("Tags")).get("Name")
            if name is not None:
                index.setdefault(name, []).append(res)
        return index

    @staticmethod
    def single(index, name, kind):
        found = index.get(name, [])
        if len(found) > 1:
            ids = ", ".join(sorted(r.get(f"{kind}Id", "?") for r in found))
            raise NetworkError(
                f"found {len(found)} {kind.lower()}s tagged Name={name} ({ids}); delete the extra ones "
                "by hand (check which one holds resources) and run again")
        return found[0] if found else None

    # -- VPC ---------------------------------------------------------------
    def vpc(self):
        name = f"{self.prefix}-vpc"
        cidr = self.params["cidr_block"]
        found = self.single(self.by_name(api.describe_vpcs(self.client, tag__Name=name)), name, "Vpc")
        desired = {"name": name, "cidr_block": cidr, "dns_support": True, "dns_hostnames": True}
        self.after["vpc"] = desired
        if found is None:
            self.before["vpc"] = None
            created = self.act(f"create VPC {name} ({cidr})", api.create_vpc, self.client, cidr,
                               tag_specifications("vpc", self.resource_tags(name)))
            vpc_id = created["VpcId"] if created else planned_id("vpc", name)
            for attribute in ("EnableDnsSupport", "EnableDnsHostnames"):
                if not self.check_mode:
                    api.modify_vpc_attribute(self.client, vpc_id, attribute, True)
            return vpc_id
        vpc_id = found["VpcId"]
        if found["CidrBlock"] != cidr:
            raise NetworkError(
                f"VPC {name} ({vpc_id}) has CIDR {found['CidrBlock']}, the inventory asks for {cidr}: a VPC's "
                "primary CIDR cannot change without replacing the whole network; set network_vpc_cidr back "
                f"to {found['CidrBlock']}")
        current = {"name": name, "cidr_block": found["CidrBlock"]}
        for attribute, key in (("enableDnsSupport", "dns_support"), ("enableDnsHostnames", "dns_hostnames")):
            current[key] = api.describe_vpc_attribute(self.client, vpc_id, attribute)
            if not current[key]:
                aws_name = attribute[0].upper() + attribute[1:]
                self.act(f"turn on {attribute} on VPC {name}", api.modify_vpc_attribute,
                         self.client, vpc_id, aws_name, True)
        self.before["vpc"] = current
        self.converge_tags(vpc_id, found.get("Tags"), self.resource_tags(name), f"VPC {name}")
        return vpc_id

    # -- internet gateway ----------------------------------------------------
    def internet_gateway(self, vpc_id):
        name = f"{self.prefix}-igw"
        found = None
        if not is_planned(vpc_id):
            attached = api.describe_internet_gateways(self.client, attachment__vpc_id=vpc_id)
            found = attached[0] if attached else None
        if found is None:
            found = self.single(self.by_name(api.describe_internet_gateways(self.client, tag__Name=name)),
                                name, "InternetGateway")
        self.after["internet_gateway"] = {"name": name, "attached": True}
        if found is None:
            self.before["internet_gateway"] = None
            created = self.act(f"create internet gateway {name}", api.create_internet_gateway, self.client,
                               tag_specifications("internet-gateway", self.resource_tags(name)))
            igw_id = created["InternetGatewayId"] if created else planned_id("igw", name)
            self.act(f"attach internet gateway {name} to the VPC", api.attach_internet_gateway,
                     self.client, igw_id, vpc_id)
            return igw_id
        igw_id = found["InternetGatewayId"]
        attached_to = [a["VpcId"] for a in found.get("Attachments", []) if a.get("State") in ("available", "attached")]
        self.before["internet_gateway"] = {"name": name, "attached": vpc_id in attached_to}
        if vpc_id not in attached_to:
            if attached_to:
                raise NetworkError(f"internet gateway {name} ({igw_id}) is attached to another VPC "
                                   f"({attached_to[0]}); detach it by hand or rename it")
            self.act(f"attach internet gateway {name} to the VPC", api.attach_internet_gateway,
                     self.client, igw_id, vpc_id)
        self.converge_tags(igw_id, found.get("Tags"), self.resource_tags(name), f"internet gateway {name}")
        return igw_id

    # -- subnets -------------------------------------------------------------
    def subnet_name(self, subnet):
        return f"{self.prefix}-{subnet['tier']}-{subnet['az'][-2:]}"

    def subnets(self, vpc_id):
        existing = {} if is_planned(vpc_id) else self.by_name(api.describe_subnets(self.client, vpc_id=vpc_id))
        ids = {}
        self.before["subnets"], self.after["subnets"] = {}, {}
        for subnet in self.params["subnets"]:
            name = self.subnet_name(subnet)
            desired_tags = self.resource_tags(name, Tier=subnet["tier"])
            self.after["subnets"][name] = f"{subnet['cidr']} in {subnet['az']}"
            found = self.single(existing, name, "Subnet")
            if found is None:
                created = self.act(f"create subnet {name} ({subnet['cidr']} in {subnet['az']})", api.create_subnet,
                                   self.client, vpc_id, subnet["cidr"], subnet["az"],
                                   tag_specifications("subnet", desired_tags))
                subnet_id = created["SubnetId"] if created else planned_id("subnet", name)
            else:
                subnet_id = found["SubnetId"]
                self.before["subnets"][name] = f"{found['CidrBlock']} in {found['AvailabilityZone']}"
                if (found["CidrBlock"], found["AvailabilityZone"]) != (subnet["cidr"], subnet["az"]):
                    raise NetworkError(
                        f"subnet {name} ({subnet_id}) is {found['CidrBlock']} in {found['AvailabilityZone']}, the "
                        f"inventory asks for {subnet['cidr']} in {subnet['az']}: a subnet cannot be changed in "
                        "place, only replaced with everything in it; restore the subnet's CIDR and AZ in "
                        "network_subnet_cidrs / network_azs")
                self.converge_tags(subnet_id, found.get("Tags"), desired_tags, f"subnet {name}")
            ids.setdefault(subnet["tier"], {})[subnet["az"]] = subnet_id
        return ids

    # -- route tables ----------------------------------------------------------
    def route_tables(self, vpc_id, igw_id, subnet_ids):
        existing = {} if is_planned(vpc_id) else self.by_name(api.describe_route_tables(self.client, vpc_id=vpc_id))
        # Which route table each subnet is explicitly associated with.
        associations = {}
        for tables in existing.values():
            for table in tables:
                for assoc in table.get("Associations", []):
                    if assoc.get("SubnetId"):
                        associations[assoc["SubnetId"]] = (table["RouteTableId"], assoc["RouteTableAssociationId"])
        result = {}
        self.before["route_tables"], self.after["route_tables"] = {}, {}
        names_of_subnet = {sid: self.subnet_name({"tier": tier, "az": az})
                           for tier, by_az in subnet_ids.items() for az, sid in by_az.items()}
        for tier, by_az in subnet_ids.items():
            name = f"{self.prefix}-{tier}-rt"
            public = tier in self.params["public_tiers"]
            desired_tags = self.resource_tags(name, Tier=tier)
            found = self.single(existing, name, "RouteTable")
            self.after["route_tables"][name] = {
                "default_route": "internet gateway" if public else "none",
                "subnets": sorted(names_of_subnet[s] for s in by_az.values()),
            }
            if found is None:
                created = self.act(f"create route table {name}", api.create_route_table, self.client, vpc_id,
                                   tag_specifications("route-table", desired_tags),
                                   idempotency_token(vpc_id, name, length=64))
                rt_id = created["RouteTableId"] if created else planned_id("route-table", name)
                routes = []
            else:
                rt_id = found["RouteTableId"]
                routes = found.get("Routes", [])
                self.converge_tags(rt_id, found.get("Tags"), desired_tags, f"route table {name}")
                current_subnets = sorted(
                    names_of_subnet.get(a["SubnetId"], a["SubnetId"])
                    for a in found.get("Associations", []) if a.get("SubnetId"))
                defaults = [r for r in routes if self._is_default(r)]
                self.before["route_tables"][name] = {
                    "default_route": self._describe_default(defaults, igw_id),
                    "subnets": current_subnets,
                }
            self._converge_default_route(name, rt_id, routes, public, igw_id)
            for _az, subnet_id in by_az.items():
                current = associations.get(subnet_id)
                if current and current[0] == rt_id:
                    continue
                label = names_of_subnet[subnet_id]
                if current:
                    self.act(f"move subnet {label} to route table {name}", api.replace_route_table_association,
                             self.client, current[1], rt_id)
                else:
                    self.act(f"associate subnet {label} with route table {name}", api.associate_route_table,
                             self.client, rt_id, subnet_id)
            result[tier] = rt_id
        return result

    @staticmethod
    def _is_default(route):
        return (route.get("DestinationCidrBlock") in DEFAULT_ROUTES
                or route.get("DestinationIpv6CidrBlock") in DEFAULT_ROUTES)

    @staticmethod
    def _describe_default(defaults, igw_id):
        if not defaults:
            return "none"
        targets = sorted(r.get("GatewayId") or r.get("NatGatewayId") or r.get("NetworkInterfaceId")
                         or r.get("TransitGatewayId") or r.get("VpcPeeringConnectionId") or "?" for r in defaults)
        if targets == [igw_id]:
            return "internet gateway"
        return ", ".join(targets)

    def _converge_default_route(self, name, rt_id, routes, public, igw_id):
        defaults = [r for r in routes if self._is_default(r)]
        if public:
            ipv4 = [r for r in defaults if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
            if not ipv4:
                self.act(f"add the default route of {name} to the internet gateway", api.create_route,
                         self.client, rt_id, "0.0.0.0/0", igw_id)
            elif ipv4[0].get("GatewayId") != igw_id:
                self.act(f"point the default route of {name} at the internet gateway", api.replace_route,
                         self.client, rt_id, "0.0.0.0/0", igw_id)
            return
        for route in defaults:
            dest = route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock")
            target = route.get("NatGatewayId") or route.get("GatewayId") or route.get("NetworkInterfaceId") or "?"
            self.act(f"remove the default route {dest} -> {target} from private route table {name}",
                     api.delete_route, self.client, rt_id, route)

    # -- security groups -------------------------------------------------------
    def prefix_list(self, short):
        if short.startswith("pl-"):
            return short
        if short not in self._prefix_lists:
            name = f"com.amazonaws.{self.region}.{short}"
            found = api.describe_managed_prefix_lists(self.client, name)
            if not found:
                raise NetworkError(f"no AWS-managed prefix list named {name} in {self.region}")
            self._prefix_lists[short] = found[0]["PrefixListId"]
            self._labels[found[0]["PrefixListId"]] = short
        return self._prefix_lists[short]

    def security_groups(self, vpc_id):
        groups = self.params["security_groups"]
        existing = {}
        if not is_planned(vpc_id):
            for group in api.describe_security_groups(self.client, vpc_id=vpc_id):
                existing.setdefault(group["GroupName"], []).append(group)
        self._default_group = existing.get("default", [None])[0]
        ids, current = {}, {}
        for group in groups:
            name = f"{self.prefix}-{group['key']}"
            found = existing.get(name, [None])[0]
            desired_tags = self.resource_tags(name)
            if found is None:
                created = self.act(f"create security group {name}", api.create_security_group, self.client,
                                   vpc_id, name, group["description"],
                                   tag_specifications("security-group", desired_tags))
                ids[group["key"]] = created or planned_id("sg", name)
                # AWS gives a new group an allow-all egress rule; it is part of the current state.
                current[group["key"]] = {"ingress": {}, "egress": {("-1", None, None, "cidr", "0.0.0.0/0"): None}}
            else:
                ids[group["key"]] = found["GroupId"]
                self.converge_tags(found["GroupId"], found.get("Tags"), desired_tags, f"security group {name}")
                current[group["key"]] = {"ingress": permission_rule_keys(found.get("IpPermissions")),
                                         "egress": permission_rule_keys(found.get("IpPermissionsEgress"))}
        names = self._labels
        names.update({gid: key for key, gid in ids.items()})

        def resolve_group(key):
            if key not in ids:
                raise NetworkError(f"a rule refers to security group key {key!r}, which is not in security_groups")
            return ids[key]

        self.before["security_groups"], self.after["security_groups"] = {}, {}
        for group in groups:
            key, name, gid = group["key"], f"{self.prefix}-{group['key']}", ids[group["key"]]
            self.before["security_groups"][name] = None if name not in existing else {}
            self.after["security_groups"][name] = {}
            for direction in ("ingress", "egress"):
                desired = {}
                for rule in group[direction] or []:
                    try:
                        for rule_key in spec_rule_keys(rule, resolve_group, self.prefix_list):
                            desired[rule_key] = rule.get("description")
                    except ValueError as e:
                        raise NetworkError(f"security group {key}, {direction}: {e}") from None
                have = current[key][direction]
                self.after["security_groups"][name][direction] = sorted(
                    describe_rule(k, direction, names) for k in desired)
                if name in existing:
                    self.before["security_groups"][name][direction] = sorted(
                        describe_rule(k, direction, names) for k in have)
                add, remove = diff_rules(have, desired)
                # Authorize first, then revoke: never a moment with neither rule.
                for rule_key in add:
                    self.act(f"allow {describe_rule(rule_key, direction, names)} on {name}", api.authorize_rules,
                             self.client, gid, direction, [rule_permission(rule_key, desired[rule_key])])
                for rule_key in remove:
                    self.act(f"revoke {describe_rule(rule_key, direction, names)} on {name}", api.revoke_rules,
                             self.client, gid, direction, [rule_permission(rule_key)])
        return ids

    def default_security_group(self, vpc_id):
        """FSBP EC2.2: the VPC's default group holds no rules; nothing of the stack uses it.

        Its rules are revoked, never replaced; the group itself cannot be deleted. AWS gives a new
        VPC's default group all traffic from itself and all egress: in check mode that is the plan.
        """
        if not self.params["close_default_security_group"]:
            return
        label = "the VPC's default security group"
        if is_planned(vpc_id):
            group_id = planned_id("sg", "default")
            current = {"ingress": {("-1", None, None, "group", group_id): None},
                       "egress": {("-1", None, None, "cidr", "0.0.0.0/0"): None}}
            self.before["default_security_group"] = None
        elif self._default_group is None:
            return
        else:
            group_id = self._default_group["GroupId"]
            current = {"ingress": permission_rule_keys(self._default_group.get("IpPermissions")),
                       "egress": permission_rule_keys(self._default_group.get("IpPermissionsEgress"))}
            self.before["default_security_group"] = {}
        names = {**self._labels, group_id: "default"}
        self.after["default_security_group"] = {"ingress": [], "egress": []}
        for direction in ("ingress", "egress"):
            if self.before["default_security_group"] is not None:
                self.before["default_security_group"][direction] = sorted(
                    describe_rule(key, direction, names) for key in current[direction])
            for key in current[direction]:
                self.act(f"revoke {describe_rule(key, direction, names)} on {label} (it must hold no rules)",
                         api.revoke_rules, self.client, group_id, direction, [rule_permission(key)])

    # -- entry -----------------------------------------------------------------
    def nat_gateways(self, vpc_id):
        """The spec has none: a NAT gateway in the VPC fails the run, or goes with remove_nat_gateways."""
        if is_planned(vpc_id):
            return
        found = [n for n in api.describe_nat_gateways(self.client, vpc_id=vpc_id)
                 if n.get("State") in ("pending", "available")]
        if found and not self.params["remove_nat_gateways"]:
            ids = ", ".join(n["NatGatewayId"] for n in found)
            raise NetworkError(f"NAT gateway {ids} is in the stack's VPC {vpc_id}, and the spec has none (tasks reach "
                               "AWS through the VPC endpoints; a NAT gateway costs by the hour and opens a way out). "
                               "Delete it with: ansible-playbook site.yml -i <inventory> --tags network "
                               "-e network_remove_nat_gateways=true")
        if found:
            self.before["nat_gateways"] = sorted(n["NatGatewayId"] for n in found)
            self.after["nat_gateways"] = []
        for nat in found:
            self.act(f"delete NAT gateway {nat['NatGatewayId']} (the spec has none; its Elastic IP is left)",
                     api.delete_nat_gateway, self.client, nat["NatGatewayId"])

    def converge(self):
        vpc_id = self.vpc()
        self.nat_gateways(vpc_id)
        igw_id = self.internet_gateway(vpc_id)
        subnets = self.subnets(vpc_id)
        route_tables = self.route_tables(vpc_id, igw_id, subnets)
        security_groups = self.security_groups(vpc_id)
        self.default_security_group(vpc_id)
        order = {}
        for subnet in self.params["subnets"]:
            order.setdefault(subnet["tier"], []).append(subnets[subnet["tier"]][subnet["az"]])
        return {
            "vpc_id": vpc_id,
            "internet_gateway_id": igw_id,
            "subnets": subnets,
            "subnet_ids": order,
            "route_table_ids": route_tables,
            "security_group_ids": security_groups,
        }


def validate(module):
    params = module.params
    try:
        vpc = ipaddress.ip_network(params["cidr_block"], strict=True)
    except ValueError as e:
        module.fail_json(msg=f"cidr_block: {e}")
    seen = set()
    for subnet in params["subnets"]:
        try:
            net = ipaddress.ip_network(subnet["cidr"], strict=True)
        except ValueError as e:
            module.fail_json(msg=f"subnets: {subnet['cidr']}: {e}")
        if not net.subnet_of(vpc):
            module.fail_json(msg=f"subnets: {subnet['cidr']} is not inside the VPC's {vpc}")
        if (subnet["tier"], subnet["az"]) in seen:
            module.fail_json(msg=f"subnets: two subnets for tier {subnet['tier']} in {subnet['az']}")
        seen.add((subnet["tier"], subnet["az"]))
    keys = [g["key"] for g in params["security_groups"]]
    if len(set(keys)) != len(keys):
        module.fail_json(msg="security_groups: keys must be unique")


def main():
    argument_spec = dict(
        name_prefix=dict(type="str", required=True),
        cidr_block=dict(type="str", required=True),
        subnets=dict(type="list", elements="dict", default=[], options=dict(
            tier=dict(type="str", required=True),
            az=dict(type="str", required=True),
            cidr=dict(type="str", required=True),
        )),
        public_tiers=dict(type="list", elements="str", default=["public"]),
        security_groups=dict(type="list", elements="dict", default=[], options=dict(
            key=dict(type="str", required=True, no_log=False),
            description=dict(type="str", required=True),
            ingress=dict(type="list", elements="dict", default=[]),
            egress=dict(type="list", elements="dict", default=[]),
        )),
        tags=dict(type="dict", default={}),
        remove_nat_gateways=dict(type="bool", default=False),
        close_default_security_group=dict(type="bool", default=True),
    )
    module = SoloAwsModule(argument_spec=argument_spec, supports_check_mode=True)
    validate(module)
    client = module.client("ec2")
    network = VpcNetwork(client, module.params, module.region, module.check_mode)
    try:
        result = network.converge()
    except NetworkError as e:
        module.fail_json(msg=str(e), actions=network.actions)
    except SoloAwsError as e:
        fail_aws(module, e)
    module.exit_plan(network, **result)


if __name__ == "__main__":
    main()
