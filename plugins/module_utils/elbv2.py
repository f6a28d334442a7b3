# Copyright: Solo Saving platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Elastic Load Balancing v2 API wrappers: one function per call, each retried, one error type.

Lookups by name return an empty list when nothing has that name.
"""

from __future__ import annotations

try:
    from botocore.exceptions import WaiterError
except ImportError:  # pragma: no cover - handled by AnsibleAWSModule
    WaiterError = Exception

from ansible_collections.solo_saving.infra.plugins.module_utils.common import (
    Condition,
    SoloAwsError,
    aws_call,
    tag_list,
)

LB_NOT_FOUND = ["LoadBalancerNotFound"]
TG_NOT_FOUND = ["TargetGroupNotFound"]
# A load balancer or target group created a moment ago may not be visible to every call yet.
RETRY = ["LoadBalancerNotFound", "TargetGroupNotFound", "ListenerNotFound"]
# Turning access logs on makes ELB write a test object into the bucket; a bucket or bucket policy set a
# moment ago may not let it yet (S3 User Guide, "Amazon S3 data consistency model": bucket configurations are
# eventually consistent). A bucket policy that lacks the ELB principal answers the same for ever, so the wait is
# short (kubernetes-sigs/aws-load-balancer-controller #1956, terraform-aws-modules/terraform-aws-s3-bucket #98).
ACCESS_LOG_BUCKET_NOT_READY = [Condition("InvalidConfigurationRequest", 60, message="Access Denied for bucket",
                                         why="the bucket policy must let this region's ELB log delivery write to "
                                             "<prefix>/AWSLogs/<account>/")]


def _pairs(attributes):
    return [{"Key": k, "Value": v} for k, v in sorted(attributes.items())]


@aws_call("describe the load balancer", not_found=LB_NOT_FOUND)
def describe_load_balancers(client, names):
    return client.describe_load_balancers(Names=list(names)).get("LoadBalancers", [])


# A new load balancer provisions for minutes before it is active (AWS: "typically a few minutes");
# what needs it active (a WAF association) waits this long, looking every few seconds.
ACTIVE_SECONDS = 900
ACTIVE_DELAY = 5


def wait_active(client, arn, timeout=ACTIVE_SECONDS, delay=ACTIVE_DELAY):
    """Wait until the load balancer ``arn`` is active (botocore's LoadBalancerAvailable waiter)."""
    try:
        client.get_waiter("load_balancer_available").wait(
            LoadBalancerArns=[arn], WaiterConfig={"Delay": delay, "MaxAttempts": max(1, timeout // delay)})
    except WaiterError as e:
        state = ((e.last_response or {}).get("LoadBalancers") or [{}])[0].get("State", {})
        raise SoloAwsError(f"the load balancer {arn.rsplit('/', 2)[-2]} was not active after {timeout} s "
                           f"(state {state.get('Code', 'unknown')}: {state.get('Reason', '')})".rstrip(": ")) from e


@aws_call("create the load balancer")
def create_load_balancer(client, name, subnets, security_groups, scheme, ip_address_type, tags):
    return client.create_load_balancer(Name=name, Subnets=list(subnets), SecurityGroups=list(security_groups),
                                       Scheme=scheme, Type="application", IpAddressType=ip_address_type,
                                       Tags=tag_list(tags))["LoadBalancers"][0]


@aws_call("move the load balancer to other subnets", retry_codes=RETRY)
def set_subnets(client, arn, subnets):
    client.set_subnets(LoadBalancerArn=arn, Subnets=list(subnets))


@aws_call("set the security groups of the load balancer", retry_codes=RETRY)
def set_security_groups(client, arn, security_groups):
    client.set_security_groups(LoadBalancerArn=arn, SecurityGroups=list(security_groups))


@aws_call("set the IP address type of the load balancer", retry_codes=RETRY)
def set_ip_address_type(client, arn, ip_address_type):
    client.set_ip_address_type(LoadBalancerArn=arn, IpAddressType=ip_address_type)


@aws_call("read the load balancer attributes", retry_codes=RETRY)
def describe_load_balancer_attributes(client, arn):
    result = client.describe_load_balancer_attributes(LoadBalancerArn=arn)
    return {a["Key"]: a["Value"] for a in result.get("Attributes", [])}


@aws_call("change the load balancer attributes", retry_codes=RETRY + ACCESS_LOG_BUCKET_NOT_READY)
def modify_load_balancer_attributes(client, arn, attributes):
    client.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=_pairs(attributes))


@aws_call("read the tags of the load balancer resources", retry_codes=RETRY)
def describe_tags(client, arns):
    result = client.describe_tags(ResourceArns=list(arns))
    return {d["ResourceArn"]: {t["Key"]: t.get("Value") for t in d.get("Tags", [])}
            for d in result.get("TagDescriptions", [])}


@aws_call("tag a load balancer resource", retry_codes=RETRY)
def add_tags(client, arn, tags):
    client.add_tags(ResourceArns=[arn], Tags=tag_list(tags))


@aws_call("describe the target group", not_found=TG_NOT_FOUND)
def describe_target_groups(client, names):
    return client.describe_target_groups(Names=list(names)).get("TargetGroups", [])


@aws_call("create the target group")
def create_target_group(client, params, tags):
    return client.create_target_group(**params, Tags=tag_list(tags))["TargetGroups"][0]


@aws_call("change the target group's health check", retry_codes=RETRY)
def modify_target_group(client, arn, params):
    client.modify_target_group(TargetGroupArn=arn, **params)


@aws_call("read the target group attributes", retry_codes=RETRY)
def describe_target_group_attributes(client, arn):
    result = client.describe_target_group_attributes(TargetGroupArn=arn)
    return {a["Key"]: a["Value"] for a in result.get("Attributes", [])}


@aws_call("change the target group attributes", retry_codes=RETRY)
def modify_target_group_attributes(client, arn, attributes):
    client.modify_target_group_attributes(TargetGroupArn=arn, Attributes=_pairs(attributes))


@aws_call("describe the listeners", retry_codes=RETRY)
def describe_listeners(client, lb_arn):
    paginator = client.get_paginator("describe_listeners")
    found = []
    for page in paginator.paginate(LoadBalancerArn=lb_arn):
        found.extend(page.get("Listeners", []))
    return found


@aws_call("create a listener", retry_codes=RETRY)
def create_listener(client, lb_arn, params, tags):
    return client.create_listener(LoadBalancerArn=lb_arn, **params, Tags=tag_list(tags))["Listeners"][0]


@aws_call("change a listener", retry_codes=RETRY)
def modify_listener(client, arn, params):
    client.modify_listener(ListenerArn=arn, **params)


@aws_call("delete a listener", not_found=["ListenerNotFound"])
def delete_listener(client, arn):
    client.delete_listener(ListenerArn=arn)


@aws_call("describe the listener rules", retry_codes=RETRY)
def describe_rules(client, listener_arn):
    return client.describe_rules(ListenerArn=listener_arn).get("Rules", [])


@aws_call("delete a listener rule", not_found=["RuleNotFound"])
def delete_rule(client, arn):
    client.delete_rule(RuleArn=arn)


# -- teardown (stack_teardown) ----------------------------------------------------
@aws_call("list the load balancers")
def describe_all_load_balancers(client):
    found = []
    for page in client.get_paginator("describe_load_balancers").paginate():
        found.extend(page.get("LoadBalancers", []))
    return found


@aws_call("list the target groups")
def describe_all_target_groups(client):
    found = []
    for page in client.get_paginator("describe_target_groups").paginate():
        found.extend(page.get("TargetGroups", []))
    return found


@aws_call("read the tags of the load balancer resources")
def describe_tags_batched(client, arns):
    """{ARN: tags} of any number of ARNs (DescribeTags takes 20 at a time)."""
    arns = list(arns)
    result = {}
    for start in range(0, len(arns), 20):
        page = client.describe_tags(ResourceArns=arns[start:start + 20])
        for description in page.get("TagDescriptions", []):
            result[description["ResourceArn"]] = {t["Key"]: t.get("Value") for t in description.get("Tags", [])}
    return result


@aws_call("delete the load balancer", not_found=LB_NOT_FOUND)
def delete_load_balancer(client, arn):
    """Deleting a load balancer deletes its listeners and their rules."""
    client.delete_load_balancer(LoadBalancerArn=arn)


@aws_call("delete the target group", not_found=TG_NOT_FOUND, retry_codes=["ResourceInUse"])
def delete_target_group(client, arn):
    client.delete_target_group(TargetGroupArn=arn)
