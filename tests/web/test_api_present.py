"""Issue 12.D: the API's search answers built with less work per request (the
page's rows read for the summary's columns only, URLs built once per page,
French numbers formatted without phonenumbers' parser, one connection
kept per thread) are the same answers, and fresh ones."""

import datetime
import os
import random
import shutil

import pytest
from flask import url_for
from search.test_engine import SERVICES, csv_bytes, make_app
from werkzeug.datastructures import MultiDict

from directory.db import get_db
from directory.imports import engine as importer
from directory.opendata.csv_excel import national_phone
from directory.search.hours import PARIS
from directory.web import context
from directory.web.api import run_search
from directory.web.context import prepare_import, reading_db
from directory.web.present import phone, service_url, summaries, summary

NOW = datetime.datetime(2026, 12, 7, 10, 30, tzinfo=PARIS)


def test_french_numbers_are_formatted_as_phonenumbers_does():
    rng = random.Random(12)
    numbers = []
    for first in "0123456789":
        for second in "0123456789":
            for _ in range(5):
                rest = "".join(rng.choice("0123456789") for _ in range(7))
                numbers.append(f"+33{first}{second}{rest}")
    numbers += ["+3347146202", "+334714620201", "+33 4 71 46 20 20", "+33a71462020"]
    numbers += ["+590590123456", "+262262123456", "+3280012345", "115", "3615"]
    numbers += [
        "",
        None,
        "0471462020",
        "+33471462020\n",
        "+३३४७१४६२०२०",
        "+3347१462020",
    ]
    for number in numbers:
        assert phone(number) == national_phone(number), number


IDS = [
    "epicerie-solidaire",
    "ccas-aurillac-12--colis_alimentaire.2~b",
    "avec espace",
    "accentué-é",
    "a/b",
    "50%",
    "quoi?x=1",
    "dièse#1",
    ".",
    "..",
    "-",
]


@pytest.mark.parametrize("absolute", [True, False])
def test_urls_built_once_per_page_are_those_of_url_for(app, absolute):
    rows = [{"id": sid} for sid in IDS]
    with app.test_request_context("/api/services", base_url="http://annuaire.test"):
        urls = [s["url"] for s in summaries(rows, absolute=absolute)]
        assert urls == [
            url_for("public.service", service_id=sid, _external=absolute) for sid in IDS
        ]
        assert urls == [service_url(sid, absolute) for sid in IDS]


QUERIES = [
    [("q", "aide")],
    [("q", "epicerie sol")],
    [("q", "epicrie")],
    [("q", "logement"), ("page", "2"), ("par_page", "5")],
    [("besoin", "alimentation")],
    [("q", "aide"), ("besoin", "alimentation"), ("besoin", "logement")],
    [("commune", "Aurillac"), ("rayon", "30")],
    [("q", "aide"), ("commune", "Saint-Flour"), ("rayon", "50")],
    [("ouvert", "1")],
    [("q", "accueil"), ("tri", "nom")],
    [("q", "aide"), ("public", "familles"), ("frais", "gratuit")],
]


@pytest.mark.parametrize("params", QUERIES)
def test_api_answers_are_those_of_every_column(app, params):
    """What GET /api/services sends equals the summaries of the full rows."""
    app.config["CLOCK"] = lambda: NOW
    client = app.test_client()
    response = client.get("/api/services", query_string=params)
    assert response.status_code == 200
    sent = response.get_json()
    with app.test_request_context("/api/services", base_url="http://localhost"):
        full = run_search(MultiDict(params))
        expected = [summary(row, absolute=True) for row in full.services]
        assert "description" in full.services[0]
    assert sent["total"] == full.total
    assert sent["services"] == expected
    assert expected


def test_the_searches_of_a_thread_share_one_connection(app, monkeypatch):

    opened = []
    real = context.connect
    monkeypatch.setattr(
        context, "connect", lambda path: opened.append(path) or real(path)
    )
    client = app.test_client()
    for q in ("aide", "logement", "épicerie"):
        assert client.get("/api/services", query_string={"q": q}).status_code == 200
    assert len(opened) == 1


def test_a_kept_connection_reads_what_others_commit(db_path, tmp_path):

    app = make_app(db_path)
    client = app.test_client()

    def found(q):
        response = client.get("/api/services", query_string={"q": q})
        return [s["id"] for s in response.get_json()["services"]]

    assert found("trottinette") == []
    extra = ("trottinette", "Prêt de trottinettes", "Pour aller au travail.")
    extra += ("Mobilité 15", "mobilite", "tous-publics", "gratuit")
    extra += ("acces-libre", "Murat")
    with app.app_context():  # the import writes through another connection
        report = prepare_import(get_db(), csv_bytes([*SERVICES, extra]), "plus.csv")
        assert report.ok, [i.text for i in report.errors]
        importer.apply(get_db(), report, user="test")
    assert found("trottinette") == ["trottinette"]


def test_a_database_replaced_at_the_same_path_is_opened_again(
    app, reference_db_path, tmp_path
):

    client = app.test_client()
    assert client.get("/api/services").get_json()["total"] > 0
    empty = tmp_path / "empty.db"
    shutil.copy(reference_db_path, empty)
    os.replace(empty, app.config["DATABASE"])
    assert client.get("/api/services").get_json()["total"] == 0


def test_a_transaction_left_open_is_rolled_back_before_reuse(app):

    with app.test_request_context("/api/services"):
        db = reading_db()
        db.conn.execute("begin")
        db.conn.execute("select count(*) from services").fetchone()
        assert db.conn.in_transaction
    with app.test_request_context("/api/services"):
        again = reading_db()
        assert again is db
        assert not again.conn.in_transaction
