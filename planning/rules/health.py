"""Evaluation of the health rules HC-01 … HC-13 (see ``catalog.yaml`` for how each is measured)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from planning.network.reasons import reason_zh
from planning.rules._context import (
    FAIL,
    NA,
    NO_DATA,
    PASS,
    Context,
    aggregate,
    count_rows,
    fmt,
    kind_zh,
    not_street,
    owner_place,
    places_text,
    row,
    within,
)
from planning.schema import EMERGENCY_CENTRE_ZH, EMERGENCY_CENTRES, MEDICAL_KINDS, FacilityKind

__all__ = ["evaluate_health", "central_hospital_scores", "HEALTH_RULES"]

K = FacilityKind
TOWNSHIP_LEVEL = (K.TOWNSHIP_HOSPITAL, K.CENTRAL_TOWNSHIP_HOSPITAL)


def _nearest_zh(what: str, name: str, t: float, limit_min: float) -> str:
    """``最近卫生室 VC1:… 驾车18分钟（> 15分钟）``, or ``驾车无法到达卫生室`` when none is reachable."""
    return f"最近{what} {name} 驾车{fmt(t)}分钟（> {fmt(limit_min)}分钟）" if t == t else f"驾车无法到达{what}"


def _nearest_en(what: str, name: str, t: float, limit_min: float) -> str:
    """``nearest clinic VC1:… 18 min drive (> 15 min)``, or ``no clinic reachable by car``."""
    return f"nearest {what} {name} {fmt(t)} min drive (> {fmt(limit_min)} min)" if t == t else f"no {what} reachable by car"


def _village_status_hc02(ctx: Context) -> dict[str, dict[str, Any]]:
    """Per village: own clinic?, HC-02 status and the why (shared by HC-01 and HC-02)."""
    rural, _ = ctx.rural_mask(ctx.villages)
    v = ctx.villages[rural]
    clinics = ctx.of_kind([K.VILLAGE_CLINIC])
    owner = owner_place(clinics, ctx.villages)
    own: dict[str, list[str]] = {}
    for cid, vid in zip(clinics["id"], owner, strict=True):
        own.setdefault(str(vid), []).append(cid)
    near_cl = ctx.nearest(v, "villages_rural", [K.VILLAGE_CLINIC], mode="drive")
    near_th = ctx.nearest(v, "villages_rural", TOWNSHIP_LEVEL, mode="drive")
    names = dict(zip(ctx.facilities["id"], ctx.facilities["name"], strict=True))
    min_pop = ctx.p("HC-02", "min_population")
    near_min = ctx.p("HC-02", "near_township_hospital_minutes")
    shared_min = ctx.p("HC-02", "shared_clinic_max_minutes")
    served_min = ctx.p("HC-02", "served_max_minutes")
    out: dict[str, dict[str, Any]] = {}
    for vid, vname, pop in zip(v["id"], v["name"], v["population"], strict=True):
        t_cl = float(near_cl.at[vid, "travel_time_min"])
        t_th = float(near_th.at[vid, "travel_time_min"])
        cl, th = near_cl.at[vid, "destination_id"], near_th.at[vid, "destination_id"]
        cl_txt = f"{cl}:{names.get(cl, cl)}" if isinstance(cl, str) else "—"
        th_txt = f"{th}:{names.get(th, th)}" if isinstance(th, str) else "—"
        best = np.nanmin([t_cl, t_th]) if (t_cl == t_cl or t_th == t_th) else np.nan
        rec: dict[str, Any] = {"own": own.get(vid, []), "value": best, "pop": float(pop)}
        if rec["own"]:
            rec.update(status=NA, zh=f"有本村卫生室 {'、'.join(rec['own'])}",
                       en=f"has its own clinic {', '.join(rec['own'])}")
        elif within([t_th], near_min)[0]:
            rec.update(status=PASS, zh=f"豁免：临近乡镇卫生院 {th_txt}，驾车{fmt(t_th)}分钟（≤ {fmt(near_min)}分钟）",
                       en=f"exempt: near township hospital {th_txt}, {fmt(t_th)} min drive (≤ {fmt(near_min)} min)")
        elif within([t_cl], shared_min)[0]:
            rec.update(status=PASS, zh=f"合建共享邻村卫生室 {cl_txt}，驾车{fmt(t_cl)}分钟（≤ {fmt(shared_min)}分钟）",
                       en=f"shares clinic {cl_txt}, {fmt(t_cl)} min drive (≤ {fmt(shared_min)} min)")
        elif pop < min_pop and within([best], served_min)[0]:
            by = th_txt if (t_th == t_th and (t_cl != t_cl or t_th <= t_cl)) else cl_txt
            rec.update(status=PASS, zh=f"豁免：常住人口{fmt(pop)}人（不足{fmt(min_pop)}人），由 {by} 服务，"
                                       f"驾车{fmt(best)}分钟（≤ {fmt(served_min)}分钟）",
                       en=f"exempt: {fmt(pop)} residents (< {fmt(min_pop)}), served by {by}, "
                          f"{fmt(best)} min drive (≤ {fmt(served_min)} min)")
        else:
            reason = near_cl.at[vid, "reason"] or near_th.at[vid, "reason"]
            zh = (f"无本村卫生室；{_nearest_zh('卫生室', cl_txt, t_cl, shared_min)}，"
                  f"{_nearest_zh('乡镇卫生院', th_txt, t_th, near_min)}")
            en = (f"no own clinic; {_nearest_en('clinic', cl_txt, t_cl, shared_min)}, "
                  f"{_nearest_en('township hospital', th_txt, t_th, near_min)}")
            if pop < min_pop:
                zh += f"；常住人口{fmt(pop)}人不足{fmt(min_pop)}人，但{fmt(served_min)}分钟内无卫生室或卫生院服务"
                en += f"; {fmt(pop)} residents (< {fmt(min_pop)}) but nothing within {fmt(served_min)} min to serve it"
            if isinstance(reason, str) and reason:
                zh += f"（{reason_zh(reason)}）"
                en += f" ({reason})"
            rec.update(status=FAIL, zh=zh, en=en)
        rec["name"] = vname
        out[vid] = rec
    return out


def _hc01_02(ctx: Context) -> list[dict[str, Any]]:
    r1, r2 = ctx.catalog["HC-01"], ctx.catalog["HC-02"]
    st = _village_status_hc02(ctx)
    pop = dict(zip(ctx.villages["id"], ctx.villages["population"].astype(float), strict=True))
    tw = dict(zip(ctx.villages["id"], ctx.villages["township_id"], strict=True))
    rows1: list[dict[str, Any]] = []
    rows2: list[dict[str, Any]] = []
    shared_min = ctx.p("HC-02", "shared_clinic_max_minutes")
    for vid, rec in st.items():
        name = rec["name"]
        if rec["own"]:
            rows1.append(row(ctx, r1, "village", vid, name, PASS, value=len(rec["own"]), threshold="≥ 1",
                             unit="clinics", metric="count", zh=rec["zh"], en=rec["en"]))
        else:
            rows1.append(row(ctx, r1, "village", vid, name, rec["status"], value=0, threshold="≥ 1",
                             unit="clinics", failing_population=rec["pop"], failing_places=f"{vid}:{name}",
                             metric="drive_time", zh="无本村卫生室；HC-02：" + rec["zh"], en="no own clinic; HC-02: " + rec["en"]))
        rows2.append(row(ctx, r2, "village", vid, name, rec["status"], value=rec["value"],
                         threshold=f"≤ {fmt(shared_min)}", unit="min", failing_population=rec["pop"],
                         failing_places=f"{vid}:{name}", metric="drive_time", zh=rec["zh"], en=rec["en"]))
    out = rows1 + aggregate(ctx, r1, rows1, pop, township_of=tw, metric="drive_time")
    out += rows2 + aggregate(ctx, r2, rows2, pop, township_of=tw, metric="drive_time")
    return out


def _assignment(ctx: Context) -> tuple[pd.Series, str]:
    """Village id → clinic id: the given assignment, else the nearest clinic by drive time."""
    a = ctx.assignment
    rural, _ = ctx.rural_mask(ctx.villages)
    if a is None:
        near = ctx.nearest(ctx.villages[rural], "villages_rural", [K.VILLAGE_CLINIC], mode="drive")
        return near["destination_id"], "nearest clinic by drive time"
    if isinstance(a, pd.DataFrame):
        if not {"origin_id", "destination_id"} <= set(a.columns):
            from planning._errors import InputError

            raise InputError("assignment", ["an assignment table needs columns origin_id (village id) and "
                                            "destination_id (clinic id)"])
        s = pd.Series(a["destination_id"].astype(str).to_numpy(), index=a["origin_id"].astype(str))
    else:
        s = pd.Series({str(k): (str(v) if v is not None else None) for k, v in dict(a).items()}, dtype=object)
    return s.reindex(ctx.villages.loc[rural, "id"]), "assignment given (optimiser)"


def _hc03(ctx: Context) -> list[dict[str, Any]]:
    rule = ctx.catalog["HC-03"]
    clinics = ctx.of_kind([K.VILLAGE_CLINIC])
    per = ctx.p("HC-03", "population_per_doctor")
    assign, how = _assignment(ctx)
    pop = ctx.villages.set_index("id")["population"].astype(float).reindex(assign.index)
    served = pop.groupby(assign).sum()
    have_col = "village_doctors" in clinics.columns
    rows: list[dict[str, Any]] = []
    served_pop: dict[str, float] = {}
    tw: dict[str, str] = {}
    for _, c in clinics.iterrows():
        cid = c["id"]
        s = float(served.get(cid, 0.0))
        served_pop[cid] = s
        tw[cid] = c["township_id"]
        need = max(1, math.ceil(s / per - 1e-9))
        doctors = pd.to_numeric(pd.Series([c.get("village_doctors")]), errors="coerce").iloc[0] if have_col else np.nan
        if doctors != doctors:
            rows.append(row(ctx, rule, "facility", cid, c["name"], NO_DATA, threshold=f"≥ {need}", unit="doctors",
                            metric="drive_time",
                            zh=f"缺少输入：设施列 village_doctors（服务人口{fmt(s)}人，需{need}名）",
                            en=f"missing input: facilities column village_doctors (serves {fmt(s)}, needs {need})"))
            continue
        status = PASS if doctors >= need else FAIL
        rows.append(row(ctx, rule, "facility", cid, c["name"], status, value=float(doctors), threshold=f"≥ {need}",
                        unit="doctors", failing_population=s, failing_places=f"{cid}:{c['name']}",
                        metric="drive_time",
                        zh=f"服务人口{fmt(s)}人（{'优化分配' if ctx.assignment is not None else '驾车最近卫生室分配'}），"
                           f"需乡村医生 ≥ {need} 名，现有{fmt(doctors)}名",
                        en=f"serves {fmt(s)} residents ({how}); needs ≥ {need} village doctors, has {fmt(doctors)}"))
    out = rows + aggregate(ctx, rule, rows, served_pop, township_of=tw, metric="drive_time",
                           what_zh="达标卫生室服务人口占比", what_en="share of served population at passing clinics")
    unassigned = assign.isna()
    if unassigned.any():
        county = out[-1]
        ids = assign.index[unassigned].tolist()
        county["detail_zh"] += f"；{len(ids)}个行政村未分配到卫生室（不可达）：{'、'.join(ids[:20])}"
        county["detail_en"] += f"; {len(ids)} villages reach no clinic: {', '.join(ids[:20])}"
        county["detail"] = county["detail_zh"] if ctx.lang == "zh" else county["detail_en"]
    if not len(clinics):
        out[-1].update(status=FAIL, failing_population=ctx.county_population,
                       failing_places=f"{ctx.county.county_id}:{ctx.county.name}",
                       detail_zh="县内没有村卫生室", detail_en="the county has no village clinic")
        out[-1]["detail"] = out[-1]["detail_zh"] if ctx.lang == "zh" else out[-1]["detail_en"]
    return out


def central_hospital_scores(county: Any, *, engine: Any = None, settings: Any = None) -> pd.DataFrame:
    """Score every township-level hospital of a county on the three HC-05 criteria.

    Parameters
    ----------
    county : County
        The county bundle (its ``seat`` gives the distance criterion).
    engine : TravelEngine, optional
        Any engine with ``nearest``; built from the county's roads when omitted.
    settings : Settings, optional
        Travel settings when the engine is built here.

    Returns
    -------
    pandas.DataFrame
        ``id, name, kind, distance_to_seat_km`` (road), ``catchment_population`` (rural villages
        whose nearest township-level hospital by drive time it is), ``beds``, ``score`` (0–1,
        mean of the min–max normalised criteria available), ``rank`` (1 = best), by rank.
    """
    from planning.rules.catalog import load_catalog

    catalog = load_catalog()
    ctx = Context(county=county, catalog=catalog, params=catalog.resolve_params(), engine=engine, settings=settings)
    return _scores(ctx)


def _scores(ctx: Context) -> pd.DataFrame:
    """Scores of :func:`central_hospital_scores` on an evaluation context.

    Returns
    -------
    pandas.DataFrame
        ``id, name, kind, distance_to_seat_km`` (road), ``catchment_population`` (villages whose
        nearest township-level hospital by drive time it is), ``beds``, ``score`` (0–1, mean of the
        min–max normalised criteria available), ``rank`` (1 = best), sorted by rank.
    """
    hosp = ctx.of_kind(TOWNSHIP_LEVEL)
    cols = ["id", "name", "kind", "distance_to_seat_km", "catchment_population", "beds", "score", "rank"]
    if not len(hosp):
        return pd.DataFrame(columns=cols)
    rural, _ = ctx.rural_mask(ctx.villages)
    near = ctx.nearest(ctx.villages[rural], "villages_rural", TOWNSHIP_LEVEL, mode="drive")
    pop = ctx.villages.loc[rural].set_index("id")["population"].astype(float)
    catch = pop.groupby(near["destination_id"].reindex(pop.index)).sum()
    out = pd.DataFrame({"id": hosp["id"].to_numpy(), "name": hosp["name"].to_numpy(), "kind": hosp["kind"].to_numpy()})
    out["catchment_population"] = [float(catch.get(i, 0.0)) for i in out["id"]]
    if ctx.county.seat is not None:
        import geopandas as gpd

        seat = gpd.GeoDataFrame({"id": ["seat"], "kind": ["_seat"]}, geometry=[ctx.county.seat], crs=ctx.facilities.crs)
        d = ctx.nearest(hosp, "township_level_hospitals", ["_seat"], mode="drive", metric="distance",
                        destinations=seat)
        out["distance_to_seat_km"] = d["distance_m"].reindex(out["id"]).to_numpy() / 1000.0
    else:
        out["distance_to_seat_km"] = np.nan
    out["beds"] = pd.to_numeric(hosp["beds"], errors="coerce").to_numpy() if "beds" in hosp.columns else np.nan
    parts = []
    for c in ("distance_to_seat_km", "catchment_population", "beds"):
        x = out[c].astype(float)
        if x.notna().any():
            lo, hi = x.min(), x.max()
            parts.append(((x - lo) / (hi - lo)) if hi > lo else x.notna().astype(float))
    out["score"] = pd.concat(parts, axis=1).mean(axis=1, skipna=True) if parts else np.nan
    out = out.sort_values(["score", "id"], ascending=[False, True], kind="mergesort").reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out[cols]


def _hc05(ctx: Context) -> list[dict[str, Any]]:
    rule = ctx.catalog["HC-05"]
    lo, hi = int(ctx.p("HC-05", "min_count")), int(ctx.p("HC-05", "max_count"))
    min_grade = ctx.p("HC-05", "min_grade")
    scores = _scores(ctx)
    central = ctx.of_kind([K.CENTRAL_TOWNSHIP_HOSPITAL])
    rows: list[dict[str, Any]] = []
    notes_zh, notes_en = [], []
    if ctx.county.seat is None:
        notes_zh.append("无县城位置（seat），离城距离未计入得分")
        notes_en.append("no county seat given: distance to the seat left out of the score")
    if "beds" not in ctx.facilities.columns:
        notes_zh.append("无床位数列 beds，服务能力未计入得分")
        notes_en.append("no beds column: capacity left out of the score")
    sc = scores.set_index("id") if len(scores) else scores
    for _, c in central.iterrows():
        s = sc.loc[c["id"]]
        why_zh = (f"得分{s['score']:.2f}（第{int(s['rank'])}/{len(scores)}名）：离县城{fmt(s['distance_to_seat_km'])}公里，"
                  f"辐射人口{fmt(s['catchment_population'])}人，床位{fmt(s['beds'])}张")
        why_en = (f"score {s['score']:.2f} (rank {int(s['rank'])} of {len(scores)}): {fmt(s['distance_to_seat_km'])} km "
                  f"from the seat by road, catchment {fmt(s['catchment_population'])}, {fmt(s['beds'])} beds")
        grade = pd.to_numeric(pd.Series([c.get("grade")]), errors="coerce").iloc[0] if "grade" in central.columns else np.nan
        if grade != grade:
            rows.append(row(ctx, rule, "facility", c["id"], c["name"], NO_DATA, threshold=f"≥ {fmt(min_grade)}",
                            unit="grade", metric="road_distance",
                            zh=f"缺少输入：设施列 grade；{why_zh}", en=f"missing input: facilities column grade; {why_en}"))
        else:
            status = PASS if grade >= min_grade else FAIL
            rows.append(row(ctx, rule, "facility", c["id"], c["name"], status, value=float(grade),
                            threshold=f"≥ {fmt(min_grade)}", unit="grade",
                            failing_population=float(s["catchment_population"]),
                            failing_places=f"{c['id']}:{c['name']}", metric="road_distance",
                            zh=f"等级{fmt(grade)}（要求 ≥ {fmt(min_grade)}，二级医院水平）；{why_zh}",
                            en=f"grade {fmt(grade)} (required ≥ {fmt(min_grade)}, level-2 capacity); {why_en}"))
    n = len(central)
    count_ok = lo <= n <= hi
    status = PASS if count_ok else FAIL
    if count_ok and any(r["status"] == FAIL for r in rows):
        status = FAIL
    elif count_ok and any(r["status"] == NO_DATA for r in rows):
        status = NO_DATA
    top = scores[scores["kind"] == str(K.TOWNSHIP_HOSPITAL)].head(3)
    cand_zh = "、".join(f"{i}:{nm}（{s:.2f}）" for i, nm, s in zip(top["id"], top["name"], top["score"], strict=True))
    cand_en = ", ".join(f"{i}:{nm} ({s:.2f})" for i, nm, s in zip(top["id"], top["name"], top["score"], strict=True))
    zh = f"中心乡镇卫生院{n}所（要求{lo}–{hi}所）"
    en = f"{n} central township hospitals (required {lo}–{hi})"
    if n < lo and cand_zh:
        zh += f"；得分最高的乡镇卫生院：{cand_zh}"
        en += f"; highest-scoring township hospitals: {cand_en}"
    bad = [r for r in rows if r["status"] == FAIL]
    if bad:
        zh += "；未达二级：" + "、".join(r["area_name"] for r in bad)
        en += "; below level 2: " + ", ".join(r["area_name"] for r in bad)
    if notes_zh:
        zh += "；" + "；".join(notes_zh)
        en += "; " + "; ".join(notes_en)
    rows.append(row(ctx, rule, "county", ctx.county.county_id, ctx.county.name, status, value=n,
                    threshold=f"{lo}–{hi}", unit="hospitals",
                    failing_population=ctx.county_population if not count_ok else sum(r["failing_population"] for r in bad),
                    failing_places=(f"{ctx.county.county_id}:{ctx.county.name}" if not count_ok
                                    else places_text([r["area_id"] for r in bad], [r["area_name"] for r in bad])),
                    metric="road_distance", zh=zh, en=en))
    return rows


def _emergency_nodes(ctx: Context) -> tuple[pd.DataFrame, bool]:
    f = ctx.facilities
    always = f["kind"].isin([str(K.COUNTY_HOSPITAL), str(K.CENTRAL_TOWNSHIP_HOSPITAL),
                             str(K.EMERGENCY_STATION), str(K.EMERGENCY_CENTRE)])
    th = f["kind"] == str(K.TOWNSHIP_HOSPITAL)
    amb = ctx.bool_col(f, "has_ambulance")
    known = not (th & amb.isna()).any()
    return f[always | (th & amb.fillna(False).astype(bool))], known


def _hc06(ctx: Context) -> list[dict[str, Any]]:
    rule = ctx.catalog["HC-06"]
    radius_km = ctx.p("HC-06", "radius_km")
    nodes, amb_known = _emergency_nodes(ctx)
    rural, urban_known = ctx.rural_mask(ctx.villages)
    v = ctx.villages[rural]
    near = ctx.nearest(v, "villages_rural", ["_emergency"], mode="drive", metric="distance", destinations=nodes)
    names = dict(zip(ctx.facilities["id"], ctx.facilities["name"], strict=True))
    rows = []
    for vid, vname, pop in zip(v["id"], v["name"], v["population"], strict=True):
        d_km = float(near.at[vid, "distance_m"]) / 1000.0
        dest = near.at[vid, "destination_id"]
        node = f"{dest}:{names.get(dest, dest)}" if isinstance(dest, str) else "—"
        ok = within([d_km], radius_km)[0]
        reason = near.at[vid, "reason"]
        rows.append(row(ctx, rule, "village", vid, vname, PASS if ok else FAIL, value=d_km,
                        threshold=f"≤ {fmt(radius_km)}", unit="km", failing_population=float(pop),
                        failing_places=f"{vid}:{vname}", metric="road_distance",
                        zh=(f"到最近急救节点 {node} 道路距离{fmt(d_km, 2)}公里" if d_km == d_km
                            else f"无法经道路到达急救节点（{reason_zh(reason)}）"),
                        en=(f"{fmt(d_km, 2)} km by road to emergency node {node}" if d_km == d_km
                            else f"no emergency node reachable by road ({reason})")))
    pop = dict(zip(v["id"], v["population"].astype(float), strict=True))
    tw = dict(zip(v["id"], v["township_id"], strict=True))
    out = rows + aggregate(ctx, rule, rows, pop, township_of=tw, metric="road_distance",
                           what_zh="农村人口覆盖率", what_en="share of rural population covered")
    total = sum(pop.values())
    shares = []
    for r_km in (10, 15, 20):
        covered = sum(p for vid, p in pop.items() if within([near.at[vid, "distance_m"] / 1000.0], r_km)[0])
        shares.append((r_km, covered / total if total else np.nan))
    c = out[-1]
    c["detail_zh"] += "；" + "，".join(f"{r}公里覆盖{fmt(s * 100)}%" for r, s in shares)
    c["detail_en"] += "; " + ", ".join(f"{fmt(s * 100)}% within {r} km" for r, s in shares)
    if not urban_known:
        c["detail_zh"] += "；村图层无 urban 列，全部按农村计"
        c["detail_en"] += "; villages have no urban column: all treated as rural"
    if not amb_known:
        c["detail_zh"] += "；部分乡镇卫生院缺 has_ambulance，未计为急救节点"
        c["detail_en"] += "; township hospitals without has_ambulance not counted as emergency nodes"
    c["detail"] = c["detail_zh"] if ctx.lang == "zh" else c["detail_en"]
    return out


def _hc07(ctx: Context) -> list[dict[str, Any]]:
    rule = ctx.catalog["HC-07"]
    lo, hi = int(ctx.p("HC-07", "min_count")), int(ctx.p("HC-07", "max_count"))
    hosp = ctx.of_kind([K.COUNTY_HOSPITAL])
    n = len(hosp)
    zh, en = f"县级医院{n}所（要求{lo}–{hi}所）", f"{n} county hospitals (required {lo}–{hi})"
    if not lo <= n <= hi:
        status = FAIL
    elif not ctx.has_column(hosp, "emergency_centres"):
        status = NO_DATA
        zh += "；缺少输入：设施列 emergency_centres（五大中心）"
        en += "; missing input: facilities column emergency_centres (the five centres)"
    else:
        have = set()
        for v in hosp["emergency_centres"].dropna():
            have |= {s.strip() for s in str(v).replace("，", ",").split(",") if s.strip()}
        lacking = [c for c in EMERGENCY_CENTRES if c not in have]
        status = PASS if not lacking else FAIL
        zh += f"；五大中心具备{5 - len(lacking)}个" + (f"，缺：{'、'.join(EMERGENCY_CENTRE_ZH[c] for c in lacking)}" if lacking else "")
        en += f"; {5 - len(lacking)} of the five emergency centres" + (f", lacking: {', '.join(lacking)}" if lacking else "")
    return [row(ctx, rule, "county", ctx.county.county_id, ctx.county.name, status, value=n,
                threshold=f"{lo}–{hi}", unit="hospitals", failing_population=ctx.county_population,
                failing_places=f"{ctx.county.county_id}:{ctx.county.name}", metric="count", zh=zh, en=en)]


def _hc09(ctx: Context) -> list[dict[str, Any]]:
    rule = ctx.catalog["HC-09"]
    limit = ctx.p("HC-09", "population_threshold")
    mch = ctx.of_kind([K.MATERNAL_CHILD_HEALTH])
    pop = ctx.county_population
    big = pop >= limit
    base_zh = f"县人口{fmt(pop)}人（{'≥' if big else '<'} {fmt(limit)}）"
    base_en = f"county population {fmt(pop)} ({'≥' if big else '<'} {fmt(limit)})"
    if not len(mch):
        status, value = FAIL, 0.0
        zh, en = base_zh + "；无妇幼保健机构", base_en + "; no maternal and child health institution"
    elif big:
        g = pd.to_numeric(mch["grade"], errors="coerce") if "grade" in mch.columns else pd.Series(np.nan, index=mch.index)
        value = float(g.max()) if g.notna().any() else np.nan
        if g.notna().any() and (g >= 2).any():
            status = PASS
        elif g.isna().any():
            status = NO_DATA
        else:
            status = FAIL
        zh = base_zh + (f"；妇幼保健机构最高等级{fmt(value)}（要求二级）" if value == value else "；缺少输入：设施列 grade")
        en = base_en + (f"; best maternal-child health grade {fmt(value)} (level 2 required)" if value == value
                        else "; missing input: facilities column grade")
    else:
        o = ctx.bool_col(mch, "has_outpatient")
        value = float(o.fillna(False).astype(bool).sum())
        status = PASS if value >= 1 else (NO_DATA if o.isna().any() else FAIL)
        zh = base_zh + (f"；开设门诊的妇幼保健机构{fmt(value)}所" if status != NO_DATA else "；缺少输入：设施列 has_outpatient")
        en = base_en + (f"; {fmt(value)} maternal-child health institutions with an outpatient clinic"
                        if status != NO_DATA else "; missing input: facilities column has_outpatient")
    return [row(ctx, rule, "county", ctx.county.county_id, ctx.county.name, status, value=value,
                threshold="≥ 2" if big else "≥ 1", unit="grade" if big else "facilities",
                failing_population=pop, failing_places=f"{ctx.county.county_id}:{ctx.county.name}",
                metric="attribute", zh=zh, en=en)]


def _urban_residents(ctx: Context) -> tuple[dict[str, float], str]:
    """Urban residents per township: communities' population, else urban villages."""
    c = ctx.communities
    if c is not None and "population" in c.columns and c["population"].notna().any():
        return c.groupby("township_id")["population"].sum().to_dict(), "communities"
    if "urban" in ctx.villages.columns:
        rural, _ = ctx.rural_mask(ctx.villages)
        return ctx.villages[~rural].groupby("township_id")["population"].sum().to_dict(), "urban villages"
    return {}, "none"


def _hc10(ctx: Context) -> list[dict[str, Any]]:
    rule = ctx.catalog["HC-10"]
    max_res = ctx.p("HC-10", "max_residents")
    centres = ctx.of_kind([K.COMMUNITY_HEALTH_CENTRE])
    urban, source = _urban_residents(ctx)
    if source == "none" and not (ctx.townships["township_type"] != "").any():
        return [row(ctx, rule, "county", ctx.county.county_id, ctx.county.name, NO_DATA, unit="centres",
                    metric="count", zh="缺少输入：乡镇列 township_type（街道）及城镇居民（社区图层或村 urban 列）",
                    en="missing input: townships column township_type (street offices) and urban residents "
                       "(communities layer or villages' urban column)")]
    rows = []
    for _, t in ctx.townships.iterrows():
        tid = t["id"]
        street = t["township_type"] == "street"
        res = float(urban.get(tid, 0.0))
        if street and source == "none":
            res = float(ctx.township_pop.get(tid, 0.0))
        if not street and res <= 0:
            rows.append(row(ctx, rule, "township", tid, t["name"], NA, unit="centres", metric="count",
                            zh="非街道且无城镇居民，不适用", en="not a street office and no urban residents"))
            continue
        need = max(1, math.ceil(res / max_res - 1e-9))
        n = int((centres["township_id"] == tid).sum())
        rows.append(row(ctx, rule, "township", tid, t["name"], PASS if n >= need else FAIL, value=n,
                        threshold=f"≥ {need}", unit="centres", failing_population=res,
                        failing_places=f"{tid}:{t['name']}", metric="count",
                        zh=f"{'街道' if street else '镇'}城镇居民{fmt(res)}人，需社区卫生服务中心 ≥ {need} 所，现有{n}所",
                        en=f"{'street office' if street else 'town'} with {fmt(res)} urban residents needs ≥ {need} "
                           f"community health centres, has {n}"))
    pop = {r["area_id"]: r["failing_population"] if r["status"] == FAIL else float(urban.get(r["area_id"], 0.0))
           for r in rows}
    agg = aggregate(ctx, rule, rows, pop, township_of={}, townships=False, metric="count",
                    what_zh="达标乡镇城镇居民占比", what_en="share of urban residents in passing townships")
    return rows + agg


def _hc11(ctx: Context) -> list[dict[str, Any]]:
    rule = ctx.catalog["HC-11"]
    minutes = ctx.p("HC-11", "minutes")
    rural, _ = ctx.rural_mask(ctx.villages)
    v = ctx.villages
    near_r = ctx.nearest(v[rural], "villages_rural", MEDICAL_KINDS, mode="drive")
    near_u = ctx.nearest(v[~rural], "villages_urban", MEDICAL_KINDS, mode="walk")
    names = dict(zip(ctx.facilities["id"], ctx.facilities["name"], strict=True))
    rows = []
    for vid, vname, pop, is_rural in zip(v["id"], v["name"], v["population"], rural, strict=True):
        near = near_r if is_rural else near_u
        t = float(near.at[vid, "travel_time_min"])
        dest = near.at[vid, "destination_id"]
        fac = f"{dest}:{names.get(dest, dest)}" if isinstance(dest, str) else "—"
        ok = within([t], minutes)[0]
        how_zh, how_en, by_en = ("驾车", "drive", "by car") if is_rural else ("步行", "walk", "on foot")
        reason = near.at[vid, "reason"]
        rows.append(row(ctx, rule, "village", vid, vname, PASS if ok else FAIL, value=t, threshold=f"≤ {fmt(minutes)}",
                        unit="min", failing_population=float(pop), failing_places=f"{vid}:{vname}",
                        metric="drive_time" if is_rural else "walk_time",
                        zh=(f"{how_zh}{fmt(t)}分钟到最近医疗机构 {fac}" if t == t
                            else f"{how_zh}无法到达任何医疗机构（{reason_zh(reason)}）"),
                        en=(f"{fmt(t)} min {how_en} to the nearest medical institution {fac}" if t == t
                            else f"no medical institution reachable {by_en} ({reason})")))
    pop = dict(zip(v["id"], v["population"].astype(float), strict=True))
    tw = dict(zip(v["id"], v["township_id"], strict=True))
    return rows + aggregate(ctx, rule, rows, pop, township_of=tw, metric="walk_time (urban), drive_time (rural)")


def _hc12(ctx: Context) -> list[dict[str, Any]]:
    rule = ctx.catalog["HC-12"]
    centres = ctx.of_kind([K.EMERGENCY_CENTRE])
    team = ctx.bool_col(ctx.facilities, "emergency_team")
    n_team = int(team.fillna(False).astype(bool).sum())
    zh = f"医疗急救中心{len(centres)}个，医疗应急队伍{n_team}支"
    en = f"{len(centres)} emergency centres, {n_team} medical emergency teams"
    if len(centres) == 0 or (n_team == 0 and "emergency_team" in ctx.facilities.columns and team.notna().any()):
        status = FAIL
    elif n_team == 0:
        status = NO_DATA
        zh += "；缺少输入：设施列 emergency_team"
        en += "; missing input: facilities column emergency_team"
    else:
        status = PASS
    return [row(ctx, rule, "county", ctx.county.county_id, ctx.county.name, status, value=min(len(centres), n_team),
                threshold="≥ 1", unit="count", failing_population=ctx.county_population,
                failing_places=f"{ctx.county.county_id}:{ctx.county.name}", metric="attribute", zh=zh, en=en)]


def _hc13(ctx: Context) -> list[dict[str, Any]]:
    rule = ctx.catalog["HC-13"]
    rows = []
    tw: dict[str, str] = {}
    checks = [((K.TOWNSHIP_HOSPITAL, K.CENTRAL_TOWNSHIP_HOSPITAL, K.COMMUNITY_HEALTH_CENTRE),
               "public_health_physicians", "专职公共卫生医师", "full-time public-health physicians"),
              ((K.VILLAGE_CLINIC,), "tcm_doctors", "能提供中医药服务的乡村医生", "doctors able to provide TCM")]
    for kinds, col, zh_what, en_what in checks:
        fac = ctx.of_kind(kinds)
        vals = pd.to_numeric(fac[col], errors="coerce") if col in fac.columns else pd.Series(np.nan, index=fac.index)
        for (_, f), v in zip(fac.iterrows(), vals, strict=True):
            tw[f["id"]] = f["township_id"]
            if pd.isna(v):
                rows.append(row(ctx, rule, "facility", f["id"], f["name"], NO_DATA, threshold="≥ 1", unit="staff",
                                metric="attribute", zh=f"缺少输入：设施列 {col}（{kind_zh(f['kind'])}）",
                                en=f"missing input: facilities column {col} ({f['kind']})"))
                continue
            rows.append(row(ctx, rule, "facility", f["id"], f["name"], PASS if v >= 1 else FAIL, value=float(v),
                            threshold="≥ 1", unit="staff", failing_places=f"{f['id']}:{f['name']}", metric="attribute",
                            zh=f"{kind_zh(f['kind'])}：{zh_what}{fmt(v)}名（要求 ≥ 1）",
                            en=f"{f['kind']}: {fmt(v)} {en_what} (required ≥ 1)"))
    ones = {r["area_id"]: 1.0 for r in rows}
    agg = aggregate(ctx, rule, rows, ones, township_of=tw, metric="attribute",
                    what_zh="达标机构占比", what_en="share of facilities passing")
    for r in agg:  # a staffing rule has no failing population; the failing places are the facilities
        r["failing_population"] = 0.0
    return rows + agg


def evaluate_health(ctx: Context, ids: set[str]) -> list[dict[str, Any]]:
    """Rows of the health rules among ``ids``."""
    out: list[dict[str, Any]] = []
    if ids & {"HC-01", "HC-02"}:
        out += [r for r in _hc01_02(ctx) if r["rule_id"] in ids]
    for rid, fn in HEALTH_RULES.items():
        if rid in ids:
            out += fn(ctx)
    return out


HEALTH_RULES = {
    "HC-03": _hc03,
    "HC-04": lambda ctx: count_rows(ctx, ctx.catalog["HC-04"], TOWNSHIP_LEVEL, applies=not_street),
    "HC-05": _hc05,
    "HC-06": _hc06,
    "HC-07": _hc07,
    "HC-08": lambda ctx: count_rows(ctx, ctx.catalog["HC-08"], [K.TCM_HOSPITAL], county_only=True),
    "HC-09": _hc09,
    "HC-10": _hc10,
    "HC-11": _hc11,
    "HC-12": _hc12,
    "HC-13": _hc13,
}
