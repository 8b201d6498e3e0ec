"""API contract: OpenAPI document, parameters, and no 500 whatever the input."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate
from search.test_columns import sql_need_counts as sql_counts
from werkzeug.datastructures import MultiDict

from directory.db import connect, get_db
from directory.search.query import PARAMETERS, ParamError, parse_params
from directory.web.context import get_besoins, get_gazetteer


class SpyArgs(MultiDict):
    """Records which parameter names the code reads."""

    def __init__(self, *args):
        super().__init__(*args)
        self.read = set()

    def getlist(self, key, type=None):
        self.read.add(key)
        return super().getlist(key, type)

    def get(self, key, default=None, type=None):
        self.read.add(key)
        return super().get(key, default, type)


def test_openapi_document_is_valid(client):
    document = client.get("/api/openapi.json").get_json()
    validate(document)
    assert document["openapi"].startswith("3.")


def test_documented_search_parameters_are_exactly_those_read(app, client):
    document = client.get("/api/openapi.json").get_json()
    documented = {
        p["name"] for p in document["paths"]["/api/services"]["get"]["parameters"]
    }
    with app.app_context():
        db = get_db()
        spy = SpyArgs()
        parse_params(spy, gazetteer=get_gazetteer(db), besoins=get_besoins(db))
    assert spy.read == documented
    assert set(PARAMETERS) == documented


def test_documented_paths_exist(client):
    document = client.get("/api/openapi.json").get_json()
    for path, operations in document["paths"].items():
        required = {  # a required parameter takes its first example
            p["name"]: p["schema"]["examples"][0]
            for p in operations["get"].get("parameters", [])
            if p["in"] == "query" and p["required"]
        }
        response = client.get(
            path.replace("{id}", "anef-cantal--accueil-de-jour-aurillac"),
            query_string=required,
        )
        assert response.status_code == 200, path


ENDPOINTS = {
    "/api/services": PARAMETERS,
    "/api/communes": ("q", "limite"),
    "/api/besoins": (),
    "/recherche": PARAMETERS,
    "/export/services.csv": PARAMETERS,
    "/export/services.geojson": PARAMETERS,
    "/export/data-inclusion/services.json": PARAMETERS,
    "/export/data-inclusion/structures.json": PARAMETERS,
}
TEXT = st.text(
    st.characters(blacklist_categories=("Cs",)), max_size=40
) | st.sampled_from(
    [
        "",
        "0",
        "-1",
        "1e309",
        "nan",
        "inf",
        "15100",
        "St Flour",
        "l'escale",
        '"',
        "*",
        "NEAR(",
        "%00",
        "\x00",
        "1" * 400,
        "logement",
        "acces-libre",
        "distance",
        "200.0001",
    ]
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(endpoint=st.sampled_from(sorted(ENDPOINTS)), data=st.data())
def test_arbitrary_parameters_never_give_500(client, endpoint, data):
    names = ENDPOINTS[endpoint]
    pairs = []
    if names:
        chosen = data.draw(st.lists(st.sampled_from(names), max_size=5))
        pairs = [(name, data.draw(TEXT)) for name in chosen]
    response = client.get(endpoint, query_string=MultiDict(pairs))
    assert response.status_code in (200, 400), (endpoint, pairs, response.data[:300])
    if response.status_code == 400 and endpoint.startswith(("/api/", "/export/")):
        body = response.get_json()
        assert body["erreur"] and body["parametre"] in names


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(service_id=st.text(max_size=200))
def test_arbitrary_service_ids_never_give_500(client, service_id):
    response = client.get(
        "/api/services/"
        + service_id.replace("/", "%2F").replace("?", "%3F").replace("#", "%23")
    )
    assert response.status_code in (200, 404, 308)


def test_param_error_carries_the_parameter(app):
    with app.app_context():
        db = get_db()
        with pytest.raises(ParamError) as info:
            parse_params(
                {"besoin": ["x"]}, gazetteer=get_gazetteer(db), besoins=get_besoins(db)
            )
    assert info.value.parametre == "besoin"


def test_needs_counts_are_the_open_services_of_each_need(app, client):
    """/api/besoins and the home page count on the search columns what SQL
    counts over every service, closures included."""
    db = connect(app.config["DATABASE"])
    closed = db.execute(
        "select id from services where statut != 'ferme' and besoins like"
        " '%alimentation%' limit 1"
    ).fetchone()[0]
    db["services"].update(closed, {"statut": "ferme"})
    db["imports"].insert({"fichier": "t", "statut": "applique"})  # new data version
    expected = {row["slug"]: row["total"] for row in sql_counts(db)}
    db.close()
    needs = client.get("/api/besoins").get_json()
    assert {n["slug"]: n["nombre_services"] for n in needs} == expected
    assert expected["alimentation"] > 0
    page = client.get("/").get_data(as_text=True)
    assert f"{expected['alimentation']} service" in page
