"""The endpoints layer: what the tasks reach AWS through, with no NAT gateway."""

TITLE = "endpoints"
ORDER = 20


def lines(ctx):
    ec2 = ctx.client("ec2")
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"{ctx.prefix}-vpc"]}])["Vpcs"]
    if not vpcs:
        return []
    found = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpcs[0]["VpcId"]]}])["VpcEndpoints"]
    out = []
    for endpoint in sorted(found, key=lambda e: (e["VpcEndpointType"], e["ServiceName"])):
        if endpoint["State"].lower() in ("deleted", "deleting"):
            continue
        short = endpoint["ServiceName"].split(f".{ctx.region}.", 1)[-1]
        if endpoint["VpcEndpointType"] == "Interface":
            where = f"{len(endpoint.get('SubnetIds') or [])} subnets, private DNS " \
                    f"{'on' if endpoint.get('PrivateDnsEnabled') else 'off'}"
        else:
            where = f"{len(endpoint.get('RouteTableIds') or [])} route tables"
        out.append(f"{endpoint['VpcEndpointType'].lower():<9} {short:<16} {endpoint['VpcEndpointId']:<22} {where}")
    return out
