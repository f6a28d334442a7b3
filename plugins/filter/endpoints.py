# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the endpoints layer: inventory validation and the module's endpoint list.

Pure functions on plain data; the FilterModule wrappers turn bad input types
into AnsibleFilterError. Messages name the inventory variable and say what to change.
"""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

# What the ECS tasks reach through an endpoint when there is no NAT gateway.
REQUIRED_INTERFACE = {
    "ecr.api": "the ECS agent authenticates to ECR and reads image manifests",
    "ecr.dkr": "the ECS agent pulls container images",
    "logs": "the awslogs driver ships container logs to CloudWatch Logs",
    "ssm": "ECS injects the SecureString parameters into the containers",
}
REQUIRED_GATEWAY = {"s3": "ECR stores image layers in S3"}
GATEWAY_SERVICES = ("s3", "dynamodb")
TIERS = ("public", "app", "db")
SERVICE_RE = re.compile(r"^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)*$")
ACCOUNT_RE = re.compile(r"^[0-9]{12}$")
# S3 bucket names (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")

# The data perimeter of an interface endpoint, after AWS's data-perimeter policy examples
# (https://github.com/aws-samples/data-perimeter-policy-examples, vpc_endpoint_policies/): this
# account's principals reach this account's resources, and AWS services acting for it pass. The stack
# has one account, so the accounts stand where the examples use the organization.
PERIMETER_SIDS = ("StackAccountToStackAccount", "AwsServicePrincipals")
# Per-service exceptions AWS documents: resources AWS owns that this account's principals read.
PERIMETER_EXCEPTIONS = {
    # Public parameters (/aws/service/...: AMI ids, regions) live in no account of ours
    # (https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-public-parameters.html).
    "ssm": {"Sid": "StackAccountToAwsPublicParameters",
            "Action": ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
            "Resource": "arn:aws:ssm:{region}::parameter/aws/*"},
}


def _items(value, name, errors):
    if value is None:
        return []
    if not isinstance(value, list):
        errors.append(f"{name} must be a list of mappings like {{service: ecr.api}}")
        return []
    items = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not item.get("service"):
            errors.append(f"{name}[{i}] must be a mapping with a service name, like {{service: secretsmanager}}")
            continue
        items.append((f"{name}[{i}]", item))
    return items


def _check_policy(where, policy, errors):
    if policy in (None, {}, ""):
        return
    if not isinstance(policy, dict) or "Statement" not in policy:
        errors.append(f"{where}.policy must be a policy document (a mapping with a Statement), "
                      "or be left out for AWS's default full-access policy")


def perimeter_policy(service, account_id, region, buckets=()):
    """The policy an endpoint of ``service`` gets when the inventory gives it none.

    Interface endpoints: the account's own principals to the account's own resources, AWS service
    principals, and the exceptions of ``PERIMETER_EXCEPTIONS``. The S3 gateway: what the tasks read
    from S3, nothing else - the objects of ECR's layer bucket for the region (AWS's "minimum Amazon S3
    bucket permissions for Amazon ECR",
    https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html#ecr-setting-up-s3-gateway)
    and the ``buckets`` the inventory names, by this account's principals.
    """
    principal_account = {"aws:PrincipalAccount": account_id}
    if service == "s3":
        # No principal condition on the layers: ECR hands the tasks URLs that S3 serves for ECR.
        statements = [{"Sid": "EcrImageLayers", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                       "Resource": f"arn:aws:s3:::prod-{region}-starport-layer-bucket/*"}]
        if buckets:
            resources = []
            for bucket in buckets:
                resources += [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
            statements.append({"Sid": "StackBuckets", "Effect": "Allow", "Principal": "*", "Action": "s3:*",
                               "Resource": resources,
                               "Condition": {"StringEquals": {**principal_account, "aws:ResourceAccount": account_id}}})
        return {"Version": "2012-10-17", "Statement": statements}
    statements = [
        {"Sid": PERIMETER_SIDS[0], "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
         "Condition": {"StringEquals": {**principal_account, "aws:ResourceAccount": account_id}}},
        {"Sid": PERIMETER_SIDS[1], "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
         "Condition": {"Bool": {"aws:PrincipalIsAWSService": "true"}}},
    ]
    exception = PERIMETER_EXCEPTIONS.get(service)
    if exception:
        statements.append({"Sid": exception["Sid"], "Effect": "Allow", "Principal": "*",
                           "Action": exception["Action"], "Resource": exception["Resource"].format(region=region),
                           "Condition": {"StringEquals": principal_account}})
    return {"Version": "2012-10-17", "Statement": statements}


def endpoint_policies(interface, gateway, perimeter=None):
    """``{service: policy}`` for every endpoint: the entry's own policy, else the perimeter's, else None.

    ``perimeter`` is ``{enabled, account_id, region, s3_buckets}``; None or ``enabled: false`` leaves
    the entries without a policy at AWS's default (full access).
    """
    perimeter = perimeter or {}
    result = {}
    for item in list(interface) + list(gateway):
        if item.get("policy"):
            result[item["service"]] = item["policy"]
        elif perimeter.get("enabled"):
            result[item["service"]] = perimeter_policy(item["service"], str(perimeter["account_id"]),
                                                       perimeter["region"], perimeter.get("s3_buckets") or ())
        else:
            result[item["service"]] = None
    return result


def endpoints_errors(spec):
    """Every problem with the endpoints inputs, as messages; [] when all is well.

    ``spec`` keys: interface, extra_interface, gateway (lists of {service, azs, policy, private_dns}),
    azs, network_azs, min_azs, route_tiers.
    """
    errors = []
    network_azs = list(spec.get("network_azs") or [])
    default_azs = spec.get("azs") or []
    min_azs = int(spec.get("min_azs") or 1)
    if not isinstance(default_azs, list):
        errors.append("endpoints_azs must be a list of availability zones (empty: every zone of the network)")
        default_azs = []

    def check_azs(name, azs):
        unknown = [az for az in azs if az not in network_azs]
        if unknown:
            errors.append(f"{name} = {azs!r} names {', '.join(map(str, unknown))}, not a zone of the network "
                          f"({', '.join(network_azs)}): the endpoints go into the app subnets of those zones")
        if len(set(azs)) != len(azs):
            errors.append(f"{name} = {azs!r} lists a zone twice: an endpoint has at most one subnet per zone")
        effective = azs or network_azs
        if len(set(effective)) < min_azs:
            errors.append(f"{name} = {azs!r} puts endpoints in {len(set(effective))} zone(s); this environment "
                          f"needs at least {min_azs} so that tasks survive the loss of a zone (add zones, or "
                          "leave it empty for every zone of the network)")

    check_azs("endpoints_azs", default_azs)
    seen = {}
    for source in ("interface", "extra_interface"):
        for where, item in _items(spec.get(source), f"endpoints_{source}", errors):
            service = str(item["service"])
            if not SERVICE_RE.match(service):
                errors.append(f"{where}.service = '{service}' is not a service name like 'ecr.api' or "
                              "'secretsmanager' (the part after com.amazonaws.<region>.)")
            if service in seen:
                errors.append(f"{where}.service = '{service}' is already listed in {seen[service]}: "
                              "list each interface endpoint once")
            seen.setdefault(service, where)
            azs = item.get("azs") or []
            if not isinstance(azs, list):
                errors.append(f"{where}.azs must be a list of availability zones")
            elif azs:
                check_azs(f"{where}.azs", azs)
            _check_policy(where, item.get("policy"), errors)
    for service, why in REQUIRED_INTERFACE.items():
        if service not in seen:
            errors.append(f"endpoints_interface must include {{service: {service}}}: without a NAT gateway it is "
                          f"the only way {why}")
    gateways = {}
    for where, item in _items(spec.get("gateway"), "endpoints_gateway", errors):
        service = str(item["service"])
        if service not in GATEWAY_SERVICES:
            errors.append(f"{where}.service = '{service}': gateway endpoints exist only for "
                          f"{' and '.join(GATEWAY_SERVICES)}; list other services in endpoints_extra_interface")
        if service in gateways:
            errors.append(f"{where}.service = '{service}' is already listed in {gateways[service]}")
        gateways.setdefault(service, where)
        _check_policy(where, item.get("policy"), errors)
    for service, why in REQUIRED_GATEWAY.items():
        if service not in gateways:
            errors.append(f"endpoints_gateway must include {{service: {service}}}: {why}, and the tasks have no "
                          "other way to reach it")
    perimeter = spec.get("perimeter")
    if perimeter is not None:
        if not isinstance(perimeter.get("enabled"), bool):
            errors.append("endpoints_perimeter must be true (endpoint policies keep requests to this account) "
                          "or false (AWS's default full-access policy)")
        elif perimeter["enabled"] and not ACCOUNT_RE.match(str(perimeter.get("account_id") or "")):
            errors.append(f"endpoints_account_id = {perimeter.get('account_id')!r}: the endpoint policies allow "
                          "only this account's principals and resources, so set stack_account_id (or "
                          "endpoints_account_id) to the 12-digit id of the account, or endpoints_perimeter: false")
        buckets = perimeter.get("s3_buckets")
        if not isinstance(buckets, list):
            errors.append("endpoints_s3_buckets must be a list of bucket names the tasks reach through the S3 "
                          "gateway endpoint (empty: only ECR's image layers)")
        else:
            for i, bucket in enumerate(buckets):
                if not isinstance(bucket, str) or not BUCKET_RE.match(bucket) or ".." in bucket:
                    errors.append(f"endpoints_s3_buckets[{i}] = {bucket!r} is not an S3 bucket name "
                                  "(3-63 characters: lower-case letters, digits, '.' and '-')")
    tiers = spec.get("route_tiers") or []
    if not isinstance(tiers, list) or not tiers:
        errors.append("endpoints_gateway_route_tiers must list the tiers whose route tables get the gateway "
                      "endpoints (for example [app, db])")
    else:
        for tier in tiers:
            if tier not in TIERS:
                errors.append(f"endpoints_gateway_route_tiers names '{tier}'; the tiers are {', '.join(TIERS)}")
    return errors


def endpoint_specs(interface, gateway, network, azs=None, route_tiers=("app", "db"), perimeter=None):
    """The vpc_endpoints module's ``endpoints`` list, from the role's inputs and ``network_result``.

    Interface endpoints go into the app subnets of their zones (the entry's
    ``azs``, else ``azs``, else every zone of the network, in the network's
    order) with the network's endpoint security group; gateway endpoints go on
    the route tables of ``route_tiers``. Each gets the policy ``endpoint_policies`` gives it.
    """
    policies = endpoint_policies(interface, gateway, perimeter)
    network_azs = list(network.get("azs") or network["subnets"]["app"].keys())
    app_subnets = network["subnets"]["app"]
    group = network["security_group_ids"]["endpoints"]
    result = []
    for item in interface:
        wanted = item.get("azs") or azs or network_azs
        missing = [az for az in wanted if az not in app_subnets]
        if missing:
            raise ValueError(f"the network has no app subnet in {', '.join(missing)} "
                             f"(endpoint {item['service']})")
        entry = {
            "service": item["service"],
            "type": "interface",
            "subnet_ids": [app_subnets[az] for az in network_azs if az in wanted],
            "security_group_ids": [group],
            "private_dns_enabled": bool(item.get("private_dns", True)),
        }
        if policies[item["service"]]:
            entry["policy"] = policies[item["service"]]
        result.append(entry)
    for item in gateway:
        entry = {
            "service": item["service"],
            "type": "gateway",
            "route_table_ids": [network["route_table_ids"][tier] for tier in route_tiers],
        }
        if policies[item["service"]]:
            entry["policy"] = policies[item["service"]]
        result.append(entry)
    return result


def _endpoints_errors(spec):
    if not isinstance(spec, dict):
        raise AnsibleFilterError(f"endpoints_errors expects a mapping, got {type(spec).__name__}")
    return endpoints_errors(spec)


def _endpoint_specs(interface, gateway, network, azs=None, route_tiers=("app", "db"), perimeter=None):
    if not isinstance(interface, list) or not isinstance(gateway, list):
        raise AnsibleFilterError("endpoint_specs expects the lists of interface and gateway endpoints")
    if not isinstance(network, dict) or "subnets" not in network:
        raise AnsibleFilterError("endpoint_specs expects network_result (run the network role first)")
    try:
        return endpoint_specs(interface, gateway, network, azs, route_tiers, perimeter)
    except (KeyError, ValueError) as e:
        raise AnsibleFilterError(f"endpoint_specs: {e}") from None


def _endpoint_policies(interface, gateway, perimeter=None):
    if not isinstance(interface, list) or not isinstance(gateway, list):
        raise AnsibleFilterError("endpoint_policies expects the lists of interface and gateway endpoints")
    try:
        return endpoint_policies(interface, gateway, perimeter)
    except (KeyError, TypeError) as e:
        raise AnsibleFilterError(f"endpoint_policies: {e}") from None


class FilterModule:
    def filters(self):
        return {"endpoints_errors": _endpoints_errors, "endpoint_specs": _endpoint_specs,
                "endpoint_policies": _endpoint_policies}
