"""Exit code 3 for unexpected failures of the scenario commands (``run``, ``compare``, ``validate``).

``planning.cli`` maps input errors to exit 2 and other planning errors to 3; an unexpected
exception (a bug, or a library failing) would otherwise end with Python's exit status 1, which
``planning run --fail-on-violation`` uses for "rules still fail". This decorator prints the
traceback and returns 3 instead. ``KeyboardInterrupt`` is not caught.
"""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable
from typing import Any

from planning._errors import PlanningError

__all__ = ["internal_errors"]


def internal_errors(func: Callable[..., int]) -> Callable[..., int]:
    """Wrap a command's ``run(args)``: unexpected exceptions → traceback on stderr, exit code 3."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> int:
        try:
            return func(*args, **kwargs)
        except PlanningError:
            raise
        except Exception as exc:  # noqa: BLE001 - any other failure is an internal error
            traceback.print_exc(file=sys.stderr)
            print(f"internal error: {type(exc).__name__}: {exc}; please report it with the traceback above",
                  file=sys.stderr)
            return 3

    return wrapper
