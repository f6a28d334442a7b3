"""account_guard: one GetCallerIdentity, and a failure that names both accounts."""

from __future__ import annotations

import pytest

from ansible_collections.solo_saving.infra.plugins.module_utils import sts
from ansible_collections.solo_saving.infra.plugins.module_utils.common import SoloAwsError
from ansible_collections.solo_saving.infra.plugins.modules import account_guard
from tests.support.modules import ModuleFail

IDENTITY = {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/deployer", "UserId": "AIDA"}


@pytest.fixture
def calls(monkeypatch):
    made = []
    monkeypatch.setattr(sts, "get_caller_identity", lambda client: made.append("GetCallerIdentity") or IDENTITY)
    return made


@pytest.mark.parametrize("check_mode", [False, True])
def test_the_right_account_passes_with_one_call(run_module, calls, check_mode):
    result = run_module(account_guard, {"account_id": " 123456789012 "}, check_mode=check_mode)
    assert result == {"changed": False, "account": "123456789012", "arn": IDENTITY["Arn"]}
    assert calls == ["GetCallerIdentity"]


def test_another_account_fails_naming_both_and_the_hint(run_module, calls):
    with pytest.raises(ModuleFail) as failure:
        run_module(account_guard, {"account_id": "210987654321",
                                   "hint": "the dev inventory is for account 210987654321: fix stack_account_id"})
    assert failure.value.result["msg"] == ("The credentials belong to account 123456789012, but the dev inventory "
                                           "is for account 210987654321: fix stack_account_id")
    assert failure.value.result["account"] == "123456789012"


def test_without_a_hint_the_message_names_the_expected_account(run_module, calls):
    with pytest.raises(ModuleFail, match="belong to account 123456789012, but the run expects account 210987654321"):
        run_module(account_guard, {"account_id": "210987654321"})


def test_an_sts_error_fails_with_aws_details(run_module, monkeypatch):
    def broken(client):
        raise SoloAwsError("Failed to ask STS which account the credentials belong to", Exception("expired"))

    monkeypatch.setattr(sts, "get_caller_identity", broken)
    with pytest.raises(ModuleFail, match="Failed to ask STS"):
        run_module(account_guard, {"account_id": "123456789012"})
