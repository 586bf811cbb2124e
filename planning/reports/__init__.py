"""County reports (HTML, DOCX) and charts; read results only, never compute.

>>> from planning.reports import build_report, build_comparison   # doctest: +SKIP
>>> report = build_report(county, compliance, actions=actions, lang="zh")  # doctest: +SKIP
>>> report.write_html("report.html"); report.write_docx("report.docx")    # doctest: +SKIP
"""

from planning.reports.content import (
    Bullets,
    Comparison,
    Figure,
    Heading,
    Paragraph,
    Report,
    ReportDocument,
    Table,
    build_comparison,
    build_report,
    rule_summary,
)

__all__ = [
    "build_report",
    "build_comparison",
    "rule_summary",
    "Report",
    "Comparison",
    "ReportDocument",
    "Heading",
    "Paragraph",
    "Bullets",
    "Table",
    "Figure",
]
