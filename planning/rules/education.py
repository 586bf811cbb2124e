"""Evaluation of the education and social-affairs rules ED-01 … ED-03, SA-01, SA-02 (count rules)."""

from __future__ import annotations

from typing import Any

from planning.rules._context import FAIL, Context, combine, count_rows, not_street, row
from planning.schema import FacilityKind

__all__ = ["evaluate_education"]

K = FacilityKind


def _sa02(ctx: Context) -> list[dict[str, Any]]:
    rule = ctx.catalog["SA-02"]
    towns = count_rows(ctx, rule, [K.PUBLIC_CEMETERY], applies=not_street)
    town_rows, town_county = towns[:-1], towns[-1]
    home = count_rows(ctx, rule, [K.FUNERAL_HOME], qualifies=("cremation", "带火化功能的殡仪馆", "funeral homes with cremation"),
                      county_only=True)[0]
    status = combine([home["status"], town_county["status"]])
    zh = f"殡仪馆：{home['detail_zh']}；公益性安葬设施：{town_county['detail_zh']}"
    en = f"funeral home: {home['detail_en']}; public cemeteries: {town_county['detail_en']}"
    fail_pop = (ctx.county_population if home["status"] == FAIL else town_county["failing_population"])
    places = "; ".join(p for p in (home["failing_places"], town_county["failing_places"]) if p)
    county = row(ctx, rule, "county", ctx.county.county_id, ctx.county.name, status, value=home["value"],
                 threshold="≥ 1", unit="facilities",
                 failing_population=fail_pop, failing_places=places, metric="count", zh=zh, en=en)
    return town_rows + [county]


def evaluate_education(ctx: Context, ids: set[str]) -> list[dict[str, Any]]:
    """Rows of ED-01 … ED-03, SA-01 and SA-02 among ``ids``."""
    out: list[dict[str, Any]] = []
    if "ED-01" in ids:
        out += count_rows(ctx, ctx.catalog["ED-01"], [K.KINDERGARTEN], applies=not_street,
                          qualifies=("public_central", "公办中心园", "public central kindergartens"))
    if "ED-02" in ids:
        out += count_rows(ctx, ctx.catalog["ED-02"], [K.BOARDING_SCHOOL], applies=not_street)
    if "ED-03" in ids:
        out += count_rows(ctx, ctx.catalog["ED-03"], [K.VOCATIONAL_SCHOOL], county_only=True)
    if "SA-01" in ids:
        out += count_rows(ctx, ctx.catalog["SA-01"], [K.SOCIAL_ASSISTANCE_CENTRE])
    if "SA-02" in ids:
        out += _sa02(ctx)
    return out
