"""Split the deployer policy into customer managed policies that fit AWS's size limit.

``docs/iam/deployer-policy.json`` is one document, the one the tests check. A
customer managed policy holds at most 6,144 characters (whitespace not
counted) and a role's inline policies 10,240 together, so the document is
attached as several managed policies: this packs its statements, whole and
in order, into as few documents as fit.

Usage: python -m tools.iam_policy [--out DIR]   (default .local/iam/)
Then, for example:
  aws iam create-policy --policy-name solo-saving-deployer-1 --policy-document file://.local/iam/deployer-policy-1.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "docs" / "iam" / "deployer-policy.json"
MANAGED_POLICY_LIMIT = 6144


def size(document: dict) -> int:
    """The length AWS counts: the JSON text without whitespace."""
    return len(json.dumps(document, separators=(",", ":")))


def split(policy: dict, limit: int = MANAGED_POLICY_LIMIT) -> list[dict]:
    documents: list[dict] = []
    current: list[dict] = []
    for statement in policy["Statement"]:
        candidate = {"Version": policy["Version"], "Statement": [*current, statement]}
        if current and size(candidate) > limit:
            documents.append({"Version": policy["Version"], "Statement": current})
            current = [statement]
        else:
            current.append(statement)
        if size({"Version": policy["Version"], "Statement": [statement]}) > limit:
            raise ValueError(f"statement {statement.get('Sid', '?')} alone exceeds {limit} characters")
    if current:
        documents.append({"Version": policy["Version"], "Statement": current})
    return documents


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / ".local" / "iam")
    args = parser.parse_args(argv)
    documents = split(json.loads(POLICY.read_text()))
    args.out.mkdir(parents=True, exist_ok=True)
    for i, document in enumerate(documents, 1):
        path = args.out / f"deployer-policy-{i}.json"
        path.write_text(json.dumps(document, indent=2) + "\n")
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
              f"{len(document['Statement'])} statements, {size(document)} characters")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
