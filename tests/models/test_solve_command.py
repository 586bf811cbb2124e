"""``planning solve`` end to end on a small CSV (in-process and as a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from planning.cli import main

OD = """origin_id,destination_id,travel_time_min
v1,s1,0
v1,s2,4
v1,s3,9
v2,s1,3
v2,s2,2
v2,s3,9
v3,s1,9
v3,s2,3
v3,s3,1
"""


@pytest.fixture()
def files(tmp_path):
    od = tmp_path / "od.csv"
    od.write_text(OD, encoding="utf-8")
    w = tmp_path / "w.csv"
    w.write_text("origin_id,weight\nv1,5\nv2,1\nv3,2\n", encoding="utf-8")
    return od, w


def test_pmedian_json(files, capsys) -> None:
    od, w = files
    assert main(["solve", "--model", "pmedian", "--costs", str(od), "--weights", str(w), "--p", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"model", "status", "objective", "bound", "gap", "selected", "assignment", "solve_seconds"}
    # s1: 5*0 + 1*3 + 2*9 = 21; s2: 5*4 + 2 + 2*3 = 28; s3: 45 + 9 + 2 = 56
    assert (out["model"], out["status"], out["objective"], out["selected"]) == ("pmedian", "optimal", 21.0, ["s1"])
    assert out["assignment"] == {"v1": "s1", "v2": "s1", "v3": "s1"}


def test_lscp_fixed_and_table(files, capsys) -> None:
    od, _ = files
    assert main(["solve", "--model", "lscp", "--costs", str(od), "--threshold", "3", "--fixed", "s3",
                 "--format", "table"]) == 0
    out = capsys.readouterr().out
    assert "status      optimal" in out and "objective   1.0" in out and "selected    s1, s3" in out


def test_mclp_and_pcenter(files, capsys) -> None:
    od, w = files
    assert main(["solve", "--model", "mclp", "--costs", str(od), "--weights", str(w), "--p", "1",
                 "--threshold", "2"]) == 0
    assert json.loads(capsys.readouterr().out)["objective"] == 5.0
    assert main(["solve", "--model", "pcenter", "--costs", str(od), "--p", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["objective"], out["selected"]) == (4.0, ["s2"])


def test_bad_input_exit_code_and_message(files, capsys) -> None:
    od, _ = files
    assert main(["solve", "--model", "mclp", "--costs", str(od)]) == 2
    err = capsys.readouterr().err
    assert "--p is required for mclp" in err and "--threshold is required for mclp" in err
    assert main(["solve", "--model", "lscp", "--costs", str(od), "--threshold", "0.5"]) == 3
    assert "no candidate within the threshold 0.5: v2, v3" in capsys.readouterr().err


def test_lscp_min_coverage(files, capsys) -> None:
    od, w = files
    # within 0.5 only v1 (weight 5 of 8) is coverable, by s1
    args = ["solve", "--model", "lscp", "--costs", str(od), "--weights", str(w), "--threshold", "0.5"]
    assert main(args + ["--min-coverage", "0.6"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["status"], out["objective"], out["selected"]) == ("optimal", 1.0, ["s1"])
    assert main(args + ["--min-coverage", "0.7"]) == 3
    err = capsys.readouterr().err
    assert "at most 5 of 8 weight (62.5%) can be covered within 0.5" in err and "min_coverage_share is 70.0%" in err
    assert "--min-coverage" in err
    assert main(args) == 3                       # every origin: the hint names the flag
    assert "lower min_coverage_share (planning solve: --min-coverage)" in capsys.readouterr().err
    assert main(["solve", "--model", "mclp", "--costs", str(od), "--p", "1", "--threshold", "2",
                 "--min-coverage", "0.9"]) == 2
    assert "--min-coverage applies to --model lscp only" in capsys.readouterr().err
    assert main(args + ["--min-coverage", "0"]) == 2
    assert "--min-coverage must be in (0, 1]" in capsys.readouterr().err


def test_every_problem_of_the_od_and_weight_files_in_one_message(tmp_path, capsys) -> None:
    od = tmp_path / "od.csv"
    # data rows (1 = the first under the header): 2 repeats 1, 3 and 6 lack an id, 4 is negative, 5 is text
    od.write_text("origin_id,destination_id,travel_time_min\nv1,s1,1\nv1,s1,2\n,s2,3\nv2,s2,-1\nv2,s1,abc\n"
                  "v3,,4\nv3,s2,4\n", encoding="utf-8")
    w = tmp_path / "w.csv"
    w.write_text("origin_id,weight\nv1,5\nv2,-1\nv3,x\n", encoding="utf-8")
    assert main(["solve", "--model", "lscp", "--costs", str(od), "--weights", str(w), "--threshold", "5"]) == 2
    err = capsys.readouterr().err
    assert "OD table: 6 problem(s)" in err
    for text in ("empty origin_id at row(s) 3;", "empty destination_id at row(s) 6;",
                 "repeated origin/destination pairs at row(s) 2;", "negative travel_time_min at row(s) 4;",
                 "non-numeric travel_time_min at row(s) 5;", "not so for origin id(s) v2, v3"):
        assert text in err, text
    assert "Traceback" not in err


def test_subprocess(files) -> None:
    od, w = files
    done = subprocess.run(
        [sys.executable, "-m", "planning", "solve", "--model", "pmedian", "--costs", str(od), "--p", "2"],
        capture_output=True, text=True, check=True,
    )
    out = json.loads(done.stdout)
    assert out["objective"] == 4.0 and out["selected"] == ["s1", "s3"]  # 0 + 3 + 1


def test_subprocess_stdout_is_only_the_json(tmp_path) -> None:
    # this MCLP runs HiGHS, whose banner ("Running HiGHS ...") once went to stdout before the JSON
    od = tmp_path / "od.csv"
    od.write_text("origin_id,destination_id,travel_time_min\n"
                  + "".join(f"v{i},s{j},{(i * 7 + j * 13 + i * j) % 17}\n" for i in range(40) for j in range(15)),
                  encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "planning", "solve", "--model", "mclp", "--costs", str(od), "--threshold", "3",
         "--p", "3"],
        capture_output=True, text=True, check=True,
    )
    assert done.stdout.startswith("{"), done.stdout[:200]
    assert json.loads(done.stdout)["status"] == "optimal" and done.stderr == ""


def test_output_cut_short_by_the_reader_ends_quietly(tmp_path) -> None:
    # `planning solve ... | head`: the reader closes the pipe before the JSON (over a pipe's buffer) is written
    od = tmp_path / "od.csv"
    od.write_text("origin_id,destination_id,travel_time_min\n"
                  + "".join(f"village-{i:05d},s{j},{(i * 7 + j * 3) % 11}\n" for i in range(6000) for j in range(2)),
                  encoding="utf-8")
    with subprocess.Popen(
        [sys.executable, "-m", "planning", "solve", "--model", "pmedian", "--costs", str(od), "--p", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdout.read(10).startswith(b"{")
        proc.stdout.close()
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=120) == 1
    assert "Traceback" not in err and "BrokenPipeError" not in err, err


def test_capacity_routes_to_capacitated_pmedian(files, tmp_path, capsys) -> None:
    od, w = files
    cap = tmp_path / "cap.csv"
    cap.write_text("destination_id,capacity\ns1,6\ns2,6\ns3,6\n", encoding="utf-8")
    # demand 5 + 1 + 2 = 8 > 6: one site cannot serve everyone, so p = 1 is infeasible and p = 2 is not
    assert main(["solve", "--model", "pmedian", "--costs", str(od), "--weights", str(w), "--p", "2",
                 "--capacity", str(cap)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["model"] == "capacitated_pmedian" and out["status"] == "optimal"
    assert out["selected"] == ["s1", "s3"] and out["objective"] == 4.0  # v1->s1 0, v2->s1 3, v3->s3 1
    assert out["assignment"] == {"v1": "s1", "v2": "s1", "v3": "s3"}


def test_capacity_with_fixed_counts_p_besides_fixed(files, tmp_path, capsys) -> None:
    od, w = files
    cap = tmp_path / "cap.csv"
    cap.write_text("destination_id,capacity\ns1,6\ns2,6\ns3,6\n", encoding="utf-8")
    assert main(["solve", "--model", "pmedian", "--costs", str(od), "--weights", str(w), "--p", "1",
                 "--fixed", "s3", "--capacity", str(cap)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["selected"] == ["s1", "s3"] and out["objective"] == 4.0


def test_threads_and_gap_options(files, capsys) -> None:
    od, w = files
    assert main(["solve", "--model", "pmedian", "--costs", str(od), "--weights", str(w), "--p", "1",
                 "--threads", "2", "--gap", "0.01"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["status"], out["objective"], out["selected"]) == ("optimal", 21.0, ["s1"])
    assert main(["solve", "--model", "pmedian", "--costs", str(od), "--p", "1", "--threads", "0",
                 "--gap", "5"]) == 2
    err = capsys.readouterr().err
    assert "--gap must be in [0, 1)" in err and "--threads must be at least 1; got 0" in err


def test_method_heuristic(files, capsys) -> None:
    od, w = files
    for model, extra in (("lscp", ["--threshold", "3"]), ("mclp", ["--threshold", "2", "--p", "1"]),
                         ("pmedian", ["--p", "1"]), ("pcenter", ["--p", "1"])):
        assert main(["solve", "--model", model, "--costs", str(od), "--weights", str(w), "--method", "heuristic",
                     *extra]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["status"] == "heuristic" and out["selected"], (model, out)
        assert (out["bound"] >= out["objective"]) if model == "mclp" else (out["bound"] <= out["objective"]), out
