"""Issue 10.10: a confirmed import dates every row it contains (the sender
vouches for them), unchanged rows included; audited and undoable."""

import datetime

import pytest
from conftest import DATA
from partner_helpers import (
    MINE,
    content,
    open_db,
    seed_rows,
    text,
    token_of,
    upload,
)
from partner_helpers import (
    csv_bytes as sheet_bytes,
)

from directory.imports import engine as importer
from directory.search.hours import PARIS

SEED = (DATA / "services.csv").read_bytes()
DAY = datetime.date(2026, 11, 26)  # the `prepare` fixture's today


def test_unchanged_rows_are_redated_audited_and_undone(db, import_bytes, prepare):
    import_bytes(SEED)
    before = {r["id"]: r for r in db.query("select * from services")}
    report = prepare(SEED, refresh_date=DAY)
    assert report.ok and not report.new and not report.changed
    assert report.counts["inchanges"] == len(before)
    stale = {i for i, r in before.items() if r["date_maj"] < DAY.isoformat()}
    assert stale and {r[0] for r in report.refreshed} == stale
    assert report.writes
    text_report = importer.format_report(report, dry_run=True)
    assert (
        f"{len(stale)} fiches inchangées : leur date de mise à jour passera au "
        "26/11/2026." in text_report
    )
    import_id = importer.apply(db, report, user="test")
    after = {r["id"]: r for r in db.query("select * from services")}
    assert all(after[i]["date_maj"] == "2026-11-26" for i in stale)
    logged = list(
        db.query(
            "select service_id, avant, apres from changes"
            " where import_id = ? and champ = 'date_maj'",
            [import_id],
        )
    )
    assert {r["service_id"] for r in logged} == stale
    assert db["imports"].get(import_id)["inchanges"] == len(before)
    importer.undo(db, import_id)
    assert {r["id"]: r for r in db.query("select * from services")} == before
    # Applied, then sent again the same day: nothing left to write.
    importer.apply(db, prepare(SEED, refresh_date=DAY), user="test")
    again = prepare(SEED, refresh_date=DAY)
    assert not again.refreshed and not again.writes


def test_a_changed_row_is_dated_today_not_with_its_old_date(db, import_bytes, prepare):
    import_bytes(SEED)
    rows = seed_rows(MINE)
    rows[0]["telephone"] = "04 71 00 00 00"
    report = prepare(sheet_bytes(rows, delimiter=","), refresh_date=DAY)
    assert [c.record["id"] for c in report.changed] == [rows[0]["id"]]
    fields = {f: after for f, _, after in report.changed[0].fields}
    assert fields["date_maj"] == DAY.isoformat()
    older = {r["id"] for r in rows[1:] if r["date_maj"] < DAY.isoformat()}
    assert older and {r[0] for r in report.refreshed} == older


def test_without_refresh_date_dates_are_the_files(db, import_bytes, prepare):
    import_bytes(SEED)
    report = prepare(SEED)
    assert not report.refreshed and not report.writes
    assert "Aucune modification : la base est déjà à jour." in (
        importer.format_report(report, dry_run=True)
    )


@pytest.fixture
def partner(app, auth):
    moment = datetime.datetime(2027, 3, 15, 10, tzinfo=PARIS)
    app.config["CLOCK"] = lambda: moment
    auth.login()
    return auth.client


def test_resending_own_rows_clears_the_stale_banner(app, partner):
    rows = seed_rows(MINE)
    data = sheet_bytes(rows)
    dashboard = text(partner.get("/partenaires/"))
    assert "dont <strong>0</strong> à vérifier" not in dashboard
    partner_page = upload(partner, data)
    page = text(partner_page)
    assert (
        f"{len(rows)} fiches inchangées : leur date de mise à jour passera au "
        "15/03/2027." in page
    )
    assert "Aucune modification" not in page
    assert f"{len(rows)} lignes de services lues" in page  # not « lue(s) »
    with open_db(app) as db:
        before = content(db)
    response = partner.post(
        "/partenaires/import/confirmer", data={"jeton": token_of(partner_page)}
    )
    assert response.status_code == 302
    with open_db(app) as db:
        dates = {
            r["date_maj"]
            for r in db.query(
                "select date_maj from services where structure_id = ?", [MINE]
            )
        }
        assert dates == {"2027-03-15"}
    dashboard = text(partner.get("/partenaires/"))
    assert "dont <strong>0</strong> à vérifier" in dashboard
    import_id = response.headers["Location"].rsplit("/", 1)[1]
    detail = text(partner.get(f"/partenaires/historique/{import_id}"))
    assert detail.count("inchangée, date de mise à jour confirmée") == len(rows)
    partner.post(f"/partenaires/historique/{import_id}/annuler")
    with open_db(app) as db:
        assert content(db) == before
