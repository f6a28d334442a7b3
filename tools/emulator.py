"""Start, stop and query the embedded local AWS emulator (moto server).

The emulator is the project's default target: ``make up`` deploys to it and
every test runs against it. It listens on 127.0.0.1 only. It is moto's server with
the calls the stack makes that moto lacks (tools/moto_extensions.py).

Usage: python -m tools.emulator {start|stop|status|reset|url}

Environment:
  LOCAL_AWS_PORT   port to listen on (default 4566)
  LOCAL_AWS_ADOPT  1: start deploys into an emulator that already answers on the port though this checkout
                   did not start it (refused otherwise)
  MOTO_*           passed through to moto unchanged (the emulator inherits the
                   caller's environment); the settings the project needs are
                   set here unless the caller already set them.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = ROOT / ".local"
DEFAULT_PORT = 4566
HOST = "127.0.0.1"

# Settings the stack needs from moto. Caller-provided values win.
PROJECT_MOTO_ENV = {
    # Task execution roles attach AWS-managed policies by ARN.
    "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
    # Requested ACM certificates turn ISSUED after this many seconds.
    "MOTO_ACM_VALIDATION_WAIT": "1",
}


def port_from_env() -> int:
    raw = os.environ.get("LOCAL_AWS_PORT", str(DEFAULT_PORT))
    try:
        port = int(raw)
    except ValueError:
        raise SystemExit(f"LOCAL_AWS_PORT must be a port number, got {raw!r}") from None
    if not 0 < port < 65536:
        raise SystemExit(f"LOCAL_AWS_PORT must be between 1 and 65535, got {port}")
    return port


def url(port: int) -> str:
    return f"http://{HOST}:{port}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def is_up(port: int, timeout: float = 2.0) -> bool:
    # /moto-api/ answers at once; data.json serialises the whole state and can take seconds.
    try:
        with urllib.request.urlopen(f"{url(port)}/moto-api/", timeout=timeout):
            return True
    except (urllib.error.URLError, OSError):
        return False


def moto_command() -> list[str]:
    """moto's server with the calls the project adds to it (tools/moto_extensions.py)."""
    return [sys.executable, "-m", "tools.moto_extensions"]


def emulator_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    for key, value in PROJECT_MOTO_ENV.items():
        env.setdefault(key, value)
    env.update(extra or {})
    return env


def spawn(port: int, log_path: Path, extra_env: dict[str, str] | None = None,
          timeout: float = 30.0) -> subprocess.Popen:
    """Start moto on ``port`` and wait until it answers; return the process."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [*moto_command(), "-H", HOST, "-p", str(port)], cwd=ROOT,
            stdout=log, stderr=subprocess.STDOUT, env=emulator_env(extra_env),
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"the emulator exited with code {proc.returncode}; see {log_path}")
        if is_up(port):
            return proc
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"the emulator did not answer on {url(port)} within {timeout:.0f}s; see {log_path}")


def reset(port: int) -> None:
    req = urllib.request.Request(f"{url(port)}/moto-api/reset", method="POST")
    with urllib.request.urlopen(req, timeout=10):
        pass


def _pid_file(port: int) -> Path:
    return STATE_DIR / f"emulator-{port}.pid"


def _read_pid(port: int) -> int | None:
    try:
        pid = int(_pid_file(port).read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except OSError:
        return None
    return pid


def started_here(port: int) -> bool:
    """True when this checkout started what runs on ``port`` (the plain or the latency emulator)."""
    if _read_pid(port) is not None:
        return True
    try:
        pid = int((STATE_DIR / f"latency-emulator-{port}.pid").read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return True


def port_taken(port: int) -> bool:
    """True when something listens on ``port`` (moto binds with SO_REUSEADDR: so does the probe)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return True
    return False


def cmd_start(port: int) -> int:
    if is_up(port):
        if started_here(port):
            print(f"emulator already running on {url(port)}")
            return 0
        if os.environ.get("LOCAL_AWS_ADOPT") == "1":
            print(f"using the emulator that already answers on {url(port)} (LOCAL_AWS_ADOPT=1)")
            return 0
        # Deploying into somebody else's emulator would mix two stacks' state without a word.
        print(f"an emulator this checkout did not start already answers on {url(port)}: stop it, choose another "
              "port (LOCAL_AWS_PORT=<port>), or set LOCAL_AWS_ADOPT=1 to deploy into it", file=sys.stderr)
        return 1
    if port_taken(port):
        print(f"port {port} is taken by another program, which is not an emulator: choose another port "
              "(LOCAL_AWS_PORT=<port>)", file=sys.stderr)
        return 1
    log_path = STATE_DIR / f"emulator-{port}.log"
    try:
        proc = spawn(port, log_path)
    except RuntimeError as e:
        print(f"the emulator did not start: {e}", file=sys.stderr)
        return 1
    _pid_file(port).write_text(f"{proc.pid}\n")
    print(f"emulator started on {url(port)} (pid {proc.pid}, log {log_path.relative_to(ROOT)})")
    return 0


def cmd_stop(port: int) -> int:
    pid = _read_pid(port)
    if pid is None:
        _pid_file(port).unlink(missing_ok=True)
        print(f"no emulator started by this project is running on port {port}")
        return 0
    os.killpg(pid, signal.SIGTERM)
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except OSError:
            break
        time.sleep(0.1)
    else:
        os.killpg(pid, signal.SIGKILL)
    _pid_file(port).unlink(missing_ok=True)
    print(f"emulator on port {port} stopped")
    return 0


def cmd_status(port: int) -> int:
    up = is_up(port)
    print(json.dumps({"url": url(port), "running": up, "pid": _read_pid(port)}))
    return 0 if up else 1


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in {"start", "stop", "status", "reset", "url"}:
        print(__doc__, file=sys.stderr)
        return 2
    port = port_from_env()
    action = argv[0]
    if action == "url":
        print(url(port))
        return 0
    if action == "reset":
        reset(port)
        return 0
    return {"start": cmd_start, "stop": cmd_stop, "status": cmd_status}[action](port)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
