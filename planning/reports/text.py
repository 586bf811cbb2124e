"""Chinese and English labels and phrases used by maps and reports.

Everything a planner reads in a map or report comes from here, so the two languages stay in
step: :func:`label` for fixed words, :func:`status_name`, :func:`action_name`,
:func:`level_name` and :func:`kind_name` for the closed vocabularies, and the number formatters
:func:`fmt_int`, :func:`fmt_num`, :func:`fmt_share`.
"""

from __future__ import annotations

import math
import re
from typing import Any

from planning._errors import InputError
from planning.network.reasons import reason_zh
from planning.schema import FACILITY_KIND_ZH, FacilityKind

__all__ = [
    "LANGS",
    "check_lang",
    "label",
    "paren",
    "status_name",
    "action_name",
    "level_name",
    "kind_name",
    "fmt_int",
    "fmt_num",
    "fmt_share",
    "FACILITY_KIND_EN",
    "ACTION_MARK",
    "unit_name",
    "metric_name",
    "service_name",
    "recipe_name",
    "model_name",
    "solve_status_name",
    "action_reason",
    "travel_reason",
    "fmt_value",
]

#: Supported output languages.
LANGS: tuple[str, ...] = ("zh", "en")

#: English name of each facility kind.
FACILITY_KIND_EN: dict[FacilityKind, str] = {
    FacilityKind.VILLAGE_CLINIC: "village clinic",
    FacilityKind.TOWNSHIP_HOSPITAL: "township hospital",
    FacilityKind.CENTRAL_TOWNSHIP_HOSPITAL: "central township hospital",
    FacilityKind.COUNTY_HOSPITAL: "county hospital",
    FacilityKind.TCM_HOSPITAL: "TCM hospital",
    FacilityKind.MATERNAL_CHILD_HEALTH: "maternal and child health institution",
    FacilityKind.COMMUNITY_HEALTH_CENTRE: "community health service centre",
    FacilityKind.EMERGENCY_CENTRE: "medical emergency centre",
    FacilityKind.EMERGENCY_STATION: "emergency station",
    FacilityKind.ODD_JOB_MARKET: "odd-job market",
    FacilityKind.EMPLOYMENT_SERVICE_POINT: "employment service point",
    FacilityKind.FITNESS_FACILITY: "fitness facility",
    FacilityKind.ELDERLY_CARE: "community elderly care",
    FacilityKind.ELDERLY_DAY_CARE: "elderly day-care centre",
    FacilityKind.CHILDCARE: "childcare",
    FacilityKind.HOUSEKEEPING: "housekeeping service",
    FacilityKind.MEAL_ASSISTANCE: "meal assistance point",
    FacilityKind.MARKET: "convenience market",
    FacilityKind.CONVENIENCE_STORE: "convenience store",
    FacilityKind.COMMUNITY_SERVICE_CENTRE: "community service centre",
    FacilityKind.KINDERGARTEN: "kindergarten",
    FacilityKind.BOARDING_SCHOOL: "boarding school",
    FacilityKind.VOCATIONAL_SCHOOL: "secondary vocational school",
    FacilityKind.SOCIAL_ASSISTANCE_CENTRE: "social assistance centre",
    FacilityKind.FUNERAL_HOME: "funeral home",
    FacilityKind.PUBLIC_CEMETERY: "public burial facility",
}

_STATUS = {
    "zh": {"pass": "达标", "fail": "未达标", "not_applicable": "不适用", "no_data": "缺数据"},
    "en": {"pass": "pass", "fail": "fail", "not_applicable": "not applicable", "no_data": "no data"},
}

_ACTION = {
    "zh": {"new": "新建", "upgrade": "升级", "merge": "合并", "close": "撤并"},
    "en": {"new": "new", "upgrade": "upgrade", "merge": "merge", "close": "close"},
}

#: One-character marks of the actions on the map.
ACTION_MARK = {
    "zh": {"new": "新", "upgrade": "升", "merge": "并", "close": "撤"},
    "en": {"new": "N", "upgrade": "U", "merge": "M", "close": "C"},
}

_LEVEL = {
    "zh": {"village": "行政村", "community": "社区", "place": "村（社区）", "township": "乡镇", "county": "县",
           "province": "省", "facility": "设施", "cell": "人口格网"},
    "en": {"village": "village", "community": "community", "place": "village/community", "township": "township",
           "county": "county",
           "province": "province", "facility": "facility", "cell": "population cell"},
}

_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        # maps
        "map_title": "{county} 公共服务设施覆盖地图",
        "county_boundary": "县界",
        "townships": "乡镇边界",
        "roads": "主要道路",
        "villages": "行政村",
        "villages_status": "行政村达标情况",
        "villages_time": "行政村—到最近{kind}时间",
        "villages_time_any": "行政村—到最近设施时间",
        "service_area": "服务范围 {value}",
        "service_area_kind": "{kind}服务范围 {value}",
        "minutes": "{value} 分钟",
        "km": "{value} 公里",
        "actions": "规划建议",
        "legend_time": "到最近设施时间",
        "legend_uncovered": "未覆盖（超过 {cutoff} 分钟或不可达）",
        "legend_no_data": "无数据",
        "legend_actions": "规划建议",
        "legend_facilities": "现有设施",
        "legend_status": "行政村达标情况",
        "unreachable": "不可达",
        "uncovered": "未覆盖",
        "covered": "已覆盖",
        "name": "名称",
        "id": "编号",
        "kind": "类型",
        "township": "所属乡镇",
        "township_type": "乡镇类型",
        "population": "常住人口",
        "households": "户数",
        "nearest": "最近设施",
        "travel_time": "时间",
        "distance": "距离",
        "snap_distance": "距路网",
        "reason": "原因",
        "failing_rules": "未达标规则",
        "what": "内容",
        "why": "理由",
        "population_gained": "新增覆盖人口",
        "cost": "投资（万元）",
        "rule": "规则",
        "site": "位置",
        "people": "{value} 人",
        "wan": "{value} 万元",
        # reports
        "report_title": "{county}公共服务设施覆盖评估报告",
        "comparison_title": "方案比较：{a} 与 {b}",
        "generated_for": "县（市、区）代码 {county_id}；{n_townships} 个乡镇，{n_villages} 个行政村，"
                         "常住人口 {population} 人。",
        "sec_summary": "一、总体情况",
        "sec_rules": "二、各项规则核查结果",
        "sec_townships": "三、分乡镇情况",
        "sec_uncovered": "四、未达标行政村名单",
        "sec_actions": "五、规划建议",
        "sec_before_after": "六、规划前后对比",
        "sec_solver": "七、优化求解情况",
        "sec_map": "附图",
        "summary_counts": "共核查 {n_rules} 项规则：达标 {n_pass} 项，未达标 {n_fail} 项，"
                          "缺数据 {n_no_data} 项，不适用 {n_na} 项。",
        "summary_fail_list": "未达标规则（{n} 项，依据条款附后）：",
        "summary_no_data_list": "缺少数据、无法判断的规则（{n} 项；缺数据不视为达标，请补充数据后重新核查）：",
        "summary_actions": ("规划建议共 {n} 项，总投资 {cost} 万元，新增覆盖人口按服务累计 {pop} 人次"
                            "（同一居民可计入多项服务，合计可超过总人口）。"),
        "summary_after": "实施规划建议后：达标 {n_pass} 项，未达标 {n_fail} 项。",
        "col_rule": "规则",
        "col_title": "内容",
        "col_source": "依据（文件与条款）",
        "col_status": "结论",
        "col_status_before": "现状",
        "col_status_after": "规划后",
        "col_value": "现状值",
        "col_value_before": "现状值",
        "col_value_after": "规划后值",
        "col_threshold": "标准",
        "col_failing_areas": "未达标单元",
        "col_failing_population": "涉及人口",
        "col_failing_population_before": "现状涉及人口",
        "col_failing_population_after": "规划后涉及人口",
        "col_township": "乡镇",
        "col_village": "行政村",
        "col_detail": "说明",
        "col_population": "常住人口",
        "col_covered": "{t}覆盖人口",
        "col_share": "覆盖率",
        "col_action": "类型",
        "col_kind": "设施",
        "col_site": "位置",
        "col_cost": "投资（万元）",
        "col_population_gained": "新增覆盖人口",
        "col_reason": "理由",
        "col_recipe": "方案",
        "col_model": "模型",
        "col_solver_status": "求解状态",
        "col_objective": "目标值",
        "col_gap": "最优性间隙",
        "col_metric": "度量",
        "col_level": "层级",
        "col_modified": "参数已调整",
        "col_item": "指标",
        "township_rules_intro": "下表列出各乡镇级规则的核查结论（✓ 达标，✗ 未达标，— 不适用，? 缺数据）。",
        "township_villages_intro": "各乡镇行政村（社区）级规则未达标情况（未达标数/核查数），以及至少一项规则未达标的村（社区）常住人口：",
        "col_failing_village_population": "未达标村人口",
        "coverage_intro": "各乡镇人口覆盖情况：",
        "coverage_intro_service": "各乡镇到最近{service}的人口覆盖情况：",
        "uncovered_intro": "以下行政村（社区）未达到相应规则要求，按规则分列：",
        "uncovered_rule_heading": "{rule} {title}：{n} 个未达标，涉及 {people} 人",
        "uncovered_after_intro": "实施规划建议后仍未达标的行政村：",
        "no_uncovered": "所有行政村均达到行政村级规则要求。",
        "no_actions": "本次未提出规划建议。",
        "actions_total": "合计",
        "person_services": "{pop} 人次",
        "before_after_intro": "各项规则在实施规划建议前后的对比：",
        "chart_status": "规则核查结论",
        "chart_failing_population": "各规则涉及未达标人口",
        "chart_coverage_share": "各乡镇覆盖率",
        "chart_coverage_share_service": "各乡镇{service}覆盖率",
        "chart_before_after": "规划前后未达标人口对比",
        "chart_count": "规则数",
        "chart_people": "人口（人）",
        "chart_share": "覆盖率",
        "chart_before": "现状",
        "chart_after": "规划后",
        "static_map_title": "{county} 设施与行政村分布",
        "map_legend_villages_fail": "未达标行政村",
        "map_legend_villages_ok": "达标行政村",
        "map_legend_villages_no_data": "缺数据行政村",
        "map_legend_actions": "规划新建/升级位置",
        "map_legend_facilities": "现有设施",
        "modified_note": "（参数已按情景文件调整）",
        "comparison_intro": "以下比较两个方案的规则核查结果、规划建议与覆盖情况。",
        "cmp_sec_rules": "一、规则核查结果对比",
        "cmp_sec_actions": "二、规划建议对比",
        "cmp_sec_coverage": "三、覆盖情况对比",
        "cmp_actions_count": "建议数",
        "cmp_total_cost": "总投资（万元）",
        "cmp_population_gained": "新增覆盖人口（人次，按服务累计）",
        "cmp_rules_pass": "达标规则数",
        "cmp_rules_fail": "未达标规则数",
        "cmp_failing_population": "各规则涉及人口合计",
        "total": "全县",
        "rule_levels": "核查层级",
        "note_failing_population": "“涉及人口”按该规则最细核查层级（行政村、社区、乡镇或县）未达标单元的常住人口合计。",
    },
    "en": {
        "map_title": "{county}: public service coverage",
        "county_boundary": "County boundary",
        "townships": "Townships",
        "roads": "Main roads",
        "villages": "Villages",
        "villages_status": "Villages: rule compliance",
        "villages_time": "Villages: time to nearest {kind}",
        "villages_time_any": "Villages: time to nearest facility",
        "service_area": "Service area {value}",
        "service_area_kind": "{kind} service area {value}",
        "minutes": "{value} min",
        "km": "{value} km",
        "actions": "Proposed actions",
        "legend_time": "Time to nearest facility",
        "legend_uncovered": "Uncovered (over {cutoff} min or unreachable)",
        "legend_no_data": "No data",
        "legend_actions": "Proposed actions",
        "legend_facilities": "Existing facilities",
        "legend_status": "Village compliance",
        "unreachable": "unreachable",
        "uncovered": "uncovered",
        "covered": "covered",
        "name": "Name",
        "id": "ID",
        "kind": "Kind",
        "township": "Township",
        "township_type": "Type",
        "population": "Population",
        "households": "Households",
        "nearest": "Nearest facility",
        "travel_time": "Time",
        "distance": "Distance",
        "snap_distance": "Distance to road",
        "reason": "Reason",
        "failing_rules": "Failing rules",
        "what": "What",
        "why": "Why",
        "population_gained": "Population gained",
        "cost": "Cost (10k CNY)",
        "rule": "Rule",
        "site": "Site",
        "people": "{value}",
        "wan": "{value} × 10k CNY",
        "report_title": "{county}: public service coverage assessment",
        "comparison_title": "Scenario comparison: {a} and {b}",
        "generated_for": "County code {county_id}; {n_townships} townships, {n_villages} villages, "
                         "resident population {population}.",
        "sec_summary": "1. Summary",
        "sec_rules": "2. Rule by rule",
        "sec_townships": "3. By township",
        "sec_uncovered": "4. Villages that fail",
        "sec_actions": "5. Proposed actions",
        "sec_before_after": "6. Before and after the actions",
        "sec_solver": "7. Optimisation",
        "sec_map": "Map",
        "summary_counts": "{n_rules} rules checked: {n_pass} pass, {n_fail} fail, {n_no_data} without data, "
                          "{n_na} not applicable.",
        "summary_fail_list": "Failing rules ({n}, with their source clauses):",
        "summary_no_data_list": "Rules that cannot be judged for lack of data ({n}; missing data is never a pass: "
                                "add the data and check again):",
        "summary_actions": ("{n} proposed actions, total cost {cost} × 10k CNY; population gained, summed over "
                            "services, {pop} person-services (one resident can count in several services, so the "
                            "sum can exceed the population)."),
        "summary_after": "After the actions: {n_pass} pass, {n_fail} fail.",
        "col_rule": "Rule",
        "col_title": "Requirement",
        "col_source": "Source (document, clause)",
        "col_status": "Result",
        "col_status_before": "Now",
        "col_status_after": "After",
        "col_value": "Value",
        "col_value_before": "Value now",
        "col_value_after": "Value after",
        "col_threshold": "Threshold",
        "col_failing_areas": "Failing areas",
        "col_failing_population": "Population affected",
        "col_failing_population_before": "Affected now",
        "col_failing_population_after": "Affected after",
        "col_township": "Township",
        "col_village": "Village",
        "col_detail": "Detail",
        "col_population": "Population",
        "col_covered": "Covered {t}",
        "col_share": "Share",
        "col_action": "Action",
        "col_kind": "Facility",
        "col_site": "Site",
        "col_cost": "Cost (10k CNY)",
        "col_population_gained": "Population gained",
        "col_reason": "Why",
        "col_recipe": "Recipe",
        "col_model": "Model",
        "col_solver_status": "Status",
        "col_objective": "Objective",
        "col_gap": "Gap",
        "col_metric": "Metric",
        "col_level": "Level",
        "col_modified": "Parameters changed",
        "col_item": "Item",
        "township_rules_intro": "Township-level rules by township (✓ pass, ✗ fail, — not applicable, ? no data).",
        "township_villages_intro": "Village-level rules by township (failing / checked), and the residents of "
                                   "villages failing at least one rule:",
        "col_failing_village_population": "Residents of failing villages",
        "coverage_intro": "Population covered by township:",
        "coverage_intro_service": "Population within reach of the nearest {service}, by township:",
        "uncovered_intro": "Villages (and communities) failing each rule:",
        "uncovered_rule_heading": "{rule} {title}: {n} failing, {people} people",
        "uncovered_after_intro": "Villages still failing after the actions:",
        "no_uncovered": "Every village meets the village-level rules.",
        "no_actions": "No actions proposed.",
        "actions_total": "Total",
        "person_services": "{pop} person-services",
        "before_after_intro": "Each rule before and after the proposed actions:",
        "chart_status": "Rule results",
        "chart_failing_population": "Population affected by each failing rule",
        "chart_coverage_share": "Coverage by township",
        "chart_coverage_share_service": "Coverage by township: nearest {service}",
        "chart_before_after": "Population affected before and after the actions",
        "chart_count": "rules",
        "chart_people": "people",
        "chart_share": "share covered",
        "chart_before": "now",
        "chart_after": "after",
        "static_map_title": "{county}: facilities and villages",
        "map_legend_villages_fail": "village failing a rule",
        "map_legend_villages_ok": "village meeting the rules",
        "map_legend_villages_no_data": "village without data",
        "map_legend_actions": "proposed site",
        "map_legend_facilities": "existing facility",
        "modified_note": " (parameters changed by the scenario)",
        "comparison_intro": "The two scenarios side by side: rule results, proposed actions and coverage.",
        "cmp_sec_rules": "1. Rule results",
        "cmp_sec_actions": "2. Proposed actions",
        "cmp_sec_coverage": "3. Coverage",
        "cmp_actions_count": "Actions",
        "cmp_total_cost": "Total cost (10k CNY)",
        "cmp_population_gained": "Population gained (person-services, summed over services)",
        "cmp_rules_pass": "Rules passing",
        "cmp_rules_fail": "Rules failing",
        "cmp_failing_population": "Population affected (sum over rules)",
        "total": "County",
        "rule_levels": "Levels",
        "note_failing_population": "\"Population affected\" sums the residents of the failing areas at the "
                                   "rule's finest level (village, community, township or county).",
    },
}


_UNIT_ZH = {
    "min": "分钟", "km": "公里", "m": "米", "clinics": "所", "hospitals": "所", "centres": "个",
    "facilities": "个", "doctors": "名", "staff": "名", "count": "个", "markets": "个",
    "m2 per 100 households": "平方米/百户", "people per doctor": "人/名医生", "people": "人", "score": "分",
    "grade": "级", "persons": "人", "share": "（比例）",
}

#: English units in the singular, for a value of 1.
_SINGULAR_EN = {"clinics": "clinic", "hospitals": "hospital", "centres": "centre", "facilities": "facility",
                "doctors": "doctor", "markets": "market", "people": "person"}

#: Services of coverage_by_township.csv that are not one facility kind (the others are named by
#: :func:`kind_name`).
_SERVICE = {"zh": {"medical": "医疗机构", "emergency": "急救站点"},
            "en": {"medical": "medical institution", "emergency": "emergency post"}}

_METRIC = {
    "zh": {"walk_time": "步行时间", "drive_time": "驾车时间", "mixed_time": "步行+驾车时间",
           "road_distance": "路网距离", "euclidean": "直线距离", "count": "计数", "attribute": "属性"},
    "en": {"walk_time": "walking time", "drive_time": "driving time", "mixed_time": "walk and drive time",
           "road_distance": "road distance", "euclidean": "straight-line distance", "count": "count",
           "attribute": "attribute"},
}


def unit_name(unit: Any, lang: str) -> str:
    """A unit as the planner reads it (``min`` → 分钟 in Chinese); unknown units unchanged."""
    text = "" if _missing(unit) else str(unit)
    return _UNIT_ZH.get(text, text) if check_lang(lang) == "zh" else text


def action_reason(action: Any, lang: str) -> str:
    """Why an action is proposed, in ``lang``: the ``reason_zh`` of an actions-table row in
    Chinese where the recipe gave one, else its ``reason``; ``""`` when there is none.

    Examples
    --------
    >>> row = {"reason": "new clinic at V4", "reason_zh": "在柳树坪村新建卫生室"}
    >>> action_reason(row, "zh"), action_reason(row, "en"), action_reason({"reason": "x", "reason_zh": ""}, "zh")
    ('在柳树坪村新建卫生室', 'new clinic at V4', 'x')
    """
    zh = action.get("reason_zh") if check_lang(lang) == "zh" else None
    text = zh if isinstance(zh, str) and zh else action.get("reason")
    return "" if _missing(text) else str(text)


def travel_reason(reason: Any, lang: str) -> str:
    """Why a point has no travel time (the ``reason`` of the travel engine's tables), in ``lang``
    (Chinese by :func:`planning.network.reasons.reason_zh`)."""
    text = "" if _missing(reason) else str(reason)
    return reason_zh(text) if check_lang(lang) == "zh" else text


def service_name(service: Any, lang: str) -> str:
    """A service of ``coverage_by_township.csv`` as the planner reads it (``medical`` → 医疗机构;
    a service named after a facility kind by :func:`kind_name`); unknown services unchanged."""
    text = "" if _missing(service) else str(service)
    return _SERVICE[check_lang(lang)].get(text) or kind_name(text, lang)


def metric_name(metric: Any, lang: str) -> str:
    """A metric as the planner reads it (``drive_time`` → 驾车时间)."""
    text = "" if _missing(metric) else str(metric)
    return _METRIC[check_lang(lang)].get(text, text)


#: A threshold written as a comparison with a number (``"≥ 0.95"``).
_BOUND = re.compile(r"^\s*(≥|≤|>|<|=)\s*([0-9]*\.?[0-9]+)\s*$")


def fmt_value(value: Any, unit: Any, lang: str) -> str:
    """A measured value or threshold with its unit; shares as percentages; ``—`` when missing.

    Examples
    --------
    >>> fmt_value(0.8123, "share", "zh"), fmt_value(15, "min", "zh"), fmt_value(None, "min", "en")
    ('81.2%', '15 分钟', '—')
    >>> fmt_value("≥ 1", "share", "zh"), fmt_value("≥ 2", "grade", "zh")
    ('≥ 100.0%', '≥ 2 级')
    >>> fmt_value(1, "hospitals", "en"), fmt_value(2, "hospitals", "en")
    ('1 hospital', '2 hospitals')
    """
    if _missing(value) or (isinstance(value, str) and not value):
        return "—"
    if str(unit) == "share":
        bound = _BOUND.match(value) if isinstance(value, str) else None
        if bound:                        # a share threshold "≥ 1" reads "≥ 100.0%"
            return f"{bound.group(1)} {fmt_share(float(bound.group(2)))}"
        try:
            return fmt_share(float(value))
        except (TypeError, ValueError):
            return str(value)
    try:
        number = float(value)
        text = fmt_num(number, 2)
    except (TypeError, ValueError):
        number, text = math.nan, str(value)
    name = unit_name(unit, lang)
    if lang == "en" and number == 1:     # 1 hospital, 2 hospitals
        name = _SINGULAR_EN.get(name, name)
    return f"{text} {name}".strip()


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is a supported language, else raise.

    Raises
    ------
    InputError
        When ``lang`` is not one of :data:`LANGS`.
    """
    if lang not in LANGS:
        raise InputError("output language", [f"lang must be one of {', '.join(LANGS)}; got {lang!r}"])
    return lang


def label(key: str, lang: str, **values: Any) -> str:
    """The fixed phrase ``key`` in ``lang``, with ``{placeholders}`` filled from ``values``.

    Examples
    --------
    >>> label("minutes", "zh", value=15)
    '15 分钟'
    """
    return _LABELS[check_lang(lang)][key].format(**values)


def paren(text: Any, inner: Any, lang: str) -> str:
    """``text`` followed by ``inner`` in brackets: full-width ``（）`` in Chinese, `` ()`` in English.

    Examples
    --------
    >>> paren("达标率", "15 分钟", "zh"), paren("Share", "15 min", "en")
    ('达标率（15 分钟）', 'Share (15 min)')
    """
    return f"{text}（{inner}）" if lang == "zh" else f"{text} ({inner})"


def status_name(status: str, lang: str) -> str:
    """Planner's word for a compliance status (``pass`` → 达标)."""
    return _STATUS[check_lang(lang)].get(str(status), str(status))


def action_name(action: str, lang: str) -> str:
    """Planner's word for an action type (``new`` → 新建)."""
    return _ACTION[check_lang(lang)].get(str(action), str(action))


def recipe_name(recipe: str, lang: str) -> str:
    """Planner's name of a planning recipe in Chinese (``village_clinics`` → 村卫生室布局); in English,
    and for unknown names, the name itself."""
    return _RECIPE[check_lang(lang)].get(str(recipe), str(recipe))


def model_name(model: str, lang: str) -> str:
    """A recipe's optimisation model as the planner reads it (model acronyms such as LSCP, MCLP,
    PMedian are kept: they are the names in the literature)."""
    return _MODEL[check_lang(lang)].get(str(model), str(model))


def solve_status_name(status: str, lang: str) -> str:
    """Planner's words for a solver status (``optimal`` → 已证明最优); unknown statuses unchanged."""
    return _SOLVE_STATUS[check_lang(lang)].get(str(status), str(status))


_RECIPE = {
    "zh": {"village_clinics": "村卫生室布局", "central_township_hospitals": "中心乡镇卫生院遴选",
           "emergency_network": "农村急救网络", "odd_job_markets": "零工市场布点", "living_circles": "生活圈与健身圈"},
    "en": {},                   # in English the recipe's own name, as the scenario file writes it
}
_MODEL = {
    "zh": {"facility location with assignment (HiGHS)": "带分配的设施选址模型（HiGHS）",
           "LSCP/MCLP per category": "分类别 LSCP/MCLP", "MCLP": "MCLP（最大覆盖）", "LSCP": "LSCP（集合覆盖）",
           "PMedian": "PMedian（p 中位）"},
    "en": {},
}
_SOLVE_STATUS = {
    "zh": {"optimal": "已证明最优", "time_limit": "达到时限（未证明最优）", "heuristic": "启发式解（未证明最优）",
           "infeasible": "无可行解"},
    "en": {"optimal": "proven optimal", "time_limit": "time limit (not proven optimal)",
           "heuristic": "heuristic (not proven optimal)", "infeasible": "infeasible"},
}


_PLURAL_EN = {"village": "villages", "community": "communities", "place": "villages/communities",
              "township": "townships", "county": "counties",
              "province": "provinces", "facility": "facilities", "cell": "population cells"}


def level_name(level: str, lang: str, *, plural: bool = False) -> str:
    """Planner's word for an area level (``village`` → 行政村; English plural when asked)."""
    if plural and check_lang(lang) == "en":
        return _PLURAL_EN.get(str(level), str(level))
    return _LEVEL[check_lang(lang)].get(str(level), str(level))


def kind_name(kind: Any, lang: str) -> str:
    """Name of a facility kind (``village_clinic`` → 村卫生室); unknown kinds are returned as given."""
    try:
        k = FacilityKind(str(kind))
    except ValueError:
        return str(kind)
    return FACILITY_KIND_ZH[k] if check_lang(lang) == "zh" else FACILITY_KIND_EN[k]


def _missing(value: Any) -> bool:
    try:
        return value is None or (isinstance(value, float) and math.isnan(value)) or bool(value != value)
    except (TypeError, ValueError):
        return False


def fmt_int(value: Any) -> str:
    """Integer with thousands separators; ``—`` for missing values.

    Examples
    --------
    >>> fmt_int(12345.4), fmt_int(float("nan"))
    ('12,345', '—')
    """
    if _missing(value):
        return "—"
    return f"{round(float(value)):,}"


def fmt_num(value: Any, digits: int = 1) -> str:
    """Number with ``digits`` decimals (trailing zeros dropped) and thousands separators.

    Examples
    --------
    >>> fmt_num(12.50), fmt_num(3), fmt_num(1234.56, 2)
    ('12.5', '3', '1,234.56')
    """
    if _missing(value):
        return "—"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    text = f"{number:,.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def fmt_share(value: Any) -> str:
    """A 0–1 share as a percentage with one decimal (``0.8734`` → ``87.3%``)."""
    if _missing(value):
        return "—"
    return f"{100.0 * float(value):.1f}%"
