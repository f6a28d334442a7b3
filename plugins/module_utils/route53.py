# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Route 53 API wrappers: one function per call, each retried, one error type.

Hosted zone ids are returned without their ``/hostedzone/`` prefix.
"""

from __future__ import annotations

from ansible_collections.solo_saving.infra.plugins.module_utils.common import aws_call

ZONE_PREFIX = "/hostedzone/"


def short_zone_id(zone_id):
    return zone_id[len(ZONE_PREFIX):] if zone_id.startswith(ZONE_PREFIX) else zone_id


@aws_call("list the hosted zones by name")
def list_hosted_zones_by_name(client, name):
    """Every hosted zone (public and private) named exactly ``name`` (with its trailing dot)."""
    dns_name = name if name.endswith(".") else name + "."
    found, kwargs = [], {"DNSName": dns_name}
    while True:
        page = client.list_hosted_zones_by_name(**kwargs)
        # Zones come sorted by name from DNSName on: stop at the first other name.
        for zone in page.get("HostedZones", []):
            if zone["Name"].lower() != dns_name.lower():
                return found
            found.append(dict(zone, Id=short_zone_id(zone["Id"])))
        if not page.get("IsTruncated"):
            return found
        kwargs = {"DNSName": page["NextDNSName"], "HostedZoneId": page["NextHostedZoneId"]}


@aws_call("read the hosted zone")
def get_hosted_zone(client, zone_id):
    """(zone, name servers) of one hosted zone."""
    result = client.get_hosted_zone(Id=zone_id)
    zone = dict(result["HostedZone"], Id=short_zone_id(result["HostedZone"]["Id"]))
    return zone, list((result.get("DelegationSet") or {}).get("NameServers", []))


@aws_call("create the hosted zone")
def create_hosted_zone(client, name, caller_reference, comment):
    result = client.create_hosted_zone(Name=name, CallerReference=caller_reference,
                                       HostedZoneConfig={"Comment": comment, "PrivateZone": False})
    zone = dict(result["HostedZone"], Id=short_zone_id(result["HostedZone"]["Id"]))
    return zone, list((result.get("DelegationSet") or {}).get("NameServers", []))


@aws_call("read the tags of the hosted zone")
def list_zone_tags(client, zone_id):
    result = client.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zone_id)
    return {t["Key"]: t.get("Value") for t in result.get("ResourceTagSet", {}).get("Tags", [])}


@aws_call("tag the hosted zone")
def tag_zone(client, zone_id, tags):
    client.change_tags_for_resource(ResourceType="hostedzone", ResourceId=zone_id,
                                    AddTags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())])


@aws_call("read the records of the hosted zone")
def list_record_sets_at(client, zone_id, name, max_items=20):
    """The record sets of ``name`` (every type). Records of one name are adjacent in Route 53's order."""
    page = client.list_resource_record_sets(HostedZoneId=zone_id, StartRecordName=name, MaxItems=str(max_items))
    return page.get("ResourceRecordSets", [])


@aws_call("change the records of the hosted zone", retry_codes=["PriorRequestNotComplete"])
def change_record_sets(client, zone_id, changes, comment):
    return client.change_resource_record_sets(
        HostedZoneId=zone_id, ChangeBatch={"Comment": comment, "Changes": changes})["ChangeInfo"]


# -- teardown (stack_teardown) ----------------------------------------------------
@aws_call("list the records of the hosted zone", not_found=["NoSuchHostedZone"])
def list_all_record_sets(client, zone_id):
    """Every record set of the zone, or None when the zone does not exist."""
    records = []
    for page in client.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id):
        records.extend(page.get("ResourceRecordSets", []))
    return records


@aws_call("delete the hosted zone", not_found=["NoSuchHostedZone"], retry_codes=["PriorRequestNotComplete"])
def delete_hosted_zone(client, zone_id):
    client.delete_hosted_zone(Id=zone_id)
