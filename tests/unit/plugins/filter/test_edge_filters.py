"""edge_errors: every rule of the edge inputs, with the message a user reads."""

from __future__ import annotations

import copy

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.solo_saving.infra.plugins.filter.edge import FilterModule, dns_name_problem, edge_errors

GOOD = {
    "domain": "solo-saving.test",
    "app_host": "app",
    "sans": ["www.solo-saving.test"],
    "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "health_check": {"path": "/", "interval": 15, "timeout": 5, "healthy_threshold": 2, "unhealthy_threshold": 3,
                     "matcher": "200-399"},
    "deregistration_delay": 30,
    "idle_timeout": 60,
    "access_logs": {"enabled": True, "bucket": "", "prefix": "alb", "retention_days": 90},
    "account_id": "123456789012",
    "acm_wait_timeout": 900,
    "waf_rules": [{"managed": "AWSManagedRulesCommonRuleSet"}, {"geo_allow": ["JP"]}, {"rate_limit": 2000}],
    "waf_log_retention_days": 30,
    "metric_prefix": "solo-saving-local",
    "inventory_dir": "inventories/dev",
}


def spec(**changes):
    data = copy.deepcopy(GOOD)
    for key, value in changes.items():
        if "." in key:
            outer, inner = key.split(".")
            data[outer][inner] = value
        else:
            data[key] = value
    return data


def test_good_spec_has_no_errors():
    assert edge_errors(spec()) == []
    assert edge_errors(spec(app_host="", sans=["*.solo-saving.test"])) == []


@pytest.mark.parametrize(("changes", "expected"), [
    ({"domain": ""}, "edge_domain = '' is not a valid domain name (it is empty): set the domain whose public hosted "
                     "zone serves the app, like 'example.com', in inventories/dev/group_vars/<env>/edge.yml"),
    ({"domain": None}, "edge_domain = None is not a valid domain name (it is empty)"),
    ({"domain": "localhost"}, "edge_domain = 'localhost' is not a valid domain name (it needs at least two labels"),
    ({"domain": "Example.com"}, "edge_domain = 'Example.com' is not a valid domain name (use lower case)"),
    ({"domain": "-bad.example.com"}, "label '-bad' must be 1-63 letters, digits or hyphens"),
    ({"domain": "under_score.com"}, "label 'under_score' must be 1-63 letters"),
    ({"domain": "example.123"}, "'123' is not a top-level domain"),
    ({"domain": "a" * 64 + ".com"}, "must be 1-63 letters"),
    ({"app_host": "my app"}, "edge_app_host = 'my app' makes the host name 'my app.solo-saving.test', which is not "
                             "valid"),
    ({"app_host": None}, "edge_app_host = None must be a host name inside edge_domain"),
    ({"sans": "www.solo-saving.test"}, "edge_certificate_sans = 'www.solo-saving.test' must be a list"),
    ({"sans": ["www.other.test"]}, "edge_certificate_sans[0] = 'www.other.test' is not inside edge_domain "
                                   "(solo-saving.test)"),
    ({"sans": ["bad..solo-saving.test"]}, "edge_certificate_sans[0] = 'bad..solo-saving.test' is not a valid DNS name"),
    ({"sans": ["app.solo-saving.test"]}, "edge_certificate_sans[0] = 'app.solo-saving.test' is the app's host name"),
    ({"ssl_policy": "ELBSecurityPolicy-2016-08"}, "edge_ssl_policy = 'ELBSecurityPolicy-2016-08': the HTTPS listener "
                                                  "needs a TLS 1.3 policy"),
    ({"health_check.path": "health"}, "edge_health_check.path = 'health' must be a path starting with '/'"),
    ({"health_check.interval": 3}, "edge_health_check.interval = 3 must be between 5 and 300 of seconds"),
    ({"health_check.timeout": 15}, "edge_health_check.timeout = 15 must be shorter than edge_health_check.interval"),
    ({"health_check.timeout": "5"}, "edge_health_check.timeout = '5' must be a whole number of seconds"),
    ({"health_check.healthy_threshold": 1}, "edge_health_check.healthy_threshold = 1 must be between 2 and 10"),
    ({"health_check.unhealthy_threshold": 11}, "edge_health_check.unhealthy_threshold = 11 must be between 2 and 10"),
    ({"health_check.matcher": "ok"}, "edge_health_check.matcher = 'ok' must be HTTP codes from 200 to 499"),
    ({"health_check.matcher": "200-599"}, "edge_health_check.matcher = '200-599' must be HTTP codes"),
    ({"health_check": None}, "edge_health_check must be a mapping"),
    ({"deregistration_delay": 3601}, "edge_deregistration_delay = 3601 must be between 0 and 3600 of seconds"),
    ({"deregistration_delay": True}, "edge_deregistration_delay = True must be a whole number of seconds"),
    ({"idle_timeout": 0}, "edge_idle_timeout = 0 must be between 1 and 4000"),
    ({"acm_wait_timeout": 10}, "edge_acm_wait_timeout = 10 must be between 60 and 7200"),
    ({"metric_prefix": "a-very-long-project-name-for-a-stack-prefix"},
     "edge_access_logs.bucket = '' makes the stack's own bucket 'a-very-long-project-name-for-a-stack-prefix-alb-logs-"
     "123456789012', longer than the 63 characters S3 allows"),
    ({"access_logs.retention_days": 0}, "edge_access_logs.retention_days = 0 must be between 1 and 3650 of days"),
    ({"access_logs.retention_days": "90"}, "edge_access_logs.retention_days = '90' must be a whole number of days"),
    ({"access_logs": {"enabled": True, "bucket": "Logs_Bucket", "prefix": ""}}, "edge_access_logs.bucket = 'Logs_"),
    ({"access_logs": {"enabled": True, "bucket": "logs-bucket", "prefix": "/alb/"}},
     "edge_access_logs.prefix = '/alb/' must not start or end with '/'"),
    ({"access_logs": {"enabled": "yes"}}, "edge_access_logs must be a mapping with enabled (true/false)"),
    ({"waf_log_retention_days": 31}, "edge_waf_log_retention_days = 31 is not a value CloudWatch Logs accepts"),
    ({"waf_rules": [{"rate_limit": 5}]}, "edge_waf_rules[0] = {'rate_limit': 5}: rate limit 5 is outside"),
    ({"waf_rules": [{"geo_allow": ["JPN"]}]}, "edge_waf_rules[0] = {'geo_allow': ['JPN']}: 'JPN' is not an ISO"),
])
def test_each_rule_names_the_variable(changes, expected):
    errors = edge_errors(spec(**changes))
    assert any(expected in e for e in errors), errors


def test_access_logs_with_a_bucket_are_fine():
    assert edge_errors(spec(access_logs={"enabled": True, "bucket": "solo-saving-logs", "prefix": "alb"})) == []
    assert edge_errors(spec(access_logs={"enabled": False})) == []


def test_the_stacks_own_log_bucket_is_named_after_the_prefix_and_account():
    filters = FilterModule().filters()
    assert filters["access_log_bucket_name"]("solo-saving-prod", "123456789012") == \
        "solo-saving-prod-alb-logs-123456789012"


@pytest.mark.parametrize(("region", "principal"), [
    # a region opened before August 2022: its Elastic Load Balancing account
    ("ap-northeast-1", {"AWS": "arn:aws:iam::582318560864:root"}),
    ("us-gov-west-1", {"AWS": "arn:aws-us-gov:iam::048591011584:root"}),
    # a newer region: the log delivery service principal
    ("ap-southeast-5", {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}),
])
def test_log_delivery_may_write_only_this_accounts_logs_under_the_prefix(region, principal):
    statements = FilterModule().filters()["alb_log_delivery_statements"]("b", "alb", "123456789012", region)
    partition = "aws-us-gov" if region.startswith("us-gov-") else "aws"
    assert statements == [{"Sid": "AllowLoadBalancerAccessLogs", "Effect": "Allow", "Principal": principal,
                           "Action": "s3:PutObject",
                           "Resource": f"arn:{partition}:s3:::b/alb/AWSLogs/123456789012/*"}]
    bare = FilterModule().filters()["alb_log_delivery_statements"]("b", "", "123456789012", region)
    assert bare[0]["Resource"].endswith(":::b/AWSLogs/123456789012/*")


@pytest.mark.parametrize(("name", "problem"), [
    ("example.com", None),
    ("example.com.", None),
    ("*.example.com", "label '*' must be 1-63 letters, digits or hyphens, not starting or ending with a hyphen"),
    ("a.b-", "label 'b-' must be 1-63 letters, digits or hyphens, not starting or ending with a hyphen"),
    ("x" * 250 + ".com", "it is longer than 253 characters"),
])
def test_dns_name_problem(name, problem):
    assert dns_name_problem(name) == problem


def test_wildcards_are_allowed_where_asked():
    assert dns_name_problem("*.example.com", allow_wildcard=True) is None


def test_filter_wrapper_checks_its_input():
    with pytest.raises(AnsibleFilterError, match="edge_errors expects a mapping, got list"):
        FilterModule().filters()["edge_errors"]([])
