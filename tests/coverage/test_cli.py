"""`flask couverture` (issue 15): the summary in the terminal, a need's communes
beyond the threshold, the CSV table; an unknown need is refused in French."""

import csv
import io

from directory.coverage.load import load
from directory.db import get_db


def test_summary_and_a_need_s_far_communes(app, runner):
    result = runner.invoke(args=["couverture", "--besoin", "mobilite"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Territoire 15 : 250 communes, ")
    assert any(line.startswith("Se déplacer ") for line in lines)
    with app.app_context():
        coverage = load(get_db(), "15")
    far = coverage.beyond("mobilite")
    header = f"Se déplacer : {len(far)} communes au-delà de 30 km"
    assert header in lines
    listed = lines[lines.index(header) + 1 :]
    assert len(listed) == len(far) > 0
    first = far[0]
    assert listed[0].startswith(f"  {first['commune']} ({first['code_insee']}), ")
    summary = next(s for s in coverage.summary() if s["besoin"] == "mobilite")
    row = next(line for line in lines if line.startswith("Se déplacer "))
    assert f"{summary['communes_au_dela']} communes" in row
    assert f"{round(summary['part_a'][30] * 100)} %" in row


def test_csv_table_of_every_commune_and_need(app, runner, tmp_path):
    path = tmp_path / "couverture.csv"
    result = runner.invoke(args=["couverture", "--csv", str(path)])
    assert result.exit_code == 0, result.output
    text = path.read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert len(rows) == 250 * 16
    assert {r["besoin"] for r in rows} >= {"mobilite", "energie", "alimentation"}
    aurillac = next(
        r for r in rows if r["code_insee"] == "15014" and r["besoin"] == "alimentation"
    )
    assert aurillac["km"] == "0,0" and aurillac["service_id"]
    assert aurillac["a_distance"] == "non"


def test_unknown_need_is_refused(runner):
    result = runner.invoke(args=["couverture", "--besoin", "teleportation"])
    assert result.exit_code == 2
    assert "besoin inconnu : teleportation" in result.output
