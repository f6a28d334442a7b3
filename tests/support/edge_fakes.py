"""In-memory stand-ins for the edge modules' wrapper layer (module_utils route53, acm, elbv2, wafv2).

Each fake records its write calls in ``writes``; ``install(monkeypatch, fake, module)``
replaces the wrappers of ``module`` that the fake implements.
"""

from __future__ import annotations

import copy
import itertools

from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError

_ids = itertools.count(1)


def install(monkeypatch, fake, module):
    for name in dir(fake):
        if not name.startswith("_") and callable(getattr(fake, name)) and hasattr(module, name):
            monkeypatch.setattr(module, name, getattr(fake, name))
    return fake


def _tags(tag_list):
    return {t["Key"]: t["Value"] for t in tag_list}


class FakeRoute53:
    def __init__(self):
        self.zones = {}
        self.writes = []

    def add_zone(self, name, private=False, tags=None):
        zone_id = f"Z{next(_ids):05d}"
        self.zones[zone_id] = {"Id": zone_id, "Name": name.rstrip(".") + ".", "Config": {"PrivateZone": private},
                               "tags": dict(tags or {}), "records": {}}
        return zone_id

    def add_record(self, zone_id, rrset):
        self.zones[zone_id]["records"][(rrset["Name"].rstrip(".").lower(), rrset["Type"])] = copy.deepcopy(rrset)

    def list_hosted_zones_by_name(self, client, name):
        wanted = name.rstrip(".") + "."
        return [{k: v for k, v in z.items() if k in ("Id", "Name", "Config")}
                for z in self.zones.values() if z["Name"] == wanted]

    def get_hosted_zone(self, client, zone_id):
        zone = self.zones[zone_id]
        return {"Id": zone_id, "Name": zone["Name"]}, ["ns-1.example.net", "ns-2.example.org"]

    def create_hosted_zone(self, client, name, reference, comment):
        self.writes.append(f"create_hosted_zone:{name}")
        zone_id = self.add_zone(name)
        return {"Id": zone_id, "Name": name + "."}, ["ns-1.example.net"]

    def list_zone_tags(self, client, zone_id):
        return dict(self.zones[zone_id]["tags"])

    def tag_zone(self, client, zone_id, tags):
        self.writes.append(f"tag_zone:{','.join(sorted(tags))}")
        self.zones[zone_id]["tags"].update(tags)

    def list_record_sets_at(self, client, zone_id, name, max_items=20):
        records = self.zones[zone_id]["records"]
        return [copy.deepcopy(r) for (n, _t), r in sorted(records.items()) if n == name.rstrip(".").lower()]

    def change_record_sets(self, client, zone_id, changes, comment):
        self.writes.append("change_record_sets:" + ",".join(
            f"{c['Action']} {c['ResourceRecordSet']['Type']} {c['ResourceRecordSet']['Name']}" for c in changes))
        for change in changes:
            assert change["Action"] == "UPSERT"
            self.add_record(zone_id, change["ResourceRecordSet"])
        return {"Status": "PENDING"}


class FakeAcm:
    """Certificates turn ISSUED after ``issue_after`` describe calls (None: never)."""

    def __init__(self, issue_after=1):
        self.certs = {}
        self.tokens = {}
        self.writes = []
        self.issue_after = issue_after
        self.describes = {}

    def add(self, domain, sans=(), status="ISSUED", tags=None, created=0):
        arn = f"arn:aws:acm:ap-northeast-1:123456789012:certificate/{next(_ids)}"
        names = [domain, *sans]
        self.certs[arn] = {
            "CertificateArn": arn, "DomainName": domain, "SubjectAlternativeNames": names, "Status": status,
            "CreatedAt": created, "tags": dict(tags or {}),
            "DomainValidationOptions": [
                {"DomainName": n, "ValidationStatus": "SUCCESS" if status == "ISSUED" else status,
                 "ResourceRecord": {"Name": f"_v.{n.lstrip('*.')}.", "Type": "CNAME", "Value": f"_x.{n}.acm.aws."}}
                for n in names],
        }
        return arn

    def list_certificates(self, client, statuses):
        return [{"CertificateArn": c["CertificateArn"], "DomainName": c["DomainName"], "Status": c["Status"]}
                for c in self.certs.values() if c["Status"] in statuses]

    def describe_certificate(self, client, arn):
        cert = self.certs.get(arn)
        if cert is None:
            return None
        self.describes[arn] = self.describes.get(arn, 0) + 1
        if (cert["Status"] == "PENDING_VALIDATION" and self.issue_after is not None
                and self.describes[arn] > self.issue_after):
            cert["Status"] = "ISSUED"
        return {k: copy.deepcopy(v) for k, v in cert.items() if k != "tags"}

    def list_certificate_tags(self, client, arn):
        return dict(self.certs[arn]["tags"]) if arn in self.certs else None

    def request_certificate(self, client, domain, sans, token, tags):
        self.writes.append(f"request_certificate:{domain}")
        if token in self.tokens:
            return self.tokens[token]
        arn = self.add(domain, sans, status="PENDING_VALIDATION", tags=tags, created=next(_ids))
        self.tokens[token] = arn
        return arn

    def tag_certificate(self, client, arn, tags):
        self.writes.append(f"tag_certificate:{','.join(sorted(tags))}")
        self.certs[arn]["tags"].update(tags)


class FakeElbv2:
    def __init__(self):
        self.lbs, self.tgs, self.listeners, self.rules = {}, {}, {}, {}
        self.lb_attrs, self.tg_attrs, self.tags = {}, {}, {}
        self.writes = []

    def _arn(self, kind, name):
        return f"arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:{kind}/{name}/{next(_ids)}"

    def describe_load_balancers(self, client, names):
        return [copy.deepcopy(lb) for lb in self.lbs.values() if lb["LoadBalancerName"] in names]

    def create_load_balancer(self, client, name, subnets, security_groups, scheme, ip_address_type, tags):
        self.writes.append(f"create_load_balancer:{name}")
        arn = self._arn("loadbalancer/app", name)
        lb = {"LoadBalancerArn": arn, "LoadBalancerName": name, "Type": "application", "Scheme": scheme,
              "IpAddressType": ip_address_type, "DNSName": f"{name}-1.elb.amazonaws.com",
              "CanonicalHostedZoneId": "Z14GRHDCWA56QT", "SecurityGroups": list(security_groups),
              "AvailabilityZones": [{"SubnetId": s} for s in subnets]}
        self.lbs[arn] = lb
        self.lb_attrs[arn] = {"deletion_protection.enabled": "false", "idle_timeout.timeout_seconds": "60"}
        self.tags[arn] = dict(tags)
        return copy.deepcopy(lb)

    def set_subnets(self, client, arn, subnets):
        self.writes.append("set_subnets")
        self.lbs[arn]["AvailabilityZones"] = [{"SubnetId": s} for s in subnets]

    def set_security_groups(self, client, arn, groups):
        self.writes.append("set_security_groups")
        self.lbs[arn]["SecurityGroups"] = list(groups)

    def set_ip_address_type(self, client, arn, kind):
        self.writes.append("set_ip_address_type")
        self.lbs[arn]["IpAddressType"] = kind

    def describe_load_balancer_attributes(self, client, arn):
        return dict(self.lb_attrs[arn])

    def modify_load_balancer_attributes(self, client, arn, attributes):
        self.writes.append("modify_load_balancer_attributes:" + ",".join(sorted(attributes)))
        self.lb_attrs[arn].update(attributes)

    def describe_tags(self, client, arns):
        return {arn: dict(self.tags.get(arn, {})) for arn in arns}

    def add_tags(self, client, arn, tags):
        self.writes.append(f"add_tags:{','.join(sorted(tags))}")
        self.tags.setdefault(arn, {}).update(tags)

    def describe_target_groups(self, client, names):
        return [copy.deepcopy(tg) for tg in self.tgs.values() if tg["TargetGroupName"] in names]

    def create_target_group(self, client, params, tags):
        self.writes.append(f"create_target_group:{params['Name']}")
        arn = self._arn("targetgroup", params["Name"])
        tg = {k: v for k, v in params.items() if k != "Name"}
        tg.update({"TargetGroupArn": arn, "TargetGroupName": params["Name"]})
        self.tgs[arn] = tg
        self.tg_attrs[arn] = {"deregistration_delay.timeout_seconds": "300"}
        self.tags[arn] = dict(tags)
        return copy.deepcopy(tg)

    def modify_target_group(self, client, arn, params):
        self.writes.append("modify_target_group:" + ",".join(sorted(params)))
        self.tgs[arn].update(params)

    def describe_target_group_attributes(self, client, arn):
        return dict(self.tg_attrs[arn])

    def modify_target_group_attributes(self, client, arn, attributes):
        self.writes.append("modify_target_group_attributes:" + ",".join(sorted(attributes)))
        self.tg_attrs[arn].update(attributes)

    def describe_listeners(self, client, lb_arn):
        return [copy.deepcopy(x) for x in self.listeners.values() if x["LoadBalancerArn"] == lb_arn]

    def create_listener(self, client, lb_arn, params, tags):
        self.writes.append(f"create_listener:{params['Port']}")
        arn = self._arn("listener/app", str(params["Port"]))
        listener = dict(copy.deepcopy(params), ListenerArn=arn, LoadBalancerArn=lb_arn)
        self.listeners[arn] = listener
        self.rules[arn] = [{"RuleArn": arn + "/default", "IsDefault": True, "Priority": "default"}]
        return copy.deepcopy(listener)

    def modify_listener(self, client, arn, params):
        self.writes.append(f"modify_listener:{self.listeners[arn]['Port']}")
        self.listeners[arn].update(copy.deepcopy(params))
        if params.get("Protocol") == "HTTP":
            self.listeners[arn].pop("SslPolicy", None)
            self.listeners[arn].pop("Certificates", None)

    def delete_listener(self, client, arn):
        self.writes.append(f"delete_listener:{self.listeners[arn]['Port']}")
        del self.listeners[arn]

    def describe_rules(self, client, listener_arn):
        return copy.deepcopy(self.rules.get(listener_arn, []))

    def delete_rule(self, client, arn):
        self.writes.append(f"delete_rule:{arn}")
        for rules in self.rules.values():
            rules[:] = [r for r in rules if r["RuleArn"] != arn]


class FakeWaf:
    def __init__(self):
        self.acls, self.tags, self.logging, self.associations = {}, {}, {}, {}
        self.groups = {}
        self.writes = []
        self.unavailable = 0

    def list_web_acls(self, client, scope):
        return [{"Name": a["Name"], "Id": a["Id"], "ARN": a["ARN"]} for a in self.acls.values()]

    def get_web_acl(self, client, name, scope, acl_id):
        acl = next((a for a in self.acls.values() if a["Id"] == acl_id), None)
        return (copy.deepcopy(acl), f"lock-{acl['version']}") if acl else None

    def create_web_acl(self, client, name, scope, default_action, rules, visibility, description, tags):
        self.writes.append(f"create_web_acl:{name}")
        acl_id = f"id-{next(_ids)}"
        arn = f"arn:aws:wafv2:ap-northeast-1:123456789012:regional/webacl/{name}/{acl_id}"
        self.acls[arn] = {"Name": name, "Id": acl_id, "ARN": arn, "DefaultAction": copy.deepcopy(default_action),
                          "Rules": copy.deepcopy(rules), "VisibilityConfig": copy.deepcopy(visibility),
                          "Description": description, "version": 1}
        self.tags[arn] = dict(tags)
        return {"ARN": arn, "Id": acl_id, "Name": name}

    def update_web_acl(self, client, name, scope, acl_id, lock, default_action, rules, visibility, description):
        self.writes.append(f"update_web_acl:{name}")
        acl = next(a for a in self.acls.values() if a["Id"] == acl_id)
        assert lock == f"lock-{acl['version']}"
        acl.update({"DefaultAction": copy.deepcopy(default_action), "Rules": copy.deepcopy(rules),
                    "VisibilityConfig": copy.deepcopy(visibility), "Description": description,
                    "version": acl["version"] + 1})

    def list_web_acl_tags(self, client, arn):
        return dict(self.tags.get(arn, {}))

    def tag_web_acl(self, client, arn, tags):
        self.writes.append(f"tag_web_acl:{','.join(sorted(tags))}")
        self.tags[arn].update(tags)

    def get_logging_configuration(self, client, arn):
        return copy.deepcopy(self.logging.get(arn))

    def put_logging_configuration(self, client, configuration):
        self.writes.append("put_logging_configuration")
        self.logging[configuration["ResourceArn"]] = copy.deepcopy(configuration)

    def get_web_acl_for_resource(self, client, resource_arn):
        arn = self.associations.get(resource_arn)
        return {"ARN": arn, "Name": arn.split("/")[-2]} if arn else None

    def associate_web_acl(self, client, acl_arn, resource_arn):
        if self.unavailable:
            self.unavailable -= 1
            raise SoloAwsError("Failed to associate the web ACL with a resource")
        self.writes.append(f"associate_web_acl:{resource_arn}")
        self.associations[resource_arn] = acl_arn

    def disassociate_web_acl(self, client, resource_arn):
        self.writes.append(f"disassociate_web_acl:{resource_arn}")
        self.associations.pop(resource_arn, None)

    # CloudWatch Logs
    def describe_log_group(self, client, name):
        group = self.groups.get(name)
        return copy.deepcopy(group) if group else None

    def create_log_group(self, client, name, tags):
        self.writes.append(f"create_log_group:{name}")
        arn = f"arn:aws:logs:ap-northeast-1:123456789012:log-group:{name}"
        self.groups[name] = {"logGroupName": name, "arn": arn + ":*", "tags": dict(tags)}

    def put_retention_policy(self, client, name, days):
        self.writes.append(f"put_retention_policy:{days}")
        self.groups[name]["retentionInDays"] = days

    def list_log_group_tags(self, client, arn):
        name = arn.split(":log-group:")[1]
        return dict(self.groups[name]["tags"])

    def tag_log_group(self, client, arn, tags):
        self.writes.append(f"tag_log_group:{','.join(sorted(tags))}")
        self.groups[arn.split(":log-group:")[1]]["tags"].update(tags)
