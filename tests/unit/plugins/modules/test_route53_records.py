"""route53_records: zone lookup / creation, UPSERT only when different, check mode, error paths."""

from __future__ import annotations

import pytest

from ansible_collections.solo_saving.infra.plugins.module_utils import route53
from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError
from ansible_collections.solo_saving.infra.plugins.modules import route53_records
from tests.support.edge_fakes import FakeRoute53, install
from tests.support.modules import ModuleFail

ALIAS = {"dns_name": "solo-saving-alb-1.ap-northeast-1.elb.amazonaws.com", "hosted_zone_id": "Z14GRHDCWA56QT"}


@pytest.fixture
def fake(monkeypatch):
    return install(monkeypatch, FakeRoute53(), route53)


def args(zone_id, **extra):
    return {"zone_id": zone_id, "records": [{"name": "app.example.com", "type": "A", "alias": ALIAS}], **extra}


def test_alias_record_is_created_once(run_module, fake):
    zone = fake.add_zone("example.com")
    planned = run_module(route53_records, args(zone), check_mode=True, diff=True)
    assert fake.writes == []
    first = run_module(route53_records, args(zone))
    assert planned["actions"] == first["actions"] == [
        "create record A app.example.com -> alias to solo-saving-alb-1.ap-northeast-1.elb.amazonaws.com"]
    assert planned["diff"]["before"]["records"] == {"A app.example.com": None}
    assert fake.writes == ["change_record_sets:UPSERT A app.example.com."]
    second = run_module(route53_records, args(zone))
    check = run_module(route53_records, args(zone), check_mode=True, diff=True)
    assert second["changed"] is False and check["changed"] is False
    assert check["diff"]["before"] == check["diff"]["after"]
    assert len(fake.writes) == 1


def test_alias_compares_without_dualstack_prefix_case_and_dot(run_module, fake):
    zone = fake.add_zone("example.com")
    fake.add_record(zone, {"Name": "APP.example.com.", "Type": "A", "AliasTarget": {
        "HostedZoneId": "Z14GRHDCWA56QT", "DNSName": "dualstack.Solo-Saving-ALB-1.ap-northeast-1.elb.amazonaws.com.",
        "EvaluateTargetHealth": True}})
    assert run_module(route53_records, args(zone))["changed"] is False


def test_changed_alias_target_is_upserted(run_module, fake):
    zone = fake.add_zone("example.com")
    fake.add_record(zone, {"Name": "app.example.com.", "Type": "A", "AliasTarget": {
        "HostedZoneId": "Z14GRHDCWA56QT", "DNSName": "old-alb.elb.amazonaws.com.", "EvaluateTargetHealth": True}})
    result = run_module(route53_records, args(zone))
    assert result["actions"] == ["update record A app.example.com -> alias to "
                                 "solo-saving-alb-1.ap-northeast-1.elb.amazonaws.com"]


def test_several_records_go_in_one_batch(run_module, fake):
    zone = fake.add_zone("example.com")
    records = [{"name": "app.example.com", "type": "A", "alias": ALIAS},
               {"name": "app.example.com", "type": "AAAA", "alias": ALIAS},
               {"name": "_x.example.com", "type": "CNAME", "values": ["_y.acm-validations.aws"]}]
    run_module(route53_records, {"zone_id": zone, "records": records})
    assert fake.writes == ["change_record_sets:UPSERT A app.example.com.,UPSERT AAAA app.example.com.,"
                           "UPSERT CNAME _x.example.com."]
    assert run_module(route53_records, {"zone_id": zone, "records": records})["changed"] is False


def test_value_records_compare_ttl_and_values(run_module, fake):
    zone = fake.add_zone("example.com")
    records = [{"name": "_x.example.com", "type": "CNAME", "values": ["_y.acm-validations.aws."], "ttl": 300}]
    fake.add_record(zone, {"Name": "_x.example.com.", "Type": "CNAME", "TTL": 60,
                           "ResourceRecords": [{"Value": "_y.acm-validations.aws"}]})
    result = run_module(route53_records, {"zone_id": zone, "records": records})
    assert result["actions"] == ["update record CNAME _x.example.com -> _y.acm-validations.aws. (ttl 300)"]


def test_zone_by_name_is_created_when_asked(run_module, fake):
    spec = {"zone_name": "example.com", "create_zone": True, "tags": {"Project": "p"}, "records": args("")["records"]}
    planned = run_module(route53_records, spec, check_mode=True)
    assert planned["zone_id"] == "planned:hosted-zone:example.com"
    assert planned["actions"][0] == "create public hosted zone example.com"
    assert fake.writes == []
    first = run_module(route53_records, spec)
    assert first["actions"] == planned["actions"]
    assert fake.writes[:2] == ["create_hosted_zone:example.com", "tag_zone:Project"]
    assert run_module(route53_records, spec)["changed"] is False


def test_missing_zone_is_an_error_unless_created(run_module, fake):
    with pytest.raises(ModuleFail, match=r"there is no public hosted zone named example\.com in this account"):
        run_module(route53_records, {"zone_name": "example.com", "records": []})


def test_private_zone_of_the_same_name_is_ignored(run_module, fake):
    fake.add_zone("example.com", private=True)
    with pytest.raises(ModuleFail, match=r"there is no public hosted zone named example\.com"):
        run_module(route53_records, {"zone_name": "example.com", "records": []})


def test_two_public_zones_are_ambiguous(run_module, fake):
    fake.add_zone("example.com")
    fake.add_zone("example.com")
    with pytest.raises(ModuleFail, match=r"found 2 public hosted zones named example.com \(.*\): keep the one"):
        run_module(route53_records, {"zone_name": "example.com", "records": []})


def test_record_outside_the_zone_is_refused(run_module, fake):
    zone = fake.add_zone("example.com")
    spec = {"zone_id": zone, "records": [{"name": "app.other.com", "type": "A", "alias": ALIAS}]}
    with pytest.raises(ModuleFail, match=r"record app\.other\.com is not inside hosted zone example\.com"):
        run_module(route53_records, spec)
    assert fake.writes == []


def test_record_with_a_routing_policy_is_not_overwritten(run_module, fake):
    zone = fake.add_zone("example.com")
    fake.add_record(zone, {"Name": "app.example.com.", "Type": "A", "SetIdentifier": "tokyo",
                           "Region": "ap-northeast-1",
                           "AliasTarget": {"HostedZoneId": "Z1", "DNSName": "x.", "EvaluateTargetHealth": True}})
    with pytest.raises(ModuleFail, match=r"A app\.example\.com exists with a Region routing policy"):
        run_module(route53_records, args(zone))


def test_planned_zone_and_alias_target_are_never_sent(run_module, fake):
    spec = {"zone_id": "planned:hosted-zone:example.com",
            "records": [{"name": "app.example.com", "type": "A",
                         "alias": {"dns_name": "planned:alb-dns:x", "hosted_zone_id": "planned:alb-zone:x"}}]}
    result = run_module(route53_records, spec, check_mode=True)
    assert result["actions"] == ["create record A app.example.com -> alias to planned:alb-dns:x"]
    with pytest.raises(ModuleFail, match=r"is a planned id from a check-mode run"):
        run_module(route53_records, {**spec, "zone_id": fake.add_zone("example.com")})
    with pytest.raises(ModuleFail, match=r"planned:hosted-zone:example\.com is a planned id"):
        run_module(route53_records, args("planned:hosted-zone:example.com"))
    assert fake.writes == []


@pytest.mark.parametrize(("record", "message"), [
    ({"name": "a.example.com", "type": "A"}, "needs either values or alias, not both"),
    ({"name": "a.example.com", "type": "A", "values": ["1.2.3.4"], "alias": ALIAS}, "needs either values or alias"),
    ({"name": "a.example.com", "type": "CNAME", "alias": ALIAS}, "is an alias of type CNAME; use A or AAAA"),
])
def test_input_errors(run_module, fake, record, message):
    with pytest.raises(ModuleFail, match=message):
        run_module(route53_records, {"zone_id": "Z1", "records": [record]})


def test_aws_error_becomes_fail_json_aws(run_module, fake, monkeypatch):
    def boom(*args, **kwargs):
        raise SoloAwsError("Failed to change the records of the hosted zone", exception=RuntimeError("throttled"))

    monkeypatch.setattr(route53, "change_record_sets", boom)
    with pytest.raises(ModuleFail, match=r"Failed to change the records of the hosted zone") as failure:
        run_module(route53_records, args(fake.add_zone("example.com")))
    assert isinstance(failure.value.result["exception"], RuntimeError)


def test_zone_id_and_name_together_skip_reading_the_zone(run_module, fake, monkeypatch):
    zone = fake.add_zone("example.com")

    def unexpected(*args, **kwargs):
        raise AssertionError("the zone was read although its id and name were given")

    monkeypatch.setattr(route53, "get_hosted_zone", unexpected)
    result = run_module(route53_records, args(zone, zone_name="example.com"))
    assert result["changed"] is True and result["name_servers"] == []
    with pytest.raises(ModuleFail, match="record app\\.example\\.com is not inside hosted zone other\\.com"):
        run_module(route53_records, args(zone, zone_name="other.com"))
    with pytest.raises(ModuleFail, match="create_zone needs zone_name without zone_id"):
        run_module(route53_records, args(zone, zone_name="example.com", create_zone=True))
