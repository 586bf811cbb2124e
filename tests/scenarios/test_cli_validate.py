"""`planning validate`: exit 0 valid, 2 invalid with the error list."""

from __future__ import annotations

from planning.cli import main


def test_validate_exit_codes(tmp_path, capsys):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "county.yaml").write_text("county_id: x\n", encoding="utf-8")
    good = tmp_path / "good.yaml"
    good.write_text("county: c\nrecipes: {odd_job_markets: {}}\nedits: {close_facilities: [F1]}\n", encoding="utf-8")
    assert main(["validate", str(good)]) == 0
    out = capsys.readouterr().out
    assert "valid" in out and "recipes: odd_job_markets" in out and "1 edit(s)" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text("county: c\ntravel:\n  walk_speed_kph: 0\n  terain: false\n", encoding="utf-8")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: scenario file {bad}: 2 problem(s)")
    assert f"{bad}:3: travel.walk_speed_kph: Input should be greater than 0; got 0" in err
    assert f"{bad}:4: travel.terain: unknown key 'terain' in travel" in err


def test_validate_load_county_checks_edits(tiny_county_dir, tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text(f"county: {tiny_county_dir}\nedits:\n  close_facilities: [F1, F404]\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 0  # ids are only known once the county is loaded
    capsys.readouterr()
    assert main(["validate", str(path), "--load-county"]) == 2
    err = capsys.readouterr().err
    assert f"{path}:3: edits.close_facilities[1]: facility id 'F404' not found in the county's facilities" in err


def test_unexpected_failure_exits_3(tmp_path, capsys, monkeypatch):
    import planning.scenarios

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(planning.scenarios, "validate_scenario_file", broken)
    assert main(["validate", str(tmp_path / "any.yaml")]) == 3
    err = capsys.readouterr().err
    assert "Traceback" in err and err.strip().endswith(
        "internal error: RuntimeError: disk on fire; please report it with the traceback above")
