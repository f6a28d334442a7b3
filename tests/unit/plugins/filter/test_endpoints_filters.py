"""endpoints_errors / endpoint_specs: every rule, with the message a user reads."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.solo_saving.infra.plugins.filter.endpoints import (
    FilterModule,
    endpoint_policies,
    endpoint_specs,
    endpoints_errors,
    perimeter_policy,
)

BASE = [{"service": "ecr.api"}, {"service": "ecr.dkr"}, {"service": "logs"}, {"service": "ssm"}]
GOOD = {
    "interface": BASE,
    "extra_interface": [],
    "gateway": [{"service": "s3"}],
    "azs": [],
    "network_azs": ["ap-northeast-1a", "ap-northeast-1c"],
    "min_azs": 1,
    "route_tiers": ["app", "db"],
}
NETWORK = {
    "vpc_id": "vpc-1",
    "azs": ["ap-northeast-1a", "ap-northeast-1c"],
    "subnets": {"app": {"ap-northeast-1a": "subnet-a", "ap-northeast-1c": "subnet-c"}},
    "route_table_ids": {"public": "rtb-p", "app": "rtb-app", "db": "rtb-db"},
    "security_group_ids": {"endpoints": "sg-e"},
}


ACCOUNT = "123456789012"
PERIMETER = {"enabled": True, "account_id": ACCOUNT, "region": "ap-northeast-1", "s3_buckets": []}


def spec(**changes):
    return {**GOOD, **changes}


def test_good_spec_has_no_errors():
    assert endpoints_errors(spec()) == []
    assert endpoints_errors(spec(perimeter=PERIMETER)) == []
    assert endpoints_errors(spec(perimeter={**PERIMETER, "enabled": False, "account_id": ""})) == []
    assert endpoints_errors(spec(extra_interface=[{"service": "secretsmanager"}, {"service": "kms", "azs": [
        "ap-northeast-1a"], "policy": {"Statement": []}}])) == []


@pytest.mark.parametrize(("changes", "expected"), [
    ({"interface": BASE[:3]}, "endpoints_interface must include {service: ssm}: without a NAT gateway it is the "
                              "only way ECS injects the SecureString parameters into the containers"),
    ({"interface": BASE[1:]}, "endpoints_interface must include {service: ecr.api}"),
    ({"gateway": []}, "endpoints_gateway must include {service: s3}: ECR stores image layers in S3"),
    ({"gateway": [{"service": "s3"}, {"service": "sqs"}]},
     "endpoints_gateway[1].service = 'sqs': gateway endpoints exist only for s3 and dynamodb; list other services "
     "in endpoints_extra_interface"),
    ({"gateway": [{"service": "s3"}, {"service": "s3"}]},
     "endpoints_gateway[1].service = 's3' is already listed in endpoints_gateway[0]"),
    ({"extra_interface": [{"service": "logs"}]},
     "endpoints_extra_interface[0].service = 'logs' is already listed in endpoints_interface[2]: list each "
     "interface endpoint once"),
    ({"extra_interface": [{"service": "Secrets Manager"}]},
     "endpoints_extra_interface[0].service = 'Secrets Manager' is not a service name like 'ecr.api'"),
    ({"extra_interface": ["sts"]}, "endpoints_extra_interface[0] must be a mapping with a service name, like "
                                   "{service: secretsmanager}"),
    ({"extra_interface": "sts"}, "endpoints_extra_interface must be a list of mappings like {service: ecr.api}"),
    ({"azs": ["ap-northeast-1d"]}, "endpoints_azs = ['ap-northeast-1d'] names ap-northeast-1d, not a zone of the "
                                   "network (ap-northeast-1a, ap-northeast-1c)"),
    ({"azs": ["ap-northeast-1a", "ap-northeast-1a"]}, "lists a zone twice: an endpoint has at most one subnet per "
                                                      "zone"),
    ({"azs": ["ap-northeast-1a"], "min_azs": 2},
     "endpoints_azs = ['ap-northeast-1a'] puts endpoints in 1 zone(s); this environment needs at least 2"),
    ({"azs": "ap-northeast-1a"}, "endpoints_azs must be a list of availability zones"),
    ({"perimeter": {"enabled": True, "account_id": "", "s3_buckets": []}},
     "endpoints_account_id = '': the endpoint policies allow only this account's principals and resources, so set "
     "stack_account_id (or endpoints_account_id) to the 12-digit id of the account, or endpoints_perimeter: false"),
    ({"perimeter": {"enabled": "yes", "account_id": ACCOUNT, "s3_buckets": []}},
     "endpoints_perimeter must be true"),
    ({"perimeter": {"enabled": True, "account_id": ACCOUNT, "s3_buckets": "my-bucket"}},
     "endpoints_s3_buckets must be a list of bucket names"),
    ({"perimeter": {"enabled": True, "account_id": ACCOUNT, "s3_buckets": ["ok-bucket", "Bad_Bucket"]}},
     "endpoints_s3_buckets[1] = 'Bad_Bucket' is not an S3 bucket name"),
    ({"extra_interface": [{"service": "sts", "azs": ["ap-northeast-1b"]}]},
     "endpoints_extra_interface[0].azs = ['ap-northeast-1b'] names ap-northeast-1b"),
    ({"extra_interface": [{"service": "sts", "policy": "allow all"}]},
     "endpoints_extra_interface[0].policy must be a policy document (a mapping with a Statement)"),
    ({"gateway": [{"service": "s3", "policy": {"Version": "2012-10-17"}}]},
     "endpoints_gateway[0].policy must be a policy document"),
    ({"route_tiers": []}, "endpoints_gateway_route_tiers must list the tiers"),
    ({"route_tiers": ["app", "private"]},
     "endpoints_gateway_route_tiers names 'private'; the tiers are public, app, db"),
])
def test_each_rule_names_the_variable(changes, expected):
    errors = endpoints_errors(spec(**changes))
    assert any(expected in e for e in errors), errors


def test_a_production_network_in_two_zones_passes_with_every_zone():
    assert endpoints_errors(spec(min_azs=2)) == []


def test_endpoint_specs_place_interfaces_in_app_subnets_and_gateways_on_route_tables():
    kms = {"service": "kms", "azs": ["ap-northeast-1c"], "private_dns": False, "policy": {"Statement": []}}
    result = endpoint_specs([BASE[0], kms], [{"service": "s3"}], NETWORK)
    assert result == [
        {"service": "ecr.api", "type": "interface", "subnet_ids": ["subnet-a", "subnet-c"],
         "security_group_ids": ["sg-e"], "private_dns_enabled": True},
        {"service": "kms", "type": "interface", "subnet_ids": ["subnet-c"], "security_group_ids": ["sg-e"],
         "private_dns_enabled": False, "policy": {"Statement": []}},
        {"service": "s3", "type": "gateway", "route_table_ids": ["rtb-app", "rtb-db"]},
    ]


def test_endpoint_specs_keep_the_network_zone_order_and_honour_the_default_zones():
    result = endpoint_specs(BASE[:1], [], NETWORK, azs=["ap-northeast-1c", "ap-northeast-1a"], route_tiers=["app"])
    assert result[0]["subnet_ids"] == ["subnet-a", "subnet-c"]
    result = endpoint_specs(BASE[:1], [{"service": "s3"}], NETWORK, azs=["ap-northeast-1c"], route_tiers=["app"])
    assert result[0]["subnet_ids"] == ["subnet-c"]
    assert result[1]["route_table_ids"] == ["rtb-app"]


def test_endpoint_specs_accept_planned_ids():
    network = {**NETWORK, "subnets": {"app": {"ap-northeast-1a": "planned:subnet:x-app-1a",
                                              "ap-northeast-1c": "planned:subnet:x-app-1c"}}}
    assert endpoint_specs(BASE[:1], [], network)[0]["subnet_ids"] == ["planned:subnet:x-app-1a",
                                                                       "planned:subnet:x-app-1c"]


@pytest.mark.parametrize(("args", "message"), [
    ((BASE, [], NETWORK, ["ap-northeast-1d"]), "endpoint_specs: the network has no app subnet in ap-northeast-1d"),
    ((BASE, [{"service": "s3"}], NETWORK, None, ["edge"]), "endpoint_specs: 'edge'"),
    ((BASE, [], {}), "endpoint_specs expects network_result"),
    (("ecr.api", [], NETWORK), "endpoint_specs expects the lists"),
])
def test_endpoint_specs_wrapper_errors(args, message):
    with pytest.raises(AnsibleFilterError, match=message):
        FilterModule().filters()["endpoint_specs"](*args)


def test_endpoints_errors_wrapper_refuses_a_non_mapping():
    with pytest.raises(AnsibleFilterError, match="endpoints_errors expects a mapping, got list"):
        FilterModule().filters()["endpoints_errors"]([])


def test_the_perimeter_keeps_interface_requests_inside_the_account():
    policy = perimeter_policy("logs", ACCOUNT, "ap-northeast-1")
    assert policy["Statement"] == [
        {"Sid": "StackAccountToStackAccount", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCOUNT, "aws:ResourceAccount": ACCOUNT}}},
        {"Sid": "AwsServicePrincipals", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
         "Condition": {"Bool": {"aws:PrincipalIsAWSService": "true"}}},
    ]


def test_ssm_also_reads_aws_public_parameters_only():
    extra = perimeter_policy("ssm", ACCOUNT, "ap-northeast-1")["Statement"][2]
    assert extra["Resource"] == "arn:aws:ssm:ap-northeast-1::parameter/aws/*"
    assert extra["Action"] == ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"]
    assert extra["Condition"] == {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}


def test_the_s3_gateway_admits_ecr_layers_and_the_named_buckets_only():
    assert perimeter_policy("s3", ACCOUNT, "ap-northeast-1")["Statement"] == [
        {"Sid": "EcrImageLayers", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::prod-ap-northeast-1-starport-layer-bucket/*"}]
    buckets = perimeter_policy("s3", ACCOUNT, "ap-northeast-1", ["uploads"])["Statement"][1]
    assert buckets["Resource"] == ["arn:aws:s3:::uploads", "arn:aws:s3:::uploads/*"]
    assert buckets["Condition"] == {"StringEquals": {"aws:PrincipalAccount": ACCOUNT, "aws:ResourceAccount": ACCOUNT}}


def test_an_entry_policy_wins_and_no_perimeter_means_aws_default():
    own = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]}
    interface = [{"service": "ecr.api", "policy": own}, {"service": "logs"}]
    policies = endpoint_policies(interface, [{"service": "s3"}], PERIMETER)
    assert policies["ecr.api"] == own
    assert policies["logs"] == perimeter_policy("logs", ACCOUNT, "ap-northeast-1")
    assert policies["s3"] == perimeter_policy("s3", ACCOUNT, "ap-northeast-1")
    assert endpoint_policies(interface, [{"service": "s3"}], {**PERIMETER, "enabled": False}) == {
        "ecr.api": own, "logs": None, "s3": None}


def test_endpoint_specs_carry_the_perimeter_policies():
    result = endpoint_specs(BASE[:1], [{"service": "s3"}], NETWORK, perimeter=PERIMETER)
    assert result[0]["policy"] == perimeter_policy("ecr.api", ACCOUNT, "ap-northeast-1")
    assert result[1]["policy"] == perimeter_policy("s3", ACCOUNT, "ap-northeast-1")
