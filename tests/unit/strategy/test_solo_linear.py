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
