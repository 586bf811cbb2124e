"""The rule catalog: every id of RULES.md, validated at load, parameters resolved within ranges."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from planning import InputError, RuleParameterError
from planning.cli import main
from planning.rules import load_catalog, parse_param_assignments
from planning.rules.catalog import _parse

RULE_IDS = ["HC-01", "HC-02", "HC-03", "HC-04", "HC-05", "HC-06", "HC-07", "HC-08", "HC-09", "HC-10",
            "HC-11", "HC-12", "HC-13", "EM-01", "EM-02", "LC-01", "LC-02", "LC-03", "LC-04", "LC-05",
            "ED-01", "ED-02", "ED-03", "SA-01", "SA-02"]


def test_catalog_has_every_rule_of_rules_md(shared_dir):
    text = (shared_dir / "RULES.md").read_text(encoding="utf-8")
    ids = sorted(set(re.findall(r"^\| ((?:HC|EM|LC|ED|SA)-\d{2}) \|", text, flags=re.M)))
    assert len(ids) == 25
    assert sorted(load_catalog().ids) == ids


def test_catalog_ids_in_order_and_sources_exist(shared_dir):
    catalog = load_catalog()
    assert catalog.ids == RULE_IDS
    seeds = {p.name for p in (shared_dir / "seeds").iterdir()}
    for rule in catalog:
        assert rule.title_zh and rule.title_en and rule.source_text_zh and rule.measured_zh and rule.measured_en
        for s in rule.sources:
            assert s.file in seeds, (rule.id, s.file)


def test_catalog_quotes_the_source_text(shared_dir):
    """Key numbers of each quoted clause appear in the seed it cites (simplified-Chinese seeds)."""
    catalog = load_catalog()
    checks = {"LC-02": "15分钟健身圈", "LC-01": "15分钟生活圈", "EM-01": "每县至少建成一个零工市场",
              "ED-01": "至少办好一所公办中心园", "LC-03": "每百户不少于30平方米", "HC-11": "步行或乘车15分钟内"}
    for rule_id, phrase in checks.items():
        rule = catalog[rule_id]
        assert phrase in rule.source_text_zh
        assert any(phrase in (shared_dir / "seeds" / s.file).read_text(encoding="utf-8") for s in rule.sources)


def test_sources_are_cited_by_their_document_title(shared_dir):
    catalog = load_catalog()
    cited = set()
    for rule in catalog:
        for source in rule.sources:
            documents = [d for d in catalog.documents if d.covers(source)]
            assert len(documents) == 1, (rule.id, str(source))
            cited.add(documents[0])
    assert cited == set(catalog.documents)        # every document listed is cited by a rule
    for d in catalog.documents:                   # each title is checked against the words of its seed
        assert d.quote in (shared_dir / "seeds" / d.file).read_text(encoding="utf-8"), (d.file, d.quote)
    # clauses of one document are grouped after its title; documents are joined
    assert catalog.citation("HC-02", "zh") == ("《山西省进一步深化改革促进乡村医疗卫生体系健康发展若干措施》"
                                               "（晋政办发〔2023〕51号） §(一)1、§(一)3")
    assert catalog.citation("HC-12", "en") == (
        "Shanxi measures to further deepen reform and promote the healthy development of the rural medical and "
        "health system (Jin Zheng Ban Fa [2023] No. 51), §(三)17; Lüliang 14th Five-Year Plan for public services "
        "and social security (Lü Zheng Ban Fa [2021] No. 65), 六(一)")
    # one seed file, two documents: each clause goes to its own
    assert catalog.citation("EM-01", "zh") == "山西省《关于优化调整稳就业政策措施全力促发展惠民生的通知》（据《山西日报》） 稳就业"
    assert catalog.citation("HC-07", "zh") == "《山西省进一步完善医疗卫生服务体系实施方案》（据《山西晚报》） 医疗卫生"


def test_documented_parameters():
    c = load_catalog()
    p = c["HC-06"].param("radius_km")
    assert (p.default, p.min, p.max, p.unit) == (15.0, 10.0, 20.0, "km")
    assert c["LC-02"].param("walk_minutes").default == 15.0
    assert c["HC-02"].param("min_population").default == 200.0
    assert c["HC-10"].param("max_residents").min == 30000.0
    assert (c["HC-05"].param("min_count").default, c["HC-05"].param("max_count").default) == (1.0, 3.0)
    with pytest.raises(RuleParameterError, match="HC-06 has no parameter 'radius'; its parameters: radius_km"):
        c["HC-06"].param("radius")
    with pytest.raises(RuleParameterError, match="unknown rule id 'HC-99'"):
        c["HC-99"]


def test_resolve_defaults_and_values_inside_range_edges():
    c = load_catalog()
    r = c.resolve_params({"HC-06": {"radius_km": 10}, "HC-10": {"max_residents": 100000}})
    assert r.value("HC-06", "radius_km") == 10.0
    assert r.value("HC-10", "max_residents") == 100000.0
    assert r.value("LC-01", "walk_minutes") == 15.0
    assert r.modified == frozenset()
    assert c.resolve_params({"HC-06": {"radius_km": 20}}).value("HC-06", "radius_km") == 20.0


def test_out_of_range_refused_with_every_problem():
    c = load_catalog()
    with pytest.raises(RuleParameterError) as err:
        c.resolve_params({"HC-06": {"radius_km": 25, "width": 1}, "LC-01": {"walk_minutes": "fast"},
                          "XX-01": {"a": 1}, "HC-10": {"max_residents": 29999}})
    msg = str(err.value)
    assert "rule parameters: 5 problem(s)" in msg
    assert "HC-06.radius_km = 25 km is outside the allowed range [10, 20] km of 002_ee0bcdb902c06622.txt §(二)11" in msg
    assert "HC-06: unknown parameter 'width'; its parameters: radius_km" in msg
    assert "LC-01.walk_minutes = 'fast' is not a number" in msg
    assert "unknown rule id 'XX-01'" in msg
    assert "HC-10.max_residents = 29999 persons is outside the allowed range [30000, 100000]" in msg
    assert isinstance(err.value, ValueError)


def test_override_accepts_and_marks_modified():
    c = load_catalog()
    r = c.resolve_params({"HC-06": {"radius_km": 25}, "LC-01": {"walk_minutes": 10}},
                         override={"HC-06": True, "LC-01": True})
    assert r.value("HC-06", "radius_km") == 25.0
    assert r.modified == frozenset({"HC-06"})  # LC-01's value lies inside its range: not modified
    with pytest.raises(RuleParameterError, match="override: unknown rule id 'HC-66'"):
        c.resolve_params({}, override={"HC-66": True})


def test_parse_param_assignments():
    assert parse_param_assignments(["HC-06.radius_km=12", "HC-06.radius_km = 13", "LC-01.walk_minutes=10"]) == {
        "HC-06": {"radius_km": 13.0}, "LC-01": {"walk_minutes": 10.0}}
    with pytest.raises(RuleParameterError, match=r"(?s)2 problem\(s\).*#1 'radius=12'.*#2 'HC-06.radius_km=x'"):
        parse_param_assignments(["radius=12", "HC-06.radius_km=x"])


def _text() -> str:
    return resources.files("planning.rules").joinpath("catalog.yaml").read_text(encoding="utf-8")


def test_invalid_catalog_rejected_with_every_problem():
    text = _text()
    broken = text.replace("id: HC-02", "id: HC-01", 1).replace(
        "{name: radius_km, default: 15, unit: km, min: 10, max: 20,", "{name: radius_km, default: 25, unit: km, min: 10, max: 20,", 1)
    with pytest.raises(InputError, match="radius_km: default 25.0 outside") as err:
        _parse(broken, "test")
    assert "rule catalog test" in str(err.value)
    dup = text.replace("id: HC-02", "id: HC-01", 1)
    with pytest.raises(InputError, match=r"duplicate rule ids \['HC-01'\]"):
        _parse(dup, "test")
    bad_kind = text.replace("kinds: [tcm_hospital]", "kinds: [tcm_hopsital]", 1)
    with pytest.raises(InputError, match="rules.7.kinds.0"):
        _parse(bad_kind, "test")
    with pytest.raises(InputError, match="not valid YAML"):
        _parse("rules: [", "test")
    orphan = text.replace("clauses: [稳就业]", "clauses: [就业]", 1)
    with pytest.raises(InputError, match=r"rule EM-01: source '000_080be81f09aded05.txt 稳就业' lies in no document"):
        _parse(orphan, "test")
    twice = text.replace("clauses: [稳就业]", "clauses: [稳就业, 双千行动]", 1)
    with pytest.raises(InputError, match=r"rule HC-01: source '000_080be81f09aded05.txt 双千行动' lies in 2 documents"):
        _parse(twice, "test")


def test_cli_rules_json(capsys):
    assert main(["rules", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["id"] for d in data] == RULE_IDS
    hc06 = next(d for d in data if d["id"] == "HC-06")
    assert hc06["params"][0] == {"name": "radius_km", "default": 15.0, "min": 10.0, "max": 20.0, "unit": "km",
                                 "description_zh": "急救转诊服务半径（道路距离）",
                                 "description_en": "emergency service radius (road distance)"}
    assert hc06["levels"] == ["village", "township", "county"]
    assert hc06["source"] == "002_ee0bcdb902c06622.txt §(二)11"
    assert hc06["citation_zh"] == "《山西省进一步深化改革促进乡村医疗卫生体系健康发展若干措施》（晋政办发〔2023〕51号） §(二)11"
    assert set(data[0]) >= {"id", "title_zh", "title_en", "source", "params", "levels"}


def test_cli_rules_table(capsys):
    assert main(["rules", "--lang", "en"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "id | rule | source | parameters | levels"
    assert len(out) == 26
    assert any(line.startswith("HC-06 | A county-township-village") and "radius_km=15 km [10–20]" in line
               and "(Jin Zheng Ban Fa [2023] No. 51), §(二)11 |" in line for line in out)
    assert not any(".txt" in line for line in out)      # sources by document title, not seed file name
    assert main(["rules"]) == 0
    assert "每个县重点办好一所中等职业学校" in capsys.readouterr().out
