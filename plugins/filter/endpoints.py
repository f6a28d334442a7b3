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
    tiers = spec.get("route_tiers") or []
    if not isinstance(tiers, list) or not tiers:
        errors.append("endpoints_gateway_route_tiers must list the tiers whose route tables get the gateway "
                      "endpoints (for example [app, db])")
    else:
        for tier in tiers:
            if tier not in TIERS:
                errors.append(f"endpoints_gateway_route_tiers names '{tier}'; the tiers are {', '.join(TIERS)}")
    return errors


def endpoint_specs(interface, gateway, network, azs=None, route_tiers=("app", "db")):
    """The vpc_endpoints module's ``endpoints`` list, from the role's inputs and ``network_result``.

    Interface endpoints go into the app subnets of their zones (the entry's
    ``azs``, else ``azs``, else every zone of the network, in the network's
    order) with the network's endpoint security group; gateway endpoints go on
    the route tables of ``route_tiers``.
    """
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
        if item.get("policy"):
            entry["policy"] = item["policy"]
        result.append(entry)
    for item in gateway:
        entry = {
            "service": item["service"],
            "type": "gateway",
            "route_table_ids": [network["route_table_ids"][tier] for tier in route_tiers],
        }
        if item.get("policy"):
            entry["policy"] = item["policy"]
        result.append(entry)
    return result


def _endpoints_errors(spec):
    if not isinstance(spec, dict):
        raise AnsibleFilterError(f"endpoints_errors expects a mapping, got {type(spec).__name__}")
    return endpoints_errors(spec)


def _endpoint_specs(interface, gateway, network, azs=None, route_tiers=("app", "db")):
    if not isinstance(interface, list) or not isinstance(gateway, list):
        raise AnsibleFilterError("endpoint_specs expects the lists of interface and gateway endpoints")
    if not isinstance(network, dict) or "subnets" not in network:
        raise AnsibleFilterError("endpoint_specs expects network_result (run the network role first)")
    try:
        return endpoint_specs(interface, gateway, network, azs, route_tiers)
    except (KeyError, ValueError) as e:
        raise AnsibleFilterError(f"endpoint_specs: {e}") from None


class FilterModule:
    def filters(self):
        return {"endpoints_errors": _endpoints_errors, "endpoint_specs": _endpoint_specs}
