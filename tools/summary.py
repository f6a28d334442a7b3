"""Print a short summary of what exists for one environment, read from AWS.

Usage: python -m tools.summary [ENV]   (default: local)

Each layer contributes a section: a module in tools/summary_sections/ with a
``TITLE`` and a ``lines(ctx)`` function returning the lines to print. ``ctx``
gives ``ctx.client(service)``, ``ctx.prefix`` (e.g. solo-saving-local),
``ctx.project``, ``ctx.environment`` and ``ctx.tag_filters`` (EC2-style
filters on Project / Environment). Sections are printed in ORDER order, and a
section whose layer does not exist yet prints nothing.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Context:
    project: str
    environment: str
    region: str
    _clients: dict = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        return f"{self.project}-{self.environment}"

    @property
    def tag_filters(self) -> list[dict]:
        return [{"Name": "tag:Project", "Values": [self.project]},
                {"Name": "tag:Environment", "Values": [self.environment]}]

    def client(self, service: str):
        if service not in self._clients:
            import boto3

            self._clients[service] = boto3.client(service, region_name=self.region)
        return self._clients[service]


def stack_setting(name: str, environment: str):
    """A literal stack_* setting: the environment's value, else the stack default."""
    for path in (ROOT / f"inventories/{environment}/group_vars/{environment}/stack.yml",
                 ROOT / "roles/stack/defaults/main.yml"):
        if path.exists():
            data = yaml.safe_load(path.read_text()) or {}
            if data.get(name):
                return data[name]
    return None


def sections():
    package = importlib.import_module("tools.summary_sections")
    modules = [importlib.import_module(f"tools.summary_sections.{m.name}")
               for m in pkgutil.iter_modules(package.__path__)]
    return sorted(modules, key=lambda m: getattr(m, "ORDER", 100))


def main(argv: list[str]) -> int:
    environment = argv[0] if argv else "local"
    ctx = Context(project=stack_setting("stack_project", environment), environment=environment,
                  region=stack_setting("stack_region", environment) or os.environ.get("AWS_REGION", "ap-northeast-1"))
    print(f"\n== {ctx.prefix} in {ctx.region}" + (f" at {os.environ['AWS_ENDPOINT_URL']}"
                                                  if os.environ.get("AWS_ENDPOINT_URL") else ""))
    for section in sections():
        lines = section.lines(ctx)
        if lines:
            print(f"-- {section.TITLE}")
            for line in lines:
                print(f"   {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
