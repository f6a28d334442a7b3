"""Run ``ansible-test sanity`` on the collection without Docker.

ansible-test needs the collection at ``ansible_collections/<namespace>/<name>``
and writes its results under ``tests/output`` of that tree, so this copies the
checkout's files (tracked and new, minus what git ignores) into a scratch tree
and runs there. ``--local`` runs on this interpreter; each sanity test still
gets a virtual environment of its own, which ansible-test bootstraps with a
pip installer script it downloads from the Ansible project's CI file host. The
script is replaced here by a small one that uses the interpreter's bundled
``ensurepip`` and then installs the requested pip from the package index, so
only the package index has to be reachable. The virtual environments and the
installer are cached under ``.local/sanity/`` (``HOME`` of the ansible-test
process), so later runs start at once.

Usage: python -m tools.sanity [ansible-test sanity options, e.g. --test pep8]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".local" / "sanity"
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"

# Stands in for ansible-test's pip bootstrap script (run as __main__ with pip's
# install arguments, e.g. `--disable-pip-version-check --quiet pip==25.2 --no-setuptools --no-wheel`).
GET_PIP = '''\
"""pip bootstrap for ansible-test's sanity virtual environments: ensurepip, then pip from the index."""
import ensurepip
import subprocess
import sys

ensurepip.bootstrap()
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "pip", "install", *args])
'''

# Paths that are not part of the collection (the deployment project, tooling, caches).
EXCLUDE_TOP = {".venv", ".local", "collections", ".github", ".ci", "inventories", "group_vars", "tools", "bench",
               "docs", "site.yml", "ansible.cfg", "Makefile", "pyproject.toml", "pytest.ini",
               "requirements.txt", "execution-environment.yml", "ansible-navigator.yml"}


def collection_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                         capture_output=True).stdout.decode()
    files = [f for f in out.split("\0") if f]
    return [f for f in files
            if f.split("/", 1)[0] not in EXCLUDE_TOP and (ROOT / f).is_file()
            # The pytest suites are not part of the collection (galaxy.yml leaves tests/ out); its sanity
            # ignore files are.
            and (not f.startswith("tests/") or f.startswith("tests/sanity/"))]


def dependency_namespaces() -> list[Path]:
    """The namespaces of the collections this one depends on (amazon, community), from the bundle in .venv/."""
    import ansible_collections  # the `ansible` bundle's collections, importable from the venv

    roots = [Path(p) for p in ansible_collections.__path__]
    found = []
    for namespace in ("amazon", "community"):
        for root in roots:
            if (root / namespace).is_dir():
                found.append(root / namespace)
                break
    return found


def build_tree(dest: Path) -> Path:
    infra = dest / "ansible_collections" / "solo_saving" / "infra"
    # ansible-test finds a collection's dependencies beside it under the same ansible_collections/.
    (dest / "ansible_collections").mkdir(parents=True, exist_ok=True)
    for namespace in dependency_namespaces():
        (dest / "ansible_collections" / namespace.name).symlink_to(namespace, target_is_directory=True)
    for rel in collection_files():
        target = infra / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
    return infra


def prepare_home() -> dict[str, str]:
    cache = CACHE / "home" / ".ansible" / "test" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    # ansible-test asks for get_pip_<version>.py; one shim serves every version.
    for version in ("25_2",):
        script = cache / f"get_pip_{version}.py"
        if not script.exists() or script.read_text() != GET_PIP:
            script.write_text(GET_PIP)
    env = dict(os.environ)
    env["HOME"] = str(CACHE / "home")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("ANSIBLE_TEST_PREFER_PODMAN", "0")
    return env


def main(argv: list[str]) -> int:
    ansible_test = Path(sys.executable).parent / "ansible-test"
    with tempfile.TemporaryDirectory(prefix="sanity-") as tmp:
        infra = build_tree(Path(tmp))
        cmd = [str(ansible_test), "sanity", "--local", "--python", PYTHON, "--color", "no", *argv]
        return subprocess.call(cmd, cwd=infra, env=prepare_home())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
