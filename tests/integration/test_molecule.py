"""Every role's molecule scenario (converge, idempotence, verify) against the emulator."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.support.aws import BIN, ROOT

ANSI = re.compile(r"\x1b\[[0-9;]*[a-zA-Z]|\x1b\]8;;[^\x1b]*\x1b\\")
SCENARIOS = sorted(ROOT.glob("roles/*/molecule/*/molecule.yml"))


@pytest.mark.slow
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: f"{p.parts[-4]}-{p.parts[-2]}")
def test_molecule_scenario(aws, scenario):
    role_dir = scenario.parent.parent.parent
    proc = subprocess.run(
        [str(BIN / "molecule"), "test", "-s", scenario.parent.name],
        cwd=role_dir, env=aws.env(), capture_output=True, text=True, timeout=1200,
    )
    output = ANSI.sub("", proc.stdout + proc.stderr)
    assert proc.returncode == 0, output[-8000:]
    for step in ("converge", "idempotence", "verify"):
        assert re.search(rf"{step}\W+Executed: Successful", output), f"{step} did not run:\n{output[-4000:]}"


def test_every_role_has_a_scenario():
    roles = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "tasks").is_dir())
    with_scenario = sorted({p.parts[-4] for p in SCENARIOS})
    assert roles == with_scenario


def test_make_molecule_without_a_role_names_the_roles():
    proc = subprocess.run(["make", "--no-print-directory", "molecule"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode != 0
    roles = " ".join(sorted({p.parts[-4] for p in SCENARIOS}))
    assert f"make molecule ROLE=<role>: ROLE must be one of: {roles}" in proc.stderr


@pytest.mark.slow
def test_make_molecule_runs_one_role_on_an_emulator_of_its_own():
    from tools.emulator import free_port

    port = free_port()
    proc = subprocess.run(["make", "--no-print-directory", "molecule", "ROLE=registry", f"MOLECULE_PORT={port}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=1200)
    output = ANSI.sub("", proc.stdout + proc.stderr)
    assert proc.returncode == 0, output[-6000:]
    assert re.search(r"verify\W+Executed: Successful", output), output[-4000:]
    # The emulator it started is gone again.
    assert not (ROOT / ".local" / f"emulator-{port}.pid").exists()
