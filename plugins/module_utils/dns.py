# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Public hosted zones and their records, shared by route53_records and acm_dns_certificate.

Records are read one name at a time and written with UPSERT only when they
differ, in one ChangeResourceRecordSets batch (Route 53 applies a batch
atomically). Every write goes through a :class:`~.common.Plan`.
"""

from __future__ import annotations

import uuid

from ansible_collections.solo_saving.infra.plugins.module_utils import route53 as api
from ansible_collections.solo_saving.infra.plugins.module_utils.common import is_planned, planned_id, tags_to_set
from ansible_collections.solo_saving.infra.plugins.module_utils.edge import (
    EdgeError,
    describe_record,
    dns_name,
    in_zone,
    record_change,
    record_from_aws,
    records_differ,
)


def resolve_zone(client, plan, name, create, tags):
    """(zone id, name servers) of the public hosted zone ``name``; created when ``create`` says so.

    The zone is found by name (private zones of the same name are ignored), so a
    run that died after CreateHostedZone adopts the zone instead of making another.
    """
    name = dns_name(name)
    zones = [z for z in api.list_hosted_zones_by_name(client, name)
             if not (z.get("Config") or {}).get("PrivateZone")]
    plan.after["hosted_zone"] = {"name": name, "public": True}
    if len(zones) > 1:
        ids = ", ".join(sorted(z["Id"] for z in zones))
        raise EdgeError(f"found {len(zones)} public hosted zones named {name} ({ids}): keep the one the domain is "
                        "delegated to (its NS records at the registrar), delete the others, and run again")
    if zones:
        zone_id = zones[0]["Id"]
        plan.before["hosted_zone"] = {"name": name, "public": True}
        _zone, name_servers = api.get_hosted_zone(client, zone_id)
        if create and tags:
            missing = tags_to_set(api.list_zone_tags(client, zone_id), tags)
            if missing:
                plan.act(f"update the tags of hosted zone {name}: {', '.join(sorted(missing))}",
                         api.tag_zone, client, zone_id, missing)
        return zone_id, name_servers
    plan.before["hosted_zone"] = None
    if not create:
        raise EdgeError(f"there is no public hosted zone named {name} in this account: create it and delegate the "
                        "domain to its name servers at the registrar, or let the collection create it "
                        "(create_zone: true)")
    # A fresh caller reference per request: botocore's own retries of this call reuse it, so a
    # timed-out request that did succeed is not repeated; later runs find the zone by name.
    reference = f"{name[:80]}-{uuid.uuid4().hex[:16]}"
    created = plan.act(f"create public hosted zone {name}", api.create_hosted_zone, client, name, reference,
                       "Managed by the solo_saving.infra collection")
    zone_id, name_servers = (created[0]["Id"], created[1]) if created else (planned_id("hosted-zone", name), [])
    if tags:
        # Route 53 cannot tag in CreateHostedZone; a crash before this call is healed by the next run.
        plan.act(f"tag hosted zone {name}", api.tag_zone, client, zone_id, {k: str(v) for k, v in tags.items()})
    return zone_id, name_servers


def converge_records(client, plan, zone_id, zone_name, records, label="records"):
    """UPSERT the ``records`` (comparable form, see edge.record_from_spec) that differ; one batch.

    Returns the records as they are after the run. Records of other names and
    types are never touched.
    """
    if is_planned(zone_id) and not plan.check_mode:
        raise EdgeError(f"{zone_id} is a planned id from a check-mode run; it can only be used in check mode")
    plan.before.setdefault(label, {})
    plan.after.setdefault(label, {})
    existing = {}
    changes = []
    for record in records:
        if not in_zone(record["name"], zone_name):
            raise EdgeError(f"record {record['name']} is not inside hosted zone {dns_name(zone_name)}")
        key = f"{record['type']} {record['name']}"
        current = None
        if not is_planned(zone_id):
            if record["name"] not in existing:
                existing[record["name"]] = [
                    record_from_aws(r) for r in api.list_record_sets_at(client, zone_id, record["name"] + ".")
                    if dns_name(r["Name"]) == record["name"]]
            current = next((r for r in existing[record["name"]] if r["type"] == record["type"]), None)
        plan.before[label][key] = describe_record(current)
        plan.after[label][key] = describe_record(record)
        if current is not None and current.get("routing"):
            raise EdgeError(f"{key} exists with a {current['routing']} routing policy; this collection manages "
                            "simple records only: delete it by hand and run again")
        if records_differ(current, record):
            verb = "create" if current is None else "update"
            plan.act(f"{verb} record {key} -> {describe_record(record)}")
            changes.append(record_change(record))
    if changes and not plan.check_mode:
        api.change_record_sets(client, zone_id, changes, "solo_saving.infra")
    return records
