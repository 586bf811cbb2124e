"""Evaluation of the employment rules EM-01 and EM-02, and the province summary of EM-01."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from planning._errors import InputError
from planning.network.reasons import reason_zh
from planning.rules._context import FAIL, NA, PASS, Context, aggregate, fmt, row, within
from planning.schema import FacilityKind

__all__ = ["evaluate_employment", "province_summary", "township_level_points"]

K = FacilityKind


def _em01(ctx: Context) -> list[dict[str, Any]]:
    rule = ctx.catalog["EM-01"]
    markets = ctx.of_kind([K.ODD_JOB_MARKET])
    n = len(markets)
    v = ctx.villages
    if "share_working_age" in v.columns and v["share_working_age"].notna().all():
        working = v["population"].astype(float) * pd.to_numeric(v["share_working_age"], errors="coerce")
        basis_zh, basis_en = "劳动年龄人口", "working-age population"
    else:
        working = v["population"].astype(float)
        basis_zh, basis_en = "常住人口（无 share_working_age 列）", "population (no share_working_age column)"
    zh, en = f"零工市场{n}个（要求 ≥ 1）", f"{n} odd-job markets (required ≥ 1)"
    if n:
        near = ctx.nearest(v, "villages", [K.ODD_JOB_MARKET], mode="drive")
        t = near["travel_time_min"].reindex(v["id"]).to_numpy(dtype=float)
        total = float(working.sum())
        s30 = float(working[within(t, 30)].sum()) / total if total else np.nan
        s60 = float(working[within(t, 60)].sum()) / total if total else np.nan
        zh += f"；{basis_zh}驾车30分钟可达{fmt(s30 * 100)}%，60分钟可达{fmt(s60 * 100)}%"
        en += f"; {basis_en} within 30 min drive {fmt(s30 * 100)}%, within 60 min {fmt(s60 * 100)}%"
    return [row(ctx, rule, "county", ctx.county.county_id, ctx.county.name, PASS if n >= 1 else FAIL, value=n,
                threshold="≥ 1", unit="facilities", failing_population=ctx.county_population,
                failing_places=f"{ctx.county.county_id}:{ctx.county.name}", metric="count", zh=zh, en=en)]


_TOWNSHIP_LEVELS = {"county", "township", "town", "street", "县", "县级", "乡", "镇", "乡镇", "街道", "乡镇级", "街道级"}


def township_level_points(points: pd.DataFrame) -> tuple[pd.Series, str]:
    """Which employment service points are township-level (乡镇/街道) rather than village-level.

    A ``level`` column decides when present (township/town/street/county or 乡镇/街道/县 →
    township level; village/community or 村/社区 → not). Otherwise the name decides, as planners
    read POI lists: a 站, 所 or 中心 named after a 乡, 镇 or 街道 and not after a 村 or 社区
    (``碛堡镇劳动保障服务站``) is township-level; village points (``秦家则就业服务点``) are not.

    Returns
    -------
    (mask, how) : (Series of bool, str)
    """
    if "level" in points.columns and points["level"].notna().any():
        lv = points["level"].astype(str).str.strip().str.lower()
        return lv.isin(_TOWNSHIP_LEVELS), "level column"
    name = points["name"].astype(str)
    named = name.str.contains("乡|镇|街道", regex=True)
    office = name.str.contains("站|所|中心", regex=True)
    village = name.str.contains("村|社区", regex=True)
    return named & office & ~village, "name"


def _em02(ctx: Context) -> list[dict[str, Any]]:
    rule = ctx.catalog["EM-02"]
    max_min = ctx.p("EM-02", "max_minutes")
    points = ctx.of_kind([K.EMPLOYMENT_SERVICE_POINT])
    names = dict(zip(ctx.facilities["id"], ctx.facilities["name"], strict=True))
    rows: list[dict[str, Any]] = []
    pop: dict[str, float] = {}
    tw: dict[str, str] = {}

    def _place_rows(places: pd.DataFrame, key: str, level: str, mode: str) -> None:
        near = ctx.nearest(places, key, [K.EMPLOYMENT_SERVICE_POINT], mode=mode)
        p = places["population"] if "population" in places.columns else pd.Series(0.0, index=places.index)
        for pid, pname, ppop, tid in zip(places["id"], places["name"], p, places["township_id"], strict=True):
            t = float(near.at[pid, "travel_time_min"])
            dest = near.at[pid, "destination_id"]
            fac = f"{dest}:{names.get(dest, dest)}" if isinstance(dest, str) else "—"
            how_zh, how_en = ("步行", "walk") if mode == "walk" else ("驾车", "drive")
            ok = within([t], max_min)[0]
            ppop = float(ppop) if ppop == ppop else 0.0
            reason = near.at[pid, "reason"]
            rows.append(row(ctx, rule, level, pid, pname, PASS if ok else FAIL, value=t, threshold=f"≤ {fmt(max_min)}",
                            unit="min", failing_population=ppop, failing_places=f"{pid}:{pname}",
                            metric=f"{mode}_time",
                            zh=f"{how_zh}{fmt(t)}分钟到最近就业服务网点 {fac}" if t == t else f"不可达就业服务网点（{reason_zh(reason)}）",
                            en=f"{fmt(t)} min {how_en} to service point {fac}" if t == t else f"no service point reachable ({reason})"))
            key_id = f"{level}:{pid}"
            rows[-1]["_key"] = key_id
            # communities' residents are already counted in the (urban) villages
            pop[key_id] = ppop if level == "village" else 0.0
            tw[key_id] = tid

    rural, _ = ctx.rural_mask(ctx.villages)
    _place_rows(ctx.villages[rural], "villages_rural", "village", "drive")
    _place_rows(ctx.villages[~rural], "villages_urban", "village", "walk")
    if ctx.communities is not None:
        _place_rows(ctx.communities, "communities", "community", "walk")
    place_rows = list(rows)
    town_level, how = township_level_points(points)
    how_zh = "设施 level 列" if how == "level column" else "名称（乡/镇/街道的站、所、中心）"
    town_rows = []
    for _, t in ctx.townships.iterrows():
        inside = points["township_id"] == t["id"]
        n = int((inside & town_level).sum())
        n_all = int(inside.sum())
        town_rows.append(row(ctx, rule, "township", t["id"], t["name"], PASS if n >= 1 else FAIL, value=n,
                             threshold="≥ 1", unit="facilities",
                             failing_population=float(ctx.township_pop.get(t["id"], 0.0)),
                             failing_places=f"{t['id']}:{t['name']}", metric="count",
                             zh=f"乡镇（街道）级就业服务站{n}个（辖区内网点共{n_all}个；级别依据：{how_zh}）",
                             en=f"{n} township-level employment service stations ({n_all} points in the township; "
                                f"level from the {how})"))
    # county: every township has a point and every village/community reaches one
    keyed = [dict(r, area_id=r["_key"]) for r in place_rows]
    county = aggregate(ctx, rule, keyed, pop, township_of=tw, townships=False, metric="walk_time (urban), drive_time (rural)",
                       what_zh="村（社区）人口可达占比", what_en="share of village/community population within reach")[0]
    fails_t = [r for r in town_rows if r["status"] == FAIL]
    if fails_t:
        county["status"] = FAIL
        county["failing_places"] = "; ".join(p for p in [county["failing_places"],
                                                         "; ".join(r["failing_places"] for r in fails_t)] if p)
        county["failing_population"] = county["failing_population"] or sum(r["failing_population"] for r in fails_t)
        county["detail_zh"] += "；无网点乡镇：" + "、".join(r["area_name"] for r in fails_t)
        county["detail_en"] += "; townships without a point: " + ", ".join(r["area_name"] for r in fails_t)
        county["detail"] = county["detail_zh"] if ctx.lang == "zh" else county["detail_en"]
    # failing places of the county row: ids without the level prefix
    county["failing_places"] = "; ".join(p.split(":", 1)[1] if p.startswith(("village:", "community:")) else p
                                         for p in county["failing_places"].split("; ") if p)
    for r in place_rows:
        r.pop("_key", None)
    return place_rows + town_rows + [county]


def evaluate_employment(ctx: Context, ids: set[str]) -> list[dict[str, Any]]:
    """Rows of the employment rules among ``ids``."""
    out: list[dict[str, Any]] = []
    if "EM-01" in ids:
        out += _em01(ctx)
    if "EM-02" in ids:
        out += _em02(ctx)
    return out


def province_summary(results: Mapping[str, pd.DataFrame] | Sequence[pd.DataFrame] | pd.DataFrame, *, rule_id: str = "EM-01",
                     province_id: str = "province", province_name: str = "province") -> pd.DataFrame:
    """Province view of a county-level rule (EM-01 by default): one row per county plus a province row.

    Parameters
    ----------
    results : dict, list or DataFrame
        Compliance tables of several counties (``{county_id: table}`` or a list), or one
        concatenated table.
    rule_id : str
        The county-level rule to summarise.
    province_id, province_name : str
        Id and name of the province row.

    Returns
    -------
    pandas.DataFrame
        Compliance-table columns: the county rows of the rule, then a ``province`` row whose status
        fails when any county fails (failing_places lists those counties, e.g. "141124:临县"), is
        ``no_data`` when some county has no data, and whose value is the share of counties passing.

    Raises
    ------
    InputError
        When a table has no county row for the rule.
    """
    if isinstance(results, pd.DataFrame):
        tables = [results]
    elif isinstance(results, Mapping):
        tables = list(results.values())
    else:
        tables = list(results)
    if not tables:
        raise InputError("province summary", ["no county results given"])
    allrows = pd.concat(tables, ignore_index=True)
    county = allrows[(allrows["rule_id"] == rule_id) & (allrows["level"] == "county")]
    problems = [f"results #{i}: no county row for {rule_id}; evaluate that rule first"
                for i, t in enumerate(tables, 1)
                if not ((t["rule_id"] == rule_id) & (t["level"] == "county")).any()]
    if problems:
        raise InputError("province summary", problems)
    county = county.sort_values("area_id", kind="mergesort").reset_index(drop=True)
    fails = county[county["status"] == FAIL]
    n_pass = int((county["status"] == PASS).sum())
    n_app = int(county["status"].isin([PASS, FAIL]).sum())
    if len(fails):
        status = FAIL
    elif (county["status"] == "no_data").any():
        status = "no_data"
    elif n_app == 0:
        status = NA
    else:
        status = PASS
    listing = "; ".join(f"{i}:{n}" for i, n in zip(fails["area_id"], fails["area_name"], strict=True))
    prov = {c: "" for c in county.columns}
    prov.update({
        "rule_id": rule_id, "level": "province", "area_id": province_id, "area_name": province_name,
        "status": status, "value": n_pass / n_app if n_app else np.nan, "threshold": "≥ 1", "unit": "share",
        "failing_population": float(fails["failing_population"].sum()), "failing_places": listing,
        "metric": "count", "source": county["source"].iloc[0],
        "detail_zh": f"{len(county)}个县中{n_pass}个达标" + (f"，未达标县：{listing}" if listing else ""),
        "detail_en": f"{n_pass} of {len(county)} counties pass" + (f"; failing counties: {listing}" if listing else ""),
        "modified": bool(county["modified"].any()) if "modified" in county.columns else False,
    })
    prov["detail"] = prov["detail_zh"]
    return pd.concat([county, pd.DataFrame([prov])], ignore_index=True)
