"""What to bring and how to apply (issue 13, part 2): a partner writes them in
the fiche form or its file; they come back unchanged through the partner's
CSV and XLSX templates, the open-data CSV and the data·inclusion export
re-imported elsewhere, and the fiche shows them."""

import csv
import datetime
import io
import json

import pytest
from conftest import copy_db
from data_inclusion.schema.v1 import Service
from openpyxl import load_workbook
from partner_helpers import content, open_db, text, token_of, upload

from directory import create_app
from directory.search.hours import PARIS

from .test_edit import HALTE, form_of, submit, url

TODAY = datetime.datetime(2026, 11, 26, 10, tzinfo=PARIS)
HOW = {
    "justificatifs": "Pièce d'identité ; Avis d'imposition 2025 ; Facture d'énergie",
    "modes_orientation_beneficiaire": "se-presenter, telephoner",
    "modes_orientation_accompagnateur": (
        "telephoner, envoyer-une-fiche-de-prescription"
    ),
    "mobilisation_precisions": "Appeler le matin ; venir 10 minutes avant.",
}
FIELDS = tuple(HOW)


@pytest.fixture
def partner(app, auth):
    app.config["CLOCK"] = lambda: TODAY
    auth.login()
    return auth.client


@pytest.fixture
def filled(app, partner):
    """HALTE with what to bring and how to apply, entered in the fiche form."""
    response = submit(
        partner,
        HALTE,
        justificatifs="Pièce d'identité\r\nAvis d'imposition 2025\r\n\r\n"
        "Facture d'énergie",
        modes_orientation_beneficiaire=["se-presenter", "telephoner"],
        modes_orientation_accompagnateur=[
            "telephoner",
            "envoyer-une-fiche-de-prescription",
        ],
        mobilisation_precisions="Appeler le matin ; venir 10 minutes avant.",
    )
    assert response.status_code == 302, text(response)
    return partner


def stored(app, service_id=HALTE):
    with open_db(app) as db:
        row = db["services"].get(service_id)
    return {name: row[name] for name in FIELDS}


def test_the_form_writes_them_and_shows_them_again(app, filled):
    assert stored(app) == HOW
    data = form_of(filled.get(url(HALTE)))
    assert data["justificatifs"] == [
        "Pièce d'identité\nAvis d'imposition 2025\nFacture d'énergie"
    ]
    assert data["modes_orientation_beneficiaire"] == ["se-presenter", "telephoner"]
    assert data["modes_orientation_accompagnateur"] == [
        "telephoner",
        "envoyer-une-fiche-de-prescription",
    ]
    page = text(filled.get(f"/services/{HALTE}"))
    assert "À apporter" in page
    for item in ("Pièce d'identité", "Avis d'imposition 2025", "Facture d'énergie"):
        assert item in page
    assert "Vous-même : Se présenter sur place, téléphoner." in page
    assert (
        "Par un professionnel (travailleur social, conseiller) : Téléphoner, "
        "envoyer une fiche de prescription." in page
    )
    assert "Appeler le matin ; venir 10 minutes avant." in page


def test_the_form_refuses_an_unknown_mode_in_french(app, partner):
    before = stored(app)
    response = submit(partner, HALTE, modes_orientation_beneficiaire=["teleporter"])
    assert response.status_code == 400
    assert "« teleporter » inconnu" in text(response)
    assert stored(app) == before


def test_the_csv_template_carries_them_and_comes_back_unchanged(app, filled):
    data = filled.get("/partenaires/modele.csv").data
    rows = [
        row
        for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";")
        if not row["id"].startswith("#")
    ]
    mine = next(row for row in rows if row["id"] == HALTE)
    assert {name: mine[name] for name in FIELDS} == HOW
    with open_db(app) as db:
        before = content(db)
    page = text(upload(filled, data, "modele.csv"))
    assert "<strong>0</strong> modifié(s)" in page
    with open_db(app) as db:
        assert content(db) == before
    # A changed cell in the file is a change like any other.
    changed = data.replace(b"Avis d'imposition 2025", b"Avis d'imposition 2026")
    preview = upload(filled, changed, "modele.csv")
    assert "<strong>1</strong> modifié(s)" in text(preview)
    done = filled.post(
        "/partenaires/import/confirmer", data={"jeton": token_of(preview)}
    )
    assert done.status_code == 302
    assert stored(app)["justificatifs"] == (
        "Pièce d'identité ; Avis d'imposition 2026 ; Facture d'énergie"
    )


def test_the_xlsx_template_carries_them(app, filled):
    workbook = load_workbook(io.BytesIO(filled.get("/partenaires/modele.xlsx").data))
    sheet = workbook["Services"]
    header = [c.value for c in sheet[1]]
    row = next(
        [c.value for c in r] for r in sheet.iter_rows(min_row=2) if r[0].value == HALTE
    )
    values = dict(zip(header, row, strict=True))
    assert {name: values[name] for name in FIELDS} == HOW
    buffer = io.BytesIO()
    workbook.save(buffer)
    page = text(upload(filled, buffer.getvalue(), "modele.xlsx"))
    assert "<strong>0</strong> modifié(s)" in page


def test_a_file_without_the_new_columns_keeps_them(app, filled):
    """A file made from the template of before issue 13 empties nothing."""
    data = filled.get("/partenaires/modele.csv").data.decode("utf-8-sig")
    lines = [
        line
        for line in csv.reader(io.StringIO(data), delimiter=";")
        if line and not line[0].startswith("#")
    ]
    keep = [i for i, name in enumerate(lines[0]) if name not in FIELDS]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    for line in lines:
        writer.writerow([line[i] for i in keep])
    page = text(upload(filled, out.getvalue().encode(), "ancien-modele.csv"))
    assert "<strong>0</strong> modifié(s)" in page
    assert stored(app) == HOW


def test_the_open_data_csv_carries_them(app, filled):
    data = filled.get("/export/services.csv").data.decode("utf-8-sig")
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(data), delimiter=";")}
    assert {name: rows[HALTE][name] for name in FIELDS} == HOW


def test_the_data_inclusion_export_round_trips(
    app, filled, reference_db_path, tmp_path
):
    """Exported as data·inclusion (justificatifs, modes_orientation_*, v1's
    modes_mobilisation), read back by another directory: the same values."""
    services = filled.get("/export/data-inclusion/services.json").get_json()
    structures = filled.get("/export/data-inclusion/structures.json").get_json()
    halte = next(s for s in services if s["id"].endswith(f"--{HALTE}"))
    Service.model_validate(halte, context={"ignore_warnings": False})
    assert halte["justificatifs"] == [
        "Pièce d'identité",
        "Avis d'imposition 2025",
        "Facture d'énergie",
    ]
    assert halte["modes_orientation_beneficiaire"] == ["se-presenter", "telephoner"]
    assert halte["modes_orientation_accompagnateur"] == [
        "telephoner",
        "envoyer-une-fiche-de-prescription",
    ]
    assert halte["modes_mobilisation"] == ["se-presenter", "telephoner"]
    assert halte["mobilisable_par"] == ["professionnels", "usagers"]
    assert halte["mobilisation_precisions"] == HOW["mobilisation_precisions"]
    (tmp_path / "services.json").write_text(json.dumps(services), "utf-8")
    (tmp_path / "structures.json").write_text(json.dumps(structures), "utf-8")
    # Another directory: a database of its own, with no service yet.
    path = copy_db(reference_db_path, tmp_path, "autre.db")
    other = create_app({"TESTING": True, "DATABASE": str(path)})
    result = other.test_cli_runner().invoke(
        args=[
            "import-datainclusion",
            str(tmp_path / "services.json"),
            str(tmp_path / "structures.json"),
        ]
    )
    assert result.exit_code == 0, result.output
    with open_db(other) as db:
        rows = list(db["services"].rows_where("id_source = ?", [halte["id"]]))
    assert len(rows) == 1, result.output
    assert {name: rows[0][name] for name in FIELDS} == HOW
