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


@pytest.mark.parametrize("load", ["heavy", "0", "-1", "inf", "nan"])
def test_a_load_that_is_not_normal_surge_or_a_positive_number_is_refused(load, tmp_path, capsys):
    assert main(["--load", load, "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("error: --load must be")


@pytest.mark.parametrize("calls", ["0", "-5", "nan", "inf", "lots"])
def test_calls_per_week_must_be_a_finite_number_more_than_0(calls, tmp_path, capsys):
    assert main(["--calls-per-week", calls, "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("error: --calls-per-week must be")


@pytest.mark.parametrize("options", [["--load", "1000"], ["--calls-per-week", "25000"]])
def test_more_calls_than_the_simulation_takes_are_refused_at_once(options, tmp_path, capsys):
    assert main([*options, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "at most 20,000" in err and err.count("\n") == 1


def test_the_calls_per_week_used_are_reported(tmp_path):
    status = main(
        ["--calls-per-week", "100", "--days", "1", "--strategy", "edf"] + ["--out", str(tmp_path)]
    )

    assert status == 0
    assert json.loads((tmp_path / "summary.json").read_text())["calls_per_week"] == 100
    assert "100 calls a week at load x1" in (tmp_path / "report.txt").read_text()


def test_a_week_with_nobody_on_reports_s47_as_not_applicable_and_the_callers_turned_away(
    tmp_path,
):
    rota = tmp_path / "tuesday.csv"
    rota.write_text(
        "staff_ref,name,role,team,skills,date,weekday,start,end\n"
        "SW1,A,social_worker,t,,,Tue,09:00,17:00\n"
    )

    status = main(
        ["--rota", str(rota), "--days", "1", "--calls-per-week", "600"]
        + ["--strategy", "edf", "--out", str(tmp_path / "out")]
    )

    assert status == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    s47 = summary["strategies"]["edf"]["levels"]["s47"]
    assert s47["requests"] == 0 and s47["in_time_share"] is None
    turned_away = summary["s47_turned_away_in_office_hours"]
    assert turned_away > 0
    report = (tmp_path / "out" / "report.txt").read_text()
    assert any(
        line.split()[:2] == ["edf", "s47"] and line.split()[4] == "n/a"
        for line in report.splitlines()
    )
    assert f"s47 callers turned away in office hours: {turned_away} " in report
    chart = ElementTree.parse(tmp_path / "out" / "chart.svg").getroot()
    titles = [t.text for t in chart.iter("{http://www.w3.org/2000/svg}title")]
    assert "edf s47: n/a" in titles


def test_an_out_that_is_a_file_is_refused_before_the_run(tmp_path, capsys):
    in_the_way = tmp_path / "report"
    in_the_way.write_text("")

    assert main(["--out", str(in_the_way)]) == 2
    err = capsys.readouterr().err
    assert err == f"error: cannot write the report to {in_the_way}: it is a file, not a directory\n"


def test_an_out_under_a_file_is_refused(tmp_path, capsys):
    out = tmp_path / "file" / "report"
    (tmp_path / "file").write_text("")

    assert main(["--out", str(out)]) == 2
    assert capsys.readouterr().err.startswith(f"error: cannot write the report to {out}: ")


def test_a_report_file_that_cannot_be_written_is_refused(tmp_path, capsys):
    (tmp_path / "what-if.txt").mkdir()

    status = main(
        ["--rota", "duty_desk", "--rota", "duty_desk", "--days", "1"] + ["--out", str(tmp_path)]
    )

    assert status == 2
    assert capsys.readouterr().err.startswith(f"error: cannot write the report to {tmp_path}: ")


def test_the_cap_is_said_to_apply_only_where_it_does(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])

    help_text = " ".join(capsys.readouterr().out.split())
    assert "hold under edf_brief and fifo" in help_text


def test_a_missing_rota_file_is_refused(tmp_path, capsys):
    assert main(["--rota", str(tmp_path / "nowhere.csv"), "--out", str(tmp_path)]) == 2
    assert "nowhere.csv" in capsys.readouterr().err


@pytest.mark.parametrize("days", ["0", "92", "100000"])
def test_days_outside_1_to_91_are_refused_at_once(days, tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["--days", days, "--out", str(tmp_path)])

    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "argument --days" in err and "Traceback" not in err
