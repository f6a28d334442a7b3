"""acm_dns_certificate: find or request, validation records, bounded wait, check mode, crash safety."""

from __future__ import annotations

import pytest

from ansible_collections.solo_saving.infra.plugins.module_utils import acm, route53
from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError
from ansible_collections.solo_saving.infra.plugins.modules import acm_dns_certificate
from tests.support.edge_fakes import FakeAcm, FakeRoute53, install
from tests.support.modules import ModuleFail

ARGS = {"domain_name": "app.example.com", "name": "t-dev-app", "zone_name": "example.com", "tags": {"Project": "t"}}


class Clock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(acm_dns_certificate.time, "monotonic", clock.monotonic)
    monkeypatch.setattr(acm_dns_certificate.time, "sleep", clock.sleep)
    return clock


@pytest.fixture
def dns(monkeypatch):
    fake = install(monkeypatch, FakeRoute53(), route53)
    fake.zone = fake.add_zone("example.com")
    return fake


@pytest.fixture
def certs(monkeypatch):
    return install(monkeypatch, FakeAcm(issue_after=1), acm)


def test_request_validate_wait_then_nothing_to_do(run_module, dns, certs, clock):
    planned = run_module(acm_dns_certificate, ARGS, check_mode=True, diff=True)
    assert certs.writes == [] and dns.writes == []
    assert planned["certificate_arn"] == "planned:certificate:app.example.com"
    assert planned["status"] == "PLANNED"
    assert planned["actions"] == [
        "request a certificate for app.example.com with DNS validation",
        "create the DNS validation records of the new certificate in zone example.com"]

    first = run_module(acm_dns_certificate, ARGS)
    assert first["changed"] is True and first["status"] == "ISSUED"
    assert first["actions"] == ["request a certificate for app.example.com with DNS validation",
                                "create record CNAME _v.app.example.com -> _x.app.example.com.acm.aws (ttl 300)"]
    assert certs.writes == ["request_certificate:app.example.com"]
    assert dns.writes == ["change_record_sets:UPSERT CNAME _v.app.example.com."]
    assert first["validation_records"] == [{"name": "_v.app.example.com", "type": "CNAME", "ttl": 300,
                                            "values": ["_x.app.example.com.acm.aws"]}]
    assert first["name_servers"] == ["ns-1.example.net", "ns-2.example.org"]
    arn = first["certificate_arn"]
    assert certs.certs[arn]["tags"] == {"Project": "t", "Name": "t-dev-app"}

    second = run_module(acm_dns_certificate, ARGS)
    check = run_module(acm_dns_certificate, ARGS, check_mode=True, diff=True)
    assert second["changed"] is False and check["changed"] is False
    assert second["certificate_arn"] == arn == check["certificate_arn"]
    assert check["diff"]["before"] == check["diff"]["after"]
    assert certs.writes == ["request_certificate:app.example.com"]
    assert len(dns.writes) == 1


def test_interrupted_run_does_not_get_a_second_certificate(run_module, dns, certs, clock):
    """Killed after RequestCertificate: the next run finds it by domain and Name tag."""
    certs.issue_after = None
    with pytest.raises(ModuleFail, match=r"is still PENDING_VALIDATION after 900 s"):
        run_module(acm_dns_certificate, ARGS)
    result = run_module(acm_dns_certificate, {**ARGS, "wait": False})
    assert certs.writes == ["request_certificate:app.example.com"]
    assert result["changed"] is False and result["status"] == "PENDING_VALIDATION"
    assert len(certs.certs) == 1


def test_the_request_carries_a_stable_idempotency_token(run_module, dns, certs, clock, monkeypatch):
    tokens = []
    request = certs.request_certificate

    def spy(client, domain, sans, token, tags):
        tokens.append(token)
        return request(client, domain, sans, token, tags)

    monkeypatch.setattr(acm, "request_certificate", spy)
    run_module(acm_dns_certificate, ARGS)
    certs.certs.clear()  # as if the list had not shown it yet (eventual consistency)
    certs.tokens.clear()
    run_module(acm_dns_certificate, ARGS)
    assert len(tokens) == 2 and tokens[0] == tokens[1]
    assert len(tokens[0]) == 32 and tokens[0].isalnum()
    run_module(acm_dns_certificate, {**ARGS, "subject_alternative_names": ["www.example.com"]})
    assert tokens[2] != tokens[0]


def test_wait_times_out_with_a_clear_message(run_module, dns, certs, clock):
    certs.issue_after = None
    with pytest.raises(ModuleFail) as failure:
        run_module(acm_dns_certificate, {**ARGS, "wait_timeout": 60})
    message = failure.value.result["msg"]
    assert "for app.example.com is still PENDING_VALIDATION after 60 s" in message
    assert "delegated to the name servers of zone example.com (ns-1.example.net, ns-2.example.org)" in message
    assert clock.now >= 60
    assert failure.value.result["actions"][0] == "request a certificate for app.example.com with DNS validation"


def test_failed_validation_is_reported_with_its_reason(run_module, dns, certs, clock, monkeypatch):
    arn = certs.add("app.example.com", status="PENDING_VALIDATION", tags={"Name": "t-dev-app", "Project": "t"})
    certs.issue_after = None
    original = certs.describe_certificate

    def describe(client, cert_arn):
        if certs.describes.get(cert_arn, 0) >= 1:  # ACM gives up after the module found it pending
            certs.certs[arn].update(Status="FAILED", FailureReason="CAA_ERROR")
        return original(client, cert_arn)

    monkeypatch.setattr(acm, "describe_certificate", describe)
    with pytest.raises(ModuleFail, match=r"is FAILED \(CAA_ERROR\); delete it and run again"):
        run_module(acm_dns_certificate, ARGS)
    assert certs.writes == []


def test_check_mode_does_not_wait(run_module, dns, certs, clock):
    certs.add("app.example.com", status="PENDING_VALIDATION", tags={"Name": "t-dev-app", "Project": "t"})
    certs.issue_after = None
    result = run_module(acm_dns_certificate, ARGS, check_mode=True)
    assert result["status"] == "PENDING_VALIDATION"
    assert result["actions"] == ["create record CNAME _v.app.example.com -> _x.app.example.com.acm.aws (ttl 300)"]
    assert clock.sleeps == []


def test_issued_certificate_wins_and_others_are_ignored(run_module, dns, certs, clock):
    certs.add("app.example.com", tags={"Name": "someone-else"})
    pending = certs.add("app.example.com", status="PENDING_VALIDATION", tags={"Name": "t-dev-app"}, created=9)
    issued = certs.add("app.example.com", tags={"Name": "t-dev-app", "Project": "t"}, created=1)
    certs.add("app.example.com", sans=["www.example.com"], tags={"Name": "t-dev-app"})
    result = run_module(acm_dns_certificate, ARGS)
    assert result["certificate_arn"] == issued != pending
    assert certs.writes == []


def test_missing_tags_are_added(run_module, dns, certs, clock):
    arn = certs.add("app.example.com", tags={"Name": "t-dev-app"})
    result = run_module(acm_dns_certificate, ARGS)
    assert result["actions"][0] == f"update the tags of certificate {arn}: Project"
    assert certs.writes == ["tag_certificate:Project"]


def test_changed_names_request_a_new_certificate_and_keep_the_old(run_module, dns, certs, clock):
    old = certs.add("app.example.com", tags={"Name": "t-dev-app", "Project": "t"})
    result = run_module(acm_dns_certificate, {**ARGS, "subject_alternative_names": ["www.example.com"]})
    assert result["actions"][0] == (
        f"request a new certificate for app.example.com, www.example.com: certificate {old} covers app.example.com "
        "(it stays until nothing uses it; delete it by hand then)")
    assert result["certificate_arn"] != old and old in certs.certs
    assert result["subject_alternative_names"] == ["app.example.com", "www.example.com"]
    assert len(result["validation_records"]) == 2


def test_wildcard_and_base_name_share_one_validation_record(run_module, dns, certs, clock):
    result = run_module(acm_dns_certificate, {**ARGS, "domain_name": "example.com",
                                              "subject_alternative_names": ["*.example.com"]})
    assert [r["name"] for r in result["validation_records"]] == ["_v.example.com"]


def test_names_outside_the_zone_are_refused(run_module, dns, certs, clock):
    with pytest.raises(ModuleFail, match=r"www\.other\.com is not inside hosted zone example\.com"):
        run_module(acm_dns_certificate, {**ARGS, "subject_alternative_names": ["www.other.com"]})
    assert certs.writes == []


def test_zone_can_be_created_and_planned(run_module, certs, clock, monkeypatch):
    fake = install(monkeypatch, FakeRoute53(), route53)
    spec = {**ARGS, "create_zone": True}
    planned = run_module(acm_dns_certificate, spec, check_mode=True)
    assert planned["zone_id"] == "planned:hosted-zone:example.com"
    assert planned["actions"][:2] == ["create public hosted zone example.com", "tag hosted zone example.com"]
    first = run_module(acm_dns_certificate, spec)
    assert first["actions"][:3] == planned["actions"][:3]
    assert fake.writes[0] == "create_hosted_zone:example.com"


def test_zone_given_by_id(run_module, dns, certs, clock):
    result = run_module(acm_dns_certificate, {**{k: v for k, v in ARGS.items() if k != "zone_name"},
                                              "zone_id": f"/hostedzone/{dns.zone}"})
    assert result["zone_id"] == dns.zone and result["status"] == "ISSUED"


def test_validation_records_not_ready_yet_are_waited_for_bounded(run_module, dns, certs, clock, monkeypatch):
    original = certs.describe_certificate

    def without_records(client, arn):
        cert = original(client, arn)
        for option in cert["DomainValidationOptions"]:
            option.pop("ResourceRecord")
        return cert

    monkeypatch.setattr(acm, "describe_certificate", without_records)
    with pytest.raises(ModuleFail, match=r"ACM has not produced the DNS validation records .* within 60 s"):
        run_module(acm_dns_certificate, ARGS)
    assert 60 <= clock.now <= 65


def test_aws_error_becomes_fail_json_aws(run_module, dns, certs, clock, monkeypatch):
    def boom(*args, **kwargs):
        raise SoloAwsError("Failed to request the certificate", exception=RuntimeError("LimitExceeded"))

    monkeypatch.setattr(acm, "request_certificate", boom)
    with pytest.raises(ModuleFail, match=r"Failed to request the certificate"):
        run_module(acm_dns_certificate, ARGS)


def test_negative_wait_timeout_is_refused(run_module, dns, certs, clock):
    with pytest.raises(ModuleFail, match=r"wait_timeout must be 0 or more seconds"):
        run_module(acm_dns_certificate, {**ARGS, "wait_timeout": -1})


def test_planned_zone_is_only_for_check_mode(run_module, dns, certs, clock):
    spec = {**{k: v for k, v in ARGS.items() if k != "zone_name"}, "zone_id": "planned:hosted-zone:example.com"}
    assert run_module(acm_dns_certificate, spec, check_mode=True)["zone_id"] == "planned:hosted-zone:example.com"
    with pytest.raises(ModuleFail, match=r"planned:hosted-zone:example\.com is a planned id from a check-mode run"):
        run_module(acm_dns_certificate, spec)
    assert dns.writes == [] and certs.writes == []


def test_a_certificate_deleted_within_the_token_hour_is_requested_again(run_module, dns, certs, clock):
    """ACM answers a repeated token (same zone, within the hour) with the first request's certificate, even when
    a teardown deleted it since: the module then asks again under a fresh token."""
    first = run_module(acm_dns_certificate, ARGS)
    del certs.certs[first["certificate_arn"]]  # a teardown kept the zone but deleted the certificate
    again = run_module(acm_dns_certificate, ARGS)
    assert again["certificate_arn"] != first["certificate_arn"]
    assert again["certificate_arn"] in certs.certs
    assert certs.writes.count("request_certificate:app.example.com") == 3
