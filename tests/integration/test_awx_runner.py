"""Jobs run as AWX / Automation Platform runs them, with ansible-runner, against the emulator.

Nothing but what the platform does: the project is the repository as git gives it (tracked and
unignored files, no `make setup`, so no collections/ link and no .venv of its own); the project
sync installs collections/requirements.yml (amazon.aws and community.aws are already there, as
in an execution environment; solo_saving.infra comes from the project itself); the inventory
sync is `ansible-inventory --list --export` of the project's inventory source, handed to each job
as the executable script AWX writes; a job gets its extra variables in env/extravars, the AWS
credential as environment variables, ANSIBLE_COLLECTIONS_PATH with the synced collections first,
and runs through ansible-runner with process isolation off. The execution environment image
itself is not built here (no container runtime on the test machines): the venv's ansible-core,
amazon.aws and boto3 stand in for it.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from pathlib import Path

import ansible_runner
import pytest
import yaml

from tests.support.aws import BIN, ROOT, is_write, request_action

pytestmark = pytest.mark.slow

PREFIX = "solo-saving-local"
# The AWS credential AWX injects: the emulator accepts any key; this one must never reach the job's events.
ACCESS_KEY = "AKIA" + secrets.token_hex(8).upper()
SECRET_KEY = "awx-secret-" + secrets.token_urlsafe(24)
# An API key given as a survey answer (extra variable), as a vault credential would give it.
API_KEY = "awx-api-key-" + secrets.token_urlsafe(24)


def project_files() -> list[str]:
    """The repository as a clone of its current tree has it: tracked and new files, nothing git ignores."""
    proc = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                          capture_output=True, check=True)
    return [name for name in proc.stdout.decode().split("\0") if name]


def sync_project(dest: Path) -> None:
    for name in project_files():
        src = ROOT / name
        if not src.exists() and not src.is_symlink():
            continue  # deleted in the work tree
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            target.symlink_to(os.readlink(src))
        elif src.is_file():
            shutil.copy2(src, target)


def platform_env(home: Path, **extra: str) -> dict[str, str]:
    """A clean environment: no AWS or Ansible setting of the machine running the tests."""
    env = {"PATH": f"{BIN}{os.pathsep}/usr/bin{os.pathsep}/bin", "HOME": str(home), "LANG": "C.UTF-8"}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def awx(tmp_path_factory):
    """The platform's side of things: the synced project, its collections and the imported inventory."""
    base = tmp_path_factory.mktemp("awx")
    project = base / "project"
    sync_project(project)
    assert not (project / "collections/ansible_collections").exists()
    assert not (project / ".venv").exists()

    # Project sync: ansible-galaxy collection install -r collections/requirements.yml, from the project's root.
    collections = base / "requirements_collections"
    proc = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", "-r", "collections/requirements.yml",
                           "-p", str(collections)], cwd=project, env=platform_env(base), capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    installed = collections / "ansible_collections/solo_saving/infra"
    assert (installed / "MANIFEST.json").is_file() and not (installed / "tests").exists()

    # Inventory sync of the source "inventories/local/hosts.yml" (Sourced from a Project).
    proc = subprocess.run([str(BIN / "ansible-inventory"), "--list", "--export", "-i", "inventories/local/hosts.yml",
                           "--playbook-dir", str(project)], cwd=project, env=platform_env(base),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    inventory = json.loads(proc.stdout)
    assert inventory["local"]["vars"]["stack_environment"] == "local"
    return {"base": base, "project": project, "collections": collections, "inventory": inventory}


class Job:
    """One job: a private data dir laid out as AWX lays it out, run by ansible-runner."""

    counter = 0

    def __init__(self, awx, aws, playbook: str, extra_vars: dict | None = None, job_type: str = "run"):
        Job.counter += 1
        self.id = Job.counter
        self.pdd = awx["base"] / f"job_{self.id}"
        shutil.copytree(awx["project"], self.pdd / "project", symlinks=True)
        (self.pdd / "inventory").mkdir()
        (self.pdd / "env").mkdir()
        script = self.pdd / "inventory/hosts"
        data = json.dumps(awx["inventory"])
        script.write_text(f"#! /usr/bin/env python3\n# -*- coding: utf-8 -*-\nprint({data!r})\n")
        script.chmod(0o700)
        # The job template's extra variables, after AWX's own.
        variables = {"awx_job_id": self.id, "tower_job_id": self.id, "awx_job_template_name": f"solo-saving {playbook}",
                     "awx_user_name": "admin", "awx_inventory_name": "solo-saving local"}
        variables.update(extra_vars or {})
        (self.pdd / "env/extravars").write_text(yaml.safe_dump(variables))
        home = self.pdd / "home"
        home.mkdir()
        self.envvars = {
            # The execution environment's ansible-core (here: the venv's).
            "PATH": f"{BIN}{os.pathsep}/usr/bin{os.pathsep}/bin",
            "HOME": str(home),
            "JOB_ID": str(self.id),
            "INVENTORY_ID": "1",
            "PROJECT_REVISION": "main",
            "ANSIBLE_RETRY_FILES_ENABLED": "False",
            "ANSIBLE_FORCE_COLOR": "False",
            "ANSIBLE_NOCOLOR": "1",
            "AWX_PRIVATE_DATA_DIR": str(self.pdd),
            # The synced collections first, then the execution environment's usual places.
            "ANSIBLE_COLLECTIONS_PATH": os.pathsep.join(
                [str(awx["collections"]), "~/.ansible/collections", "/usr/share/ansible/collections"]),
            # The Amazon Web Services credential.
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            # A custom credential type (docs/awx) points the job at the emulator.
            "AWS_ENDPOINT_URL": aws.url,
        }
        self.playbook = playbook
        self.cmdline = ["-u", "root", "--forks=5"] + (["--check", "--diff"] if job_type == "check" else [])

    def run(self):
        self.result = ansible_runner.run(
            private_data_dir=str(self.pdd), project_dir=str(self.pdd / "project"), playbook=self.playbook,
            inventory=str(self.pdd / "inventory/hosts"), envvars=self.envvars, cmdline=" ".join(self.cmdline),
            process_isolation=False, quiet=True, ident=f"job_{self.id}", settings={"job_timeout": 1200},
            # Without a callback ansible-runner installs its own SIGINT / SIGTERM handlers in this process.
            cancel_callback=lambda: False)
        return self

    @property
    def stdout(self) -> str:
        return self.result.stdout.read()

    @property
    def events(self) -> list[dict]:
        return list(self.result.events)

    def changed(self) -> int:
        return sum((self.result.stats or {}).get("changed", {}).values())

    def assert_ok(self):
        assert self.result.status == "successful" and self.result.rc == 0, (
            f"{self.playbook} job {self.id}: {self.result.status} rc={self.result.rc}\n{self.stdout[-6000:]}")
        stats = self.result.stats
        assert list(stats["ok"]) == ["localhost"], "the job ran on the inventory's host"
        assert not stats["failures"] and not stats["dark"]
        return self

    def text(self) -> str:
        """Everything the platform stores of the job: its events and its stdout."""
        return json.dumps(self.events) + self.stdout


@pytest.fixture
def job(awx, aws, monkeypatch):
    # ansible-runner starts ansible-playbook with its own environment plus the job's variables: keep the
    # machine's AWS and Ansible settings out of it, as a fresh execution environment has none.
    for key in list(os.environ):
        if key.startswith(("AWS_", "ANSIBLE_", "MOLECULE_", "MITOGEN_")):
            monkeypatch.delenv(key)
    jobs = []

    def _job(playbook: str, extra_vars: dict | None = None, job_type: str = "run") -> Job:
        jobs.append(Job(awx, aws, playbook, extra_vars, job_type).run())
        return jobs[-1]

    _job.all = jobs
    return _job


def push_image(aws, repository: str, tag: str) -> None:
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"digest": "sha256:" + "b" * 64, "size": 1,
                           "mediaType": "application/vnd.docker.container.image.v1+json"}, "layers": []}
    aws.client("ecr").put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag=tag)


def backend_image(aws) -> str:
    ecs = aws.client("ecs")
    arn = ecs.describe_services(cluster=PREFIX, services=["backend"])["services"][0]["taskDefinition"]
    return ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]["containerDefinitions"][0]["image"]


def test_site_verify_deploy_and_teardown_jobs_as_awx_runs_them(aws, job):
    survey = {"secrets_api_keys": [{"name": "payment_api_key", "value": API_KEY}]}

    # The plan: the site job template in check mode, with "Show changes"; nothing written.
    aws.start_recording()
    plan = job("site.yml", survey, job_type="check").assert_ok()
    writes = [request_action(r) for r in aws.stop_recording() if is_write(r)]
    assert writes == [], writes
    assert plan.changed() > 0

    # The apply converges the stack; a second run changes nothing.
    first = job("site.yml", survey).assert_ok()
    assert first.changed() > 0
    again = job("site.yml", survey).assert_ok()
    assert again.changed() == 0, again.stdout[-4000:]
    vpcs = aws.client("ec2").describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"{PREFIX}-vpc"]}])["Vpcs"]
    assert [v["CidrBlock"] for v in vpcs] == ["10.20.0.0/16"]

    # verify, as the scheduled job runs it: read-only, every rule holds.
    verify = job("playbooks/verify.yml", survey).assert_ok()
    assert verify.changed() == 0
    assert "rules hold" in verify.stdout

    # deploy, the tag given as the survey's extra variable.
    push_image(aws, f"{PREFIX}/backend", "v7")
    deploy = job("playbooks/deploy.yml", dict(survey, deploy_service="backend", deploy_image_tag="v7")).assert_ok()
    assert deploy.changed() > 0
    assert backend_image(aws).endswith(f"/{PREFIX}/backend:v7")

    # The values the jobs handled, read before the teardown deletes them.
    ssm = aws.client("ssm")
    db_password = ssm.get_parameter(Name="/solo-saving/local/db_password", WithDecryption=True)["Parameter"]["Value"]
    stored_key = ssm.get_parameter(Name="/solo-saving/local/payment_api_key", WithDecryption=True)["Parameter"]
    assert stored_key["Value"] == API_KEY

    # teardown, confirmed by the survey's answer; the playbook fails itself if anything remains.
    teardown = job("playbooks/teardown.yml", dict(survey, teardown_confirm="local")).assert_ok()
    assert teardown.changed() > 0
    assert aws.client("ec2").describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"{PREFIX}-vpc"]}])["Vpcs"] == []

    # No secret value in anything the platform keeps of the six jobs (events and stdout).
    for done in job.all:
        text = done.text()
        assert done.events, "ansible-runner recorded the job's events"
        for name, value in (("the AWS secret key", SECRET_KEY), ("the API key", API_KEY),
                            ("the database password", db_password)):
            assert value not in text, f"{name} is in the events of {done.playbook} (job {done.id})"


def test_a_teardown_job_without_the_confirmation_survey_deletes_nothing(aws, job):
    aws.start_recording()
    refused = job("playbooks/teardown.yml")
    records = aws.stop_recording()
    assert refused.result.status == "failed"
    assert "teardown_confirm" in refused.stdout
    assert records == [], "refused before any AWS call"


def test_the_synced_project_needs_no_link_and_ships_no_project_file(awx):
    installed = awx["collections"] / "ansible_collections/solo_saving/infra"
    top = sorted(p.name for p in installed.iterdir())
    assert "Makefile" not in top and "ansible.cfg" not in top and "group_vars" not in top
    assert not list(installed.glob("roles/*/molecule"))
    # The inventory AWX imported carries the environment's values as group variables of an inventory
    # script; the collection's defaults are role defaults, below them.
    keys = {key for group in awx["inventory"].values() for key in (group.get("vars") or {})}
    assert {"stack_environment", "stack_account_id", "edge_domain"} <= keys
    assert not keys & {"stack_aws", "stack_name_prefix", "network_name_prefix", "teardown_confirm"}
