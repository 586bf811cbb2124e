"""Shared test fixtures: the location of ../shared (real data, benchmark instances), headless chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO.parent / "shared").resolve()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the repository; skips the test where it is absent (a user's clone)."""
    if not (SHARED / "real").is_dir():
        pytest.skip(f"real data not found at {SHARED}: clone the project beside its shared/ folder to run this test")
    return SHARED


@pytest.fixture(scope="session")
def repo_dir() -> Path:
    """The repository root."""
    return REPO


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium; installed with apt when missing and running as root, else the test skips."""
    exe = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    if exe is None and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
                       check=False, env=env, capture_output=True)
        exe = shutil.which("chromium")
    if exe is None:
        pytest.skip("headless chromium not found: install Debian's chromium (apt-get install chromium) "
                    "or run the tests as root so the fixture installs it")
    return exe
