"""Atomic file output for maps and reports, through :func:`planning.io.atomic_output`."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["write_bytes_atomic"]


def write_bytes_atomic(data: bytes, path: str | os.PathLike[str]) -> Path:
    """Write ``data`` to ``path`` via a temporary file renamed into place; returns the path.

    A failure leaves ``path`` as it was (absent, or its previous content) and no temporary file.
    """
    from planning.io import atomic_output

    with atomic_output(path) as tmp:
        Path(tmp).write_bytes(data)
    return Path(path)
