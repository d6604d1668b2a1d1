#!/usr/bin/env python3
"""Set up and run selfserve with nothing but Python 3.11+ installed.

    python3 tasks.py run     # virtualenv + dependencies, then the bot: with no Slack settings the playground
                             # in the browser (http://127.0.0.1:3000/), else migrate and serve Slack on $PORT
    python3 tasks.py test    # virtualenv + dependencies (and Debian's chromium), run the whole test suite
    python3 tasks.py lint    # ruff and mypy --strict, as configured in pyproject.toml
    python3 tasks.py bench   # the latency benchmark (see bench/README.md)

The virtualenv lives in .venv and is reinstalled only when pyproject.toml or constraints.txt
changes. Every dependency is installed at the version constraints.txt pins (the versions the
tests passed with; README.md says how to update them).
Extra arguments are passed through (``python3 tasks.py test -k audit``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed"
CONSTRAINTS = ROOT / "constraints.txt"
LINT = ("import subprocess, sys; sys.exit(subprocess.call([sys.executable, '-m', 'ruff', 'check', *sys.argv[1:]])"
        " or subprocess.call([sys.executable, '-m', 'mypy']))")


def ensure_environment() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036  (tasks.py runs before any install checks the version)
        sys.exit(f"selfserve needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    inputs = (ROOT / "pyproject.toml", CONSTRAINTS)  # a change to either reinstalls
    wanted = hashlib.sha256(b"\0".join(path.read_bytes() for path in inputs)).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-c", str(CONSTRAINTS), "-e", f"{ROOT}[test,bench]"], check=True)
    STAMP.write_text(wanted)


def ensure_browser() -> None:
    """The browser tests drive Debian's chromium (Playwright cannot download its own browsers
    here): installed with apt-get when it is missing, as root or through sudo."""
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if os.path.exists(chromium):
        return
    apt = shutil.which("apt-get")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    if apt is None or (sudo and shutil.which("sudo") is None):
        sys.exit(f"the browser tests need Chromium at {chromium}: install Debian's chromium package "
                 "(or set CHROMIUM to a Chromium binary)")
    print("installing chromium (apt-get) for the browser tests ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*sudo, apt, "update", "-q"], check=True, env=env)
    subprocess.run([*sudo, apt, "install", "-y", "-q", "chromium"], check=True, env=env)


def main(argv: list[str]) -> int:
    commands = {
        "run": [str(BIN / "selfserve"), "run"],
        "test": [str(BIN / "python"), "-m", "pytest"],
        "bench": [str(BIN / "python"), "-m", "bench"],
        "lint": [str(BIN / "python"), "-c", LINT],
    }
    if not argv or argv[0] not in commands:
        print(__doc__)
        return 2
    ensure_environment()
    if argv[0] == "test":
        ensure_browser()
    os.chdir(ROOT)
    return subprocess.call([*commands[argv[0]], *argv[1:]])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
