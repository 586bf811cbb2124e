"""Scenarios (L4): the scenario schema and validation, what-if edits, provenance.

A planner writes a scenario file (``scenarios/*.yaml``) and validates it (:func:`load_scenario`,
``planning validate``). Running one end to end (:func:`planning.runner.run_scenario`,
``planning run``) and comparing two (:func:`planning.comparison.compare_scenarios`,
``planning compare``) live in the entry layer (L6), because they write maps and reports (L5):
lower layers never import higher ones. This package replaces the single module
``planning/scenarios.py`` of the architecture (same import path).
"""

from planning.scenarios.loader import Marks, read_scenario_yaml
from planning.scenarios.model import (
    OUTPUT_FILES,
    RECIPE_NAMES,
    Edits,
    RulesSpec,
    Scenario,
    load_scenario,
    validate_scenario_file,
)

__all__ = [
    "Marks",
    "read_scenario_yaml",
    "OUTPUT_FILES",
    "RECIPE_NAMES",
    "Edits",
    "RulesSpec",
    "Scenario",
    "load_scenario",
    "validate_scenario_file",
]
