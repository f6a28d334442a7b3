"""deploy.yml: a pushed tag rolls out as a new revision; an unknown tag changes nothing; migrations gate it."""

from __future__ import annotations

import json

import pytest

from tests.support.aws import is_write, request_action
from tests.support.iam import iam_action

pytestmark = pytest.mark.slow
REPO = "solo-saving-local/backend"
CLUSTER = "solo-saving-local"


def push(aws, repository, tag):
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"digest": "sha256:" + "a" * 64, "size": 1,
                           "mediaType": "application/vnd.docker.container.image.v1+json"}, "layers": []}
    aws.client("ecr").put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag=tag)


def running(aws, service):
    ecs = aws.client("ecs")
    arn = ecs.describe_services(cluster=CLUSTER, services=[service])["services"][0]["taskDefinition"]
    definition = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    return definition["revision"], definition["containerDefinitions"][0]["image"]


def test_deploy(aws, playbook):
    playbook("site.yml", check=True)
    backend_before, frontend_before = running(aws, "backend"), running(aws, "frontend")

    # An unknown tag: a clear failure, and nothing written.
    aws.start_recording()
    unknown = playbook("playbooks/deploy.yml", "-e", "deploy_service=backend", "-e", "deploy_image_tag=nope")
    records = aws.stop_recording()
    assert unknown.rc != 0
    assert f"image tag 'nope' is not in {REPO}: push the image first" in " ".join(unknown.output.split())
    assert [request_action(r) for r in records if is_write(r)] == []
    # The tag is checked first: the services, load balancer and database were not even read.
    read = [iam_action(r) or "" for r in records]
    assert [a for a in read if a.split(":")[0] in ("ecs", "elasticloadbalancing", "rds")] == [], read

    # A bad input: refused before any AWS call.
    aws.start_recording()
    bad = playbook("playbooks/deploy.yml", "-e", "deploy_service=api", "-e", "deploy_image_tag=v2")
    assert bad.rc != 0 and "deploy_service = 'api': use frontend, backend or all" in bad.output
    assert aws.stop_recording() == []

    push(aws, REPO, "v2")
    deployed = playbook("playbooks/deploy.yml", "-e", "deploy_service=backend", "-e", "deploy_image_tag=v2", check=True)
    revision, image = running(aws, "backend")
    assert image.endswith(f"/{REPO}:v2") and revision == backend_before[0] + 1
    assert running(aws, "frontend") == frontend_before
    assert f"backend: {backend_before[1]} (solo-saving-local-backend:{backend_before[0]}) -> {image} " \
           f"(solo-saving-local-backend:{revision})" in " ".join(deployed.output.split())

    # site.yml keeps the deployed image: nothing to change, no roll back.
    again = playbook("site.yml", check=True)
    assert again.recap()["changed"] == 0
    assert running(aws, "backend") == (revision, image)


def test_a_failed_migration_stops_the_deploy_before_the_rollout(aws, playbook):
    """The migration task runs from a revision registered for it; its failure leaves the service as it was.

    The emulator cannot run the task: moto's RunTask fails (HTTP 500) on Fargate definitions that set memory only
    at task level, which AWS accepts. That failure still shows the order of the steps; the exit-code check of the
    migration task itself is covered by the ecs_run_task unit tests.
    """
    playbook("site.yml", check=True)
    push(aws, REPO, "v3")
    before = running(aws, "backend")
    run = playbook("playbooks/deploy.yml", "-e", "deploy_service=backend", "-e", "deploy_image_tag=v3",
                   "-e", json.dumps({"deploy_migrate_command": ["alembic", "upgrade", "head"]}))
    text = " ".join(run.output.split())
    assert run.rc != 0
    assert "Run the database migrations from the new backend image." in text
    assert "Failed to start a one-off ECS task" in text
    # The revision for the migrations exists, with the new image; the service still runs the old one.
    ecs = aws.client("ecs")
    latest = ecs.describe_task_definition(taskDefinition="solo-saving-local-backend")["taskDefinition"]
    assert latest["revision"] == before[0] + 1
    assert latest["containerDefinitions"][0]["image"].endswith(f"/{REPO}:v3")
    assert running(aws, "backend") == before
