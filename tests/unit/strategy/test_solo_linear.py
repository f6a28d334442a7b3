"""The project's default strategy: linear through mitogen, or plain linear without it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from ansible.plugins.strategy.linear import StrategyModule as Linear

SHIM = Path(__file__).resolve().parents[3] / "strategy_plugins" / "solo_linear.py"


def load_shim(name):
    spec = importlib.util.spec_from_file_location(name, SHIM)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_with_mitogen_installed_the_strategy_is_linear_run_through_mitogen():
    import ansible_mitogen.strategy

    module = load_shim("solo_linear_with")
    assert issubclass(module.StrategyModule, Linear)
    assert issubclass(module.StrategyModule, ansible_mitogen.strategy.StrategyMixin)


def test_without_mitogen_it_warns_once_and_is_plain_linear(monkeypatch, capsys):
    # A None entry in sys.modules makes the import fail as if the package were not installed.
    for name in [n for n in sys.modules if n == "ansible_mitogen" or n.startswith("ansible_mitogen.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "ansible_mitogen", None)
    module = load_shim("solo_linear_without")
    assert issubclass(module.StrategyModule, Linear)
    assert module.StrategyModule.__mro__[1] is Linear
    assert "mitogen is not available" in capsys.readouterr().err


def test_ansible_cfg_selects_it():
    cfg = (SHIM.parents[1] / "ansible.cfg").read_text()
    assert "strategy_plugins = strategy_plugins" in cfg
    assert "strategy = solo_linear" in cfg


@pytest.mark.parametrize("requirements", ["requirements.txt", "ee/requirements.txt"])
def test_mitogen_is_pinned_where_the_playbooks_run(requirements):
    assert "mitogen==" in (SHIM.parents[1] / requirements).read_text()


class FakeInvocation:
    def __init__(self):
        self._extra_sys_paths = set()


def test_the_controller_lists_the_collections_once_for_every_worker(monkeypatch):
    import ansible.collections.list
    import ansible_mitogen.planner

    module = load_shim("solo_linear_collections")
    monkeypatch.setattr(module, "_warm", False)
    stock = ansible_mitogen.planner._load_collections
    monkeypatch.setattr(ansible_mitogen.planner, "_load_collections", stock)
    calls = []
    dirs = [b"/c/ansible_collections/amazon/aws", b"/c/ansible_collections/solo_saving/infra"]
    monkeypatch.setattr(ansible.collections.list, "list_collection_dirs", lambda: calls.append(1) or dirs)
    by_stock = FakeInvocation()
    stock(by_stock)

    module._warm_the_controller()
    module._warm_the_controller()  # a later play of the same run
    first, second = FakeInvocation(), FakeInvocation()
    ansible_mitogen.planner._load_collections(first)
    ansible_mitogen.planner._load_collections(second)

    assert calls == [1, 1]  # the stock call above, then once for the whole run
    assert first._extra_sys_paths == second._extra_sys_paths == by_stock._extra_sys_paths
    assert by_stock._extra_sys_paths == {path.decode() for path in dirs}


def test_the_controller_loads_the_collections_template_plugins_before_the_workers_fork(monkeypatch):
    module = load_shim("solo_linear_plugins")
    names = [f"ansible_collections.{module.COLLECTION}.plugins.filter.{n}" for n in ("network", "services", "waf")]
    for name in names:
        monkeypatch.delitem(sys.modules, name, raising=False)

    module._load_template_plugins()

    assert all(name in sys.modules for name in names)
    assert callable(sys.modules[names[0]].FilterModule().filters()["subnet_layout"])
