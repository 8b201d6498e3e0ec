"""Issue 10.11: the partner template carries its help apart from the rows
(XLSX sheet « Aide », CSV `#` comment lines), and reads back cleanly."""

import io

from conftest import DATA
from openpyxl import load_workbook
from partner_helpers import MINE, csv_bytes

from directory.imports.report import format_lines
from directory.opendata.partner_template import template_csv, template_xlsx

SEED = (DATA / "services.csv").read_bytes()
NEW_ID = f"{MINE}--permanence-murat"


def own_rows(db):
    return list(db["services"].rows_where("structure_id = ?", [MINE], order_by="id"))


def new_row(row):
    return {
        **row,
        "id": NEW_ID,
        "nom": "Permanence d'écoute à Murat",
        "commune": "Murat",
        "code_postal": "15300",
        "adresse": "",
        "latitude": "",
        "longitude": "",
        "code_insee": "",
    }


def test_csv_template_filled_with_one_row_imports_without_error(
    db, import_bytes, prepare
):
    import_bytes(SEED)
    rows = own_rows(db)
    data = template_csv(rows)
    text = data.decode("utf-8-sig")
    assert text.startswith("id;statut;nom;")
    assert "# Les lignes qui commencent par # sont ignorées à l'import" in text
    # The partner adds a service at the bottom, under the help lines.
    added = template_csv([new_row(rows[0])]).decode("utf-8-sig").split("\r\n")[1]
    filled = (text + added + "\r\n").encode("utf-8-sig")
    report = prepare(filled)
    assert report.ok, format_lines(report.errors)
    assert [r["id"] for r in report.new] == [NEW_ID]
    assert report.rows_read == len(rows) + 1
    assert report.counts["inchanges"] == len(rows)
    assert not [w for w in report.warnings if "aide" in w.text or w.line is None]


def test_xlsx_template_help_is_a_sheet_and_a_filled_row_imports(
    db, import_bytes, prepare
):
    import_bytes(SEED)
    rows = own_rows(db)
    workbook = load_workbook(io.BytesIO(template_xlsx(rows)))
    assert workbook.sheetnames == ["Services", "Aide"]
    sheet = workbook["Services"]
    assert sheet.max_row == 1 + len(rows)  # no help row among the services
    header = [c.value for c in sheet[1]]
    sheet.append([new_row(rows[0]).get(c) or None for c in header])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = prepare(buffer.getvalue(), "modele.xlsx")
    assert report.ok, format_lines(report.errors)
    assert [r["id"] for r in report.new] == [NEW_ID]
    assert not [w for w in report.warnings if "aide" in w.text or w.line is None]


def test_comment_lines_before_the_header_are_skipped(db, prepare):
    seed = SEED.decode("utf-8").split("\n", 1)
    data = "# Export du 01/12/2026, ligne de commentaire\n" + "\n".join(seed)
    report = prepare(data.encode("utf-8"))
    assert report.ok, format_lines(report.errors)
    assert report.delimiter == ","
    assert report.new


def test_a_row_that_looks_like_the_help_row_is_warned_and_skipped(prepare):
    rows = [
        {
            "id": "Obligatoire, ne jamais modifier",
            "nom": "Obligatoire, 3 à 150 caractères",
            "description": "Obligatoire",
            "structure_id": "Obligatoire, identifiant de votre structure",
            "thematiques": "Facultatif",
            "code_insee": "Automatique",
        },
    ]
    seed = SEED.decode("utf-8").splitlines()
    header = seed[0].split(",")
    help_line = csv_bytes(rows, delimiter=",", encoding="utf-8", columns=header)
    data = help_line + "\n".join(seed[1:3]).encode("utf-8") + b"\n"
    report = prepare(data)
    assert report.ok, format_lines(report.errors)
    assert len(report.new) == 2
    assert format_lines(report.warnings) == [
        "ligne 2 · cette ligne ressemble à la ligne d'aide du modèle (« Obligatoire "
        "», « Facultatif »…) : elle est ignorée. Supprimez-la de votre fichier ; "
        "l'aide du modèle est dans sa feuille « Aide » (XLSX) ou ses lignes # (CSV)."
    ]
