"""docs/iam/bootstrap.py, the account owner's one-time IAM setup, against the emulator."""

from __future__ import annotations

import importlib.util
import json

from tests.support.aws import ROOT
from tests.support.iam_eval import Request, evaluate

ACCOUNT = "123456789012"
REPOSITORY = "solo-saving/infra"


def load_bootstrap():
    spec = importlib.util.spec_from_file_location("bootstrap", ROOT / "docs" / "iam" / "bootstrap.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bootstrap_creates_the_provider_the_boundary_and_the_three_roles_once(aws):
    bootstrap = load_bootstrap()
    iam = aws.client("iam")
    plan = bootstrap.Bootstrap(iam, ACCOUNT, "solo-saving", REPOSITORY, check=True)
    plan.run()
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []
    first = bootstrap.Bootstrap(iam, ACCOUNT, "solo-saving", REPOSITORY, check=False)
    arns = first.run()
    assert first.changes == plan.changes
    assert arns == {p: f"arn:aws:iam::{ACCOUNT}:role/ci/solo-saving-{p}" for p in ("deployer", "image-push", "plan")}
    boundary = iam.get_policy(PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/solo-saving-permissions-boundary")["Policy"]
    assert boundary["PolicyName"] == "solo-saving-permissions-boundary"
    deployer = iam.list_attached_role_policies(RoleName="solo-saving-deployer")["AttachedPolicies"]
    documents = []
    for policy in deployer:
        version = iam.get_policy(PolicyArn=policy["PolicyArn"])["Policy"]["DefaultVersionId"]
        text = iam.get_policy_version(PolicyArn=policy["PolicyArn"], VersionId=version)["PolicyVersion"]["Document"]
        documents.append(json.loads(text) if isinstance(text, str) else text)
    whole = json.loads((ROOT / "docs" / "iam" / "deployer-policy.json").read_text())
    assert sorted(s["Sid"] for d in documents for s in d["Statement"]) == sorted(s["Sid"] for s in whole["Statement"])
    # A second run changes nothing.
    again = bootstrap.Bootstrap(iam, ACCOUNT, "solo-saving", REPOSITORY, check=False)
    again.run()
    assert again.changes == []


def test_each_role_trusts_only_this_repositorys_environments():
    bootstrap = load_bootstrap()
    trust = bootstrap.trust_policy(ACCOUNT, REPOSITORY, ["dev", "prod"])

    def assume(sub, aud="sts.amazonaws.com"):
        context = {"token.actions.githubusercontent.com:sub": sub, "token.actions.githubusercontent.com:aud": aud}
        return evaluate(Request("sts:AssumeRoleWithWebIdentity", "*", context), [trust]).allowed

    assert assume(f"repo:{REPOSITORY}:environment:prod")
    assert assume(f"repo:{REPOSITORY}:environment:dev")
    assert not assume(f"repo:{REPOSITORY}:environment:prod-plan")
    assert not assume(f"repo:{REPOSITORY}:ref:refs/heads/main")
    assert not assume("repo:someone/else:environment:prod")
    assert not assume(f"repo:{REPOSITORY}:environment:prod", aud="other")
    plan = bootstrap.trust_policy(ACCOUNT, REPOSITORY, bootstrap.ROLES["plan"][1])
    assert plan["Statement"][0]["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == [
        f"repo:{REPOSITORY}:environment:dev-plan", f"repo:{REPOSITORY}:environment:prod-plan"]
