"""The deployer policy (docs/iam/deployer-policy.json) allows every AWS action the playbooks call.

The playbooks run against the emulator with request recording on: a plan on
the empty account and the deploy with site.yml, then the operations playbooks
(deploy, verify, teardown) that are in the tree. Every recorded
request is mapped to its IAM action; the test fails if the policy does not
allow one, and lists (as a warning) the policy's actions no request used:
drift corrections, deletions of resources the run never created, and actions
AWS authorises beside the call (iam:PassRole, tag-on-create, service-linked
roles, WAF's elasticloadbalancing:SetWebAcl and log delivery).

A second, static test names every AWS operation the collection's wrappers can
call and checks the policy allows it too, so paths the emulator run never
takes (drift, teardown of leftovers) are covered as well.

The check is on action names; the resource and condition scoping of each
statement follows AWS's service authorization reference and is reviewed by
hand (docs/iam/README.md).
"""

from __future__ import annotations

import json
import warnings

import pytest

from tests.support.aws import ROOT
from tests.support.iam import (
    NO_PERMISSION_NEEDED,
    allowed,
    called_actions,
    code_operations,
    missing_actions,
    policy_actions,
    unused_actions,
)
from tools.iam_policy import MANAGED_POLICY_LIMIT, size, split

POLICY_PATH = ROOT / "docs" / "iam" / "deployer-policy.json"
# The operations playbooks and the extra variables each needs on the local environment.
OPERATIONS = [
    ("playbooks/deploy.yml", ["-e", "deploy_service=all", "-e", "deploy_image_tag=policy-test"]),
    ("playbooks/verify.yml", []),
    ("playbooks/teardown.yml", ["-e", "teardown_confirm=local"]),
]


@pytest.fixture(scope="module")
def policy():
    return json.loads(POLICY_PATH.read_text())


def push_images(aws, tag):
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"digest": "sha256:" + "a" * 64, "size": 1,
                           "mediaType": "application/vnd.docker.container.image.v1+json"}, "layers": []}
    for service in ("frontend", "backend"):
        aws.client("ecr").put_image(repositoryName=f"solo-saving-local/{service}", imageManifest=json.dumps(manifest),
                                    imageTag=tag)


def report(label, called, policy):
    unused = unused_actions(called, policy)
    if unused:
        warnings.warn(f"{label}: {len(unused)} policy actions no recorded request used: {', '.join(unused)}",
                      stacklevel=2)


def test_policy_is_well_formed_and_fits_managed_policies(policy):
    assert policy["Version"] == "2012-10-17"
    sids = [s["Sid"] for s in policy["Statement"]]
    assert len(sids) == len(set(sids)), "statement ids must be unique"
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        assert statement["Action"] == sorted(set(statement["Action"])), f"{statement['Sid']}: sort, no duplicates"
        assert "*" not in [a.split(":", 1)[1] for a in statement["Action"]], f"{statement['Sid']}: no service:*"
    documents = split(policy)
    assert all(size(d) <= MANAGED_POLICY_LIMIT for d in documents)
    assert [s for d in documents for s in d["Statement"]] == policy["Statement"]


def test_policy_allows_every_operation_the_wrappers_call(policy):
    patterns = policy_actions(policy)
    operations = code_operations(sorted((ROOT / "plugins" / "module_utils").glob("*.py")))
    missing = {k: sorted(v) for k, v in operations.items()
               if not any(a in NO_PERMISSION_NEEDED or allowed(a, patterns) for a in k.split("|"))}
    assert not missing, f"operations the code calls that {POLICY_PATH.name} does not allow: {missing}"


@pytest.mark.slow
def test_policy_allows_every_action_the_playbooks_call(aws, playbook, policy):
    """site.yml (plan on the empty account, then the deploy), then each operations playbook present."""
    present = [(path, extra) for path, extra in OPERATIONS if (ROOT / path).exists()]
    aws.start_recording()
    try:
        playbook("site.yml", "--check", "--diff", check=True)
        playbook("site.yml", check=True)
        site = called_actions(aws.stop_recording())
        push_images(aws, "policy-test")  # the deploy rolls out a tag that is in ECR (not recorded)
        aws.start_recording()
        for path, extra in present:
            playbook(path, *extra, check=True)
    finally:
        operations = called_actions(aws.stop_recording())
    assert len(site) > 50, sorted(site)
    assert missing_actions(site, policy) == [], "site.yml"
    assert missing_actions(operations, policy) == [], ", ".join(path for path, _ in present)
    ran = ["site.yml"] + [path for path, _ in present]
    absent = [path for path, _ in OPERATIONS if not (ROOT / path).exists()]
    if absent:
        warnings.warn(f"not run (not in the tree): {', '.join(absent)}", stacklevel=1)
    report(" + ".join(ran), site | operations, policy)
