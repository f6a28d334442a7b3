"""The variables of an environment's stack, as the roles would see them.

Runs tools/stack_view.yml against ``inventories/<env>`` (the roles' defaults,
which follow the stack-wide settings, under the inventory's values; no AWS
call) and lays the result over the roles' defaults files
(``roles/<role>/defaults/main.yml``), for the few names the playbook leaves
out. Used by the architecture diagram and the cost estimate.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
ROLES = ("network", "endpoints", "secrets", "registry", "database", "edge", "services")


class StackViewError(RuntimeError):
    pass


def role_defaults() -> dict:
    merged: dict = {}
    for role in ROLES:
        path = ROOT / "roles" / role / "defaults" / "main.yml"
        if path.exists():
            merged.update(yaml.safe_load(path.read_text()) or {})
    return merged


def inventory_view(env: str) -> dict:
    inventory = ROOT / "inventories" / env
    if not inventory.is_dir():
        known = sorted(p.name for p in (ROOT / "inventories").iterdir() if p.is_dir())
        raise StackViewError(f"no inventory for ENV={env}: choose one of {', '.join(known)}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "view.json"
        env_vars = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_STDOUT_CALLBACK="default")
        proc = subprocess.run(
            [str(Path(sys.executable).parent / "ansible-playbook"), "tools/stack_view.yml", "-i", str(inventory),
             "-e", f"stack_view_out={out}"],
            cwd=ROOT, capture_output=True, text=True, env=env_vars, timeout=300, check=False)
        if proc.returncode != 0 or not out.exists():
            raise StackViewError(f"templating the {env} inventory failed:\n{(proc.stdout + proc.stderr)[-3000:]}")
        return json.loads(out.read_text())


def load(env: str) -> dict:
    """Role defaults, overridden by the environment's templated inventory variables."""
    view = role_defaults()
    view.update(inventory_view(env))
    return view
