"""Evaluation of the living-circle rules LC-01 … LC-05."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from planning.coverage import community_weights
from planning.network.reasons import reason_zh
from planning.rules._context import FAIL, NA, NO_DATA, PASS, Context, aggregate, fmt, owner_place, row, within
from planning.schema import LIVING_CIRCLE_KINDS, FacilityKind

__all__ = ["evaluate_living", "LIVING_CIRCLE_ZH", "TOWN_CELL_RADIUS_M"]

K = FacilityKind

#: Chinese names of the eight living-circle categories.
LIVING_CIRCLE_ZH: dict[str, str] = {
    "elderly_care": "养老", "childcare": "托幼", "medical": "医疗", "emergency": "应急救援站",
    "housekeeping": "家政", "meal_assistance": "助餐", "market": "便民市场/便利店",
    "community_service_centre": "社区党群服务中心",
}


def _no_layer(ctx: Context, rule_id: str, what_zh: str, what_en: str) -> list[dict[str, Any]]:
    rule = ctx.catalog[rule_id]
    return [row(ctx, rule, "county", ctx.county.county_id, ctx.county.name, NO_DATA,
                zh=f"缺少输入：{what_zh}", en=f"missing input: {what_en}")]


def _weights(ctx: Context) -> tuple[dict[str, float], str, str]:
    w, by_population = community_weights(ctx.communities)
    weights = dict(zip(ctx.communities["id"], w, strict=True))
    if by_population:
        return weights, "人口", "population"
    return weights, "户数（社区无人口列）", "households (no community population)"


def _lc01(ctx: Context) -> list[dict[str, Any]]:
    rule = ctx.catalog["LC-01"]
    if ctx.communities is None:
        return _no_layer(ctx, "LC-01", "社区图层 communities", "communities layer")
    c = ctx.communities
    walk = ctx.p("LC-01", "walk_minutes")
    times = {cat: ctx.nearest(c, "communities", kinds, mode="walk")["travel_time_min"].reindex(c["id"])
             for cat, kinds in LIVING_CIRCLE_KINDS.items()}
    rows = []
    for cid, cname in zip(c["id"], c["name"], strict=True):
        t = {cat: float(times[cat][cid]) for cat in LIVING_CIRCLE_KINDS}
        ok = {cat: bool(within([x], walk)[0]) for cat, x in t.items()}
        score = sum(ok.values()) / len(ok)
        miss = [cat for cat, good in ok.items() if not good]
        zh = "；".join(f"{LIVING_CIRCLE_ZH[k]}{fmt(x)}分钟" if x == x else f"{LIVING_CIRCLE_ZH[k]}不可达" for k, x in t.items())
        en = "; ".join(f"{k} {fmt(x)} min" if x == x else f"{k} unreachable" for k, x in t.items())
        if miss:
            zh = f"步行{fmt(walk)}分钟内不可达：{'、'.join(LIVING_CIRCLE_ZH[m] for m in miss)}（{zh}）"
            en = f"not within {fmt(walk)} min walk: {', '.join(miss)} ({en})"
        rows.append(row(ctx, rule, "community", cid, cname, PASS if not miss else FAIL, value=score,
                        threshold="1", unit="score", failing_places=f"{cid}:{cname}", metric="walk_time", zh=zh, en=en))
    w, wzh, wen = _weights(ctx)
    for r in rows:
        r["failing_population"] = w[r["area_id"]] if r["status"] == FAIL else 0.0
    tw = dict(zip(c["id"], c["township_id"], strict=True))
    out = rows + aggregate(ctx, rule, rows, w, township_of=tw, metric="walk_time",
                           what_zh=f"达标社区{wzh}占比", what_en=f"share of {wen} in passing communities")
    cells = _town_cells(ctx)
    if cells is not None and len(cells):
        ok = np.ones(len(cells), bool)
        for cat, kinds in LIVING_CIRCLE_KINDS.items():
            t = ctx.nearest(cells, "town_cells", kinds, mode="walk")["travel_time_min"].reindex(cells["id"])
            ok &= within(t.to_numpy(dtype=float), walk)
        pop = cells["population"].to_numpy(dtype=float)
        share = float(pop[ok].sum() / pop.sum()) if pop.sum() > 0 else np.nan
        county = out[-1]
        county["detail_zh"] += (f"；城镇人口栅格（社区{fmt(TOWN_CELL_RADIUS_M)}米内）{fmt(len(cells))}格、{fmt(pop.sum())}人，"
                                f"八类设施均在{fmt(walk)}分钟步行内的人口占{fmt(share * 100)}%")
        county["detail_en"] += (f"; town population grid (cells within {fmt(TOWN_CELL_RADIUS_M)} m of a community): "
                                f"{fmt(len(cells))} cells, {fmt(pop.sum())} people, {fmt(share * 100)}% with all eight "
                                f"categories within {fmt(walk)} min walk")
        county["detail"] = county["detail_zh"] if ctx.lang == "zh" else county["detail_en"]
    return out


#: Population-raster cells whose centre lies within this straight-line distance of a residential
#: community count as "in town" for LC-01 (the 1,000 m upper bound of the 15-minute circle of
#: GB 50180-2018).
TOWN_CELL_RADIUS_M = 1000.0


def _town_cells(ctx: Context) -> pd.DataFrame | None:
    """Population-raster cells in towns (within TOWN_CELL_RADIUS_M of a community), or None."""
    if ctx.county.population is None or ctx.communities is None or not len(ctx.communities):
        return None
    from scipy.spatial import cKDTree

    from planning.coverage import raster_demand

    cells = raster_demand(ctx.county.population, ctx.county.townships)
    if not len(cells):
        return cells
    cxy = np.column_stack([ctx.communities.geometry.x, ctx.communities.geometry.y])
    d, _ = cKDTree(cxy).query(np.column_stack([cells.geometry.x, cells.geometry.y]), k=1)
    return cells[d <= TOWN_CELL_RADIUS_M].reset_index(drop=True)


def _lc02(ctx: Context) -> list[dict[str, Any]]:
    rule = ctx.catalog["LC-02"]
    walk, min_share = ctx.p("LC-02", "walk_minutes"), ctx.p("LC-02", "min_share")
    if ctx.communities is not None:
        places, level, key = ctx.communities, "community", "communities"
        w, wzh, wen = _weights(ctx)
    elif "urban" in ctx.villages.columns:
        rural, _ = ctx.rural_mask(ctx.villages)
        places, level, key = ctx.villages[~rural], "village", "villages_urban"
        w, wzh, wen = dict(zip(places["id"], places["population"].astype(float), strict=True)), "人口", "population"
    else:
        return _no_layer(ctx, "LC-02", "社区图层 communities 或村图层 urban 列", "communities layer or villages' urban column")
    near = ctx.nearest(places, key, [K.FITNESS_FACILITY], mode="walk")
    names = dict(zip(ctx.facilities["id"], ctx.facilities["name"], strict=True))
    rows = []
    for pid, pname in zip(places["id"], places["name"], strict=True):
        t = float(near.at[pid, "travel_time_min"])
        dest = near.at[pid, "destination_id"]
        fac = f"{dest}:{names.get(dest, dest)}" if isinstance(dest, str) else "—"
        ok = within([t], walk)[0]
        rows.append(row(ctx, rule, level, pid, pname, PASS if ok else FAIL, value=t, threshold=f"≤ {fmt(walk)}",
                        unit="min", failing_population=w[pid], failing_places=f"{pid}:{pname}", metric="walk_time",
                        zh=f"步行{fmt(t)}分钟到最近健身设施 {fac}" if t == t else "步行不可达健身设施",
                        en=f"{fmt(t)} min walk to fitness facility {fac}" if t == t else "no fitness facility reachable on foot"))
    tw = dict(zip(places["id"], places["township_id"], strict=True))
    return rows + aggregate(ctx, rule, rows, w, township_of=tw, min_share=min_share, metric="walk_time",
                            what_zh=f"城镇居民（{wzh}）覆盖率", what_en=f"share of urban residents ({wen}) covered")


def _lc03(ctx: Context) -> list[dict[str, Any]]:
    rule = ctx.catalog["LC-03"]
    if ctx.communities is None:
        return _no_layer(ctx, "LC-03", "社区图层 communities", "communities layer")
    c = ctx.communities
    fac = ctx.of_kind([K.ELDERLY_CARE, K.ELDERLY_DAY_CARE])
    problems_zh, problems_en = [], []
    if "households" not in c.columns or c["households"].isna().all():
        problems_zh.append("社区列 households")
        problems_en.append("communities column households")
    if len(fac) and not ctx.has_column(fac, "floor_area_m2"):
        problems_zh.append("设施列 floor_area_m2")
        problems_en.append("facilities column floor_area_m2")
    if problems_zh:
        return _no_layer(ctx, "LC-03", "、".join(problems_zh), ", ".join(problems_en))
    walk = ctx.p("LC-03", "walk_minutes")
    new_std, old_std = ctx.p("LC-03", "new_m2_per_100_households"), ctx.p("LC-03", "old_m2_per_100_households")
    area = pd.Series(0.0, index=c["id"])
    unknown_area: dict[str, list[str]] = {}
    if len(fac):
        near = ctx.nearest(fac, "elderly_care_facilities", ["_community"], mode="walk", destinations=c)
        for fid, m2 in zip(fac["id"], pd.to_numeric(fac["floor_area_m2"], errors="coerce"), strict=True):
            t, dest = float(near.at[fid, "travel_time_min"]), near.at[fid, "destination_id"]
            if isinstance(dest, str) and within([t], walk)[0]:
                if m2 == m2:
                    area[dest] += float(m2)
                else:
                    unknown_area.setdefault(dest, []).append(fid)
    new_build = ctx.bool_col(c, "new_build")
    rows = []
    for (cid, cname, hh), nb in zip(zip(c["id"], c["name"], pd.to_numeric(c["households"], errors="coerce"), strict=True),
                                    new_build, strict=True):
        if hh != hh:
            rows.append(row(ctx, rule, "community", cid, cname, NO_DATA, unit="m2 per 100 households",
                            zh="缺少输入：该社区 households", en="missing input: households of this community"))
            continue
        if hh <= 0:
            rows.append(row(ctx, rule, "community", cid, cname, NA, unit="m2 per 100 households",
                            zh="户数为0，不适用", en="no households"))
            continue
        known = nb is not pd.NA
        std = old_std if known and not nb else new_std
        label_zh = ("新建小区" if nb else "老旧小区") if known else "新旧未知，按新建标准"
        label_en = ("new area" if nb else "old area") if known else "new_build unknown: new-area standard used"
        per100 = area[cid] / hh * 100.0
        unknown = unknown_area.get(cid, [])
        status = PASS if per100 >= std * (1 - 1e-9) else (NO_DATA if unknown else FAIL)
        zh = (f"{label_zh}：养老服务用房{fmt(area[cid])}平方米/{fmt(hh)}户 = 每百户{fmt(per100, 2)}平方米"
              f"（要求 ≥ {fmt(std)}）")
        en = (f"{label_en}: {fmt(area[cid])} m2 elderly-care space / {fmt(hh)} households = "
              f"{fmt(per100, 2)} m2 per 100 households (required ≥ {fmt(std)})")
        if unknown:
            zh += f"；缺少输入：设施 {'、'.join(unknown)} 的 floor_area_m2"
            en += f"; missing input: floor_area_m2 of facility {', '.join(unknown)}"
        rows.append(row(ctx, rule, "community", cid, cname, status, value=per100, threshold=f"≥ {fmt(std)}",
                        unit="m2 per 100 households", failing_population=float(hh), failing_places=f"{cid}:{cname}",
                        metric="walk_time", zh=zh, en=en))
    w, wzh, wen = _weights(ctx)
    for r in rows:
        r["failing_population"] = w[r["area_id"]] if r["status"] == FAIL else 0.0
    tw = dict(zip(c["id"], c["township_id"], strict=True))
    return rows + aggregate(ctx, rule, rows, w, township_of=tw, metric="walk_time",
                            what_zh=f"达标社区{wzh}占比", what_en=f"share of {wen} in passing communities")


def _lc04(ctx: Context) -> list[dict[str, Any]]:
    rule = ctx.catalog["LC-04"]
    radius = ctx.p("LC-04", "site_radius_m")
    layers = [("village", ctx.villages)]
    if ctx.communities is not None:
        layers.append(("community", ctx.communities))
    if not any("relocation_site" in g.columns for _, g in layers):
        return _no_layer(ctx, "LC-04", "村或社区列 relocation_site（易地扶贫安置点）",
                         "relocation_site column of villages or communities")
    care = ctx.of_kind([K.ELDERLY_DAY_CARE])
    names = dict(zip(ctx.facilities["id"], ctx.facilities["name"], strict=True))
    rows, pop, tw = [], {}, {}
    for level, g in layers:
        if "relocation_site" not in g.columns:
            continue
        sites = g[ctx.bool_col(g, "relocation_site").fillna(False).astype(bool)]
        if not len(sites):
            continue
        near = ctx.nearest(sites, f"relocation_{level}", [K.ELDERLY_DAY_CARE], mode="walk", metric="euclidean",
                           destinations=care)
        for sid, sname, tid, p in zip(sites["id"], sites["name"], sites["township_id"],
                                      sites["population"] if "population" in sites.columns else [0.0] * len(sites),
                                      strict=True):
            d = float(near.at[sid, "distance_m"])
            dest = near.at[sid, "destination_id"]
            ok = within([d], radius)[0]
            fac = f"{dest}:{names.get(dest, dest)}" if isinstance(dest, str) else "—"
            p = float(p) if p == p else 0.0
            rows.append(row(ctx, rule, level, sid, sname, PASS if ok else FAIL, value=d, threshold=f"≤ {fmt(radius)}",
                            unit="m", failing_population=p, failing_places=f"{sid}:{sname}", metric="euclidean",
                            zh=f"安置点最近日间照料中心 {fac} 直线{fmt(d)}米" if d == d else "县内无老年日间照料中心",
                            en=f"nearest day-care centre {fac} {fmt(d)} m straight line" if d == d
                            else "no elderly day-care centre in the county"))
            pop[sid], tw[sid] = p, tid
    if not rows:
        return [row(ctx, rule, "county", ctx.county.county_id, ctx.county.name, NA,
                    zh="县内无易地扶贫集中安置点", en="no poverty-relief relocation site in the county")]
    return rows + aggregate(ctx, rule, rows, pop, township_of=tw, townships=False, metric="euclidean")


def _lc05(ctx: Context) -> list[dict[str, Any]]:
    rule = ctx.catalog["LC-05"]
    max_min = ctx.p("LC-05", "max_minutes")
    rural, _ = ctx.rural_mask(ctx.villages)
    v = ctx.villages[rural]
    care = ctx.of_kind([K.ELDERLY_CARE, K.ELDERLY_DAY_CARE])
    owner = owner_place(care, ctx.villages)
    own: dict[str, list[str]] = {}
    for fid, vid in zip(care["id"], owner, strict=True):
        own.setdefault(str(vid), []).append(fid)
    near = ctx.nearest(v, "villages_rural", [K.ELDERLY_CARE, K.ELDERLY_DAY_CARE], mode="drive")
    names = dict(zip(ctx.facilities["id"], ctx.facilities["name"], strict=True))
    rows = []
    for vid, vname, p in zip(v["id"], v["name"], v["population"], strict=True):
        t = float(near.at[vid, "travel_time_min"])
        dest = near.at[vid, "destination_id"]
        fac = f"{dest}:{names.get(dest, dest)}" if isinstance(dest, str) else "—"
        if own.get(vid):
            rows.append(row(ctx, rule, "village", vid, vname, PASS, value=0.0 if t != t else t, threshold=f"≤ {fmt(max_min)}",
                            unit="min", metric="drive_time", zh=f"有本村养老服务点 {'、'.join(own[vid])}",
                            en=f"has its own elderly-care point {', '.join(own[vid])}"))
            continue
        ok = within([t], max_min)[0]
        if ok:
            zh, en = f"共享 {fac}，驾车{fmt(t)}分钟", f"shares {fac}, {fmt(t)} min drive"
        elif t == t:
            zh = f"最近 {fac} 驾车{fmt(t)}分钟（> {fmt(max_min)}分钟）"
            en = f"nearest {fac} {fmt(t)} min drive (> {fmt(max_min)} min)"
        else:
            reason = near.at[vid, "reason"]
            zh, en = f"驾车无法到达养老服务点（{reason_zh(reason)}）", f"none reachable by car ({reason})"
        rows.append(row(ctx, rule, "village", vid, vname, PASS if ok else FAIL, value=t, threshold=f"≤ {fmt(max_min)}",
                        unit="min", failing_population=float(p), failing_places=f"{vid}:{vname}", metric="drive_time",
                        zh=f"无本村养老服务点；{zh}", en=f"no own elderly-care point; {en}"))
    pop = dict(zip(v["id"], v["population"].astype(float), strict=True))
    tw = dict(zip(v["id"], v["township_id"], strict=True))
    return rows + aggregate(ctx, rule, rows, pop, township_of=tw, metric="drive_time")


LIVING_RULES = {"LC-01": _lc01, "LC-02": _lc02, "LC-03": _lc03, "LC-04": _lc04, "LC-05": _lc05}


def evaluate_living(ctx: Context, ids: set[str]) -> list[dict[str, Any]]:
    """Rows of the living-circle rules among ``ids``."""
    out: list[dict[str, Any]] = []
    for rid, fn in LIVING_RULES.items():
        if rid in ids:
            out += fn(ctx)
    return out



