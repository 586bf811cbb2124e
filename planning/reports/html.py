"""HTML rendering of a report: one self-contained page (CSS inline, charts as data URIs)."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planning.reports._files import write_bytes_atomic
from planning.reports.webfont import FONT_STACK, embed_cjk_font

if TYPE_CHECKING:
    from planning.reports.content import ReportDocument

__all__ = ["render_html", "write_html"]


def _environment() -> Any:
    import jinja2

    return jinja2.Environment(loader=jinja2.PackageLoader("planning.reports", "templates"),
                              autoescape=True, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)


def _block_dict(block: Any) -> dict[str, Any]:
    from planning.reports.content import Bullets, Figure, Heading, Paragraph, Table

    if isinstance(block, Heading):
        return {"type": "heading", "text": block.text, "level": block.level}
    if isinstance(block, Paragraph):
        return {"type": "paragraph", "text": block.text, "note": block.note}
    if isinstance(block, Bullets):
        return {"type": "bullets", "items": list(block.items)}
    if isinstance(block, Table):
        status = block.status or [[""] * len(r) for r in block.rows]
        rows = [[{"text": c, "status": s} for c, s in zip(r, st)] for r, st in zip(block.rows, status)]
        return {"type": "table", "key": block.key, "columns": block.columns, "rows": rows,
                "caption": block.caption, "total": block.total}
    if isinstance(block, Figure):
        return {"type": "figure", "caption": block.caption, "data": base64.b64encode(block.png).decode("ascii")}
    raise TypeError(f"unknown report block {type(block).__name__}")


def render_html(report: ReportDocument) -> str:
    """The report as an HTML page (text; every value escaped), with the subset of the bundled
    Chinese font its text needs embedded (:func:`planning.reports.webfont.embed_cjk_font`)."""
    template = _environment().get_template("report.html.j2")
    page = template.render(title=report.title, subtitle=report.subtitle,
                           html_lang="zh-CN" if report.lang == "zh" else "en",
                           blocks=[_block_dict(b) for b in report.blocks], font_stack=FONT_STACK)
    return embed_cjk_font(page)     # Chinese text renders on a machine without Chinese fonts


def write_html(report: ReportDocument, path: str | os.PathLike[str]) -> Path:
    """Write the report as one HTML file, atomically (temporary name, then rename).

    Parameters
    ----------
    report : ReportDocument
        The report blocks.
    path : path-like
        The file to write (replaced as a whole).

    Returns
    -------
    pathlib.Path
        The written file.
    """
    return write_bytes_atomic(render_html(report).encode("utf-8"), path)
