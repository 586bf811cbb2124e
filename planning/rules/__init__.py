"""The rule catalog of RULES.md and its evaluation on a county.

>>> from planning.rules import load_catalog
>>> len(load_catalog())
25
"""

from planning.rules.catalog import Catalog, ResolvedParams, Rule, load_catalog, parse_param_assignments
from planning.rules.employment import province_summary
from planning.rules.health import central_hospital_scores
from planning.rules.evaluate import (COMPLIANCE_COLUMNS, SUMMARY_COLUMNS, check_county, checked_places, evaluate,
                                     summarize)

__all__ = [
    "Catalog",
    "Rule",
    "ResolvedParams",
    "load_catalog",
    "parse_param_assignments",
    "evaluate",
    "summarize",
    "checked_places",
    "check_county",
    "province_summary",
    "central_hospital_scores",
    "COMPLIANCE_COLUMNS",
    "SUMMARY_COLUMNS",
]
