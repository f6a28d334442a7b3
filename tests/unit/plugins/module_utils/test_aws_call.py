"""aws_call: "not found" codes give None, every other error raises SoloAwsError."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError, aws_call


def client_error(code):
    return ClientError({"Error": {"Code": code, "Message": "from the test"}}, "DeleteThing")


@aws_call("delete the thing", not_found=["ThingNotFound"])
def delete_thing(code):
    raise client_error(code)


def test_not_found_counts_as_done():
    assert delete_thing("ThingNotFound") is None


@pytest.mark.parametrize("code", ["AccessDenied", "DependencyViolation", "InvalidParameterValue"])
def test_other_errors_are_not_swallowed(code):
    with pytest.raises(SoloAwsError, match="Failed to delete the thing") as raised:
        delete_thing(code)
    assert raised.value.exception.response["Error"]["Code"] == code


def test_without_not_found_codes_every_error_raises():
    @aws_call("read the thing")
    def read_thing():
        raise client_error("ThingNotFound")

    with pytest.raises(SoloAwsError, match="Failed to read the thing"):
        read_thing()


# -- retries: throttling of every protocol, named conditions with their own bounds --------------------------
from ansible_collections.solo_saving.infra.plugins.module_utils import (  # noqa: E402
    application_autoscaling,
    common,
    elbv2,
    iam,
    wafv2,
)
from ansible_collections.solo_saving.infra.plugins.module_utils.common import (  # noqa: E402
    THROTTLE_SECONDS,
    Condition,
)


def error(code, message="from the test", operation="DoThing"):
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


class Flaky:
    """Raises the given errors in turn, then answers ``result``."""

    def __init__(self, errors, result="done"):
        self.errors = list(errors)
        self.result = result
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return self.result


@pytest.mark.parametrize("code", ["ThrottlingException", "Throttling", "RequestLimitExceeded",
                                  "TooManyRequestsException", "ProvisionedThroughputExceededException", "SlowDown"])
def test_throttling_of_every_protocol_is_retried(fake_clock, code):
    flaky = Flaky([error(code)] * 3)
    assert aws_call("do the thing")(flaky)() == "done"
    assert flaky.calls == 4
    assert common.retried_report() == [{"condition": code, "call": "do the thing", "tries": 3,
                                        "seconds": round(sum(fake_clock.sleeps), 1)}]


def test_throttling_that_outlasts_its_bound_fails_naming_it(fake_clock):
    flaky = Flaky([error("ThrottlingException")] * 10000)
    with pytest.raises(SoloAwsError, match=r"Failed to do the thing: AWS still answered ThrottlingException after "
                                           r"300 s of retries \(the bound for it; throttled by AWS\)"):
        aws_call("do the thing")(flaky)()
    assert fake_clock.now == THROTTLE_SECONDS
    assert max(fake_clock.sleeps) <= 20


def test_the_backoff_grows_and_stays_jittered_within_twenty_seconds(fake_clock):
    flaky = Flaky([error("Throttling")] * 12)
    aws_call("do the thing")(flaky)()
    assert fake_clock.sleeps[0] <= 1.0 and all(s <= 20 for s in fake_clock.sleeps)
    assert fake_clock.sleeps[-1] >= 10  # 2**5 capped at 20, times a jitter of 0.5 to 1


def test_a_condition_with_a_message_matches_only_that_message(fake_clock):
    condition = Condition("InvalidParameterException", 60, message="Unable to assume the service linked role")
    wrapped = aws_call("create the cluster", retry_codes=[condition])
    flaky = Flaky([error("InvalidParameterException", "Unable to assume the service linked role. Please verify")])
    assert wrapped(flaky)() == "done"
    other = Flaky([error("InvalidParameterException", "The capacity provider does not exist")])
    with pytest.raises(SoloAwsError, match="Failed to create the cluster"):
        wrapped(other)()
    assert other.calls == 1


def test_each_condition_has_its_own_bound(fake_clock):
    short = Condition("NotYet", 10)
    flaky = Flaky([error("NotYet")] * 1000)
    with pytest.raises(SoloAwsError, match=r"AWS still answered NotYet after 10 s"):
        aws_call("do the thing", retry_codes=[short])(flaky)()
    assert fake_clock.now == 10


def test_plain_retry_codes_wait_for_the_consistency_bound(fake_clock):
    flaky = Flaky([error("InvalidVpcID.NotFound")] * 1000)
    with pytest.raises(SoloAwsError, match=r"InvalidVpcID.NotFound after 120 s"):
        aws_call("create a subnet", retry_codes=common.RETRY_CODES)(flaky)()


def test_no_error_no_wait(fake_clock):
    assert aws_call("do the thing", retry_codes=common.RETRY_CODES)(Flaky([]))() == "done"
    assert fake_clock.sleeps == [] and common.retried_report() == []


# -- WAF: the association's window, and a stale lock token ----------------------------------------------------
class Waf:
    def __init__(self, associate_errors=(), update_errors=()):
        self.associate = Flaky(list(associate_errors))
        self.update = Flaky(list(update_errors))
        self.tokens = iter(["token-2", "token-3"])
        self.sent_tokens = []

    def associate_web_acl(self, **kwargs):
        return self.associate()

    def update_web_acl(self, **kwargs):
        self.sent_tokens.append(kwargs["LockToken"])
        return self.update()

    def get_web_acl(self, **kwargs):
        return {"WebACL": {"Id": kwargs["Id"]}, "LockToken": next(self.tokens)}


def test_the_association_is_retried_through_both_windows_of_a_new_load_balancer(fake_clock):
    waf = Waf(associate_errors=[error("WAFNonexistentItemException")] * 5
              + [error("WAFUnavailableEntityException")] * 10)
    wafv2.associate_web_acl(waf, "acl", "arn:aws:elasticloadbalancing:r:1:loadbalancer/app/a/1")
    assert waf.associate.calls == 16
    assert {r["condition"] for r in common.retried_report()} == {"WAFNonexistentItemException",
                                                                "WAFUnavailableEntityException"}


def test_the_association_gives_up_after_ten_minutes(fake_clock):
    waf = Waf(associate_errors=[error("WAFUnavailableEntityException")] * 10000)
    with pytest.raises(SoloAwsError, match=r"associate the web ACL with a resource: AWS still answered "
                                           r"WAFUnavailableEntityException after 600 s"):
        wafv2.associate_web_acl(waf, "acl", "lb")
    assert fake_clock.now == wafv2.ASSOCIATION_SECONDS


def test_a_stale_lock_token_is_read_again_and_the_update_sent_with_the_new_one(fake_clock):
    waf = Waf(update_errors=[error("WAFOptimisticLockException")] * 2)
    wafv2.update_web_acl(waf, "acl", "REGIONAL", "id-1", "token-1", {"Allow": {}}, [], {}, "")
    assert waf.sent_tokens == ["token-1", "token-2", "token-3"]
    assert common.retried_report()[0]["condition"] == "WAFOptimisticLockException"


def test_a_lock_token_that_keeps_going_stale_fails(fake_clock):
    waf = Waf(update_errors=[error("WAFOptimisticLockException")] * 100)
    waf.tokens = iter(f"token-{n}" for n in range(2, 100))
    with pytest.raises(SoloAwsError, match="Failed to update the web ACL"):
        wafv2.update_web_acl(waf, "acl", "REGIONAL", "id-1", "token-1", {"Allow": {}}, [], {}, "")
    assert len(waf.sent_tokens) == wafv2.LOCK_RETRIES + 1


# -- ELB: a load balancer that stays provisioning ---------------------------------------------------------
def test_waiting_for_a_load_balancer_fails_with_its_state():
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("elbv2", region_name="ap-northeast-1", aws_access_key_id="x", aws_secret_access_key="x")
    arn = "arn:aws:elasticloadbalancing:ap-northeast-1:1:loadbalancer/app/web/1"
    with Stubber(client) as stub:
        for _ in range(2):
            stub.add_response("describe_load_balancers", {"LoadBalancers": [
                {"LoadBalancerArn": arn, "State": {"Code": "provisioning"}}]}, {"LoadBalancerArns": [arn]})
        with pytest.raises(SoloAwsError, match=r"the load balancer web was not active after 2 s \(state provisioning"):
            elbv2.wait_active(client, arn, timeout=2, delay=1)


# -- Application Auto Scaling: not yet, or a real error ------------------------------------------------------
class Aas:
    def __init__(self, errors):
        self.register = Flaky(errors)

    def register_scalable_target(self, **kwargs):
        return self.register()


def test_a_service_auto_scaling_does_not_know_yet_is_retried(fake_clock):
    aas = Aas([error("ValidationException", "ECS service doesn't exist: service/c/backend")] * 3)
    application_autoscaling.register_scalable_target(aas, "service/c/backend", 1, 2)
    assert aas.register.calls == 4


def test_other_validation_errors_of_auto_scaling_fail_at_once(fake_clock):
    aas = Aas([error("ValidationException", "Maximum capacity cannot be less than minimum capacity")])
    with pytest.raises(SoloAwsError, match="Failed to register a scalable target"):
        application_autoscaling.register_scalable_target(aas, "service/c/backend", 3, 2)
    assert aas.register.calls == 1 and fake_clock.sleeps == []


# -- IAM: a service-linked role that exists counts as created ----------------------------------------------
@pytest.mark.parametrize("code, message", [
    ("InvalidInput", "Service role name AWSServiceRoleForECS has been taken in this account, please try a different "
                     "suffix."),
    ("EntityAlreadyExists", "Role with name AWSServiceRoleForECS already exists."),
])
def test_a_service_linked_role_that_exists_counts_as_created(code, message):
    class Iam:
        def create_service_linked_role(self, **kwargs):
            raise error(code, message)

    assert iam.create_service_linked_role(Iam(), "ecs.amazonaws.com") is None


def test_other_errors_of_the_service_linked_role_fail():
    class Iam:
        def create_service_linked_role(self, **kwargs):
            raise error("AccessDenied", "not authorized to perform: iam:CreateServiceLinkedRole")

    with pytest.raises(SoloAwsError, match="Failed to create a service-linked role"):
        iam.create_service_linked_role(Iam(), "ecs.amazonaws.com")


def test_idempotency_tokens_are_stable_hex_of_the_length_asked_and_change_with_any_part():
    token = common.idempotency_token("vpc-1", "t-dev-app-rt", length=64)
    assert token == common.idempotency_token("vpc-1", "t-dev-app-rt", length=64)
    assert len(token) == 64 and set(token) <= set("0123456789abcdef")
    assert len(common.idempotency_token("c", "backend", "td:1", length=36)) == 36
    assert common.idempotency_token("vpc-2", "t-dev-app-rt", length=64) != token
    assert common.idempotency_token("vpc-1", "t-dev-db-rt", length=64) != token


# -- EC2: a rule that exists already counts as added ----------------------------------------------------------
def test_an_authorize_answered_duplicate_adds_the_missing_rules_one_by_one():
    from ansible_collections.solo_saving.infra.plugins.module_utils import ec2

    class Ec2:
        def __init__(self):
            self.rules = {("tcp", 443, "10.0.0.0/16")}
            self.calls = 0

        def authorize_security_group_ingress(self, GroupId, IpPermissions):
            self.calls += 1
            wanted = [(p["IpProtocol"], p["FromPort"], r["CidrIp"]) for p in IpPermissions for r in p["IpRanges"]]
            if any(w in self.rules for w in wanted):
                raise error("InvalidPermission.Duplicate", "the specified rule already exists")
            self.rules.update(wanted)

    client = Ec2()
    ec2.authorize_rules(client, "sg-1", "ingress", [
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
         "IpRanges": [{"CidrIp": "10.0.0.0/16"}, {"CidrIp": "10.1.0.0/16"}]}])
    assert client.rules == {("tcp", 443, "10.0.0.0/16"), ("tcp", 443, "10.1.0.0/16")}
    assert client.calls == 3  # the batch, then each rule


def test_other_authorize_errors_still_fail():
    from ansible_collections.solo_saving.infra.plugins.module_utils import ec2

    class Ec2:
        def authorize_security_group_egress(self, GroupId, IpPermissions):
            raise error("InvalidPermission.Malformed", "bad")

    with pytest.raises(SoloAwsError, match="Failed to authorize security group rules"):
        ec2.authorize_rules(Ec2(), "sg-1", "egress", [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])


def test_a_lock_conflict_is_retried_but_any_other_error_of_the_update_fails_at_once(fake_clock):
    waf = Waf(update_errors=[error("WAFInvalidParameterException", "bad rule")])
    with pytest.raises(SoloAwsError, match="Failed to update the web ACL"):
        wafv2.update_web_acl(waf, "acl", "REGIONAL", "id-1", "token-1", {"Allow": {}}, [], {}, "")
    assert waf.sent_tokens == ["token-1"]
