"""Project hygiene: linters, the collection artifact, and roles' specs in step with their defaults."""

from __future__ import annotations

import subprocess
import tarfile

import pytest
import yaml

from tests.support.aws import BIN, ROOT

ROLES = sorted(p for p in (ROOT / "roles").iterdir() if (p / "tasks").is_dir())


def run(*cmd, **kwargs):
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900, **kwargs)


def test_ruff_is_clean():
    proc = run(str(BIN / "ruff"), "check", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_ansible_lint_production_profile_is_clean():
    config = yaml.safe_load((ROOT / ".ansible-lint").read_text())
    assert config["profile"] == "production"
    assert not config.get("skip_list") and not config.get("warn_list")
    proc = run(str(BIN / "ansible-lint"), "--nocolor")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]


def test_collection_artifact_leaves_out_tests_and_inventories(tmp_path):
    proc = run(str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (artifact,) = tmp_path.glob("solo_saving-infra-*.tar.gz")
    with tarfile.open(artifact) as tar:
        names = tar.getnames()
    assert "plugins/modules/vpc_network.py" in names
    assert "roles/network/tasks/main.yml" in names
    assert "meta/runtime.yml" in names
    for excluded in ("tests", "inventories", "tools", ".venv", "collections"):
        assert not [n for n in names if n == excluded or n.startswith(excluded + "/")], excluded


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_argument_specs_agree_with_defaults(role):
    specs = yaml.safe_load((role / "meta/argument_specs.yml").read_text())["argument_specs"]
    defaults = yaml.safe_load((role / "defaults/main.yml").read_text()) or {}
    options = specs["main"]["options"]
    assert set(defaults) <= set(options), f"defaults without a spec: {set(defaults) - set(options)}"
    for name, option in options.items():
        assert option.get("description"), f"{name} has no description"
        assert name.startswith(f"{role.name}_"), f"{name} lacks the {role.name}_ prefix"
        if "default" in option:
            assert name in defaults, f"{name} has a spec default but none in defaults/main.yml"
            assert option["default"] == defaults[name], (
                f"{name}: spec says {option['default']!r}, defaults/main.yml says {defaults[name]!r}")
        elif not option.get("required"):
            assert name in defaults, f"{name} is optional but has no default"


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_role_readme_lists_every_input_and_tag(role):
    readme = (role / "README.md").read_text()
    options = yaml.safe_load((role / "meta/argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    missing = [name for name in options if f"`{name}`" not in readme]
    assert not missing, f"{role.name}/README.md does not document {missing}"
    assert "## Tags" in readme and f"`{role.name}`" in readme
    assert "## IAM" in readme


def test_every_aws_module_joins_the_action_group():
    # The AWS modules take the region, endpoint and credentials from `module_defaults`; an action
    # that runs on the controller without AWS (plugins/action/) would refuse them as unknown options.
    group = yaml.safe_load((ROOT / "meta/runtime.yml").read_text())["action_groups"]["aws"]
    controller_only = sorted(p.stem for p in (ROOT / "plugins/action").glob("*.py") if p.stem != "__init__")
    modules = sorted(p.stem for p in (ROOT / "plugins/modules").glob("*.py") if p.stem != "__init__")
    assert controller_only == ["role_arguments"]
    assert [m for m in modules if m not in group and m not in controller_only] == []
    assert [m for m in controller_only if m in group] == []
    assert len(group) == len(set(group)), "a module is listed twice"


def test_test_file_names_are_unique():
    # pytest imports test modules by basename: two files of the same name stop the collection.
    names = [p.name for p in (ROOT / "tests").rglob("test_*.py")]
    assert sorted({n for n in names if names.count(n) > 1}) == []


def test_the_readme_tags_table_lists_every_tag_of_the_playbooks():
    """Every tag a play of playbooks/ carries is a row of the top README's tags table, and no row is stale."""
    played = set()
    for path in sorted((ROOT / "playbooks").glob("*.yml")):
        for play in yaml.safe_load(path.read_text()) or []:
            played.update(play.get("tags") or [])
    readme = (ROOT / "README.md").read_text()
    table = readme.split("### Tags", 1)[1].split("\n\n", 2)[1]
    rows = {line.split("|")[1].split()[0].strip("`") for line in table.splitlines()
            if line.startswith("| `")}
    assert played - {"always"} <= rows, sorted(played - rows)
    assert rows - {"always"} <= played, sorted(rows - played)


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_entry_point_descriptions_carry_no_markup(role):
    """An entry point's short_description becomes a task name (argument validation): no C(...) or I(...) in it."""
    specs = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    marked = {name: spec["short_description"] for name, spec in specs.items()
              if any(f"{m}(" in spec.get("short_description", "") for m in ("C", "I", "M", "B", "U", "L"))}
    assert marked == {}
