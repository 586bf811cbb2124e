"""Planning recipes: the coverage rules made into decisions (new, upgrade, merge, close).

``RECIPES[name](county, *, engine, rule_params, options) -> RecipeResult``; see
:mod:`planning.recipes.base` for the contract.
"""

from planning.recipes.base import (
    ACTION_COLUMNS,
    DEFAULT_COSTS_WAN,
    RecipeOptions,
    RecipeResult,
    apply_actions,
    empty_actions,
)

__all__ = ["ACTION_COLUMNS", "DEFAULT_COSTS_WAN", "RecipeOptions", "RecipeResult", "apply_actions",
           "empty_actions"]
