"""Scenarios (L4): the scenario schema and validation, what-if edits, runs, comparison, provenance.

A planner writes a scenario file (``scenarios/*.yaml``), validates it (:func:`load_scenario`,
``planning validate``) and runs it (:func:`run_scenario`, ``planning run``); two runs are put
side by side with :func:`compare_scenarios` (``planning compare``). This package replaces the
single module ``planning/scenarios.py`` of the architecture (same import path).
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
