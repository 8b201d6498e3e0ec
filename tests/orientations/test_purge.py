"""The purge (issue 14, acceptance 3): an orientation unchanged for longer than
the delay keeps no name, contact or message, by the command and at start-up."""

import datetime
import logging
import sqlite3

import pytest
from partner_helpers import MINE, add_prescripteur, open_db

from directory import create_app
from directory.catalogue.times import stamp
from directory.orientations import purge as purging
from directory.search.hours import PARIS
from directory.web import retention

NOW = datetime.datetime(2027, 3, 1, 10, 0, tzinfo=PARIS)
SERVICE = f"{MINE}--halte-de-nuit-aurillac"
PERSONAL = ("prenom", "initiale", "contact", "motif", "reponse", "courriel_service")


def add_orientation(db, prescripteur_id, *, days_ago, anonymised=None):
    """An orientation last changed `days_ago` days before NOW, with two events."""
    changed = stamp(NOW - datetime.timedelta(days=days_ago))
    created = stamp(NOW - datetime.timedelta(days=days_ago + 3))
    with db.atomic():
        orientation_id = (
            db["orientations"]
            .insert(
                {
                    "service_id": SERVICE,
                    "structure_id": MINE,
                    "prescripteur_id": prescripteur_id,
                    "prenom": "Léa",
                    "initiale": "M",
                    "contact": "06 12 34 56 78",
                    "consentement_le": created,
                    "motif": "Besoin d'un hébergement d'urgence cette semaine.",
                    "statut": "refusee",
                    "reponse": "Plus de place avant lundi.",
                    "courriel_service": "accueil@anef-cantal.fr",
                    "cree_le": created,
                    "modifie_le": changed,
                    "anonymise_le": anonymised,
                }
            )
            .last_pk
        )
        db["orientation_evenements"].insert_all(
            [
                {
                    "orientation_id": orientation_id,
                    "statut": "envoyee",
                    "message": "Première demande de Léa M.",
                    "par": "prescripteur",
                    "user_id": prescripteur_id,
                    "le": created,
                },
                {
                    "orientation_id": orientation_id,
                    "statut": "refusee",
                    "message": "Plus de place avant lundi.",
                    "par": "lien",
                    "user_id": None,
                    "le": changed,
                },
            ]
        )
    return orientation_id


def row(db, orientation_id):
    return db["orientations"].get(orientation_id)


def messages(db, orientation_id):
    return [
        r["message"]
        for r in db["orientation_evenements"].rows_where(
            "orientation_id = ?", [orientation_id], order_by="id"
        )
    ]


@pytest.fixture
def seeded(app):
    """{'old', 'recent'}: orientation ids, 91 and 89 days after their last change."""
    prescripteur = add_prescripteur(app.config["DATABASE"], "ts@cantal.fr")
    with open_db(app) as db:
        return {
            "old": add_orientation(db, prescripteur, days_ago=91),
            "recent": add_orientation(db, prescripteur, days_ago=89),
            "prescripteur": prescripteur,
        }


def assert_anonymised(db, orientation_id, prescripteur_id):
    anonymised = row(db, orientation_id)
    assert all(anonymised[column] is None for column in PERSONAL)
    assert anonymised["anonymise_le"] == stamp(NOW)
    # What the counts need stays.
    assert anonymised["statut"] == "refusee"
    assert (anonymised["service_id"], anonymised["structure_id"]) == (SERVICE, MINE)
    assert anonymised["prescripteur_id"] == prescripteur_id
    assert anonymised["cree_le"] and anonymised["modifie_le"]
    assert anonymised["consentement_le"]
    assert messages(db, orientation_id) == [None, None]
    statuses = [
        (r["statut"], r["par"])
        for r in db["orientation_evenements"].rows_where(
            "orientation_id = ?", [orientation_id], order_by="id"
        )
    ]
    assert statuses == [("envoyee", "prescripteur"), ("refusee", "lien")]
    # Nothing of the person is left anywhere in the row or its events.
    dump = repr(anonymised) + repr(messages(db, orientation_id))
    for secret in ("Léa", "06 12", "hébergement", "Plus de place", "anef-cantal.fr"):
        assert secret not in dump


def assert_untouched(db, orientation_id):
    kept = row(db, orientation_id)
    assert kept["prenom"] == "Léa" and kept["contact"] == "06 12 34 56 78"
    assert kept["motif"].startswith("Besoin") and kept["anonymise_le"] is None
    assert messages(db, orientation_id) == [
        "Première demande de Léa M.",
        "Plus de place avant lundi.",
    ]


def test_purge_anonymises_only_what_is_older_than_the_delay(app, seeded):
    with open_db(app) as db:
        assert purging.purge(db, now=NOW, days=90) == 1
        assert_anonymised(db, seeded["old"], seeded["prescripteur"])
        assert_untouched(db, seeded["recent"])
        # Done once: a second run counts nothing and keeps the first date.
        later = NOW + datetime.timedelta(hours=5)
        assert purging.purge(db, now=later, days=90) == 0
        assert row(db, seeded["old"])["anonymise_le"] == stamp(NOW)


def test_the_delay_is_a_parameter(app, seeded):
    with open_db(app) as db:
        assert purging.purge(db, now=NOW, days=100) == 0
        assert purging.purge(db, now=NOW, days=30) == 2
        with pytest.raises(ValueError):
            purging.purge(db, now=NOW, days=-1)


def test_purge_is_one_transaction(app, seeded):
    """If the orientations cannot be written, the messages are not emptied either."""
    with open_db(app) as db:
        db.execute(
            "create trigger bloque before update on orientations"
            " begin select raise(abort, 'bloqué'); end"
        )
        with pytest.raises(sqlite3.IntegrityError):
            purging.purge(db, now=NOW, days=90)
        assert_untouched(db, seeded["old"])


def frozen(app):
    app.config["CLOCK"] = lambda: NOW
    return app


def test_command_purges_with_the_configured_delay(app, runner, seeded):
    frozen(app)
    result = runner.invoke(args=["purge-orientations"])
    assert result.exit_code == 0, result.output
    assert "1 orientation(s) anonymisée(s)" in result.output
    assert "plus de 90 jours" in result.output
    with open_db(app) as db:
        assert_anonymised(db, seeded["old"], seeded["prescripteur"])
        assert_untouched(db, seeded["recent"])
    result = runner.invoke(args=["purge-orientations"])
    assert "Aucune orientation à anonymiser (délai : 90 jours)." in result.output


def test_command_takes_the_delay_from_settings_or_option(app, runner, seeded):
    frozen(app).config["ORIENTATION_RETENTION_DAYS"] = 100
    assert "Aucune orientation" in runner.invoke(args=["purge-orientations"]).output
    result = runner.invoke(args=["purge-orientations", "--jours", "30"])
    assert "2 orientation(s) anonymisée(s)" in result.output
    refused = runner.invoke(args=["purge-orientations", "--jours", "-1"])
    assert refused.exit_code == 2


def fresh_app(app):
    """A new app (a new process, as far as the app knows) on the same database."""
    return frozen(create_app({"TESTING": True, "DATABASE": app.config["DATABASE"]}))


def test_first_request_of_a_fresh_app_purges(app, seeded):
    started = fresh_app(app)
    with open_db(app) as db:
        assert_untouched(db, seeded["old"])  # nothing before a request
    assert started.test_client().get("/").status_code == 200
    with open_db(app) as db:
        assert_anonymised(db, seeded["old"], seeded["prescripteur"])
        assert_untouched(db, seeded["recent"])


def test_start_up_purge_uses_the_setting(app, seeded):
    started = fresh_app(app)
    started.config["ORIENTATION_RETENTION_DAYS"] = 30
    started.test_client().get("/recherche")
    with open_db(app) as db:
        assert row(db, seeded["recent"])["anonymise_le"] == stamp(NOW)


def test_start_up_purge_runs_once_then_daily(app, monkeypatch):
    calls = []
    monkeypatch.setattr(retention, "purge", lambda db, **kw: calls.append(kw) or 0)
    started = fresh_app(app)
    client = started.test_client()
    for _ in range(3):
        client.get("/")
    assert calls == [{"now": NOW, "days": 90}]
    later = NOW + datetime.timedelta(hours=23)
    started.config["CLOCK"] = lambda: later
    client.get("/")
    assert len(calls) == 1
    next_day = NOW + datetime.timedelta(days=1)
    started.config["CLOCK"] = lambda: next_day
    client.get("/")
    assert calls[-1] == {"now": next_day, "days": 90} and len(calls) == 2


def test_a_failing_start_up_purge_is_logged_never_a_500(app, monkeypatch, caplog):
    def broken(db, **kwargs):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(retention, "purge", broken)
    caplog.set_level(logging.WARNING, logger=retention.__name__)
    client = fresh_app(app).test_client()
    assert client.get("/").status_code == 200
    assert client.get("/").status_code == 200
    [record] = [r for r in caplog.records if r.name == retention.__name__]
    assert "Anonymisation des orientations impossible" in record.getMessage()
    assert "OperationalError" in record.getMessage()
