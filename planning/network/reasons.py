"""The reasons for a missing travel time, in Chinese.

The travel engine (:mod:`planning.network.snap`, :mod:`planning.network.engine`) and
:mod:`planning.coverage` write their reasons in English (``"snap distance 2,300 m > max 1,500
m"``); rule details and outputs in Chinese say them in the planner's words with :func:`reason_zh`.
"""

from __future__ import annotations

import re
from typing import Any

from planning.schema import FACILITY_KIND_ZH

__all__ = ["reason_zh"]

_WORDS_ZH = {"walk": "步行", "drive": "驾车", "mixed": "步行转驾车", "drivable": "可驾车", "walkable": "可步行",
             "min": "分钟", "m": "米"}
_KIND_ZH = {str(k): zh for k, zh in FACILITY_KIND_ZH.items()}
#: The engine's reasons (patterns of the messages it writes) and their Chinese.
_REASONS_ZH = [
    (re.compile(r"snap distance (?P<d>[\d,.]+) m > max (?P<max>[\d,.]+) m"), "距路网 {d} 米，超过最大接入距离 {max} 米"),
    (re.compile(r"no (?P<kind>drivable|walkable) road in the network"), "路网中没有{kind}道路"),
    (re.compile(r"no destinations given"), "未给出目的地"),
    (re.compile(r"no destination lies within the maximum snap distance of the (?P<mode>\w+) network"),
     "没有目的地位于{mode}路网的最大接入距离内"),
    (re.compile(r"no destination within cutoff (?P<c>[\d,.]+) (?P<unit>min|m) on the (?P<mode>\w+) network"),
     "{mode}路网上 {c} {unit}内没有目的地"),
    (re.compile(r"no destination reachable on the (?P<mode>\w+) network \(separate road component or one-way "
                r"dead end\)"), "{mode}路网上到不了任何目的地（道路不连通或单行道不通）"),
    # planning.coverage, when the county has no facility of the kinds asked for
    (re.compile(r"no facility of kind (?P<kinds>[\w, ]+)"), "县内没有{kinds}"),
]


def _words_zh(value: str) -> str:
    """A mode, unit or list of facility kinds of a reason, in Chinese (numbers unchanged)."""
    kinds = [k.strip() for k in value.split(",")]
    if all(k in _KIND_ZH for k in kinds):
        return "、".join(_KIND_ZH[k] for k in kinds)
    return _WORDS_ZH.get(value, value)


def reason_zh(reason: Any) -> str:
    """A reason of the travel engine in Chinese (numbers kept); other text unchanged.

    Parameters
    ----------
    reason : str
        The ``reason`` of a row of :meth:`TravelEngine.nearest` or of snapped points.

    Returns
    -------
    str

    Examples
    --------
    >>> reason_zh("snap distance 2,300 m > max 1,500 m")
    '距路网 2,300 米，超过最大接入距离 1,500 米'
    >>> reason_zh("no destination within cutoff 30 min on the drive network")
    '驾车路网上 30 分钟内没有目的地'
    >>> reason_zh("no facility of kind odd_job_market")
    '县内没有零工市场'
    """
    text = "" if reason is None or reason != reason else str(reason)
    for pattern, zh in _REASONS_ZH:
        found = pattern.fullmatch(text)
        if found:
            return zh.format(**{k: _words_zh(v) for k, v in found.groupdict().items()})
    return text
