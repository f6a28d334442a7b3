#!/usr/bin/python
# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: acm_dns_certificate
short_description: Request an ACM certificate with DNS validation, write its validation records, wait until issued
version_added: 0.1.0
description:
  - Finds the certificate for I(domain_name) tagged C(Name=<name>) that covers exactly the domain and
    I(subject_alternative_names), issued or pending validation; requests one with DNS validation when
    there is none. The request carries its tags (so a crash cannot leave an untagged certificate) and an
    C(IdempotencyToken) derived from the name and the domain names, so a run interrupted right after
    the request and started again within the hour gets the same certificate, never a second one.
  - Writes the validation C(CNAME) records ACM asks for into the public hosted zone (with C(UPSERT),
    only when they differ) and keeps them there, which ACM's managed renewal needs.
  - Waits (bounded by I(wait_timeout)) until the certificate is C(ISSUED) and fails with the reason
    when it is not. On real AWS, ACM issues only once it resolves the validation records through
    public DNS, so the domain must be delegated to the zone's name servers; the failure message lists
    them. The local emulator issues after a fixed delay without checking the records.
  - When the names change, a new certificate is requested; the old one is left in place (a listener
    may still use it) and can be deleted by hand once nothing uses it.
  - The hosted zone is given by id or by name, and can be created (I(create_zone)).
  - In check mode nothing is written and nothing is waited for; a certificate that would be requested
    is returned as C(planned:certificate:<domain>).
  - Fills a gap of M(community.aws.acm_certificate), which only imports certificates.
author:
  - Solo Saving platform team (@solo-saving)
options:
  domain_name:
    description: The certificate's domain name (for the stack, the app's host name).
    type: str
    required: true
  subject_alternative_names:
    description: Further names the certificate covers, each inside the hosted zone.
    type: list
    elements: str
    default: []
  name:
    description: Value of the C(Name) tag that identifies this certificate among others for the same domain.
    type: str
    required: true
  tags:
    description: Further tags for the certificate (and for a zone this module creates). Other tags are kept.
    type: dict
    default: {}
  zone_id:
    description: Id of the public hosted zone that gets the validation records. Give this or I(zone_name).
    type: str
  zone_name:
    description: Name of the public hosted zone that gets the validation records. Give this or I(zone_id).
    type: str
  create_zone:
    description: Create the public hosted zone I(zone_name) when it does not exist.
    type: bool
    default: false
  wait:
    description: Wait until the certificate is issued.
    type: bool
    default: true
  wait_timeout:
    description: How many seconds to wait for the certificate to be issued before failing.
    type: int
    default: 900
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Get a certificate for the app, validated through the example.com zone.
  solo_saving.infra.acm_dns_certificate:
    domain_name: app.example.com
    name: solo-saving-prod-app
    zone_name: example.com
    tags:
      Project: solo-saving
  register: certificate
"""

RETURN = r"""
certificate_arn:
  description: The certificate's ARN (a planned id in check mode when it would be requested).
  returned: always
  type: str
status:
  description: The certificate's status (C(ISSUED) after a run that waited; C(PLANNED) in check mode before it exists).
  returned: always
  type: str
domain_name:
  description: The certificate's domain name.
  returned: always
  type: str
subject_alternative_names:
  description: Every name the certificate covers.
  returned: always
  type: list
  elements: str
validation_records:
  description: The DNS validation records (name, type, values); empty while unknown (check mode, new certificate).
  returned: always
  type: list
  elements: dict
zone_id:
  description: The hosted zone id (a planned id in check mode when the zone would be created).
  returned: always
  type: str
name_servers:
  description: The zone's name servers; the domain must be delegated to them for ACM to validate.
  returned: always
  type: list
  elements: str
actions:
  description: What the run did (or, in check mode, would do), one sentence each.
  returned: always
  type: list
  elements: str
diff:
  description: Before and after views of the certificate and its validation records (with C(--diff)).
  returned: when diff mode is on
  type: dict
"""

import time
import uuid

from ansible_collections.solo_saving.infra.plugins.module_utils import acm as api
from ansible_collections.solo_saving.infra.plugins.module_utils import dns, route53
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
    certificate_names,
    dns_name,
    idempotency_token,
    in_zone,
    pick_certificate,
    validation_records,
)

LIVE_STATUSES = ("PENDING_VALIDATION", "ISSUED")
FAILED_STATUSES = ("FAILED", "VALIDATION_TIMED_OUT", "REVOKED", "EXPIRED", "INACTIVE")
# ACM fills in the validation records a few seconds after the request.
RECORDS_TIMEOUT = 60


class Certificate:
    def __init__(self, acm, r53, params, plan):
        self.acm = acm
        self.r53 = r53
        self.params = params
        self.plan = plan
        self.domain = dns_name(params["domain_name"])
        names = [self.domain] + [dns_name(n) for n in params["subject_alternative_names"]]
        self.names = list(dict.fromkeys(names))
        self.tags = dict(params["tags"] or {}, Name=params["name"])

    # -- zone ------------------------------------------------------------------
    def zone(self):
        params = self.params
        if params["zone_id"]:
            zone_id = route53.short_zone_id(params["zone_id"])
            if is_planned(zone_id):
                if not self.plan.check_mode:
                    raise EdgeError(f"{zone_id} is a planned id from a check-mode run; it can only be used in "
                                    "check mode")
                return zone_id, zone_id.split(":", 2)[-1], []
            zone, name_servers = route53.get_hosted_zone(self.r53, zone_id)
            return zone_id, zone["Name"], name_servers
        zone_id, name_servers = dns.resolve_zone(self.r53, self.plan, params["zone_name"], params["create_zone"],
                                                 params["tags"])
        return zone_id, params["zone_name"], name_servers

    # -- certificate -------------------------------------------------------------
    def find(self):
        """(best certificate for the names, other certificates of ours for the domain)."""
        ours = []
        for summary in api.list_certificates(self.acm, LIVE_STATUSES):
            if dns_name(summary.get("DomainName", "")) != self.domain:
                continue
            tags = api.list_certificate_tags(self.acm, summary["CertificateArn"])
            if tags is None or tags.get("Name") != self.params["name"]:
                continue
            described = api.describe_certificate(self.acm, summary["CertificateArn"])
            if described is not None:
                ours.append(dict(described, Tags=tags))
        best = pick_certificate(ours, self.names)
        return best, [c for c in ours if best is None or c["CertificateArn"] != best["CertificateArn"]]

    def request(self, others, zone_id):
        names_text = ", ".join(self.names)
        self.plan.before["certificate"] = None
        if others:
            old = others[0]
            self.plan.before["certificate"] = {"names": sorted(certificate_names(old)), "status": old["Status"]}
            sentence = (f"request a new certificate for {names_text}: certificate {old['CertificateArn']} covers "
                        f"{', '.join(sorted(certificate_names(old)))} (it stays until nothing uses it; delete it "
                        "by hand then)")
        else:
            sentence = f"request a certificate for {names_text} with DNS validation"
        # The zone id is part of the token: a stack torn down and rebuilt within the hour (a new zone) must not
        # get the certificate ACM just deleted.
        token = idempotency_token(self.params["name"], zone_id, *sorted(self.names))
        arn = self.plan.act(sentence, api.request_certificate, self.acm, self.domain, self.names[1:], token,
                            self.tags)
        if arn and api.describe_certificate(self.acm, arn) is None:
            # ACM answered a repeated token (same zone, within the hour) with a certificate deleted since:
            # ask again, under a token of its own.
            arn = api.request_certificate(self.acm, self.domain, self.names[1:], uuid.uuid4().hex, self.tags)
        return arn or planned_id("certificate", self.domain)

    def described_with_records(self, arn):
        """The certificate once ACM has produced its validation records (bounded)."""
        deadline = time.monotonic() + RECORDS_TIMEOUT
        delay = 1
        while True:
            certificate = api.describe_certificate(self.acm, arn)
            if certificate is not None and validation_records(certificate) is not None:
                return certificate
            if time.monotonic() >= deadline:
                raise EdgeError(f"ACM has not produced the DNS validation records of certificate {arn} within "
                                f"{RECORDS_TIMEOUT} s; run again in a minute")
            time.sleep(delay)
            delay = min(delay * 2, 5)

    def wait_issued(self, arn, status, name_servers, zone_name):
        deadline = time.monotonic() + self.params["wait_timeout"]
        # First look again after a second (a certificate reused or issued fast), then back off to 15 s:
        # DescribeCertificate allows 10 calls a second, a wait of minutes makes a dozen.
        delay = 1
        while status != "ISSUED":
            if status in FAILED_STATUSES:
                certificate = api.describe_certificate(self.acm, arn) or {}
                reason = certificate.get("FailureReason") or "no reason given"
                raise EdgeError(f"certificate {arn} for {', '.join(self.names)} is {status} ({reason}); delete it "
                                "and run again to request a new one")
            if time.monotonic() >= deadline:
                servers = ", ".join(name_servers) or "the zone's NS record"
                raise EdgeError(
                    f"certificate {arn} for {', '.join(self.names)} is still {status} after "
                    f"{self.params['wait_timeout']} s. ACM validates through public DNS: check that the domain is "
                    f"delegated to the name servers of zone {dns_name(zone_name)} ({servers}) and that the "
                    "validation CNAME records resolve, then run again (the same certificate is reused), or raise "
                    "wait_timeout")
            time.sleep(delay)
            delay = min(delay * 2, 15)
            certificate = api.describe_certificate(self.acm, arn) or {}
            status = certificate.get("Status", status)
        return status

    def converge(self):
        zone_id, zone_name, name_servers = self.zone()
        for name in self.names:
            if not in_zone(name, zone_name):
                raise EdgeError(f"{name} is not inside hosted zone {dns_name(zone_name)}: every name of the "
                                "certificate must be validated through that zone")
        best, others = self.find()
        self.plan.after["certificate"] = {"names": sorted(self.names), "status": "ISSUED"}
        if best is None:
            arn = self.request(others, zone_id)
            status = "PLANNED" if is_planned(arn) else "PENDING_VALIDATION"
        else:
            arn, status = best["CertificateArn"], best["Status"]
            self.plan.before["certificate"] = {"names": sorted(certificate_names(best)), "status": status}
            missing = tags_to_set(best["Tags"], self.tags)
            if missing:
                self.plan.act(f"update the tags of certificate {arn}: {', '.join(sorted(missing))}",
                              api.tag_certificate, self.acm, arn, missing)
        records = []
        if is_planned(arn):
            self.plan.act(f"create the DNS validation records of the new certificate in zone {dns_name(zone_name)}")
            self.plan.after["validation_records"] = "known once the certificate is requested"
        else:
            certificate = best if best is not None and validation_records(best) else self.described_with_records(arn)
            records = validation_records(certificate)
            dns.converge_records(self.r53, self.plan, zone_id, zone_name, records, label="validation_records")
            if self.params["wait"] and not self.plan.check_mode:
                status = self.wait_issued(arn, status, name_servers, zone_name)
        return {
            "certificate_arn": arn,
            "status": status,
            "domain_name": self.domain,
            "subject_alternative_names": self.names,
            "validation_records": records,
            "zone_id": zone_id,
            "name_servers": name_servers,
        }


def main():
    argument_spec = dict(
        domain_name=dict(type="str", required=True),
        subject_alternative_names=dict(type="list", elements="str", default=[]),
        name=dict(type="str", required=True),
        tags=dict(type="dict", default={}),
        zone_id=dict(type="str"),
        zone_name=dict(type="str"),
        create_zone=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=900),
    )
    module = SoloAwsModule(argument_spec=argument_spec, supports_check_mode=True,
                           required_one_of=[("zone_id", "zone_name")],
                           mutually_exclusive=[("zone_id", "zone_name")])
    if module.params["wait_timeout"] < 0:
        module.fail_json(msg="wait_timeout must be 0 or more seconds")
    plan = Plan(module.check_mode)
    certificate = Certificate(module.client("acm"), module.client("route53"), module.params, plan)
    try:
        result = certificate.converge()
    except EdgeError as e:
        module.fail_json(msg=str(e), actions=plan.actions)
    except SoloAwsError as e:
        fail_aws(module, e)
    module.exit_plan(plan, **result)


if __name__ == "__main__":
    main()
