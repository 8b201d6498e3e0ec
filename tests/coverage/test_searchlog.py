"""The search log (issue 15, acceptance 4): anonymous counts only — no text
typed, no address-like field, no identifier — on the schema and on the rows
after hostile searches; counts older than the retention are purged (frozen
clock)."""

import datetime

import pytest

from directory.coverage import searchlog
from directory.db import get_db
from directory.search.hours import PARIS

NOW = datetime.datetime(2026, 12, 8, 10, 47, tzinfo=PARIS)
HOSTILE = "<script>alert(1)</script> 12 rue de la Paix 15000 Aurillac"


@pytest.fixture
def logging_app(app):
    app.config.update(SEARCH_LOG_WRITE_SECONDS=0, CLOCK=lambda: NOW)
    return app


def rows(app):
    with app.app_context():
        return list(get_db().query("select * from recherches order by 1, 2, 3, 4"))


def test_the_table_has_no_room_for_personal_data(app):
    with app.app_context():
        columns = {c.name: c.type for c in get_db()["recherches"].columns}
    assert columns == {
        "heure": "TEXT",
        "code_insee": "TEXT",
        "besoins": "TEXT",
        "resultats": "INTEGER",
        "nombre": "INTEGER",
    }


def test_hostile_searches_leave_counts_only(logging_app, client):
    searches = [
        f"/recherche?q={HOSTILE}&commune=Murat&besoin=alimentation",
        f"/recherche?q={HOSTILE}&commune=Murat&besoin=alimentation",
        f"/recherche?q={HOSTILE}&commune=Murat&besoin=alimentation&page=2",
        "/recherche?besoin=energie&besoin=mobilite&commune=Mauriac",
        f"/api/services?q={HOSTILE}&lat=44.9261&lon=2.4399",
        "/api/services?q=zzzqqqxxx",
    ]
    for url in searches:
        assert client.get(url).status_code == 200, url
    found = rows(logging_app)
    text = repr(found)
    for piece in ("script", "rue", "Paix", "Aurillac", "zzz", "44.92", "2.43"):
        assert piece not in text
    assert {r["heure"] for r in found} == {"2026-12-08T10:00"}
    counts = {}
    for r in found:
        key = (r["code_insee"], r["besoins"])
        counts[key] = counts.get(key, 0) + r["nombre"]
    flags = {(r["code_insee"], r["besoins"]): r["resultats"] for r in found}
    murat, mauriac, aurillac = "15138", "15120", "15014"
    # Page 2 is the same search: two, not three; the gibberish found nothing.
    assert counts[(murat, "alimentation")] == 2
    assert counts[(mauriac, "energie, mobilite")] == 1  # needs sorted, joined
    assert counts[(aurillac, "")] == 1  # the clicked point's commune
    assert counts[("", "")] == 1 and flags[("", "")] == 0
    assert sum(counts.values()) == 5


def test_counts_wait_in_memory_between_writes(app, client):
    app.config.update(SEARCH_LOG_WRITE_SECONDS=3600, CLOCK=lambda: NOW)
    client.get("/recherche?besoin=alimentation&commune=Murat")
    client.get("/recherche?besoin=alimentation&commune=Murat")
    assert rows(app) == []  # nothing written yet: one write per interval
    with app.app_context():
        log = app.extensions["searchlog"]
        assert log.write(get_db()) == 2
    assert [r["nombre"] for r in rows(app)] == [2]


def test_counts_older_than_the_retention_are_purged(logging_app, client):
    with logging_app.app_context():
        db = get_db()
        db["recherches"].insert_all(
            [
                {
                    "heure": heure,
                    "code_insee": "15014",
                    "besoins": "",
                    "resultats": 0,
                    "nombre": 3,
                }
                for heure in (
                    "2025-11-05T23:00",
                    "2025-11-06T00:00",
                    "2026-06-01T08:00",
                )
            ]
        )
    client.get("/recherche?besoin=alimentation")
    kept = {r["heure"] for r in rows(logging_app)}
    # 13 months before 8 December 2026 is 8 November 2025.
    assert "2025-11-05T23:00" not in kept and "2025-11-06T00:00" not in kept
    assert {"2026-06-01T08:00", "2026-12-08T10:00"} <= kept
    logging_app.config["SEARCH_LOG_MONTHS"] = 3
    logging_app.extensions["purges"].last = None  # a day later
    client.get("/recherche?besoin=alimentation")
    assert {r["heure"] for r in rows(logging_app)} == {"2026-12-08T10:00"}


def test_a_failed_write_never_breaks_a_search(logging_app, client):
    with logging_app.app_context():
        get_db().execute("drop table recherches")
    response = client.get("/recherche?besoin=alimentation&commune=Murat")
    assert response.status_code == 200
    assert logging_app.extensions["searchlog"].take()  # kept for the next try


def test_months_before():
    assert searchlog.months_before(datetime.date(2027, 3, 31), 13) == datetime.date(
        2026, 2, 28
    )
    assert searchlog.months_before(datetime.date(2026, 12, 8), 13) == datetime.date(
        2025, 11, 8
    )
