"""wafv2_association: GetWebACLForResource, then associate / replace only when needed."""

from __future__ import annotations

import pytest

from ansible_collections.solo_saving.infra.plugins.module_utils import wafv2
from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError
from ansible_collections.solo_saving.infra.plugins.modules import wafv2_association
from tests.support.edge_fakes import FakeWaf, install
from tests.support.modules import ModuleFail

ACL = "arn:aws:wafv2:ap-northeast-1:123456789012:regional/webacl/t-dev-waf/id-1"
OTHER = "arn:aws:wafv2:ap-northeast-1:123456789012:regional/webacl/by-hand/id-2"
ALB = "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:loadbalancer/app/t-dev-alb/abc"
ARGS = {"web_acl_arn": ACL, "resource_arns": [ALB]}


@pytest.fixture
def fake(monkeypatch):
    return install(monkeypatch, FakeWaf(), wafv2)


def test_associate_once(run_module, fake):
    planned = run_module(wafv2_association, ARGS, check_mode=True, diff=True)
    assert fake.writes == []
    assert planned["diff"] == {"before": {ALB: ""}, "after": {ALB: ACL}}
    first = run_module(wafv2_association, ARGS)
    assert first["actions"] == planned["actions"] == ["associate load balancer t-dev-alb with web ACL t-dev-waf"]
    assert fake.associations == {ALB: ACL}
    assert first["associations"] == {ALB: ACL}
    second = run_module(wafv2_association, ARGS)
    check = run_module(wafv2_association, ARGS, check_mode=True)
    assert second["changed"] is False and check["changed"] is False
    assert fake.writes == [f"associate_web_acl:{ALB}"]


def test_another_acl_is_replaced(run_module, fake):
    fake.associations[ALB] = OTHER
    result = run_module(wafv2_association, ARGS)
    assert result["actions"] == ["disassociate load balancer t-dev-alb from web ACL by-hand",
                                 "associate load balancer t-dev-alb with web ACL t-dev-waf"]
    assert fake.writes == [f"disassociate_web_acl:{ALB}", f"associate_web_acl:{ALB}"]
    assert fake.associations == {ALB: ACL}


def test_absent_removes_only_our_association(run_module, fake):
    fake.associations[ALB] = OTHER
    result = run_module(wafv2_association, {**ARGS, "state": "absent"})
    assert result["changed"] is False and fake.associations == {ALB: OTHER}
    fake.associations[ALB] = ACL
    result = run_module(wafv2_association, {**ARGS, "state": "absent"})
    assert result["actions"] == ["disassociate load balancer t-dev-alb from web ACL t-dev-waf"]
    assert fake.associations == {}


def test_planned_ids_are_never_sent(run_module, fake):
    spec = {"web_acl_arn": "planned:web-acl:t-dev-waf", "resource_arns": ["planned:alb:t-dev-alb"]}
    result = run_module(wafv2_association, spec, check_mode=True)
    assert result["actions"] == ["associate planned:alb:t-dev-alb with planned:web-acl:t-dev-waf"]
    with pytest.raises(ModuleFail, match="planned:web-acl:t-dev-waf is a planned id from a check-mode run"):
        run_module(wafv2_association, spec)
    assert fake.writes == []


def test_aws_error_becomes_fail_json_aws(run_module, fake):
    fake.unavailable = 1
    with pytest.raises(ModuleFail, match="Failed to associate the web ACL with a resource"):
        run_module(wafv2_association, ARGS)


def test_unavailable_web_acl_is_retried_by_the_wrapper():
    """A web ACL created a moment ago may be refused for a while; the wrapper retries that code."""

    class Client:
        calls = 0

        def associate_web_acl(self, **kwargs):
            from botocore.exceptions import ClientError

            Client.calls += 1
            if Client.calls < 3:
                raise ClientError({"Error": {"Code": "WAFUnavailableEntityException", "Message": "not yet"}},
                                  "AssociateWebACL")

    try:
        wafv2.associate_web_acl(Client(), ACL, ALB)
    except SoloAwsError:  # pragma: no cover - would mean no retry
        pytest.fail("WAFUnavailableEntityException was not retried")
    assert Client.calls == 3
