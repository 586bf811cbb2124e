"""Word (DOCX) rendering of a report with python-docx: A4, Chinese fonts, rule tables, charts.

The file is deterministic: fixed core properties and fixed timestamps inside the zip, so
equal reports give byte-identical documents.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planning.reports._files import write_bytes_atomic

if TYPE_CHECKING:
    from planning.reports.content import ReportDocument

__all__ = ["render_docx", "write_docx", "column_widths_cm"]

_FIXED_TIME = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
_STATUS_FILL = {"pass": "E5F5E0", "fail": "FDE0DD", "no_data": "F0F0F0", "not_applicable": ""}
_STATUS_TEXT = {"pass": (0x1A, 0x78, 0x37), "fail": (0xB2, 0x18, 0x2B), "no_data": (0x55, 0x55, 0x55),
                "not_applicable": (0x88, 0x88, 0x88)}


def _set_fonts(style: Any, latin: str, east_asian: str, size_pt: float | None = None, bold: bool | None = None) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    style.font.name = latin
    if size_pt is not None:
        style.font.size = Pt(size_pt)
    if bold is not None:
        style.font.bold = bold
    style.font.color.rgb = RGBColor(0, 0, 0)
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), latin)
    fonts.set(qn("w:eastAsia"), east_asian)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)


def _shade(cell: Any, fill: str) -> None:
    from docx.oxml.ns import qn

    tcpr = cell._tc.get_or_add_tcPr()
    shd = tcpr.makeelement(qn("w:shd"), {qn("w:val"): "clear", qn("w:color"): "auto", qn("w:fill"): fill})
    tcpr.append(shd)


def _display_width(text: str) -> int:
    """Width of a text in Latin-character units (CJK characters count two)."""
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


def _unbreakable(text: str) -> int:
    """Width a cell needs on one line: the whole text when short, else its longest Latin word."""
    width = _display_width(text)
    if width <= 10:
        return width
    words = re.findall(r"[^\s\u2e80-\uffff]+", text)
    return max((len(w) for w in words), default=2)


def column_widths_cm(columns: list[str], rows: list[list[str]], *, total_cm: float = 17.0,
                     cm_per_char: float = 0.19, padding_cm: float = 0.4) -> list[float]:
    """Column widths filling the page width: short cells kept on one line, long texts share the rest.

    Each column gets at least the width of its widest short cell (ids, statuses, numbers; up to
    14 characters) and wants the 90th percentile of its text widths (up to 30 characters); the
    space left after the minimums is shared in proportion to what each column wants beyond its
    minimum. CJK characters count two; each cell also has ``padding_cm`` of margins.

    Examples
    --------
    >>> [round(w, 1) for w in column_widths_cm(["id", "text"], [["HC-01", "一个行政村一所村卫生室"]], total_cm=10)]
    [2.1, 7.9]
    """
    mins, wants = [], []
    for j, header in enumerate(columns):
        cells = [str(r[j]) for r in rows if j < len(r)]
        lengths = sorted([_display_width(str(header)) // 2] + [_display_width(c) for c in cells])
        low = float(max(3, min(14, max([_unbreakable(c) for c in cells] + [0]))))
        mins.append(low)
        wants.append(max(low, float(min(30, lengths[math.ceil(0.9 * (len(lengths) - 1))]))))
    budget = max(total_cm - padding_cm * len(columns), 1.0) / cm_per_char
    if sum(wants) <= budget:
        units = [w * budget / sum(wants) for w in wants]
    elif sum(mins) >= budget:
        units = [m * budget / sum(mins) for m in mins]
    else:
        extra = budget - sum(mins)
        flexible = sum(w - m for w, m in zip(wants, mins))
        units = [m + (w - m) * extra / flexible for w, m in zip(wants, mins)]
    return [u * cm_per_char + padding_cm for u in units]


def _repeat_header(row: Any) -> None:
    from docx.oxml.ns import qn

    trpr = row._tr.get_or_add_trPr()
    trpr.append(trpr.makeelement(qn("w:tblHeader"), {qn("w:val"): "true"}))


def _document(report: ReportDocument) -> Any:
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt, RGBColor

    from planning.reports.content import Bullets, Figure, Heading, Paragraph, Table

    zh = report.lang == "zh"
    doc = docx.Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.0))
    section.top_margin = section.bottom_margin = Cm(2.2)
    body_font, head_font = ("宋体", "黑体") if zh else ("Calibri", "Calibri")
    _set_fonts(doc.styles["Normal"], "Times New Roman" if zh else "Calibri", body_font, 10.5)
    for name, size in (("Title", 18), ("Heading 1", 14), ("Heading 2", 12)):
        _set_fonts(doc.styles[name], "Arial" if zh else "Calibri", head_font, size, bold=True)

    doc.add_heading(report.title, level=0)
    if report.subtitle:
        doc.add_paragraph(report.subtitle)
    for block in report.blocks:
        if isinstance(block, Heading):
            doc.add_heading(block.text, level=min(2, block.level))
        elif isinstance(block, Paragraph):
            p = doc.add_paragraph()
            run = p.add_run(block.text)
            if block.note:
                run.font.size = Pt(8.5)
                run.font.color.rgb = RGBColor(0x55, 0x55, 0x55)
        elif isinstance(block, Bullets):
            for item in block.items:
                doc.add_paragraph(item, style="List Bullet")
        elif isinstance(block, Table):
            if block.caption:
                doc.add_paragraph(block.caption).runs[0].bold = True
            table = doc.add_table(rows=1, cols=len(block.columns))
            table.style = doc.styles["Table Grid"]
            table.autofit = False
            widths = [Cm(w) for w in column_widths_cm(block.columns, block.rows)]
            for column, width in zip(table.columns, widths):  # the grid (LibreOffice) and each cell (Word)
                column.width = width
            header = table.rows[0]
            _repeat_header(header)
            for cell, text, width in zip(header.cells, block.columns, widths):
                cell.width = width
                cell.text = ""
                run = cell.paragraphs[0].add_run(str(text))
                run.bold = True
                run.font.size = Pt(8.5)
                _shade(cell, "EFEDF5")
            status = block.status or [[""] * len(r) for r in block.rows]
            for i, (row, marks) in enumerate(zip(block.rows, status)):
                cells = table.add_row().cells
                last = block.total and i == len(block.rows) - 1
                for cell, text, mark, width in zip(cells, row, marks, widths):
                    cell.width = width
                    run = cell.paragraphs[0].add_run(str(text))
                    run.font.size = Pt(8.5)
                    run.bold = last or mark == "fail"
                    if mark in _STATUS_TEXT:
                        run.font.color.rgb = RGBColor(*_STATUS_TEXT[mark])
                        if _STATUS_FILL.get(mark):
                            _shade(cell, _STATUS_FILL[mark])
            doc.add_paragraph()
        elif isinstance(block, Figure):
            doc.add_picture(io.BytesIO(block.png), width=Cm(block.width_cm))
            cap = doc.add_paragraph()
            run = cap.add_run(block.caption)
            run.font.size = Pt(9)
            run.italic = True
    props = doc.core_properties
    props.title = report.title
    props.author = "planning"
    props.last_modified_by = "planning"
    props.language = "zh-CN" if zh else "en"
    props.created = props.modified = _FIXED_TIME.replace(tzinfo=None)
    props.last_printed = _FIXED_TIME.replace(tzinfo=None)
    props.revision = 1
    props.comments = ""
    return doc


def render_docx(report: ReportDocument) -> bytes:
    """The report as DOCX bytes (deterministic: fixed properties and zip timestamps)."""
    raw = io.BytesIO()
    _document(report).save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src, \
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def write_docx(report: ReportDocument, path: str | os.PathLike[str]) -> Path:
    """Write the report as a Word document, atomically (temporary name, then rename).

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
    return write_bytes_atomic(render_docx(report), path)
