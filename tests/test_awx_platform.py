"""docs/awx/platform.yml, the controller's setup as code: syntax, lint, and what it asks of the project.

It cannot run here (there is no controller); these tests check it against the real awx.awx modules
(a copy of the ones it uses, tests/support/collections/) and against the project it describes:
the playbooks and inventories it names exist, the surveys ask what the playbooks read, the
workflow is plan -> approval -> apply, and secrets stay out of the output.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import yaml

from tests.support.aws import BIN, ROOT

PLATFORM = ROOT / "docs/awx/platform.yml"
AWX = ROOT / "tests/support/collections"


def run(*cmd, **kwargs):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=f"{AWX}{os.pathsep}{ROOT / 'collections'}", ANSIBLE_NOCOLOR="1")
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, **kwargs)


@pytest.fixture(scope="module")
def play():
    # `!unsafe` (a template AWX renders, not Ansible) reads as the plain string here.
    (only,) = yaml.safe_load(PLATFORM.read_text().replace("!unsafe ", ""))
    return only


@pytest.fixture(scope="module")
def play_vars(play):
    return play["vars"]


def awx_tasks(play):
    for task in play["tasks"]:
        (module,) = [k for k in task if k.startswith("awx.awx.")]
        yield task, module, task[module]


@pytest.fixture(scope="module")
def module_docs(play):
    modules = sorted({module for _, module, _ in awx_tasks(play)})
    proc = run(str(BIN / "ansible-doc"), "-t", "module", "--json", *modules)
    assert proc.returncode == 0, proc.stderr
    return {name: doc["doc"]["options"] for name, doc in json.loads(proc.stdout).items()}


def test_the_platform_playbook_passes_the_syntax_check():
    proc = run(str(BIN / "ansible-playbook"), str(PLATFORM), "--syntax-check")
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_the_platform_playbook_is_lint_clean(tmp_path):
    # The project's configuration, less the exclusion that keeps docs/awx/ out of the runs that lack awx.awx.
    config = yaml.safe_load((ROOT / ".ansible-lint").read_text())
    assert "docs/awx/" in config["exclude_paths"]
    config["exclude_paths"].remove("docs/awx/")
    (tmp_path / "lint.yml").write_text(yaml.safe_dump(config))
    proc = run(str(BIN / "ansible-lint"), "--nocolor", "-c", str(tmp_path / "lint.yml"), str(PLATFORM))
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    assert "Profile 'production' was required, and it passed" in proc.stdout + proc.stderr


def test_every_task_uses_options_its_module_has(play, module_docs):
    for task, module, args in awx_tasks(play):
        options = module_docs[module]
        assert set(args) <= set(options), f"{task['name']}: {sorted(set(args) - set(options))} not in {module}"
        for node in args.get("workflow_nodes", []):
            sub = options["workflow_nodes"]["suboptions"]
            assert set(node) <= set(sub)
            assert set(node["unified_job_template"]) <= set(sub["unified_job_template"]["suboptions"])
            assert set(node.get("related", {})) <= set(sub["related"]["suboptions"])


def test_the_job_templates_run_the_projects_playbooks(play_vars):
    templates = {t["action"]: t for t in play_vars["__platform_templates"]}
    assert sorted(templates) == ["apply", "deploy", "plan", "teardown", "verify"]
    for template in templates.values():
        assert (ROOT / template["playbook"]).is_file(), template["playbook"]
    assert templates["plan"]["playbook"] == templates["apply"]["playbook"] == "site.yml"
    assert templates["plan"]["job_type"] == "check" and templates["apply"]["job_type"] == "run"
    assert templates["deploy"]["survey"] == "deploy" and templates["teardown"]["survey"] == "teardown"


def test_every_environment_has_an_inventory_source_in_the_project(play, play_vars):
    (source,) = [args for _, module, args in awx_tasks(play) if module == "awx.awx.inventory_source"]
    assert source["source"] == "scm" and source["source_path"] == "inventories/{{ item }}/hosts.yml"
    for env in play_vars["platform_environments"]:
        assert (ROOT / f"inventories/{env}/hosts.yml").is_file()


def test_the_surveys_ask_what_the_playbooks_read(play_vars):
    surveys = play_vars["__platform_surveys"]
    deploy = {q["variable"]: q for q in surveys["deploy"]["spec"]}
    assert sorted(deploy) == ["deploy_image_tag", "deploy_service"]
    # The choices are the ones the deploy playbook accepts.
    text = (ROOT / "playbooks/deploy.yml").read_text()
    assert "deploy_service in ['frontend', 'backend', 'all']" in text
    assert deploy["deploy_service"]["choices"] == ["frontend", "backend", "all"]
    assert deploy["deploy_image_tag"]["required"] is True and deploy["deploy_image_tag"]["max"] == 128
    teardown = {q["variable"]: q for q in surveys["teardown"]["spec"]}
    assert sorted(teardown) == ["teardown_confirm", "teardown_lift_deletion_protection"]
    assert teardown["teardown_confirm"]["required"] is True and "default" not in teardown["teardown_confirm"]
    assert teardown["teardown_lift_deletion_protection"]["default"] == "false"


def test_verify_runs_on_a_schedule(play, play_vars):
    (schedule,) = [args for _, module, args in awx_tasks(play) if module == "awx.awx.schedule"]
    assert schedule["unified_job_template"].endswith(" verify") and schedule["enabled"] is True
    assert schedule["rrule"] == "{{ platform_verify_rrule }}"
    assert "RRULE:FREQ=DAILY" in play_vars["platform_verify_rrule"]


def test_the_workflow_is_plan_then_approval_then_apply(play):
    (workflow,) = [args for _, module, args in awx_tasks(play) if module == "awx.awx.workflow_job_template"]
    nodes = {n["identifier"]: n for n in workflow["workflow_nodes"]}
    order, node = [], nodes["plan"]
    while True:
        order.append(node["unified_job_template"]["type"] + ":" + node["identifier"])
        following = node.get("related", {}).get("success_nodes", [])
        if not following:
            break
        node = nodes[following[0]["identifier"]]
    assert order == ["job_template:plan", "workflow_approval:approve", "job_template:apply"]
    assert nodes["plan"]["unified_job_template"]["name"].endswith("plan")
    assert nodes["apply"]["unified_job_template"]["name"].endswith("apply")


def test_credentials_stay_out_of_the_output(play):
    for task, module, args in awx_tasks(play):
        inputs = args.get("inputs", {})
        if module == "awx.awx.credential" and set(inputs) & {"password", "vault_password"}:
            assert task.get("no_log") is True, task["name"]
