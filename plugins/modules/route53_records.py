#!/usr/bin/python
# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: route53_records
short_description: Converge simple and alias records of a public hosted zone in one batch
version_added: 0.1.0
description:
  - Reads each record's name once and writes the records that differ with C(UPSERT), all in one
    C(ChangeResourceRecordSets) batch, which Route 53 applies atomically. Records that already match
    are not written, so a second run changes nothing.
  - Alias records (for example C(A) and C(AAAA) to a load balancer) compare without the trailing dot
    and the optional C(dualstack.) prefix of the target name.
  - The zone is given by id, or by name (a public zone; private zones of the same name are ignored),
    and can be created when it does not exist.
  - Records of other names and types are never touched; records with a routing policy (weighted,
    latency, failover ...) are refused rather than overwritten.
  - Unlike M(amazon.aws.route53), whose O(region) option selects latency routing, this module takes the
    region from the usual connection settings without changing the records' routing.
  - In check mode nothing is written. A zone id or an alias target of the form C(planned:...) (from a
    module that ran in check mode) is never sent to AWS; such records are reported as to be created.
author:
  - Solo Saving platform team (@solo-saving)
options:
  zone_id:
    description:
      - Id of the hosted zone (with or without C(/hostedzone/)). Give this, I(zone_name), or both.
      - With both, the zone is not read at all (I(zone_name) only serves to check that the records are inside
        it), and I(name_servers) is returned empty.
    type: str
  zone_name:
    description: Name of the public hosted zone; without I(zone_id) the zone is looked up by this name.
    type: str
  create_zone:
    description: Create the public hosted zone I(zone_name) when it does not exist.
    type: bool
    default: false
  records:
    description: The records, each inside the zone.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Fully qualified record name.
        type: str
        required: true
      type:
        description: Record type.
        type: str
        required: true
        choices: [A, AAAA, CNAME, TXT, MX, CAA, NS, SRV]
      ttl:
        description: Time to live in seconds (not for alias records).
        type: int
        default: 300
      values:
        description: Record values (not for alias records).
        type: list
        elements: str
      alias:
        description: Alias target instead of values.
        type: dict
        suboptions:
          dns_name:
            description: DNS name of the target (for a load balancer, its C(DNSName)).
            type: str
            required: true
          hosted_zone_id:
            description: Hosted zone id of the target (for a load balancer, its C(CanonicalHostedZoneId)).
            type: str
            required: true
          evaluate_target_health:
            description: Whether Route 53 checks the target's health.
            type: bool
            default: true
  tags:
    description: Tags for a zone this module creates (and keeps on it).
    type: dict
    default: {}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Point the app's name at the load balancer.
  solo_saving.infra.route53_records:
    zone_id: Z0123456789ABCDEFGHIJ
    records:
      - name: app.example.com
        type: A
        alias:
          dns_name: solo-saving-prod-alb-123456789.ap-northeast-1.elb.amazonaws.com
          hosted_zone_id: Z14GRHDCWA56QT
"""

RETURN = r"""
zone_id:
  description: The hosted zone id (a planned id in check mode when the zone would be created).
  returned: always
  type: str
name_servers:
  description: The zone's name servers (the domain must be delegated to them); empty when the zone was not read.
  returned: always
  type: list
  elements: str
actions:
  description: What the run did (or, in check mode, would do), one sentence each.
  returned: always
  type: list
  elements: str
diff:
  description: Before and after views of the records (with C(--diff)).
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.solo_saving.infra.plugins.module_utils import dns
from ansible_collections.solo_saving.infra.plugins.module_utils import route53 as api
from ansible_collections.solo_saving.infra.plugins.module_utils.aws_module import SoloAwsModule
from ansible_collections.solo_saving.infra.plugins.module_utils.common import Plan, SoloAwsError, fail_aws, is_planned
from ansible_collections.solo_saving.infra.plugins.module_utils.edge import EdgeError, record_from_spec


def validate(module):
    for spec in module.params["records"]:
        has_alias, has_values = bool(spec.get("alias")), bool(spec.get("values"))
        if has_alias == has_values:
            module.fail_json(msg=f"records: {spec['name']} {spec['type']} needs either values or alias, not both")
        if has_alias and spec["type"] not in ("A", "AAAA"):
            module.fail_json(msg=f"records: {spec['name']} is an alias of type {spec['type']}; use A or AAAA")


def converge(client, params, plan):
    if params["zone_id"]:
        zone_id = api.short_zone_id(params["zone_id"])
        if params["zone_name"]:
            zone_name, name_servers = params["zone_name"], []
        elif is_planned(zone_id):
            zone_name, name_servers = zone_id.split(":", 2)[-1], []
        else:
            zone, name_servers = api.get_hosted_zone(client, zone_id)
            zone_name = zone["Name"]
    else:
        zone_name = params["zone_name"]
        zone_id, name_servers = dns.resolve_zone(client, plan, zone_name, params["create_zone"], params["tags"])
    records = [record_from_spec(spec) for spec in params["records"]]
    for record in records:
        alias = record.get("alias")
        if alias and (is_planned(alias["dns_name"]) or is_planned(alias["hosted_zone_id"])) and not plan.check_mode:
            raise EdgeError(f"record {record['name']}: the alias target {alias['dns_name']} is a planned id from a "
                            "check-mode run; it can only be used in check mode")
    dns.converge_records(client, plan, zone_id, zone_name, records)
    return {"zone_id": zone_id, "name_servers": name_servers}


def main():
    argument_spec = dict(
        zone_id=dict(type="str"),
        zone_name=dict(type="str"),
        create_zone=dict(type="bool", default=False),
        records=dict(type="list", elements="dict", default=[], options=dict(
            name=dict(type="str", required=True),
            type=dict(type="str", required=True, choices=["A", "AAAA", "CNAME", "TXT", "MX", "CAA", "NS", "SRV"]),
            ttl=dict(type="int", default=300),
            values=dict(type="list", elements="str"),
            alias=dict(type="dict", options=dict(
                dns_name=dict(type="str", required=True),
                hosted_zone_id=dict(type="str", required=True),
                evaluate_target_health=dict(type="bool", default=True),
            )),
        )),
        tags=dict(type="dict", default={}),
    )
    module = SoloAwsModule(argument_spec=argument_spec, supports_check_mode=True,
                           required_one_of=[("zone_id", "zone_name")])
    if module.params["zone_id"] and module.params["create_zone"]:
        module.fail_json(msg="create_zone needs zone_name without zone_id")
    validate(module)
    plan = Plan(module.check_mode)
    client = module.client("route53")
    try:
        result = converge(client, module.params, plan)
    except EdgeError as e:
        module.fail_json(msg=str(e), actions=plan.actions)
    except SoloAwsError as e:
        fail_aws(module, e)
    module.exit_plan(plan, **result)


if __name__ == "__main__":
    main()
