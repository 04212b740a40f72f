import json
from xml.etree import ElementTree

import pytest

from callrouter.simulation.cli import main


def test_simulate_writes_a_report_a_chart_and_a_summary(tmp_path, capsys):
    status = main(["--rota", "duty_desk", "--days", "2", "--seed", "3", "--out", str(tmp_path)])

    assert status == 0
    report = (tmp_path / "report.txt").read_text()
    assert "Weighted misses" in report and "offline bound" in report
    assert report in capsys.readouterr().out
    svg = ElementTree.parse(tmp_path / "chart.svg").getroot()
    assert svg.tag.endswith("svg")
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert set(summary["strategies"]) == {"edf", "edf_sw_only", "edf_brief", "fifo", "round_robin"}
    assert summary["bound"]["weighted_misses"] <= summary["strategies"]["edf"]["weighted_misses"]


def test_one_strategy_on_a_rota_file_at_a_numeric_load(tmp_path):
    rota = tmp_path / "my_team.csv"
    rota.write_text(
        "staff_ref,name,role,team,skills,date,weekday,start,end\n"
        "SW1,A,social_worker,t,,,Mon,09:00,17:00\n"
        "EH1,B,early_help_worker,t,,,Mon,09:00,17:00\n"
    )
    out = tmp_path / "out"

    status = main(
        ["--rota", str(rota), "--days", "1", "--load", "1.5"]
        + ["--strategy", "edf", "--out", str(out)]
    )

    assert status == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["rota"] == "my_team"
    assert summary["load"] == 1.5
    assert list(summary["strategies"]) == ["edf"]


def test_a_front_door_rota_joined_to_the_edt_rota_runs_as_one(tmp_path):
    status = main(["--rota", "duty_desk+edt", "--days", "2", "--seed", "3", "--out", str(tmp_path)])

    assert status == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["rota"] == "duty_desk+edt"
    report = (tmp_path / "report.txt").read_text()
    assert "edt_social_worker" in report  # its time on call-backs is reported like anyone's


def test_a_rota_with_a_bad_line_is_refused_naming_the_line(tmp_path, capsys):
    rota = tmp_path / "bad.csv"
    rota.write_text(
        "staff_ref,name,role,team,skills,date,weekday,start,end\n"
        "SW1,A,social_worker,t,,,Mon,09:00,17:00\n"
        "SW2,B,social_worker,t,,,Someday,09:00,17:00\n"
    )

    assert main(["--rota", str(rota), "--out", str(tmp_path / "out")]) == 2
    assert "rota line 3" in capsys.readouterr().err


@pytest.mark.parametrize("load", ["heavy", "0", "-1"])
def test_a_load_that_is_not_normal_surge_or_a_positive_number_is_refused(load, tmp_path, capsys):
    assert main(["--load", load, "--out", str(tmp_path)]) == 2
    assert "--load" in capsys.readouterr().err


def test_a_missing_rota_file_is_refused(tmp_path, capsys):
    assert main(["--rota", str(tmp_path / "nowhere.csv"), "--out", str(tmp_path)]) == 2
    assert "nowhere.csv" in capsys.readouterr().err
