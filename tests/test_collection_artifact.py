"""The collection as an artifact: the tarball holds the collection only, and its metadata is complete.

`ansible-galaxy collection build` packs the repository minus galaxy.yml's build_ignore; these tests
list what came out (top-level entries, every path the issue named as not collection content), install
it, and ask ansible-builder what an execution environment would need for it.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import tarfile

import pytest
import yaml

from tests.support.aws import BIN, ROOT

GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text())

# Everything the tarball may hold at its top level.
ALLOWED_TOP = {"MANIFEST.json", "FILES.json", GALAXY["readme"], "LICENSE", "CHANGELOG.rst", "changelogs", "docs",
               "meta", "playbooks", "plugins", "roles"}
# The deployment project and its tooling: never in the artifact.
PROJECT_PATHS = ("Makefile", "ansible.cfg", "requirements.txt", "pytest.ini", "pyproject.toml", ".ansible-lint",
                 ".gitignore", "ee", "execution-environment.yml", "ansible-navigator.yml", "site.yml", "group_vars",
                 "README.md", "inventories", "tests", "tools", "bench", "strategy_plugins", "collections", ".github",
                 ".ci", ".venv", ".local")


def run(*cmd, **kwargs):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kwargs)


@pytest.fixture(scope="module")
def artifact(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    proc = run(str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(out), cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (tarball,) = out.glob(f"solo_saving-infra-{GALAXY['version']}.tar.gz")
    return tarball


@pytest.fixture(scope="module")
def names(artifact):
    # What `tar tzf` lists.
    proc = run("tar", "tzf", str(artifact))
    assert proc.returncode == 0, proc.stderr
    return [n.rstrip("/") for n in proc.stdout.splitlines()]


@pytest.fixture(scope="module")
def installed(artifact, tmp_path_factory):
    path = tmp_path_factory.mktemp("installed")
    proc = run(str(BIN / "ansible-galaxy"), "collection", "install", "--force", "--offline", "--no-deps",
               "-p", str(path), str(artifact), cwd=path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return path


def test_the_tarball_holds_the_collection_only(names):
    top = {n.split("/", 1)[0] for n in names}
    assert top <= ALLOWED_TOP, f"not collection content: {sorted(top - ALLOWED_TOP)}"
    for path in PROJECT_PATHS:
        assert not [n for n in names if n == path or n.startswith(path + "/")], path
    assert [n for n in names if "/molecule" in n or n.startswith("molecule")] == []
    assert [n for n in names if n.split("/")[-1] == "group_vars"] == []
    # What the collection is made of is all there.
    for path in ("plugins/modules/vpc_network.py", "plugins/module_utils/aws_module.py",
                 "plugins/action/role_arguments.py", "roles/network/tasks/main.yml",
                 "roles/stack/defaults/main.yml", "roles/teardown/defaults/main.yml",
                 "playbooks/site.yml", "playbooks/verify.yml", "playbooks/deploy.yml", "playbooks/teardown.yml",
                 "meta/runtime.yml", "meta/execution-environment.yml", "docs/iam/deployer-policy.json",
                 "LICENSE", "CHANGELOG.rst", GALAXY["readme"]):
        assert path in names, path
    assert {n.split("/")[1] for n in names if n.startswith("docs/") and n.count("/") >= 1} == {"iam"}
    assert not [n for n in names if n.startswith("docs/") and n.endswith(".py")], "scripts are project tooling"


def test_the_collection_readme_is_its_own(artifact):
    with tarfile.open(artifact) as tar:
        manifest = yaml.safe_load(tar.extractfile("MANIFEST.json"))
        readme = tar.extractfile(GALAXY["readme"]).read().decode()
    info = manifest["collection_info"]
    assert info["readme"] == GALAXY["readme"] != "README.md"
    assert readme.startswith("# solo_saving.infra\n")
    # It speaks of the collection's content, not of the deployment project's make targets.
    for part in ("## Playbooks", "## Roles", "## Modules", "solo_saving.infra.site"):
        assert part in readme
    assert "make " not in readme


def test_galaxy_metadata_is_complete():
    for key in ("repository", "documentation", "homepage", "issues"):
        assert GALAXY.get(key, "").startswith("https://"), key
    # The real address is not known yet: a reserved domain, and marked as a placeholder.
    text = (ROOT / "galaxy.yml").read_text()
    assert all(".invalid/" in GALAXY[k] for k in ("repository", "documentation", "homepage", "issues"))
    assert "PLACEHOLDER" in text
    assert (ROOT / GALAXY["readme"]).is_file() and (ROOT / "LICENSE").read_text().startswith(
        " " * 20 + "GNU GENERAL PUBLIC LICENSE")
    assert GALAXY["license"] == ["GPL-3.0-or-later"]


def test_introspect_of_the_installed_collection_lists_runtime_requirements_only(installed):
    assert (installed / "ansible_collections/solo_saving/infra/meta/execution-environment.yml").is_file()
    proc = run(str(BIN / "ansible-builder"), "introspect", str(installed))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = yaml.safe_load(proc.stdout.split("---", 1)[1])
    python = sorted(re.split(r"[<>=!~ ;\[]", line, maxsplit=1)[0].lower() for line in data["python"])
    assert python == ["boto3", "botocore"], proc.stdout
    assert all("from collection solo_saving.infra" in line for line in data["python"])
    assert data["system"] == []


def test_the_modules_import_nothing_else_at_run_time():
    # What meta/ee-requirements.txt names is what plugins/ imports beyond the standard library and Ansible.
    import ast
    import sys

    imported = set()
    for path in (ROOT / "plugins").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add(node.module.split(".")[0])
    third_party = sorted(m for m in imported - set(sys.stdlib_module_names)
                         if m not in ("ansible", "ansible_collections", "__future__"))
    assert third_party == ["boto3", "botocore"]
    lines = (ROOT / "meta/ee-requirements.txt").read_text().splitlines()
    required = sorted(re.split(r"[<>=]", line)[0] for line in lines if line.strip() and not line.startswith("#"))
    assert required == third_party


def test_the_installed_collection_playbooks_need_no_project_file(installed, tmp_path):
    # A consumer's checkout: an inventory and nothing of this repository (no ansible.cfg, no group_vars).
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n")
    env = {"ANSIBLE_COLLECTIONS_PATH": str(installed), "ANSIBLE_CONFIG": str(tmp_path / "none.cfg"),
           "PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path)}
    for playbook in ("site", "verify", "deploy", "teardown"):
        proc = run(str(BIN / "ansible-playbook"), f"solo_saving.infra.{playbook}", "-i", str(inventory),
                   "--syntax-check", cwd=tmp_path, env=env)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_changelog_is_valid_restructuredtext():
    import docutils.core

    warnings = io.StringIO()
    docutils.core.publish_doctree((ROOT / "CHANGELOG.rst").read_text(),
                                  settings_overrides={"warning_stream": warnings, "report_level": 2, "halt_level": 5})
    assert warnings.getvalue() == ""


def test_changelog_fragments_match_the_version():
    version = GALAXY["version"]
    named = [p.name for p in (ROOT / "changelogs/fragments").glob("*.y*ml") if re.match(r"\d+\.\d+\.\d+-", p.name)]
    assert named, "no versioned fragment"
    assert [n for n in named if not n.startswith(f"{version}-")] == []


def test_a_consumers_inventory_wins_over_the_collections_defaults(installed, tmp_path):
    # A consumer's group_vars/all: the lowest an inventory has, still above the collection's role defaults.
    (tmp_path / "group_vars/all").mkdir(parents=True)
    (tmp_path / "hosts.yml").write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n")
    (tmp_path / "group_vars/all/stack.yml").write_text(
        "stack_project: acme\nstack_environment: qa\nnetwork_vpc_cidr: 10.99.0.0/16\n")
    out = tmp_path / "view.json"
    (tmp_path / "view.yml").write_text(f"""---
- name: Read the collection's defaults under the consumer's inventory
  hosts: all
  gather_facts: false
  tasks:
    - name: Put the network role's defaults in the play.
      ansible.builtin.import_role:
        name: solo_saving.infra.network
        tasks_from: inputs
    - name: Put the database role's defaults in the play.
      ansible.builtin.import_role:
        name: solo_saving.infra.database
        tasks_from: inputs
    - name: Write what the roles see.
      ansible.builtin.copy:
        dest: {out}
        mode: "0600"
        content: "{{{{ {{'prefix': network_name_prefix, 'cidr': network_vpc_cidr, 'region': network_region,
                      'cluster': database_cluster_identifier, 'tags': network_tags}} | to_json }}}}"
""")
    env = {"ANSIBLE_COLLECTIONS_PATH": str(installed), "ANSIBLE_CONFIG": str(tmp_path / "none.cfg"),
           "PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path)}
    proc = run(str(BIN / "ansible-playbook"), "view.yml", "-i", "hosts.yml", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    seen = json.loads(out.read_text())
    assert seen == {"prefix": "acme-qa", "cidr": "10.99.0.0/16", "region": "ap-northeast-1",
                    "cluster": "acme-qa-db",
                    "tags": {"Project": "acme", "Environment": "qa", "ManagedBy": "ansible"}}
