"""County reports: content in the planner's words, HTML and DOCX, English, comparison, atomic writes."""

from __future__ import annotations

import importlib.util
from html.parser import HTMLParser
from pathlib import Path

import docx
import pytest

from planning._errors import InputError
from planning.maps import external_urls
from planning.reports import Figure, build_comparison, build_report

_spec = importlib.util.spec_from_file_location("tiny_county", Path(__file__).parent / "tiny.py")
tiny = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tiny)

#: Citations of the catalog (document title and clause), as the Chinese report shows them.
CITE_HC01 = "《山西省进一步完善医疗卫生服务体系实施方案》（据《山西晚报》） 双千行动；淮北市规划节选（第二节 补齐基本公共服务短板） 专栏6"
CITE_HC03 = "《山西省进一步深化改革促进乡村医疗卫生体系健康发展若干措施》（晋政办发〔2023〕51号） §(一)3"
CITE_HC04 = "淮北市规划节选（第二节 补齐基本公共服务短板） 专栏6"
CITE_HC06 = "《山西省进一步深化改革促进乡村医疗卫生体系健康发展若干措施》（晋政办发〔2023〕51号） §(二)11"
CITE_EM01 = "山西省《关于优化调整稳就业政策措施全力促发展惠民生的通知》（据《山西日报》） 稳就业"
RULE_COLUMNS_ZH = ["规则", "内容", "依据（文件与条款）", "现状", "规划后", "现状值", "标准", "未达标单元", "涉及人口"]


@pytest.fixture(scope="module")
def report_zh():
    """Before/after report of the tiny county, in Chinese."""
    return build_report(tiny.county(), tiny.compliance(after=True), before=tiny.compliance(), actions=tiny.actions(),
                        coverage_by_township=tiny.coverage_by_township(), solver=tiny.solver(), lang="zh")


@pytest.fixture(scope="module")
def report_now():
    """Report of the current situation only, with the actions."""
    return build_report(tiny.county(), tiny.compliance(), actions=tiny.actions(), lang="zh")


@pytest.fixture(scope="module")
def report_en():
    return build_report(tiny.county(), tiny.compliance(after=True), before=tiny.compliance(), actions=tiny.actions(),
                        coverage_by_township=tiny.coverage_by_township(), solver=tiny.solver(), lang="en")


class _Tables(HTMLParser):
    """Tables of an HTML page by id: header cells and body rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.images: list[str] = []
        self.text: list[str] = []
        self._current: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._current = self.tables.setdefault(a.get("id", ""), [])
        elif tag == "tr" and self._current is not None:
            self._current.append([])
        elif tag in ("td", "th") and self._current is not None:
            self._cell = []
        elif tag == "img":
            self.images.append(a.get("src", ""))

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._current is not None:
            self._current[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._current = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def _html(report, path: Path) -> _Tables:
    report.write_html(path)
    parsed = _Tables()
    parsed.feed(path.read_text(encoding="utf-8"))
    return parsed


def test_html_lists_failing_rules_with_clauses(report_zh, tmp_path):
    page = _html(report_zh, tmp_path / "report.html")
    rules = page.tables["table-rules"]
    assert rules[0] == RULE_COLUMNS_ZH
    by_id = {r[0]: r for r in rules[1:]}
    assert list(by_id) == ["HC-01", "HC-03", "HC-04", "HC-06*", "HC-09", "EM-01"]  # catalog order; * = modified
    # sources cited by document title and clause (the catalog's), not by seed file name
    assert by_id["HC-01"] == ["HC-01", "每个行政村设置1所村卫生室", CITE_HC01, "未达标", "未达标",
                              "—", "1 所", "2/5 行政村", "515"]
    assert by_id["HC-04"][2:] == [CITE_HC04, "未达标", "未达标", "—", "1 所", "1/2 乡镇", "515"]
    assert by_id["HC-06*"][2:] == [CITE_HC06, "未达标", "达标", "81.0%", "95.0%", "1/1 县", "515"]
    assert by_id["HC-03"][3:5] == ["缺数据", "缺数据"]
    assert by_id["HC-09"][3] == "不适用"
    text = "".join(page.text)
    assert "共核查 6 项规则：达标 0 项，未达标 4 项，缺数据 1 项，不适用 1 项。" in text
    assert "未达标规则（4 项，依据条款附后）：" in text
    items = [b.items for b in report_zh.blocks if type(b).__name__ == "Bullets"]
    assert items[0] == [f"HC-01 每个行政村设置1所村卫生室（{CITE_HC01}）",
                        f"HC-04 每个镇办好1所卫生院（{CITE_HC04}）",  # each failing rule with its clause
                        f"HC-06 健全以覆盖农村地区10-20公里为服务半径的县乡村三级农村急救转诊网络（{CITE_HC06}）",
                        f"EM-01 公益性零工市场县县全覆盖，每县至少建成一个零工市场（{CITE_EM01}）"]
    assert items[1] == [f"HC-03 每千名服务人口配备不少于1名乡村医生（{CITE_HC03}）"]
    assert "缺数据不视为达标" in text
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert f"<li>HC-04 每个镇办好1所卫生院（{CITE_HC04}）</li>" in html
    assert ".txt" not in html                 # no seed file names in what planners read
    # residents can gain several services, so the summed gain is in person-services (人次), said so
    assert ("规划建议共 2 项，总投资 150 万元，新增覆盖人口按服务累计 880 人次（同一居民可计入多项服务，"
            "合计可超过总人口）。") in text
    # self-contained: every chart inlined, nothing external
    n_figures = sum(isinstance(b, Figure) for b in report_zh.blocks)
    assert n_figures == 5 and len(page.images) == n_figures
    assert all(src.startswith("data:image/png;base64,") for src in page.images)
    assert external_urls((tmp_path / "report.html").read_text(encoding="utf-8")) == []


def test_township_village_action_and_before_after_tables(report_zh, tmp_path):
    page = _html(report_zh, tmp_path / "report.html")
    assert page.tables["table-township_rules"] == [["乡镇", "HC-04"], ["城关镇", "✓"], ["石门乡", "✗"]]
    assert page.tables["table-township_villages"] == [["乡镇", "HC-01", "未达标村人口"], ["城关镇", "0/3", "0"],
                                                      ["石门乡", "2/2", "515"]]
    assert page.tables["table-coverage"] == [
        ["乡镇", "常住人口", "10 分钟覆盖人口", "15 分钟覆盖人口", "覆盖率（10 分钟）", "覆盖率（15 分钟）"],
        ["城关镇", "2,150", "2,150", "2,150", "100.0%", "100.0%"],
        ["石门乡", "515", "0", "0", "0.0%", "0.0%"],
        ["全县", "2,665", "2,150", "2,150", "80.7%", "80.7%"],
    ]
    text = "".join(page.text)
    assert "各乡镇到最近村卫生室的人口覆盖情况（驾车时间）：" in text     # which service, measured how
    assert "各乡镇村卫生室覆盖率" in [b.caption for b in report_zh.blocks if isinstance(b, Figure)]
    assert page.tables["table-uncovered:HC-01"] == [
        ["行政村", "乡镇", "涉及人口", "现状值", "标准", "说明"],
        ["柳树坪村", "石门乡", "420", "0 所", "1 所", "最近卫生室 22.4 分钟，超过 15 分钟"],
        ["石窑村", "石门乡", "95", "0 所", "1 所", "距路网 2,300 米，无法到达"],
    ]
    assert "HC-01 每个行政村设置1所村卫生室：2 个未达标，涉及 515 人" in page.text
    assert page.tables["table-uncovered_after:HC-01"][1:] == [["石窑村", "石门乡", "95", "0 所", "1 所", "距路网 2,300 米，无法到达"]]
    assert page.tables["table-actions"][1:] == [
        ["新建", "村卫生室", "柳树坪村", "石门乡", "30", "420", "HC-01", "柳树坪村到最近卫生室 22.4 分钟，超过 15 分钟"],
        ["升级", "急救站", "城关镇卫生院", "城关镇", "120", "460", "HC-06", "石门乡在 15 公里急救半径外"],
        ["合计", "", "", "", "150", "880 人次", "", ""],   # summed over services: person-services
    ]
    before_after = {r[0]: r for r in page.tables["table-before_after"][1:]}
    assert before_after["HC-01"][2:] == ["未达标", "未达标", "—", "—", "1 所", "515", "95"]
    assert before_after["HC-06"][2:] == ["未达标", "达标", "81.0%", "98.0%", "95.0%", "515", "0"]
    assert page.tables["table-solver"] == [["方案", "模型", "求解状态", "目标值", "最优性间隙"],
                                           ["村卫生室布局", "LSCP（集合覆盖）", "已证明最优", "30", "0.0%"]]


def test_docx_opens_and_has_the_rule_table(report_zh, tmp_path):
    path = report_zh.write_docx(tmp_path / "report.docx")
    document = docx.Document(str(path))
    headers = [[c.text for c in t.rows[0].cells] for t in document.tables]
    assert RULE_COLUMNS_ZH in headers
    rules = document.tables[headers.index(RULE_COLUMNS_ZH)]
    rows = [[c.text for c in r.cells] for r in rules.rows[1:]]
    assert [r[0] for r in rows] == ["HC-01", "HC-03", "HC-04", "HC-06*", "HC-09", "EM-01"]
    assert rows[0] == ["HC-01", "每个行政村设置1所村卫生室", CITE_HC01, "未达标", "未达标",
                       "—", "1 所", "2/5 行政村", "515"]
    assert len(document.inline_shapes) == 5  # the charts and the static map
    paragraphs = [p.text for p in document.paragraphs]
    bullets = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    assert bullets[1] == f"HC-04 每个镇办好1所卫生院（{CITE_HC04}）"
    assert paragraphs[0] == "示范县公共服务设施覆盖评估报告"
    assert "一、总体情况" in paragraphs and "四、未达标行政村名单" in paragraphs
    # Chinese text in an East Asian font
    assert document.styles["Normal"].element.rPr.rFonts.get(docx.oxml.ns.qn("w:eastAsia")) == "宋体"


def test_english_report(report_en, tmp_path):
    page = _html(report_en, tmp_path / "report_en.html")
    rules = page.tables["table-rules"]
    assert rules[0] == ["Rule", "Requirement", "Source (document, clause)", "Now", "After", "Value", "Threshold",
                        "Failing areas", "Population affected"]
    by_id = {r[0]: r for r in rules[1:]}
    assert by_id["HC-01"][3:] == ["fail", "fail", "—", "1 clinic", "2/5 villages", "515"]
    assert by_id["HC-06*"][3:6] == ["fail", "pass", "81.0%"]
    headings = [b.text for b in report_en.blocks if type(b).__name__ == "Heading"]
    assert headings[:4] == ["1. Summary", "2. Rule by rule", "3. By township", "4. Villages that fail"]
    assert "6 rules checked: 0 pass, 4 fail, 1 without data, 1 not applicable." in "".join(page.text)
    # each action's reason in the report's language (reason in English, reason_zh in Chinese)
    assert [r[-1] for r in page.tables["table-actions"][1:3]] == [
        "nearest clinic 22.4 min from 柳树坪村, beyond 15 min", "石门乡 beyond the 15 km emergency radius"]
    document = docx.Document(str(report_en.write_docx(tmp_path / "report_en.docx")))
    assert document.paragraphs[0].text == "示范县: public service coverage assessment"


def test_comparison_side_by_side(report_zh, report_now, tmp_path):
    now = report_now  # the current situation, with the actions proposed but not applied; no coverage table
    comparison = build_comparison(report_zh, now, names=("方案甲", "现状"), lang="zh")
    page = _html(comparison, tmp_path / "compare.html")
    assert page.tables["table-overview"] == [
        ["指标", "方案甲", "现状"], ["达标规则数", "1", "0"], ["未达标规则数", "3", "4"],
        ["各规则涉及人口合计", "3,275", "4,210"], ["建议数", "2", "2"], ["总投资（万元）", "150", "150"],
        ["新增覆盖人口（人次，按服务累计）", "880", "880"]]
    rules = {r[0]: r for r in page.tables["table-rules"][1:]}
    assert page.tables["table-rules"][0][:3] == ["规则", "内容", "依据（文件与条款）"]
    assert rules["HC-06"][2:] == [CITE_HC06, "达标", "未达标", "0", "515"]   # the clause, as in the report
    assert page.tables["table-coverage"][-1] == ["全县", "80.7%", "—"]
    document = docx.Document(str(comparison.write_docx(tmp_path / "compare.docx")))
    assert document.paragraphs[0].text == "方案比较：方案甲 与 现状"
    with pytest.raises(InputError, match="names must be two scenario names"):
        build_comparison(report_zh, now, names=("only one",))


def test_bad_inputs_listed_at_once():
    bad = tiny.compliance().drop(columns=["source"])
    wrong_status = tiny.compliance()
    wrong_status.loc[3, "status"] = "ok"
    with pytest.raises(InputError) as info:
        build_report(tiny.county(), bad, before=wrong_status, actions=tiny.actions().drop(columns=["cost"]),
                     coverage_by_township=tiny.coverage_by_township()[["township_id", "township_name", "population"]])
    text = str(info.value)
    assert "4 problem(s)" in text
    assert "compliance table: missing column(s) source" in text
    assert "unknown status 'ok' in row(s) 4" in text
    assert "actions table: missing column(s) cost" in text
    assert "no covered_pop_<threshold> column" in text
    with pytest.raises(InputError, match="lang must be one of zh, en"):
        build_report(tiny.county(), tiny.compliance(), lang="fr")
    with pytest.raises(InputError, match="no rows; evaluate the rules first"):
        build_report(tiny.county(), tiny.compliance().iloc[0:0])


def test_same_inputs_give_identical_files(report_now, tmp_path):
    a = report_now
    b = build_report(tiny.county(), tiny.compliance(), actions=tiny.actions(), lang="zh")
    assert a.write_html(tmp_path / "a.html").read_bytes() == b.write_html(tmp_path / "b.html").read_bytes()
    assert a.write_docx(tmp_path / "a.docx").read_bytes() == b.write_docx(tmp_path / "b.docx").read_bytes()


def test_failed_write_leaves_no_file(report_zh, tmp_path):
    blocker = tmp_path / "report.docx"
    blocker.mkdir()  # the target is a directory: the final rename fails
    with pytest.raises(OSError):
        report_zh.write_docx(blocker)
    with pytest.raises(OSError):
        report_zh.write_html(blocker)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.docx"] and not any(blocker.iterdir())
    assert report_zh.write_html(tmp_path / "new" / "report.html").is_file()  # a new directory is created


def test_township_village_counts_count_each_failing_village_once():
    import pandas as pd

    from planning.reports.content import _township_village_counts

    extra = pd.DataFrame([["LC-05", "village", "V5", "石窑村", "fail", 0, 1, "facilities", 95, "V5:石窑村",
                           "drive_time", "001 七(一)", "", False]], columns=tiny.COMPLIANCE_COLUMNS)
    table = _township_village_counts(tiny.county(), pd.concat([tiny.compliance(), extra], ignore_index=True),
                                     ["HC-01", "LC-05"], "en")
    assert table.columns == ["Township", "HC-01", "LC-05", "Residents of failing villages"]
    assert table.rows == [["城关镇", "0/3", "—", "0"], ["石门乡", "2/2", "1/1", "515"]]  # V5's 95 counted once
    assert table.status == [["", "pass", "", ""], ["", "fail", "fail", ""]]


def test_docx_column_widths_fill_the_page_and_keep_short_cells_whole(report_zh, tmp_path):
    from planning.reports.docx import column_widths_cm

    widths = column_widths_cm(["规则", "内容", "结论"], [["HC-01", "每个行政村设置1所村卫生室" * 3, "未达标"],
                                                  ["HC-06*", "健全农村急救转诊网络", "达标"]])
    assert sum(widths) == pytest.approx(17.0)
    assert widths[1] > widths[0] and widths[1] > widths[2]
    assert widths[0] >= 6 * 0.19 + 0.4 and widths[2] >= 6 * 0.19 + 0.4  # 'HC-06*' and '未达标' fit on one line
    document = docx.Document(str(report_zh.write_docx(tmp_path / "report.docx")))
    rules = next(t for t in document.tables if t.rows[0].cells[0].text == "规则")
    grid = [c.width.cm for c in rules.columns]
    assert sum(grid) == pytest.approx(17.0, abs=0.01)
    assert set(sorted(range(len(grid)), key=grid.__getitem__)[-2:]) == {1, 2}  # requirement and source: widest


def test_rule_summary_counts_villages_and_communities_together_and_never_twice():
    import pandas as pd

    from planning.reports import rule_summary

    rows = [  # EM-02: villages and communities fail; township and county rows repeat the same people
        ("EM-02", "village", "V4", "柳树坪村", "fail", 0, 1, "points", 420, "V4:柳树坪村", "count", "001 五(四)", "", False),
        ("EM-02", "village", "V1", "东关村", "pass", 1, 1, "points", 0, "", "count", "001 五(四)", "", False),
        ("EM-02", "community", "C1", "城东社区", "fail", 0, 1, "points", 2500, "C1:城东社区", "count", "001 五(四)", "",
         False),
        ("EM-02", "township", "T2", "石门乡", "fail", 0, 1, "points", 420, "V4:柳树坪村", "count", "001 五(四)", "",
         False),
        ("EM-02", "county", "149999", "示范县", "fail", 0.33, 1, "share", 2920, "", "count", "001 五(四)", "", False),
    ]
    summary = rule_summary(pd.DataFrame(rows, columns=tiny.COMPLIANCE_COLUMNS))
    row = summary.iloc[0]
    assert (row.status, row.finest_level, row.n_areas, row.n_failing, row.failing_population) == (
        "fail", "place", 3, 2, 2920.0)
    assert row.value == 0.33
