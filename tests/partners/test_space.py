"""Partner dashboard, « Rien n'a changé », template download, history and undo."""

import datetime
import io
import re

import pytest
from openpyxl import load_workbook
from partner_helpers import (
    MINE,
    OTHER,
    AuthActions,
    content,
    open_db,
    seed_rows,
    text,
    upload,
)

from directory.db import get_db
from directory.imports import engine as importer
from directory.search.hours import PARIS

HALTE = f"{MINE}--halte-de-nuit-aurillac"
ACCUEIL = f"{MINE}--accueil-de-jour-aurillac"
TODAY = datetime.date(2027, 3, 15)


@pytest.fixture
def partner(app, auth):
    """Logged-in partner, with the clock on TODAY."""
    moment = datetime.datetime.combine(TODAY, datetime.time(10), tzinfo=PARIS)
    app.config["CLOCK"] = lambda: moment
    auth.login()
    return auth.client


def row_of(page, service_id):
    """The dashboard's table row of one service."""
    match = re.search(
        rf'<tr>\s*<th scope="row"><a href="/services/{service_id}">.*?</tr>',
        page,
        re.S,
    )
    assert match, service_id
    return match.group(0)


def test_dashboard_lists_own_services_with_freshness(partner):
    page = text(partner.get("/partenaires/"))
    name = seed_rows(MINE)[0]["structure_nom"]
    assert f"Structures gérées : <strong>{name}</strong> ({MINE})" in page
    ids = re.findall(r'<th scope="row"><a href="/services/([^"]+)"', page)
    assert sorted(ids) == sorted(r["id"] for r in seed_rows(MINE))
    assert "À vérifier" in row_of(page, HALTE)  # checked in 2021
    assert "6 septembre 2021" in row_of(page, HALTE)
    assert "À vérifier" not in row_of(page, ACCUEIL)  # checked in November 2026
    assert "<strong>5</strong> à vérifier" in page


def test_nothing_changed_on_one_service_is_audited_and_undoable(app, partner):
    with open_db(app) as db:
        before = content(db)
    response = partner.post(f"/partenaires/services/{HALTE}/a-jour")
    assert response.location == "/partenaires/"
    page = text(partner.get("/partenaires/"))
    assert "date de mise à jour passée à aujourd'hui" in page
    assert "À vérifier" not in row_of(page, HALTE)
    with open_db(app) as db:
        assert db["services"].get(HALTE)["date_maj"] == TODAY.isoformat()
        log = db["imports"].get(
            next(db.query("select max(id) as id from imports"))["id"]
        )
        changes = list(db["changes"].rows_where("import_id = ?", [log["id"]]))
    assert log["utilisateur"] == "partenaire@exemple.fr"
    assert log["fichier"] == "confirmation sans changement"
    assert {(c["service_id"], c["champ"]) for c in changes} == {
        (HALTE, "date_maj"),
        (HALTE, "modifie_le"),
    }
    # Again the same day: nothing to log.
    partner.post(f"/partenaires/services/{HALTE}/a-jour")
    assert "était déjà à jour" in text(partner.get("/partenaires/"))
    # Undo from the history page.
    response = partner.post(f"/partenaires/historique/{log['id']}/annuler")
    assert "annulé" in text(partner.get(response.location))
    with open_db(app) as db:
        assert content(db) == before


def test_nothing_changed_for_all_touches_only_own_open_services(app, partner):
    with open_db(app) as db:
        db["services"].update(ACCUEIL, {"statut": "ferme"})
        before = {r["id"]: r for r in db["services"].rows}
    partner.post("/partenaires/a-jour")
    assert "5 service(s) confirmé(s)" in text(partner.get("/partenaires/"))
    with open_db(app) as db:
        after = {r["id"]: r for r in db["services"].rows}
    changed = {i for i in after if after[i] != before[i]}
    assert changed == {r["id"] for r in seed_rows(MINE)} - {ACCUEIL}
    assert all(after[i]["date_maj"] == TODAY.isoformat() for i in changed)


def test_nothing_changed_on_unknown_service_is_404(partner):
    assert partner.post("/partenaires/services/inconnu/a-jour").status_code == 404


def test_csv_template_holds_own_rows_and_reimports_unchanged(app, partner):
    with app.app_context():  # a formula-like text must survive the round trip
        importer.apply_edits(
            get_db(),
            {HALTE: {"description": "=Accueil de nuit, -5 °C"}},
            user="test",
            label="test",
        )
    response = partner.get("/partenaires/modele.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.data
    assert data.startswith(b"\xef\xbb\xbfid;statut;nom;")
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[-2].startswith("# source : ")  # issue 10.11: help in comments
    assert "'=Accueil de nuit" in data.decode("utf-8-sig")
    services = [x for x in lines[1:] if x and not x.lstrip('"').startswith("#")]
    ids = {line.split(";")[0] for line in services}
    assert ids == {r["id"] for r in seed_rows(MINE)}
    assert OTHER not in data.decode("utf-8-sig")
    with open_db(app) as db:
        before = content(db)
    page = text(upload(partner, data, "modele.csv"))
    assert (  # issue 10.10: re-sent rows are re-dated on confirmation
        f"{len(ids)} fiches inchangées : leur date de mise à jour passera au "
        "15/03/2027." in page
    )
    assert f"<strong>{len(ids)}</strong> inchangé(s)" in page
    with open_db(app) as db:
        assert content(db) == before


def test_xlsx_template_has_help_row_notes_and_text_columns(app, partner):
    response = partner.get("/partenaires/modele.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook["Services"]
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["id", "statut"]
    # Issue 10.11: the help is in a sheet of its own, not in a row to edit.
    help_rows = {r[0]: r[1] for r in workbook["Aide"].iter_rows(values_only=True)}
    assert help_rows["date_maj"] == "Obligatoire, AAAA-MM-JJ ou JJ/MM/AAAA"
    assert all(help_rows[h] for h in header)
    notes = {h: c.comment.text for h, c in zip(header, sheet[1], strict=True)}
    assert "ferme" in notes["statut"]
    phone = header.index("telephone") + 1
    postcode = header.index("code_postal") + 1
    for row in range(2, sheet.max_row + 1):
        assert sheet.cell(row, phone).number_format == "@"
        assert sheet.cell(row, postcode).number_format == "@"
        assert isinstance(sheet.cell(row, postcode).value, str)
    assert sheet.max_row == 1 + len(seed_rows(MINE))
    page = text(upload(partner, response.data, "modele.xlsx"))
    assert "inchangées : leur date de mise à jour passera au 15/03/2027." in page


def test_history_lists_imports_with_counts_and_changes(app, partner):
    partner.post(f"/partenaires/services/{HALTE}/a-jour")
    page = text(partner.get("/partenaires/historique"))
    assert "confirmation sans changement" in page
    number = re.search(r"/partenaires/historique/(\d+)", page).group(1)
    detail = text(partner.get(f"/partenaires/historique/{number}"))
    assert f'href="/services/{HALTE}"' in detail
    assert '<th scope="row">date_maj</th><td class="avant">2021-09-06</td>' in detail
    assert f'<td class="apres">{TODAY.isoformat()}</td>' in detail


def test_undo_refused_when_a_later_import_touched_the_same_fiches(app, partner):
    partner.post(f"/partenaires/services/{HALTE}/a-jour")
    with open_db(app) as db:
        first = next(db.query("select max(id) as id from imports"))["id"]
    with app.app_context():
        later = importer.apply_edits(
            get_db(), {HALTE: {"nom": "Halte de nuit"}}, user="test", label="test"
        )
    response = partner.post(f"/partenaires/historique/{first}/annuler")
    page = text(partner.get(response.location))
    assert (
        f"Impossible d'annuler l'import n°{first} : les imports n°{later} ont "
        "modifié depuis les mêmes fiches." in page
    )
    with open_db(app) as db:
        assert db["imports"].get(first)["statut"] == "applique"


def test_unknown_import_is_404(partner):
    assert partner.get("/partenaires/historique/9999").status_code == 404
    assert partner.post("/partenaires/historique/9999/annuler").status_code == 404


def test_admin_may_see_any_import_detail(app, client, users):
    partner = AuthActions(app.test_client())
    partner.login()
    app.config["CLOCK"] = lambda: datetime.datetime(2027, 3, 15, tzinfo=PARIS)
    partner.client.post(f"/partenaires/services/{HALTE}/a-jour")
    with open_db(app) as db:
        number = next(db.query("select max(id) as id from imports"))["id"]
    admin = AuthActions(client)
    admin.login("admin@exemple.fr")
    assert client.get(f"/partenaires/historique/{number}").status_code == 200
