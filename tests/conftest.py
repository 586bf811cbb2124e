"""Shared test fixtures: the location of ../shared (real data, benchmark instances)."""

from __future__ import annotations

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
