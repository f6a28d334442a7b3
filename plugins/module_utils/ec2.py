# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""EC2 API wrappers: one function per call, each retried, one error type.

Reads take filters (never identifiers that may be planned) and return plain
lists; deletes treat "not found" as done.
"""

from __future__ import annotations

try:
    from botocore.exceptions import ClientError
except ImportError:  # pragma: no cover - handled by AnsibleAWSModule
    ClientError = Exception

from ansible_collections.solo_saving.infra.plugins.module_utils.common import (
    RETRY_CODES,
    Condition,
    aws_call,
    error_code,
    idempotency_token,
)


def filters(**kwargs):
    """filters(vpc_id='vpc-1', attachment__vpc_id='vpc-1', tag__Name='x') -> EC2 Filters.

    ``tag__X`` becomes ``tag:X``; otherwise ``__`` becomes ``.`` and ``_`` becomes ``-``.
    """
    result = []
    for key, value in kwargs.items():
        name = "tag:" + key[len("tag__"):] if key.startswith("tag__") else key.replace("__", ".").replace("_", "-")
        values = value if isinstance(value, list) else [value]
        result.append({"Name": name, "Values": [str(v) for v in values]})
    return result


def _paginate(client, operation, key, **kwargs):
    paginator = client.get_paginator(operation)
    items = []
    for page in paginator.paginate(**kwargs):
        items.extend(page.get(key, []))
    return items


@aws_call("describe VPCs")
def describe_vpcs(client, **flt):
    return _paginate(client, "describe_vpcs", "Vpcs", Filters=filters(**flt))


@aws_call("read a VPC attribute")
def describe_vpc_attribute(client, vpc_id, attribute):
    result = client.describe_vpc_attribute(VpcId=vpc_id, Attribute=attribute)
    key = attribute[0].upper() + attribute[1:]
    return bool(result[key]["Value"])


@aws_call("create the VPC")
def create_vpc(client, cidr, tag_specs):
    return client.create_vpc(CidrBlock=cidr, TagSpecifications=tag_specs)["Vpc"]


@aws_call("modify a VPC attribute", retry_codes=RETRY_CODES)
def modify_vpc_attribute(client, vpc_id, attribute, value):
    client.modify_vpc_attribute(VpcId=vpc_id, **{attribute: {"Value": value}})


@aws_call("tag a resource", retry_codes=RETRY_CODES)
def create_tags(client, resource_ids, tags):
    client.create_tags(Resources=list(resource_ids), Tags=tags)


@aws_call("describe subnets")
def describe_subnets(client, **flt):
    return _paginate(client, "describe_subnets", "Subnets", Filters=filters(**flt))


@aws_call("create a subnet", retry_codes=RETRY_CODES)
def create_subnet(client, vpc_id, cidr, az, tag_specs):
    return client.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=az,
                                TagSpecifications=tag_specs)["Subnet"]


@aws_call("describe internet gateways")
def describe_internet_gateways(client, **flt):
    return _paginate(client, "describe_internet_gateways", "InternetGateways", Filters=filters(**flt))


@aws_call("create the internet gateway")
def create_internet_gateway(client, tag_specs):
    return client.create_internet_gateway(TagSpecifications=tag_specs)["InternetGateway"]


@aws_call("attach the internet gateway", retry_codes=RETRY_CODES)
def attach_internet_gateway(client, igw_id, vpc_id):
    client.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)


@aws_call("describe route tables")
def describe_route_tables(client, **flt):
    return _paginate(client, "describe_route_tables", "RouteTables", Filters=filters(**flt))


@aws_call("create a route table", retry_codes=RETRY_CODES)
def create_route_table(client, vpc_id, tag_specs, client_token):
    """``client_token``: derived from the table (common.idempotency_token), so a create retried after a
    lost answer, or sent again by the next run, cannot make a second table."""
    return client.create_route_table(VpcId=vpc_id, TagSpecifications=tag_specs,
                                     ClientToken=client_token)["RouteTable"]


@aws_call("create a route", retry_codes=RETRY_CODES)
def create_route(client, route_table_id, destination, gateway_id):
    client.create_route(RouteTableId=route_table_id, DestinationCidrBlock=destination, GatewayId=gateway_id)


@aws_call("replace a route", retry_codes=RETRY_CODES)
def replace_route(client, route_table_id, destination, gateway_id):
    client.replace_route(RouteTableId=route_table_id, DestinationCidrBlock=destination, GatewayId=gateway_id)


@aws_call("delete a route", not_found=["InvalidRoute.NotFound"])
def delete_route(client, route_table_id, route):
    args = {"RouteTableId": route_table_id}
    if route.get("DestinationIpv6CidrBlock"):
        args["DestinationIpv6CidrBlock"] = route["DestinationIpv6CidrBlock"]
    else:
        args["DestinationCidrBlock"] = route["DestinationCidrBlock"]
    client.delete_route(**args)


@aws_call("associate a route table", retry_codes=RETRY_CODES)
def associate_route_table(client, route_table_id, subnet_id):
    client.associate_route_table(RouteTableId=route_table_id, SubnetId=subnet_id)


@aws_call("move a subnet to another route table", retry_codes=RETRY_CODES)
def replace_route_table_association(client, association_id, route_table_id):
    client.replace_route_table_association(AssociationId=association_id, RouteTableId=route_table_id)


@aws_call("describe security groups")
def describe_security_groups(client, **flt):
    return _paginate(client, "describe_security_groups", "SecurityGroups", Filters=filters(**flt))


@aws_call("create a security group", retry_codes=RETRY_CODES)
def create_security_group(client, vpc_id, name, description, tag_specs):
    return client.create_security_group(VpcId=vpc_id, GroupName=name, Description=description,
                                        TagSpecifications=tag_specs)["GroupId"]


SOURCE_KEYS = ("IpRanges", "Ipv6Ranges", "PrefixListIds", "UserIdGroupPairs")


def single_rules(permissions):
    """Each IpPermission split into one permission per source (CIDR, prefix list, group)."""
    for permission in permissions:
        base = {k: v for k, v in permission.items() if k not in SOURCE_KEYS}
        for key in SOURCE_KEYS:
            for source in permission.get(key) or []:
                yield dict(base, **{key: [source]})


@aws_call("authorize security group rules", retry_codes=RETRY_CODES)
def authorize_rules(client, group_id, direction, permissions):
    """Add the rules; rules that exist already count as done.

    AWS refuses the whole request with InvalidPermission.Duplicate when one rule of it exists (a retry
    of a call whose answer was lost, or a rule added by hand meanwhile): the rules are then added one
    by one, the duplicates skipped.
    """
    call = client.authorize_security_group_ingress if direction == "ingress" else client.authorize_security_group_egress
    try:
        call(GroupId=group_id, IpPermissions=permissions)
    except ClientError as e:
        if error_code(e) != "InvalidPermission.Duplicate":
            raise
        for rule in single_rules(permissions):
            try:
                call(GroupId=group_id, IpPermissions=[rule])
            except ClientError as each:
                if error_code(each) != "InvalidPermission.Duplicate":
                    raise


@aws_call("revoke security group rules", not_found=["InvalidPermission.NotFound"])
def revoke_rules(client, group_id, direction, permissions):
    call = client.revoke_security_group_ingress if direction == "ingress" else client.revoke_security_group_egress
    call(GroupId=group_id, IpPermissions=permissions)


@aws_call("ask EC2 which availability zones the region has")
def describe_availability_zones(client):
    """The region's zones (ZoneName, State, ZoneType, ...), the opted-in ones (AWS's default)."""
    return client.describe_availability_zones()["AvailabilityZones"]


@aws_call("find the AWS-managed prefix list")
def describe_managed_prefix_lists(client, name):
    return _paginate(client, "describe_managed_prefix_lists", "PrefixLists",
                     Filters=filters(prefix_list_name=name))


@aws_call("describe NAT gateways")
def describe_nat_gateways(client, **flt):
    return _paginate(client, "describe_nat_gateways", "NatGateways", Filter=filters(**flt))


# -- VPC endpoints (endpoints role) ------------------------------------------------
# Endpoint states that no longer hold an endpoint: a describe may still list them for a while.
GONE_ENDPOINT_STATES = ("deleting", "deleted", "failed", "rejected", "expired")


@aws_call("describe VPC endpoints")
def describe_vpc_endpoints(client, ids=None, **flt):
    """Endpoints by id (``ids``) or by filters; endpoints being deleted are left out."""
    args = {"Filters": filters(**flt)} if flt else {}
    if ids:
        args["VpcEndpointIds"] = list(ids)
    endpoints = _paginate(client, "describe_vpc_endpoints", "VpcEndpoints", **args)
    return [e for e in endpoints if str(e.get("State", "")).lower() not in GONE_ENDPOINT_STATES]


@aws_call("create a VPC endpoint", retry_codes=RETRY_CODES)
def create_vpc_endpoint(client, **params):
    """``params``: the CreateVpcEndpoint arguments, ClientToken included (retries reuse it)."""
    return client.create_vpc_endpoint(**params)["VpcEndpoint"]


@aws_call("modify a VPC endpoint", retry_codes=[*RETRY_CODES, "IncorrectState"])
def modify_vpc_endpoint(client, endpoint_id, **changes):
    client.modify_vpc_endpoint(VpcEndpointId=endpoint_id, **changes)


@aws_call("delete a VPC endpoint", not_found=["InvalidVpcEndpointId.NotFound", "InvalidVpcEndpoint.NotFound"])
def delete_vpc_endpoint(client, endpoint_id):
    result = client.delete_vpc_endpoints(VpcEndpointIds=[endpoint_id])
    failures = [u for u in result.get("Unsuccessful") or []
                if (u.get("Error") or {}).get("Code") not in ("InvalidVpcEndpointId.NotFound",
                                                              "InvalidVpcEndpoint.NotFound")]
    if failures:
        from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError

        error = failures[0].get("Error") or {}
        raise SoloAwsError(f"Failed to delete VPC endpoint {endpoint_id}: {error.get('Code')}: {error.get('Message')}")


# Right after CreateRole, the flow log service cannot assume the delivery role yet
# (hashicorp/terraform-provider-aws #29323); IAM propagates within CONSISTENCY_SECONDS.
FLOW_LOG_ROLE_NOT_READY = [Condition("InvalidParameter", message="Unable to assume given IAM role",
                                     why="IAM is still propagating the delivery role")]


@aws_call("describe flow logs")
def describe_flow_logs(client, **flt):
    return _paginate(client, "describe_flow_logs", "FlowLogs", Filter=filters(**flt))


@aws_call("create a flow log", retry_codes=[*RETRY_CODES, *FLOW_LOG_ROLE_NOT_READY])
def create_flow_log(client, vpc_id, log_group_name, role_arn, traffic_type, aggregation, tag_specs):
    """The new flow log's id. CreateFlowLogs answers per resource: an unsuccessful item is an error."""
    result = client.create_flow_logs(
        ResourceIds=[vpc_id], ResourceType="VPC", TrafficType=traffic_type, LogDestinationType="cloud-watch-logs",
        LogGroupName=log_group_name, DeliverLogsPermissionArn=role_arn, MaxAggregationInterval=aggregation,
        TagSpecifications=tag_specs, ClientToken=idempotency_token("flow-log", vpc_id, log_group_name, traffic_type,
                                                                   role_arn, str(aggregation)))
    failures = result.get("Unsuccessful") or []
    if failures:
        error = failures[0].get("Error") or {}
        raise ClientError({"Error": {"Code": error.get("Code", "Unsuccessful"), "Message": error.get("Message", "")}},
                          "CreateFlowLogs")
    return result["FlowLogIds"][0]


@aws_call("delete a flow log", not_found=["InvalidFlowLogId.NotFound"])
def delete_flow_log(client, flow_log_id):
    client.delete_flow_logs(FlowLogIds=[flow_log_id])


# -- teardown (stack_teardown) ----------------------------------------------------
@aws_call("describe network interfaces")
def describe_network_interfaces(client, **flt):
    return _paginate(client, "describe_network_interfaces", "NetworkInterfaces", Filters=filters(**flt))


@aws_call("delete a network interface", not_found=["InvalidNetworkInterfaceID.NotFound"])
def delete_network_interface(client, eni_id):
    client.delete_network_interface(NetworkInterfaceId=eni_id)


@aws_call("delete a NAT gateway", not_found=["NatGatewayNotFound", "InvalidNatGatewayID.NotFound"])
def delete_nat_gateway(client, nat_gateway_id):
    client.delete_nat_gateway(NatGatewayId=nat_gateway_id)


@aws_call("delete a security group", not_found=["InvalidGroup.NotFound"], retry_codes=["DependencyViolation"])
def delete_security_group(client, group_id):
    client.delete_security_group(GroupId=group_id)


@aws_call("delete a subnet", not_found=["InvalidSubnetID.NotFound"], retry_codes=["DependencyViolation"])
def delete_subnet(client, subnet_id):
    client.delete_subnet(SubnetId=subnet_id)


@aws_call("delete a route table", not_found=["InvalidRouteTableID.NotFound"], retry_codes=["DependencyViolation"])
def delete_route_table(client, route_table_id):
    client.delete_route_table(RouteTableId=route_table_id)


@aws_call("detach the internet gateway", not_found=["Gateway.NotAttached", "InvalidInternetGatewayID.NotFound"],
          retry_codes=["DependencyViolation"])
def detach_internet_gateway(client, igw_id, vpc_id):
    client.detach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)


@aws_call("delete the internet gateway", not_found=["InvalidInternetGatewayID.NotFound"],
          retry_codes=["DependencyViolation"])
def delete_internet_gateway(client, igw_id):
    client.delete_internet_gateway(InternetGatewayId=igw_id)


@aws_call("delete the VPC", not_found=["InvalidVpcID.NotFound"], retry_codes=["DependencyViolation"])
def delete_vpc(client, vpc_id):
    client.delete_vpc(VpcId=vpc_id)


@aws_call("disassociate a subnet from its route table", not_found=["InvalidAssociationID.NotFound"])
def disassociate_route_table(client, association_id):
    client.disassociate_route_table(AssociationId=association_id)
