"""The demo generator is deterministic, seed-sensitive, and data/demo is its committed output."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from planning.demo import DEFAULT_SEED, FILES, generate


def test_writes_every_file(demo_out: Path) -> None:
    assert sorted(p.name for p in demo_out.iterdir()) == sorted(FILES)
    total = sum((demo_out / f).stat().st_size for f in FILES)
    assert total < 8 * 1024 * 1024, f"demo county is {total / 1e6:.1f} MB; keep it under 8 MB"


def test_same_seed_gives_identical_bytes_across_processes(demo_out: Path, tmp_path: Path) -> None:
    # a second run in a fresh interpreter with another hash seed: no dependence on set/dict
    # iteration order of strings, on import state, or on the clock
    out = tmp_path / "again"
    code = f"from planning.demo import generate; generate({str(out)!r}, seed={DEFAULT_SEED})"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    for name in FILES:
        assert (out / name).read_bytes() == (demo_out / name).read_bytes(), f"{name} differs between runs"


def test_different_seed_changes_every_file_and_overwrites_cleanly(demo_out: Path, tmp_path: Path) -> None:
    out = tmp_path / "other"
    shutil.copytree(demo_out, out)
    generate(out, seed=DEFAULT_SEED + 1)  # over an existing demo: files replaced, no leftovers
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    for name in FILES:
        assert (out / name).read_bytes() != (demo_out / name).read_bytes(), f"{name} ignores the seed"


def test_committed_demo_equals_a_fresh_generation(demo_out: Path, repo_dir: Path) -> None:
    committed = repo_dir / "data" / "demo"
    if not committed.is_dir():
        pytest.fail(f"{committed} is missing: run planning.demo.generate('data/demo') and commit it")
    for name in FILES:
        assert (committed / name).is_file(), f"data/demo/{name} missing"
        assert (committed / name).read_bytes() == (demo_out / name).read_bytes(), (
            f"data/demo/{name} drifted from the generator: regenerate with "
            f"python -c \"from planning.demo import generate; generate('data/demo')\" and commit")
