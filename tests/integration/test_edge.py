"""The edge role through site.yml against the emulator: plan, converge, idempotency, acceptance, bad input."""

from __future__ import annotations

import json

import pytest

from tests.support.aws import is_write, request_action

pytestmark = pytest.mark.slow

TAGS = ("--tags", "network,edge")
DOMAIN = "solo-saving.test"
FQDN = f"app.{DOMAIN}"
PREFIX = "solo-saving-local"


def write_actions(records):
    return [request_action(r) for r in records if is_write(r)]


def test_plan_converge_and_acceptance(aws, playbook):
    aws.start_recording()
    plan = playbook("site.yml", *TAGS, "--check", "--diff")
    records = aws.stop_recording()
    assert plan.rc == 0, plan.output[-6000:]
    # The network, then the certificate, the ALB, the DNS record and the web ACL (with its association).
    assert plan.recap()["changed"] >= 5
    assert write_actions(records) == []
    assert "planned:alb:solo-saving-local-alb" in plan.output

    first = playbook("site.yml", *TAGS, check=True)
    assert first.recap()["changed"] >= 5

    aws.start_recording()
    check = playbook("site.yml", *TAGS, "--check", "--diff", check=True)
    again = playbook("site.yml", *TAGS, check=True)
    scoped = playbook("site.yml", "--tags", "edge", check=True)  # the network comes from its lookup
    records = aws.stop_recording()
    for run in (check, again, scoped):
        assert run.recap()["changed"] == 0, run.output[-6000:]
    assert write_actions(records) == []
    assert "RequestCertificate" not in [request_action(r) for r in records]

    assert_acceptance(aws)


def assert_acceptance(aws):
    ec2, elbv2, acm = aws.client("ec2"), aws.client("elbv2"), aws.client("acm")
    route53, wafv2, logs = aws.client("route53"), aws.client("wafv2"), aws.client("logs")

    # One ISSUED certificate for the app's name.
    certificates = [c for c in acm.list_certificates()["CertificateSummaryList"] if c["DomainName"] == FQDN]
    assert len(certificates) == 1
    cert = acm.describe_certificate(CertificateArn=certificates[0]["CertificateArn"])["Certificate"]
    assert cert["Status"] == "ISSUED"
    tag_list = acm.list_tags_for_certificate(CertificateArn=cert["CertificateArn"])["Tags"]
    cert_tags = {t["Key"]: t["Value"] for t in tag_list}
    assert cert_tags["Name"] == f"{PREFIX}-app" and cert_tags["Project"] == "solo-saving"

    # The ALB: internet-facing, in the public subnets of both zones, behind the ALB security group.
    (lb,) = elbv2.describe_load_balancers(Names=[f"{PREFIX}-alb"])["LoadBalancers"]
    assert lb["Scheme"] == "internet-facing" and lb["Type"] == "application"
    subnets = ec2.describe_subnets(SubnetIds=[z["SubnetId"] for z in lb["AvailabilityZones"]])["Subnets"]
    assert sorted(s["AvailabilityZone"] for s in subnets) == ["ap-northeast-1a", "ap-northeast-1c"]
    assert {t["Value"] for s in subnets for t in s["Tags"] if t["Key"] == "Tier"} == {"public"}
    (group,) = ec2.describe_security_groups(GroupIds=lb["SecurityGroups"])["SecurityGroups"]
    assert group["GroupName"] == f"{PREFIX}-alb"
    attributes = {a["Key"]: a["Value"] for a in
                  elbv2.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]}
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attributes["deletion_protection.enabled"] == "false"  # local is not production

    # Listeners 443 (TLS 1.3 policy, the certificate, forward to the frontend only) and 80 (redirect only).
    listeners = {x["Port"]: x for x in elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]}
    assert sorted(listeners) == [80, 443]
    https = listeners[443]
    assert https["Protocol"] == "HTTPS"
    assert https["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert [c["CertificateArn"] for c in https["Certificates"]] == [cert["CertificateArn"]]
    (forward,) = https["DefaultActions"]
    (tg,) = elbv2.describe_target_groups(Names=[f"{PREFIX}-tg-frontend"])["TargetGroups"]
    assert forward["Type"] == "forward" and forward["TargetGroupArn"] == tg["TargetGroupArn"]
    (redirect,) = listeners[80]["DefaultActions"]
    assert redirect["Type"] == "redirect"
    assert redirect["RedirectConfig"]["Protocol"] == "HTTPS" and redirect["RedirectConfig"]["Port"] == "443"
    assert redirect["RedirectConfig"]["StatusCode"] == "HTTP_301"
    for listener in listeners.values():
        rules = elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
        assert [r for r in rules if not r["IsDefault"]] == []

    # The frontend target group: ip targets on the frontend port, short deregistration delay. No other group.
    assert (tg["TargetType"], tg["Port"], tg["Protocol"]) == ("ip", 3000, "HTTP")
    assert tg["HealthCheckPath"] == "/" and tg["Matcher"]["HttpCode"] == "200-399"
    tg_attributes = {a["Key"]: a["Value"] for a in
                     elbv2.describe_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"])["Attributes"]}
    assert str(tg_attributes["deregistration_delay.timeout_seconds"]) == "30"
    assert [g["TargetGroupName"] for g in elbv2.describe_target_groups()["TargetGroups"]] == [f"{PREFIX}-tg-frontend"]

    # Route 53: the zone, the validation record and the alias to the ALB.
    (zone,) = route53.list_hosted_zones_by_name(DNSName=DOMAIN)["HostedZones"]
    rrsets = route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
    by_key = {(r["Name"].rstrip("."), r["Type"]): r for r in rrsets}
    alias = by_key[(FQDN, "A")]["AliasTarget"]
    assert alias["DNSName"].rstrip(".").lower() == lb["DNSName"].lower()
    assert alias["HostedZoneId"] == lb["CanonicalHostedZoneId"]
    for option in cert["DomainValidationOptions"]:
        record = option["ResourceRecord"]
        stored = by_key[(record["Name"].rstrip("."), "CNAME")]
        assert [v["Value"].rstrip(".") for v in stored["ResourceRecords"]] == [record["Value"].rstrip(".")]

    # WAF: the web ACL with the managed groups, geo and rate rules, associated, logging with redaction.
    acl_arn = wafv2.get_web_acl_for_resource(ResourceArn=lb["LoadBalancerArn"])["WebACL"]["ARN"]
    (summary,) = [a for a in wafv2.list_web_acls(Scope="REGIONAL")["WebACLs"] if a["ARN"] == acl_arn]
    acl = wafv2.get_web_acl(Name=summary["Name"], Scope="REGIONAL", Id=summary["Id"])["WebACL"]
    assert acl["Name"] == f"{PREFIX}-waf" and acl["DefaultAction"] == {"Allow": {}}
    statements = [r["Statement"] for r in acl["Rules"]]
    managed = {s["ManagedRuleGroupStatement"]["Name"] for s in statements if "ManagedRuleGroupStatement" in s}
    assert managed == {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesSQLiRuleSet",
                       "AWSManagedRulesKnownBadInputsRuleSet"}
    assert {"NotStatement": {"Statement": {"GeoMatchStatement": {"CountryCodes": ["JP"]}}}} in statements
    (rate,) = [s["RateBasedStatement"] for s in statements if "RateBasedStatement" in s]
    assert rate["Limit"] == 2000 and rate["AggregateKeyType"] == "IP"
    logging = wafv2.get_logging_configuration(ResourceArn=acl_arn)["LoggingConfiguration"]
    (destination,) = logging["LogDestinationConfigs"]
    assert destination.endswith(f":log-group:aws-waf-logs-{PREFIX}")
    assert sorted(f["SingleHeader"]["Name"] for f in logging["RedactedFields"]) == ["authorization", "cookie"]
    (log_group,) = logs.describe_log_groups(logGroupNamePrefix=f"aws-waf-logs-{PREFIX}")["logGroups"]
    assert log_group["retentionInDays"] == 30


def test_a_changed_country_list_is_planned_with_its_content_then_applied(aws, playbook):
    playbook("site.yml", *TAGS, check=True)
    rules = [{"rate_limit": 2000}, {"geo_allow": ["JP", "US"]}, {"managed": "AWSManagedRulesKnownBadInputsRuleSet"},
             {"managed": "AWSManagedRulesCommonRuleSet"}, {"managed": "AWSManagedRulesSQLiRuleSet"}]
    extra = json.dumps({"edge_waf_rules": rules})
    aws.start_recording()
    plan = playbook("site.yml", "--tags", "edge", "--check", "--diff", "-e", extra, check=True)
    records = aws.stop_recording()
    assert write_actions(records) == []
    assert plan.recap()["changed"] == 1, plan.output[-6000:]
    diff = plan.stdout[plan.stdout.index("--- before"):]
    added = [" ".join(line.split()) for line in diff.splitlines() if line.startswith("+") and line[:3] != "+++"]
    removed = [line for line in diff.splitlines() if line.startswith("-") and line[:3] != "---"]
    assert added == ["+ - US"] and removed == [], diff[:4000]

    applied = playbook("site.yml", "--tags", "edge", "-e", extra, check=True)
    assert applied.recap()["changed"] == 1
    acls = aws.client("wafv2").list_web_acls(Scope="REGIONAL")["WebACLs"]
    acl = next(a for a in acls if a["Name"] == f"{PREFIX}-waf")
    found = aws.client("wafv2").get_web_acl(Name=acl["Name"], Scope="REGIONAL", Id=acl["Id"])["WebACL"]
    geo = next(r for r in found["Rules"] if r["Name"] == "geo-allow")
    assert geo["Statement"]["NotStatement"]["Statement"]["GeoMatchStatement"]["CountryCodes"] == ["JP", "US"]
    again = playbook("site.yml", "--tags", "edge", "-e", extra, check=True)
    assert again.recap()["changed"] == 0


def test_interrupted_run_adopts_the_certificate_it_requested(aws, playbook):
    """A run killed right after RequestCertificate left a tagged, pending certificate: no second one."""
    acm = aws.client("acm")
    arn = acm.request_certificate(DomainName=FQDN, ValidationMethod="DNS",
                                  Tags=[{"Key": "Name", "Value": f"{PREFIX}-app"}])["CertificateArn"]
    playbook("site.yml", *TAGS, check=True)
    certificates = [c["CertificateArn"] for c in acm.list_certificates()["CertificateSummaryList"]
                    if c["DomainName"] == FQDN]
    assert certificates == [arn]
    tags = {t["Key"]: t["Value"] for t in acm.list_tags_for_certificate(CertificateArn=arn)["Tags"]}
    assert tags["Project"] == "solo-saving"  # the stack's tags were added to it


@pytest.mark.parametrize(("extra", "expected"), [
    ({"edge_waf_rules": [{"rate_limit": 2000}, {"managed": "AWSManagedRulesSQLIRuleSet"}]},
     "edge_waf_rules[1] = {'managed': 'AWSManagedRulesSQLIRuleSet'}: unknown AWS managed rule group "
     "'AWSManagedRulesSQLIRuleSet'; did you mean AWSManagedRulesSQLiRuleSet?"),
    ({"edge_waf_rules": [{"geo_allow": ["JPN"]}]},
     "edge_waf_rules[0] = {'geo_allow': ['JPN']}: 'JPN' is not an ISO 3166-1 alpha-2 country code"),
    ({"edge_waf_rules": [{"rate_limit": 5}]},
     "edge_waf_rules[0] = {'rate_limit': 5}: rate limit 5 is outside what AWS WAF accepts: at least 10"),
    ({"edge_domain": ""}, "edge_domain = '' is not a valid domain name (it is empty): set the domain"),
    ({"edge_ssl_policy": "ELBSecurityPolicy-2016-08"},
     "edge_ssl_policy = 'ELBSecurityPolicy-2016-08': the HTTPS listener needs a TLS 1.3 policy"),
])
def test_bad_input_fails_in_preflight_before_any_aws_call(aws, playbook, extra, expected):
    aws.start_recording()
    run = playbook("site.yml", *TAGS, "-e", json.dumps(extra))
    records = aws.stop_recording()
    assert run.rc != 0
    assert expected in " ".join(run.output.split()), run.output[-4000:]
    assert records == [], [request_action(r) for r in records]


def test_dev_inventory_refuses_the_domain_placeholder(aws, playbook):
    aws.start_recording()
    run = playbook("site.yml", "-i", "inventories/dev", "--tags", "edge", "--check",
                   "-e", "stack_account_id=123456789012")
    records = aws.stop_recording()
    assert run.rc != 0
    assert ("edge_domain = '' is not a valid domain name (it is empty): set the domain whose public hosted zone "
            "serves the app, like 'example.com', in inventories/dev/group_vars/<env>/edge.yml") in " ".join(
        run.output.split())
    assert records == []
