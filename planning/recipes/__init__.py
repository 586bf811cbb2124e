"""Planning recipes: the coverage rules made into decisions (new, upgrade, merge, close).

``RECIPES[name](county, *, engine, rule_params, options) -> RecipeResult``; see
:mod:`planning.recipes.base` for the contract.

========================================  ==============  =============================================
name                                      rules           model
========================================  ==============  =============================================
``village_clinics``                       HC-01–HC-03     facility location with assignment and doctors
``central_township_hospitals``            HC-05           MCLP on the residual demand, 1–3 per county
``emergency_network``                     HC-06           LSCP (fewest posts) or MCLP with a budget
``odd_job_markets``                       EM-01           p-median, working-age weighted drive time
``living_circles``                        LC-02, LC-01    LSCP / MCLP per category, walking
========================================  ==============  =============================================
"""

from collections.abc import Callable

from planning.recipes.base import (
    ACTION_COLUMNS,
    DEFAULT_COSTS_WAN,
    RecipeOptions,
    RecipeResult,
    apply_actions,
    empty_actions,
)
from planning.recipes.central import central_township_hospitals
from planning.recipes.circles import living_circles
from planning.recipes.clinics import village_clinics
from planning.recipes.emergency import emergency_network
from planning.recipes.markets import odd_job_markets

#: Recipe name → function, in the order a scenario runs them.
RECIPES: dict[str, Callable[..., RecipeResult]] = {
    "village_clinics": village_clinics,
    "central_township_hospitals": central_township_hospitals,
    "emergency_network": emergency_network,
    "odd_job_markets": odd_job_markets,
    "living_circles": living_circles,
}

__all__ = ["ACTION_COLUMNS", "DEFAULT_COSTS_WAN", "RECIPES", "RecipeOptions", "RecipeResult", "apply_actions",
           "empty_actions", "village_clinics", "central_township_hospitals", "emergency_network",
           "odd_job_markets", "living_circles"]
