"""Helpers to run a module's main() in-process: exit_json / fail_json raise."""

from __future__ import annotations

import pytest
from ansible.module_utils.testing import patch_module_args


class ModuleExit(Exception):
    def __init__(self, result):
        super().__init__(result)
        self.result = result


class ModuleFail(Exception):
    def __init__(self, result):
        super().__init__(result.get("msg"))
        self.result = result


@pytest.fixture(name="run_module")
def run_module_fixture(monkeypatch):
    """run_module(module, args, check_mode=False, diff=False) -> result dict (or raises ModuleFail)."""
    from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

    from ansible_collections.solo_saving.infra.plugins.module_utils.aws_module import SoloAwsModule

    def exit_json(self, **kwargs):
        raise ModuleExit(kwargs)

    def fail_json(self, **kwargs):
        raise ModuleFail(kwargs)

    def fail_json_aws(self, exception, msg=None, **kwargs):
        raise ModuleFail({"msg": msg, "exception": exception, **kwargs})

    monkeypatch.setattr(AnsibleAWSModule, "exit_json", exit_json)
    monkeypatch.setattr(AnsibleAWSModule, "fail_json", fail_json)
    monkeypatch.setattr(AnsibleAWSModule, "fail_json_aws", fail_json_aws)
    monkeypatch.setattr(AnsibleAWSModule, "client", lambda self, *a, **kw: object())
    monkeypatch.setattr(SoloAwsModule, "client", lambda self, *a, **kw: object())

    def _run(module, args, check_mode=False, diff=False):
        full = {"region": "ap-northeast-1", "_ansible_check_mode": check_mode, "_ansible_diff": diff, **args}
        with patch_module_args(full):
            try:
                module.main()
            except ModuleExit as done:
                return done.result
        raise AssertionError("the module returned without exit_json or fail_json")

    return _run
