"""Shared machinery of rule evaluation: the evaluation context, result rows and aggregation.

Internal to :mod:`planning.rules`; the public entry is :func:`planning.rules.evaluate`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planning._errors import InputError
from planning.coverage import (
    metric_label,
    nearest_facilities,
    owner_place,
    township_within,
    unreachable_table,
    within,
)
from planning.rules.catalog import Catalog, ResolvedParams, Rule
from planning.schema import FACILITY_KIND_ALIASES, FACILITY_KIND_ZH, FacilityKind

__all__ = [
    "PASS", "FAIL", "NA", "NO_DATA", "STATUSES", "COMPLIANCE_COLUMNS", "Context", "row", "combine",
    "aggregate", "count_rows", "kind_zh", "not_street", "to_bool", "fmt", "places_text", "within", "owner_place",
]

PASS, FAIL, NA, NO_DATA = "pass", "fail", "not_applicable", "no_data"
STATUSES: tuple[str, ...] = (PASS, FAIL, NA, NO_DATA)

#: Columns of the compliance table, in order.
COMPLIANCE_COLUMNS: tuple[str, ...] = (
    "rule_id", "level", "area_id", "area_name", "status", "value", "threshold", "unit",
    "failing_population", "failing_places", "metric", "source", "detail", "detail_zh", "detail_en",
    "modified",
)

_LEVEL_ORDER = {"village": 0, "community": 1, "facility": 2, "township": 3, "county": 4, "province": 5}

_TRUE = {"true", "1", "yes", "y", "t", "是", "有", "√"}
_FALSE = {"false", "0", "no", "n", "f", "否", "无", "×", ""}

_TOWNSHIP_TYPES = {"township": "township", "乡": "township", "town": "town", "镇": "town",
                   "street": "street", "街道": "street", "街道办事处": "street"}


def to_bool(series: pd.Series) -> pd.Series:
    """Booleans from bool, 0/1 or text (true/false, 是/否); missing or unreadable values → NA."""
    out = []
    for v in series:
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
            out.append(pd.NA)
        elif isinstance(v, bool | np.bool_):
            out.append(bool(v))
        elif isinstance(v, int | float | np.integer | np.floating):
            out.append(bool(v))
        else:
            s = str(v).strip().lower()
            out.append(True if s in _TRUE else False if s in _FALSE and s != "" else pd.NA)
    return pd.Series(out, index=series.index, dtype="boolean")


def fmt(x: float, digits: int = 1) -> str:
    """A number for messages: ``12.3``, ``1,500``; ``—`` for NaN."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—"
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.{digits}f}"


def places_text(ids: Iterable[Any], names: Iterable[Any]) -> str:
    """``"id:name; id:name"``."""
    return "; ".join(f"{i}:{n}" for i, n in zip(ids, names, strict=True))


@dataclass
class Context:
    """Everything a rule evaluator reads: the county, travel engine, resolved parameters."""

    county: Any
    catalog: Catalog
    params: ResolvedParams
    engine: Any = None
    settings: Any = None
    assignment: Any = None
    lang: str = "zh"
    _cache: dict[tuple[Any, ...], pd.DataFrame] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.villages = self._places(self.county.villages, "villages")
        comm = self.county.communities
        self.communities = self._places(comm, "communities") if comm is not None else None
        self.townships = self._townships(self.county.townships)
        self.facilities = self._facilities(self.county.facilities)
        self.township_pop = self.villages.groupby("township_id")["population"].sum()
        self.county_population = float(self.villages["population"].sum())

    # -- inputs -----------------------------------------------------------------------------
    @staticmethod
    def _places(gdf: gpd.GeoDataFrame, layer: str) -> gpd.GeoDataFrame:
        problems = [f"{layer}: column {c!r} missing" for c in ("id", "name", "township_id") if c not in gdf.columns]
        if layer == "villages" and "population" not in gdf.columns:
            problems.append("villages: column 'population' missing (resident population, 常住人口)")
        out = gdf.copy()
        ids = out["id"].astype(str) if "id" in out.columns else pd.Series([f"row {i + 1}" for i in range(len(out))])
        if "population" in out.columns:
            pop = pd.to_numeric(out["population"], errors="coerce")
            bad = ids[~(pop >= 0).to_numpy()].tolist() if layer == "villages" else []
            if bad:
                problems.append(f"villages: population missing or negative for {', '.join(bad[:20])}"
                                f"{' …' if len(bad) > 20 else ''}; give the resident population (≥ 0)")
            out["population"] = pop
        if problems:
            raise InputError(f"{layer} layer", problems)
        for c in ("id", "name", "township_id"):
            out[c] = out[c].astype(str)
        return out.reset_index(drop=True)

    @staticmethod
    def _townships(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
        missing = [c for c in ("id", "name") if c not in gdf.columns]
        if missing:
            raise InputError("townships layer", [f"column {c!r} missing" for c in missing])
        out = gdf.copy()
        out["id"] = out["id"].astype(str)
        out["name"] = out["name"].astype(str)
        if "township_type" in out.columns:
            out["township_type"] = [_TOWNSHIP_TYPES.get(str(v).strip().lower(), _TOWNSHIP_TYPES.get(str(v).strip(), ""))
                                    for v in out["township_type"]]
        else:
            out["township_type"] = ""
        return out.reset_index(drop=True)

    def _facilities(self, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        problems = [f"facilities: column {c!r} missing" for c in ("id", "name", "kind") if c not in gdf.columns]
        if problems:
            raise InputError("facilities layer", problems)
        out = gdf.copy()
        out["id"] = out["id"].astype(str)
        out["name"] = out["name"].astype(str)
        kinds, bad = [], []
        for i, k in zip(out["id"], out["kind"], strict=True):
            kind = FACILITY_KIND_ALIASES.get(str(k).strip())
            if kind is None:
                bad.append(f"facility {i}: unknown kind {k!r}; use a FacilityKind value or its Chinese name")
            kinds.append(str(kind) if kind is not None else str(k))
        if bad:
            raise InputError("facilities layer", bad)
        out["kind"] = kinds
        if "township_id" not in out.columns:
            out["township_id"] = None
        tid = out["township_id"]
        need = tid.isna() | (tid.astype(str).str.strip() == "")
        if need.any() and len(self.county.townships):
            out.loc[need, "township_id"] = township_within(out.loc[need], self.county.townships)
        out["township_id"] = out["township_id"].where(out["township_id"].notna(), "").astype(str)
        return out.reset_index(drop=True)

    # -- helpers ----------------------------------------------------------------------------
    def p(self, rule_id: str, name: str) -> float:
        """Resolved parameter value."""
        return self.params.value(rule_id, name)

    def of_kind(self, kinds: Iterable[FacilityKind | str]) -> gpd.GeoDataFrame:
        """Facilities of the given kinds."""
        wanted = {str(k) for k in kinds}
        return self.facilities[self.facilities["kind"].isin(wanted)]

    def has_column(self, frame: pd.DataFrame | None, column: str) -> bool:
        """Whether the column exists and holds at least one value."""
        return frame is not None and column in frame.columns and frame[column].notna().any()

    def bool_col(self, frame: pd.DataFrame, column: str) -> pd.Series:
        """A boolean column (NA where missing; all NA when the column is absent)."""
        if column not in frame.columns:
            return pd.Series(pd.NA, index=frame.index, dtype="boolean")
        return to_bool(frame[column])

    def get_engine(self) -> Any:
        """The travel engine (built from the county on first use)."""
        if self.engine is None:
            from planning.network.engine import TravelEngine

            self.engine = TravelEngine.from_county(self.county, settings=self.settings)
        return self.engine

    def nearest(self, origins: gpd.GeoDataFrame, key: str, kinds: Iterable[FacilityKind | str], *,
                mode: str, metric: str = "time", destinations: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
        """Nearest facility of ``kinds`` (or of ``destinations``) for each origin, indexed by id.

        Results are cached under ``key`` (the name of the origin set) so rules sharing a question
        ask the engine once.
        """
        kinds = tuple(sorted(str(k) for k in kinds))
        dest_key = tuple(destinations["id"]) if destinations is not None else kinds
        ck = (key, dest_key, mode, metric)
        if ck not in self._cache:
            dest = destinations if destinations is not None else self.of_kind(kinds)
            if len(dest) == 0:
                what = ", ".join(kinds) if destinations is None else "target"
                table = unreachable_table(origins["id"].astype(str), f"no {what} facility in the county")
                table["metric"] = metric_label(mode, metric)
            else:
                engine = self.get_engine() if metric != "euclidean" else None
                target = dest[["id", "geometry"]].assign(kind="target")
                table = nearest_facilities(engine, origins, target, kinds=["target"], mode=mode, metric=metric)
            self._cache[ck] = table.set_index("origin_id")
        return self._cache[ck]

    def rural_mask(self, places: pd.DataFrame) -> tuple[pd.Series, bool]:
        """(rural mask, known): rural = not urban; all rural when the ``urban`` column is absent."""
        if "urban" not in places.columns:
            return pd.Series(True, index=places.index), False
        urban = to_bool(places["urban"]).fillna(False).astype(bool)
        return ~urban, True


# -- result rows ---------------------------------------------------------------------------------
def row(ctx: Context, rule: Rule, level: str, area_id: str, area_name: str, status: str, *,
        value: float = np.nan, threshold: str = "", unit: str = "", failing_population: float = 0.0,
        failing_places: str = "", metric: str = "", zh: str = "", en: str = "") -> dict[str, Any]:
    """One compliance row."""
    return {
        "rule_id": rule.id, "level": level, "area_id": str(area_id), "area_name": str(area_name),
        "status": status, "value": float(value) if value is not None else np.nan, "threshold": threshold,
        "unit": unit, "failing_population": float(failing_population) if status == FAIL else 0.0,
        "failing_places": failing_places if status == FAIL else "", "metric": metric or rule.metric,
        "source": rule.source, "detail": zh if ctx.lang == "zh" else en, "detail_zh": zh, "detail_en": en,
        "modified": rule.id in ctx.params.modified,
    }


def combine(statuses: Sequence[str]) -> str:
    """Status of an area from its parts: any fail → fail; else any no_data → no_data; all n.a. → n.a."""
    s = set(statuses)
    if FAIL in s:
        return FAIL
    if NO_DATA in s:
        return NO_DATA
    if not s or s == {NA}:
        return NA
    return PASS


def aggregate(ctx: Context, rule: Rule, parts: list[dict[str, Any]], population: Mapping[str, float], *,
              township_of: Mapping[str, str], min_share: float = 1.0, metric: str = "",
              what_zh: str = "达标人口占比", what_en: str = "share of population in passing places",
              townships: bool = True) -> list[dict[str, Any]]:
    """Township and county rows from place rows (villages, communities or facilities).

    Value: share of the population of applicable places (pass/fail) that lives in passing ones;
    status fails when that share is below ``min_share`` (1 = every place must pass), is
    ``no_data`` when some place has no data and none fails, ``not_applicable`` when no place applies.
    """
    def _one(level: str, aid: str, aname: str, sub: list[dict[str, Any]]) -> dict[str, Any]:
        app = [r for r in sub if r["status"] in (PASS, FAIL)]
        pop_app = sum(population.get(r["area_id"], 0.0) for r in app)
        pop_pass = sum(population.get(r["area_id"], 0.0) for r in app if r["status"] == PASS)
        fails = [r for r in sub if r["status"] == FAIL]
        nodata = [r for r in sub if r["status"] == NO_DATA]
        share = pop_pass / pop_app if pop_app > 0 else (1.0 if app and not fails else np.nan)
        if not app and not nodata:
            status = NA
        elif fails and not (share >= min_share - 1e-12 and min_share < 1.0):
            status = FAIL
        elif nodata:
            status = NO_DATA
        else:
            status = PASS
        fail_pop = sum(population.get(r["area_id"], 0.0) for r in fails)
        n_pass = sum(r["status"] == PASS for r in sub)
        n_na = len(sub) - n_pass - len(fails) - len(nodata)
        pct = fmt(share * 100 if share == share else np.nan)
        zh = f"达标{n_pass}处、未达标{len(fails)}处、无数据{len(nodata)}处、不适用{n_na}处；{what_zh} {pct}%"
        en = f"{n_pass} pass, {len(fails)} fail, {len(nodata)} no data, {n_na} not applicable; {what_en} {pct}%"
        if nodata:
            zh += "；无数据：" + "；".join(sorted({r["detail_zh"] for r in nodata}))[:300]
            en += "; no data: " + "; ".join(sorted({r["detail_en"] for r in nodata}))[:300]
        thr = "≥ 1" if min_share >= 1.0 else f"≥ {min_share:g}"
        return row(ctx, rule, level, aid, aname, status, value=share, threshold=thr, unit="share",
                   failing_population=fail_pop,
                   failing_places=places_text([r["area_id"] for r in fails], [r["area_name"] for r in fails]),
                   metric=metric, zh=zh, en=en)

    out = []
    if townships:
        for tid, tname in zip(ctx.townships["id"], ctx.townships["name"], strict=True):
            sub = [r for r in parts if township_of.get(r["area_id"]) == tid]
            if sub:
                out.append(_one("township", tid, tname, sub))
    out.append(_one("county", ctx.county.county_id, ctx.county.name, parts))
    return out


def count_rows(ctx: Context, rule: Rule, kinds: Iterable[FacilityKind | str], *,
               applies: Callable[[pd.Series], bool] | None = None,
               qualifies: tuple[str, str, str] | None = None,
               county_only: bool = False) -> list[dict[str, Any]]:
    """Rows of a count rule "≥ 1 facility of kinds per township (and per county)".

    Parameters
    ----------
    applies : callable, optional
        Township row → whether the rule applies there (e.g. not street offices).
    qualifies : (column, zh, en), optional
        Only facilities whose boolean ``column`` is true count (``zh``/``en`` name them, e.g.
        "公办中心园" / "public central kindergartens"); when the column is absent or empty for
        facilities that could count, the area is ``no_data`` naming the column.
    county_only : bool
        Only a county row.
    """
    fac = ctx.of_kind(kinds)
    kinds_zh = "、".join(sorted({kind_zh(k) for k in kinds}))
    kind_en = ", ".join(sorted({str(k) for k in kinds}))
    ok = pd.Series(True, index=fac.index)
    unknown = pd.Series(False, index=fac.index)
    if qualifies is not None:
        q = ctx.bool_col(fac, qualifies[0])
        ok = q.fillna(False).astype(bool)
        unknown = q.isna()

    def _status(sub_ok: pd.Series, sub_unknown: pd.Series) -> tuple[str, int]:
        n = int(sub_ok.sum())
        if n >= 1:
            return PASS, n
        if sub_unknown.any():
            return NO_DATA, n
        return FAIL, n

    def _texts(status: str, n: int, n_all: int) -> tuple[str, str]:
        if qualifies is None:
            return (f"{kinds_zh} {n} 处（要求 ≥ 1）", f"{n} {kind_en} (required ≥ 1)")
        col, qzh, qen = qualifies
        zh = f"{qzh} {n} 处（共{n_all}处{kinds_zh}，要求 ≥ 1）"
        en = f"{n} {qen} (of {n_all} {kind_en}; required ≥ 1)"
        if status == NO_DATA:
            zh += f"；缺少输入：设施列 {col}"
            en += f"; missing input: facilities column {col}"
        return zh, en

    out: list[dict[str, Any]] = []
    if not county_only:
        for _, t in ctx.townships.iterrows():
            if applies is not None and not applies(t):
                out.append(row(ctx, rule, "township", t["id"], t["name"], NA, unit="facilities",
                               threshold="≥ 1", metric="count",
                               zh="街道办事处不适用", en="not applicable to street offices"))
                continue
            inside = fac["township_id"] == t["id"]
            status, n = _status(ok[inside], unknown[inside])
            zh, en = _texts(status, n, int(inside.sum()))
            out.append(row(ctx, rule, "township", t["id"], t["name"], status, value=n, threshold="≥ 1",
                           unit="facilities", failing_population=float(ctx.township_pop.get(t["id"], 0.0)),
                           failing_places=f"{t['id']}:{t['name']}", metric="count", zh=zh, en=en))
        agg = combine([r["status"] for r in out])
        fails = [r for r in out if r["status"] == FAIL]
        n_pass = sum(r["status"] == PASS for r in out)
        n_app = sum(r["status"] in (PASS, FAIL, NO_DATA) for r in out)
        zh = f"{n_app}个适用乡镇中{n_pass}个达标" + ("，未达标：" + "、".join(r["area_name"] for r in fails) if fails else "")
        en = f"{n_pass} of {n_app} applicable townships pass" + (
            "; failing: " + ", ".join(r["area_name"] for r in fails) if fails else "")
        out.append(row(ctx, rule, "county", ctx.county.county_id, ctx.county.name, agg,
                       value=n_pass / n_app if n_app else np.nan, threshold="≥ 1", unit="share",
                       failing_population=sum(r["failing_population"] for r in fails),
                       failing_places=places_text([r["area_id"] for r in fails], [r["area_name"] for r in fails]),
                       metric="count", zh=zh, en=en))
        return out
    status, n = _status(ok, unknown)
    zh, en = _texts(status, n, len(fac))
    out.append(row(ctx, rule, "county", ctx.county.county_id, ctx.county.name, status, value=n, threshold="≥ 1",
                   unit="facilities", failing_population=ctx.county_population,
                   failing_places=f"{ctx.county.county_id}:{ctx.county.name}", metric="count", zh=zh, en=en))
    return out


def kind_zh(kind: FacilityKind | str) -> str:
    """Chinese name of a facility kind."""
    return FACILITY_KIND_ZH.get(FacilityKind(str(kind)), str(kind))


def not_street(t: pd.Series) -> bool:
    """Rules "per township (乡镇)" do not apply to street offices (街道)."""
    return t["township_type"] != "street"
