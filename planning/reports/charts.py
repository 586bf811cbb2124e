"""Report charts and the static map (matplotlib, Agg, PNG bytes), with a CJK font so Chinese renders.

Charts are drawn on a private :class:`matplotlib.figure.Figure` (no pyplot, no global state)
inside ``matplotlib.rc_context``; nothing is changed for the caller. The CJK font is found with
:mod:`matplotlib.font_manager` (Noto Sans CJK from Debian's ``fonts-noto-cjk``, or another
common Chinese font), else the Noto Sans CJK SC that the ``mpl-font`` dependency installs from
PyPI (so a machine with nothing but Python renders Chinese); when none is found :func:`cjk_font`
raises rather than render boxes.
PNG bytes are deterministic (no timestamp or version in the metadata).
"""

from __future__ import annotations

import importlib.util
import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from planning._errors import PlanningError
from planning.reports.text import check_lang, fmt_share, label, status_name

if TYPE_CHECKING:
    import geopandas as gpd

    from planning.county import County

__all__ = [
    "CJK_FAMILIES",
    "cjk_font",
    "bundled_cjk_font",
    "status_chart",
    "failing_population_chart",
    "before_after_chart",
    "share_chart",
    "static_map",
]

#: Font families tried, in order, for Chinese text.
CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Noto Sans SC", "Source Han Sans SC",
    "Source Han Sans CN", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei",
    "PingFang SC", "Heiti SC", "Noto Serif CJK SC", "Noto Serif CJK JP",
)
#: File of the CJK font that ``mpl-font`` installs (``mpl_font/fonts/noto/``).
BUNDLED_CJK_FILE = "NotoSansCJKsc-Regular.otf"
_FILE_HINTS = ("notosanscjk", "notoserifcjk", "sourcehansans", "wqy", "msyh", "simhei", "pingfang")

STATUS_COLOURS = {"pass": "#1a9850", "fail": "#d73027", "no_data": "#9e9e9e", "not_applicable": "#d9d9d9"}
BEFORE_COLOUR = "#fdae61"
AFTER_COLOUR = "#2166ac"


def cjk_font(*, families: Sequence[str] = CJK_FAMILIES) -> str:
    """Name of an installed font family that renders Chinese.

    Looks in matplotlib's font list first, then registers the Noto Sans CJK SC file of the
    ``mpl-font`` dependency (:func:`bundled_cjk_font`), then scans the system font directories
    (fonts installed after matplotlib built its cache) and registers the CJK files found.

    Parameters
    ----------
    families : sequence of str
        Family names accepted, in order of preference.

    Returns
    -------
    str
        The family name, for ``font.family``.

    Raises
    ------
    PlanningError
        When no such font is installed (the message says how to install one).
    """
    from matplotlib import font_manager

    def known() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((f for f in families if f in names), None)

    found = known()
    if found is None and (bundled := bundled_cjk_font()) is not None:
        font_manager.fontManager.addfont(str(bundled))
        found = known()
    if found is None:
        for path in sorted(font_manager.findSystemFonts()):
            stem = path.replace("-", "").replace("_", "").lower().rsplit("/", 1)[-1]
            if any(h in stem for h in _FILE_HINTS):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError):
                    continue
        found = known()
    if found is None:
        raise PlanningError(
            "no Chinese (CJK) font found for charts: install Noto Sans CJK (pip install mpl-font, "
            "a dependency of planning; Debian/Ubuntu: apt-get install fonts-noto-cjk; conda: conda install "
            f"-c conda-forge noto-cjk) — looked for {', '.join(families)}")
    return found


def bundled_cjk_font() -> Path | None:
    """Noto Sans CJK SC Regular as installed from PyPI by the ``mpl-font`` dependency.

    The file is located without importing ``mpl_font`` (its import changes matplotlib's global
    ``rcParams``).

    Returns
    -------
    pathlib.Path or None
        The OpenType file, or ``None`` when the package (or the file) is not installed.
    """
    spec = importlib.util.find_spec("mpl_font")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "fonts" / "noto" / BUNDLED_CJK_FILE
    return path if path.is_file() else None


def _figure(width_in: float, height_in: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=150, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _rc() -> dict[str, Any]:
    return {"font.family": [cjk_font(), "DejaVu Sans"], "axes.unicode_minus": False, "font.size": 9,
            "axes.spines.top": False, "axes.spines.right": False}


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _draw(width_in: float, height_in: float, painter: Any) -> bytes:
    import matplotlib

    with matplotlib.rc_context(_rc()):
        fig = _figure(width_in, height_in)
        painter(fig)
        return _png(fig)


def status_chart(counts: dict[str, int], *, lang: str = "zh") -> bytes:
    """Horizontal bar of how many rules pass, fail, lack data, do not apply.

    Parameters
    ----------
    counts : dict
        ``{status: number of rules}``.
    lang : {"zh", "en"}

    Returns
    -------
    bytes
        PNG image.
    """
    check_lang(lang)
    order = [s for s in ("pass", "fail", "no_data", "not_applicable") if counts.get(s, 0)]

    def paint(fig: Any) -> None:
        ax = fig.add_subplot()
        names = [status_name(s, lang) for s in order]
        values = [counts[s] for s in order]
        ax.barh(names[::-1], values[::-1], color=[STATUS_COLOURS[s] for s in order][::-1])
        for y, v in enumerate(values[::-1]):
            ax.text(v, y, f" {v}", va="center")
        ax.set_xlabel(label("chart_count", lang))
        ax.set_title(label("chart_status", lang))
        ax.set_xlim(0, max(values + [1]) * 1.15)

    return _draw(5.5, 1.2 + 0.35 * max(1, len(order)), paint)


def failing_population_chart(rule_ids: Sequence[str], population: Sequence[float], *, lang: str = "zh") -> bytes:
    """Horizontal bars: population affected by each failing rule.

    Parameters
    ----------
    rule_ids : sequence of str
        Bar labels, top to bottom.
    population : sequence of float
        People affected per rule (the compliance table's ``failing_population``).
    lang : {"zh", "en"}

    Returns
    -------
    bytes
        PNG image.
    """
    check_lang(lang)

    def paint(fig: Any) -> None:
        ax = fig.add_subplot()
        ys = np.arange(len(rule_ids))
        ax.barh(ys, population, color=STATUS_COLOURS["fail"])
        ax.set_yticks(ys, list(rule_ids))
        ax.invert_yaxis()
        for y, v in zip(ys, population):
            ax.text(v, y, f" {v:,.0f}", va="center")
        ax.set_xlabel(label("chart_people", lang))
        ax.set_title(label("chart_failing_population", lang))
        ax.set_xlim(0, max(list(population) + [1]) * 1.2)

    return _draw(6.0, 1.2 + 0.3 * max(1, len(rule_ids)), paint)


def before_after_chart(rule_ids: Sequence[str], before: Sequence[float], after: Sequence[float], *,
                       lang: str = "zh", names: Sequence[str] | None = None, title: str | None = None) -> bytes:
    """Paired bars per rule: population affected before and after the actions (or scenario A/B).

    Parameters
    ----------
    rule_ids : sequence of str
        Bar labels, top to bottom.
    before, after : sequence of float
        People affected per rule in the first and the second state.
    lang : {"zh", "en"}
    names : (str, str), optional
        Legend names of the two states (default: before / after in ``lang``).
    title : str, optional
        Chart title (default: the before/after title in ``lang``).

    Returns
    -------
    bytes
        PNG image.
    """
    check_lang(lang)
    first, second = names if names is not None else (label("chart_before", lang), label("chart_after", lang))

    def paint(fig: Any) -> None:
        ax = fig.add_subplot()
        ys = np.arange(len(rule_ids))
        h = 0.38
        ax.barh(ys - h / 2, before, height=h, color=BEFORE_COLOUR, label=first)
        ax.barh(ys + h / 2, after, height=h, color=AFTER_COLOUR, label=second)
        ax.set_yticks(ys, list(rule_ids))
        ax.invert_yaxis()
        ax.set_xlabel(label("chart_people", lang))
        ax.set_title(title or label("chart_before_after", lang))
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16 if len(rule_ids) > 3 else -0.3), ncol=2,
                  frameon=False)
        ax.set_xlim(0, max(list(before) + list(after) + [1]) * 1.15)

    return _draw(6.0, 1.4 + 0.42 * max(1, len(rule_ids)), paint)


def share_chart(names: Sequence[str], shares: Sequence[float], *, lang: str = "zh", title: str | None = None) -> bytes:
    """Horizontal bars of a 0–1 share per township, with the county value in the title.

    Parameters
    ----------
    names : sequence of str
        Bar labels (townships), top to bottom.
    shares : sequence of float
        Share per bar, 0–1; missing values are drawn as 0.
    lang : {"zh", "en"}
    title : str, optional
        Chart title (default: the coverage-share title in ``lang``).

    Returns
    -------
    bytes
        PNG image.
    """
    check_lang(lang)

    def paint(fig: Any) -> None:
        ax = fig.add_subplot()
        ys = np.arange(len(names))
        vals = [0.0 if (s is None or (isinstance(s, float) and math.isnan(s))) else float(s) for s in shares]
        colours = [STATUS_COLOURS["pass"] if v >= 1.0 - 1e-9 else (BEFORE_COLOUR if v >= 0.5 else STATUS_COLOURS["fail"])
                   for v in vals]
        ax.barh(ys, [100 * v for v in vals], color=colours)
        ax.set_yticks(ys, list(names))
        ax.invert_yaxis()
        for y, v in zip(ys, vals):
            ax.text(100 * v, y, f" {fmt_share(v)}", va="center")   # as the table: 99.6%, never "100%"
        ax.set_xlim(0, 115)
        ax.set_xlabel(label("chart_share", lang) + " (%)")
        ax.set_title(title or label("chart_coverage_share", lang))

    return _draw(6.0, 1.2 + 0.25 * max(1, len(names)), paint)


def _segments(geoms: Any) -> list[np.ndarray]:
    """Coordinate arrays of the lines (or polygon rings) of a GeoSeries, for a LineCollection."""
    import shapely

    out: list[np.ndarray] = []
    for geom in geoms:
        if geom is None or geom.is_empty:
            continue
        if geom.geom_type in ("Polygon", "MultiPolygon"):
            geom = geom.boundary
        for part in shapely.get_parts(geom):
            out.append(np.asarray(part.coords)[:, :2])
    return out


def static_map(county: County, *, village_status: dict[str, str] | None = None,
               actions: gpd.GeoDataFrame | None = None, lang: str = "zh") -> bytes:
    """A static map for the report: townships, villages by compliance status, facilities, proposed sites.

    Parameters
    ----------
    county : County
        The county (drawn in its metric CRS; a 10 km scale bar).
    village_status : dict, optional
        ``{village id: worst status}`` (fail / no_data / pass); villages without an entry are grey.
    actions : geopandas.GeoDataFrame, optional
        Proposed actions (drawn as squares).
    lang : {"zh", "en"}

    Returns
    -------
    bytes
        PNG image.
    """
    check_lang(lang)
    from matplotlib.lines import Line2D

    status = village_status or {}

    def paint(fig: Any) -> None:
        from matplotlib.collections import LineCollection

        ax = fig.add_subplot()
        # matplotlib collections rather than GeoDataFrame.plot, which redraws the figure on every call
        ax.add_collection(LineCollection(_segments(county.townships.geometry), colors="#7b6f9e", linewidths=0.6,
                                         linestyles="--"))
        ax.add_collection(LineCollection(_segments(county.boundary.geometry), colors="#252525", linewidths=1.4))
        edges = county.roads.edges
        if edges is not None and len(edges) and "highway" in edges.columns:
            main = edges[edges["highway"].astype(str).isin(("motorway", "trunk", "primary", "secondary", "tertiary"))]
            if len(main):
                ax.add_collection(LineCollection(_segments(main.geometry), colors="#b8a27a", linewidths=0.7))
        fac = county.facilities
        if len(fac):
            ax.scatter(fac.geometry.x, fac.geometry.y, s=10, marker="^", c="#1f4e79", linewidths=0, zorder=2)
        v = county.villages
        ids = v["id"].astype(str)
        colours = [STATUS_COLOURS.get(status.get(i, "no_data"), STATUS_COLOURS["no_data"]) for i in ids]
        sizes = np.clip(np.sqrt(v["population"].astype(float).fillna(0).to_numpy()) / 1.5, 12, 60)
        ax.scatter(v.geometry.x, v.geometry.y, s=sizes, c=colours, edgecolors="#333333", linewidths=0.3, zorder=3)
        if actions is not None and len(actions):
            a = actions.to_crs(county.crs)
            ax.scatter(a.geometry.x, a.geometry.y, s=45, marker="s", c="#1b7837", edgecolors="white",
                       linewidths=0.8, zorder=4)
        for _, t in county.townships.iterrows():
            p = t.geometry.representative_point()
            ax.annotate(str(t["name"]), (p.x, p.y), ha="center", va="center", fontsize=7, color="#3f007d", alpha=0.85)
        x0, y0, x1, y1 = county.boundary.total_bounds
        pad = 0.02 * max(x1 - x0, y1 - y0)
        ax.set_xlim(x0 - pad, x1 + pad)
        ax.set_ylim(y0 - pad, y1 + pad)
        bar = 10_000.0 if (x1 - x0) > 30_000 else 1_000.0
        ax.plot([x0, x0 + bar], [y0, y0], color="black", linewidth=2)
        ax.annotate(label("km", lang, value=f"{bar / 1000:g}"), (x0 + bar / 2, y0), xytext=(0, 3),
                    textcoords="offset points", ha="center", fontsize=7)
        ax.set_aspect("equal")
        ax.set_axis_off()
        ax.set_title(label("static_map_title", lang, county=county.name))
        handles = [
            Line2D([], [], marker="o", linestyle="", color=STATUS_COLOURS["fail"], label=label("map_legend_villages_fail", lang)),
            Line2D([], [], marker="o", linestyle="", color=STATUS_COLOURS["pass"], label=label("map_legend_villages_ok", lang)),
            Line2D([], [], marker="o", linestyle="", color=STATUS_COLOURS["no_data"],
                   label=label("map_legend_villages_no_data", lang)),
            Line2D([], [], marker="^", linestyle="", color="#1f4e79", label=label("map_legend_facilities", lang)),
        ]
        if actions is not None and len(actions):
            handles.append(Line2D([], [], marker="s", linestyle="", color="#1b7837", label=label("map_legend_actions", lang)))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=7)

    return _draw(7.0, 5.5, paint)
