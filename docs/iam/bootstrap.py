"""The one-time IAM setup of an AWS account for this stack, run by the account owner (an administrator).

It creates, or brings up to date, and changes nothing else:

- the OIDC identity provider of GitHub Actions (``token.actions.githubusercontent.com``);
- the permissions boundary ``<project>-permissions-boundary`` (``permissions-boundary.json``), which every
  role the stack creates carries;
- the managed policies of the three CI roles, from ``deployer-policy.json``, ``image-push-policy.json`` and
  ``plan-policy.json`` (split into documents of at most 6,144 characters);
- the roles, under the path ``/ci/`` (outside the ``role/<project>-*`` names the deployer may change):
  ``<project>-deployer`` (site.yml, deploy, rotate, teardown; GitHub environments ``dev`` and ``prod``),
  ``<project>-image-push`` (the image job of app-deploy; ``dev`` and ``prod``) and ``<project>-plan``
  (``site.yml --check`` and verify; ``dev-plan`` and ``prod-plan``), each trusting only this repository's
  tokens for those environments.

Usage (credentials of an administrator of the account, as for the AWS CLI):

    python docs/iam/bootstrap.py --repository OWNER/REPO            # apply
    python docs/iam/bootstrap.py --repository OWNER/REPO --check    # say what would change

Run it again after a change of the policies: it updates them in place (a new default version, the oldest
non-default version removed when five exist). It prints the role ARNs to put in each GitHub environment's
variables (``AWS_ROLE_ARN``, and ``AWS_PUSH_ROLE_ARN`` for the image job).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from tools.iam_policy import split  # noqa: E402

GITHUB = "token.actions.githubusercontent.com"
# GitHub's OIDC certificate thumbprints; AWS no longer checks them for this provider but the API wants one.
THUMBPRINTS = ["6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"]
# role -> (policy document, GitHub environments whose tokens it trusts)
ROLES = {
    "deployer": ("deployer-policy.json", ["dev", "prod"]),
    "image-push": ("image-push-policy.json", ["dev", "prod"]),
    "plan": ("plan-policy.json", ["dev-plan", "prod-plan"]),
}
PATH = "/ci/"
MAX_VERSIONS = 5


def trust_policy(account: str, repository: str, environments: list[str], partition: str = "aws") -> dict:
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "GitHubActionsOfThisRepositoryAndItsEnvironments",
        "Effect": "Allow",
        "Principal": {"Federated": f"arn:{partition}:iam::{account}:oidc-provider/{GITHUB}"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {
            f"{GITHUB}:aud": "sts.amazonaws.com",
            f"{GITHUB}:sub": [f"repo:{repository}:environment:{env}" for env in environments]}}}]}


class Bootstrap:
    def __init__(self, iam, account: str, project: str, repository: str, check: bool, partition: str = "aws"):
        self.iam, self.account, self.project = iam, account, project
        self.repository, self.check, self.partition = repository, check, partition
        self.changes: list[str] = []

    def arn(self, kind: str, name: str) -> str:
        return f"arn:{self.partition}:iam::{self.account}:{kind}/{name}"

    def act(self, what: str, call, **kwargs):
        self.changes.append(what)
        if not self.check:
            return call(**kwargs)
        return None

    def oidc_provider(self) -> str:
        arn = self.arn("oidc-provider", GITHUB)
        known = [p["Arn"] for p in self.iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
        if arn not in known:
            self.act(f"create the OIDC provider {GITHUB}", self.iam.create_open_id_connect_provider,
                     Url=f"https://{GITHUB}", ClientIDList=["sts.amazonaws.com"], ThumbprintList=THUMBPRINTS)
        return arn

    def policy(self, name: str, document: dict, description: str) -> str:
        arn = self.arn("policy", name)
        try:
            current = self.iam.get_policy(PolicyArn=arn)["Policy"]
        except self.iam.exceptions.NoSuchEntityException:
            self.act(f"create the policy {name}", self.iam.create_policy, PolicyName=name, Description=description,
                     PolicyDocument=json.dumps(document))
            return arn
        version = self.iam.get_policy_version(PolicyArn=arn, VersionId=current["DefaultVersionId"])["PolicyVersion"]
        text = version["Document"]
        if (json.loads(text) if isinstance(text, str) else text) == document:
            return arn
        versions = self.iam.list_policy_versions(PolicyArn=arn)["Versions"]
        if len(versions) >= MAX_VERSIONS:
            oldest = min((v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"])
            self.act(f"delete version {oldest['VersionId']} of the policy {name}", self.iam.delete_policy_version,
                     PolicyArn=arn, VersionId=oldest["VersionId"])
        self.act(f"update the policy {name}", self.iam.create_policy_version, PolicyArn=arn,
                 PolicyDocument=json.dumps(document), SetAsDefault=True)
        return arn

    def role(self, name: str, trust: dict, policy_arns: list[str], description: str) -> str:
        try:
            role = self.iam.get_role(RoleName=name)["Role"]
        except self.iam.exceptions.NoSuchEntityException:
            self.act(f"create the role {PATH}{name}", self.iam.create_role, RoleName=name, Path=PATH,
                     Description=description, AssumeRolePolicyDocument=json.dumps(trust), MaxSessionDuration=3600)
            attached = []
        else:
            document = role["AssumeRolePolicyDocument"]
            if (json.loads(document) if isinstance(document, str) else document) != trust:
                self.act(f"update the trust policy of {name}", self.iam.update_assume_role_policy, RoleName=name,
                         PolicyDocument=json.dumps(trust))
            attached = [p["PolicyArn"] for p in
                        self.iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]]
        for arn in policy_arns:
            if arn not in attached:
                self.act(f"attach {arn} to {name}", self.iam.attach_role_policy, RoleName=name, PolicyArn=arn)
        return self.arn("role", f"{PATH.strip('/')}/{name}")

    def run(self) -> dict[str, str]:
        self.oidc_provider()
        self.policy(f"{self.project}-permissions-boundary", load("permissions-boundary.json"),
                    "Permissions boundary of every IAM role the stack creates")
        arns = {}
        for purpose, (document, environments) in ROLES.items():
            parts = split(load(document))
            names = [f"{self.project}-{purpose}" + (f"-{i}" if len(parts) > 1 else "")
                     for i in range(1, len(parts) + 1)]
            policies = [self.policy(name, part, f"{purpose} of the {self.project} stack ({document})")
                        for name, part in zip(names, parts, strict=True)]
            trust = trust_policy(self.account, self.repository, environments, self.partition)
            arns[purpose] = self.role(f"{self.project}-{purpose}", trust, policies,
                                      f"GitHub Actions: {purpose} of the {self.project} stack")
        return arns


def load(name: str) -> dict:
    return json.loads((HERE / name).read_text())


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repository", required=True, help="OWNER/REPO of this repository on GitHub")
    parser.add_argument("--project", default="solo-saving", help="stack_project (default solo-saving)")
    parser.add_argument("--check", action="store_true", help="say what would change, change nothing")
    args = parser.parse_args(argv)
    if args.repository.count("/") != 1:
        parser.error("--repository must be OWNER/REPO")
    import boto3

    session = boto3.session.Session()
    identity = session.client("sts").get_caller_identity()
    partition = identity["Arn"].split(":")[1]
    bootstrap = Bootstrap(session.client("iam"), identity["Account"], args.project, args.repository, args.check,
                          partition)
    arns = bootstrap.run()
    for change in bootstrap.changes:
        print(("would " if args.check else "") + change)
    if not bootstrap.changes:
        print("nothing to change")
    for purpose, arn in arns.items():
        print(f"{purpose}: {arn}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
