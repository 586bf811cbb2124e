"""Command line of the headless chromium that the map and font tests open pages in (imported by
name: ``tests`` is on the path)."""

from __future__ import annotations

from pathlib import Path


def chromium_command(exe: str, page: Path, user_dir: Path, *extra: str, budget_ms: int = 4000) -> list[str]:
    """Headless, offline (every host resolves to nothing), fresh profile in ``user_dir``, a
    1200 x 800 window, ``budget_ms`` of virtual time for the page's scripts; ``extra`` flags
    before the page."""
    user_dir.mkdir(parents=True, exist_ok=True)
    return [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={user_dir}",
            "--host-resolver-rules=MAP * ~NOTFOUND", f"--virtual-time-budget={budget_ms}",
            "--window-size=1200,800", *extra, page.as_uri()]
