"""The network layer: VPC, subnets by tier and AZ, security groups."""

TITLE = "network"
ORDER = 10


def _name(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}.get("Name", "")


def lines(ctx):
    ec2 = ctx.client("ec2")
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"{ctx.prefix}-vpc"]}])["Vpcs"]
    if not vpcs:
        return []
    vpc = vpcs[0]
    out = [f"VPC {vpc['VpcId']} {vpc['CidrBlock']}"]
    flt = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
    subnets = ec2.describe_subnets(Filters=flt)["Subnets"]
    by_tier = {}
    for subnet in subnets:
        tags = {t["Key"]: t["Value"] for t in subnet.get("Tags", [])}
        by_tier.setdefault(tags.get("Tier", "?"), []).append(subnet)
    for tier in ("public", "app", "db"):
        for subnet in sorted(by_tier.get(tier, []), key=lambda s: s["AvailabilityZone"]):
            out.append(f"subnet {tier:<6} {subnet['AvailabilityZone']}  {subnet['CidrBlock']:<16} {subnet['SubnetId']}")
    nats = [n for n in ec2.describe_nat_gateways(Filter=flt)["NatGateways"] if n["State"] != "deleted"]
    out.append(f"NAT gateways: {len(nats)}")
    groups = sorted(g["GroupName"] for g in ec2.describe_security_groups(Filters=flt)["SecurityGroups"]
                    if g["GroupName"] != "default")
    out.append("security groups: " + ", ".join(groups))
    return out
