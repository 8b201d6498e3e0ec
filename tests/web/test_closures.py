"""A temporary closure on the public side (issue 13, acceptance 2): with a
frozen clock, a service its regular hours say open is « Fermé » during the
closure in the search (« ouvert maintenant »), the API and the fiche, and open
again the day after its end; exceptional hours count on their dates only; the
results and the fiche announce it; the exports carry it."""

import datetime
import json
import re
from html import unescape

import jsonschema
import pytest
from data_inclusion.schema.v1 import Service
from partner_helpers import open_db, text

from directory.catalogue import closure_writes
from directory.catalogue.services import get_service
from directory.db import get_db
from directory.search.hours import PARIS
from directory.web.api import run_search

CONDAT = "france-services-condat--accueil"  # Mo-Fr 09:00-12:00,14:00-17:00; PH off
HALTE = "anef-cantal--halte-de-nuit-aurillac"  # no opening hours
D = datetime.date
HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="alert(1)"> ${1}'


def words(response):
    """The page's text as read: tags out, entities decoded, spaces folded."""
    html = response.get_data(as_text=True)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def at(app, day, hour, minute=0, month=8):
    moment = datetime.datetime(2026, month, day, hour, minute, tzinfo=PARIS)
    app.config["CLOCK"] = lambda: moment


def declare(app, service_id, genre="fermeture", debut=3, fin=7, **more):
    """A period of August 2026, declared on 20 July (as the admin would)."""
    values = {"genre": genre, "debut": D(2026, 8, debut), "fin": D(2026, 8, fin)}
    values.update(more)
    with open_db(app) as db:
        closure_writes.declare(
            db,
            get_service(db, service_id),
            values,
            user="admin@exemple.fr",
            user_id=1,
            today=D(2026, 7, 20),
        )


def open_ids(client, query=""):
    body = client.get(f"/api/services?ouvert=1&par_page=100{query}").get_json()
    return {s["id"] for s in body["services"]}


def detail(client, service_id=CONDAT):
    return client.get(f"/api/services/{service_id}").get_json()


def summary(client, query, service_id=CONDAT):
    body = client.get(f"/api/services?par_page=100&{query}").get_json()
    return next(s for s in body["services"] if s["id"] == service_id)


def test_a_closed_service_is_closed_everywhere_then_reopens_by_itself(app, client):
    at(app, 4, 10)  # Tuesday 4 August, 10:00: its regular hours say open
    assert CONDAT in open_ids(client)
    assert detail(client)["ouvert_maintenant"] is True
    declare(app, CONDAT, motif="fermeture estivale")

    assert CONDAT not in open_ids(client)
    assert CONDAT not in open_ids(client, "&commune=Condat")  # with a place
    assert CONDAT not in open_ids(client, "&q=france+services")  # with a text
    assert "france-services-maurs--accueil" in open_ids(client)  # others stay
    body = detail(client)
    assert body["ouvert_maintenant"] is False
    assert body["fermeture"] == {
        "genre": "fermeture",
        "debut": "2026-08-03",
        "fin": "2026-08-07",
        "en_cours": True,
        "motif": "fermeture estivale",
        "horaires": None,
        "libelle": "Fermé du 3 au 7 août",
    }
    for query in ("q=condat", "commune=Condat", "besoin=acces-aux-droits"):
        found = summary(client, query)
        assert found["ouvert_maintenant"] is False, query
        assert found["fermeture"]["libelle"] == "Fermé du 3 au 7 août", query
    fiche = words(client.get(f"/services/{CONDAT}"))
    assert "Fermé du 3 au 7 août — fermeture estivale" in fiche
    assert "Fermé · ouvre lundi à 9 h" in fiche
    html = client.get(f"/services/{CONDAT}").get_data(as_text=True)
    assert '<p class="etat etat-ferme">Fermé · ouvre lundi à 9 h</p>' in html
    results = words(client.get("/recherche?q=condat"))
    assert "Fermé du 3 au 7 août — fermeture estivale" in results
    assert CONDAT not in text(client.get("/recherche?ouvert=1&par_page=100"))

    at(app, 7, 16, 59)  # the last day (`fin` included)
    assert CONDAT not in open_ids(client)
    at(app, 10, 10)  # Monday after: nothing to do, it is open again
    assert CONDAT in open_ids(client)
    body = detail(client)
    assert (body["ouvert_maintenant"], body["fermeture"]) == (True, None)
    fiche = words(client.get(f"/services/{CONDAT}"))
    assert "fermeture estivale" not in fiche
    assert "Ouvert maintenant · ferme à 12 h" in fiche


@pytest.mark.parametrize(
    ("day", "hour", "minute", "regular", "expected"),
    [
        (4, 10, 0, True, False),  # Tuesday: only Wednesday mornings this week
        (5, 10, 30, True, True),  # Wednesday 10:30
        (5, 15, 0, True, False),  # Wednesday afternoon: not this week
        (10, 15, 0, True, True),  # the Monday after: regular hours again
        (1, 10, 0, False, False),  # Saturday before: regular hours, closed
    ],
)
def test_exceptional_hours_count_on_their_dates_only(
    app, client, day, hour, minute, regular, expected
):
    declare(app, CONDAT, "horaires", horaires="We 10:00-12:00")
    at(app, day, hour, minute)
    assert (CONDAT in open_ids(client)) is expected
    assert detail(client)["ouvert_maintenant"] is expected
    if regular and not expected:
        assert "etat-ferme" in text(client.get(f"/services/{CONDAT}"))


def test_exceptional_hours_open_a_service_without_regular_hours(app, client):
    declare(app, HALTE, "horaires", horaires="Mo-Su 20:00-23:00")
    at(app, 4, 21)
    assert HALTE in open_ids(client)
    at(app, 4, 10)
    assert HALTE not in open_ids(client)
    at(app, 8, 21)
    assert HALTE not in open_ids(client)  # after the period: hours unknown
    assert detail(client, HALTE)["ouvert_maintenant"] is None


def test_an_upcoming_closure_is_announced_a_month_ahead(app, client):
    declare(app, CONDAT, motif="travaux")
    at(app, 1, 10, month=7)  # 33 days before: not yet
    assert "travaux" not in words(client.get(f"/services/{CONDAT}"))
    assert detail(client)["fermeture"] is None
    at(app, 20, 10, month=7)  # Monday 20 July: announced, still open
    fiche = words(client.get(f"/services/{CONDAT}"))
    assert "Fermeture prévue du 3 au 7 août — travaux" in fiche
    body = detail(client)
    assert body["ouvert_maintenant"] is True and body["fermeture"]["en_cours"] is False
    assert "Fermeture prévue du 3 au 7 août" in words(client.get("/recherche?q=condat"))
    at(app, 31, 18, month=7)  # Friday evening before: it will not open on Monday
    fiche = words(client.get(f"/services/{CONDAT}"))
    assert "Fermé · ouvre le 10 août à 9 h" in fiche


def test_complet_is_shown_and_changes_no_hours(app, client):
    declare(app, CONDAT, "complet", motif="liste d'attente de 3 mois")
    at(app, 4, 10)
    assert CONDAT in open_ids(client)
    body = detail(client)
    assert body["ouvert_maintenant"] is True
    assert body["fermeture"]["libelle"] == "Complet / liste d'attente jusqu'au 7 août"
    fiche = words(client.get(f"/services/{CONDAT}"))
    assert "Complet / liste d'attente jusqu'au 7 août — liste d'attente de 3" in fiche


def test_api_answers_with_a_closure_keep_the_openapi_contract(app, client):
    declare(app, CONDAT, motif="travaux")
    declare(app, HALTE, "horaires", horaires="Mo 10:00-12:00")
    at(app, 4, 10)
    document = client.get("/api/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    registry = {"components": {"schemas": schemas}}

    def check(instance, name):
        schema = {**schemas[name], "components": registry["components"]}
        jsonschema.validate(instance, schema, cls=jsonschema.Draft202012Validator)

    body = client.get("/api/services?par_page=100").get_json()
    check(body, "Resultats")
    assert {s["id"] for s in body["services"] if s["fermeture"]} == {CONDAT, HALTE}
    check(detail(client), "Fiche")
    check(detail(client, HALTE), "Fiche")
    broken = {**detail(client), "fermeture": {"genre": "vacances"}}
    with pytest.raises(jsonschema.ValidationError):
        check(broken, "Fiche")  # the schema does check the object


def test_data_inclusion_export_carries_date_suspension(app, client):
    declare(app, CONDAT, debut=10, fin=21)
    declare(app, HALTE, "complet")
    at(app, 4, 10)  # the closure starts in six days
    services = client.get("/export/data-inclusion/services.json").get_json()
    by_id = {s["id"].split("--", 1)[1]: s for s in services}
    assert by_id[CONDAT]["date_suspension"] == "2026-08-10"
    assert by_id[HALTE]["date_suspension"] is None  # « complet » is no suspension
    Service.model_validate(by_id[CONDAT], context={"ignore_warnings": False})
    at(app, 22, 10)  # ended: no longer exported
    services = client.get("/export/data-inclusion/services.json").get_json()
    assert all(s["date_suspension"] is None for s in services)


def test_geojson_export_says_closed(app, client):
    declare(app, CONDAT)
    at(app, 4, 10)
    body = json.loads(client.get("/export/services.geojson").data)
    feature = next(f for f in body["features"] if f["id"] == CONDAT)
    assert feature["properties"]["ouvert_maintenant"] is False
    assert feature["properties"]["fermeture"]["genre"] == "fermeture"


def test_hostile_reason_is_escaped_on_the_fiche_and_the_results(app, client):
    declare(app, CONDAT, motif=HOSTILE)
    at(app, 4, 10)
    for url in (f"/services/{CONDAT}", "/recherche?q=condat", "/carte?q=condat"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>window.__pwned" not in html, url
        assert "<img src=x" not in html, url
        assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html, url
        assert f"Fermé du 3 au 7 août — {HOSTILE}" in words(client.get(url)), url
    assert detail(client)["fermeture"]["motif"] == HOSTILE  # stored raw


def test_one_small_query_per_search(app):
    declare(app, CONDAT)
    at(app, 4, 10)
    with app.test_request_context("/api/services?ouvert=1&commune=Condat"):
        from flask import request

        db = get_db()
        run_search(request.args, db=db)  # the index is built, the caches warm
        statements = []
        db.conn.set_trace_callback(statements.append)
        result = run_search(request.args, db=db)
        db.conn.set_trace_callback(None)
    assert CONDAT not in {s["id"] for s in result.services}
    assert len([s for s in statements if "fermetures" in s]) == 1
