"""No 500 on hostile numbers: integer ids in paths, numbers in query strings.

Parametrized over the URL map (every rule with an `int` converter) and over the
numeric parameters of the OpenAPI document, logged out, as a partner and as an
admin (CSRF on: POSTs carry the token, so they reach routing and the views).
"""

import re

import pytest
from partner_helpers import MINE, AuthActions, text

from directory import create_app

ROLES = ("anonyme", "partenaire", "admin")
EMAILS = {"partenaire": "partenaire@exemple.fr", "admin": "admin@exemple.fr"}
SQLITE_MAX = 2**63 - 1
# Path values that no route may take: past SQLite's range, not ASCII digits.
BAD_IDS = [
    str(SQLITE_MAX + 1),
    "1" + "0" * 100,
    "-1",
    "\u0663",  # « ٣ », Arabic-Indic three
    "\uff11\uff12",  # « １２ », fullwidth
    "\u00b2",  # « ² »
    "1_0",
]
# Query values that are not numbers written in ASCII digits.
NOT_ASCII_NUMBERS = ["\u00b2", "\u2460", "\u0663", "\uff11\uff12", "1_0", "1e3"]
HOSTILE = [
    *NOT_ASCII_NUMBERS,
    "9" * 100_000,
    "-1",
    "0",
    "",
    "nan",
    "inf",
    " ",
    "1.5",
    "99999999999999999999999",
]


def int_rules():
    app = create_app({"TESTING": True, "DATABASE": ":memory:"})
    return sorted(
        (rule.rule, "GET" if "GET" in rule.methods else "POST")
        for rule in app.url_map.iter_rules()
        if any(
            type(c).__name__.endswith("IntegerConverter")
            for c in rule._converters.values()
        )
    )


def fill(rule, number):
    """The rule's path with `number` in its int parts, a real value elsewhere."""
    path = re.sub(r"<int:\w+>", number, rule)
    path = re.sub(r"<any\(([\w-]+)[^>]*>", r"\1", path)
    return re.sub(r"<(?:\w+:)?\w+>", MINE, path)


@pytest.fixture(params=ROLES)
def visitor(request, app, users):
    client = app.test_client()
    if request.param in EMAILS:
        response = AuthActions(client).login(EMAILS[request.param])
        assert response.status_code == 302
    return client


def test_the_url_map_has_int_routes():
    rules = dict(int_rules())
    assert "/partenaires/historique/<int:import_id>" in rules
    assert len(rules) >= 5


@pytest.mark.parametrize(("rule", "method"), int_rules())
def test_out_of_range_or_unicode_ids_are_404(visitor, rule, method):
    for number in BAD_IDS:
        url = fill(rule, number)
        response = visitor.open(url, method=method)
        assert response.status_code == 404, (url, response.status_code)
        assert "Page introuvable" in text(response)


@pytest.mark.parametrize(("rule", "method"), int_rules())
def test_largest_sqlite_id_is_never_a_500(visitor, rule, method):
    url = fill(rule, str(SQLITE_MAX))
    response = visitor.open(url, method=method)
    assert response.status_code < 500, url
    assert response.status_code in (302, 303, 400, 403, 404), url


def numeric_parameters(client):
    """(path, name) of every integer or number query parameter of the API."""
    document = client.get("/api/openapi.json").get_json()
    found = []
    for path, operations in document["paths"].items():
        for parameter in operations.get("get", {}).get("parameters", []):
            schema = parameter.get("schema", {})
            if parameter["in"] == "query" and schema.get("type") in (
                "integer",
                "number",
            ):
                found.append((path, parameter["name"]))
    return found


def query_for(name, value):
    """A query string giving `value` to `name` (lat and lon go together)."""
    other = {"lat": ("lon", "2.44"), "lon": ("lat", "44.93")}.get(name)
    query = {name: value}
    if other:
        query[other[0]] = other[1]
    return query


def test_hostile_numbers_in_query_strings_are_never_a_500(app, visitor):
    parameters = numeric_parameters(visitor)
    assert {name for _, name in parameters} >= {"page", "par_page", "limite", "lat"}
    targets = [(path, name) for path, name in parameters if path == "/api/communes"] + [
        (page, name)
        for path, name in parameters
        if path == "/api/services"
        for page in ("/api/services", "/recherche", "/carte", "/export/services.csv")
    ]
    for path, name in targets:
        for value in HOSTILE:
            response = visitor.get(path, query_string=query_for(name, value))
            assert response.status_code in (200, 400), (path, name, value[:20])


@pytest.mark.parametrize("name", ["page", "par_page"])
@pytest.mark.parametrize("value", NOT_ASCII_NUMBERS)
def test_search_numbers_are_ascii_digits_only(client, name, value):
    response = client.get("/api/services", query_string={name: value})
    assert response.status_code == 400
    body = response.get_json()
    assert body["parametre"] == name
    assert f"« {name} » doit être un nombre entier" in body["erreur"]
    page = client.get("/recherche", query_string={name: value})
    assert page.status_code == 400
    assert f"« {name} » doit être un nombre entier" in text(page)


@pytest.mark.parametrize("value", [*NOT_ASCII_NUMBERS, "9" * 100_000, "0", "51"])
def test_communes_limit_is_an_ascii_integer_from_1_to_50(client, value):
    response = client.get("/api/communes", query_string={"q": "aur", "limite": value})
    assert response.status_code == 400
    body = response.get_json()
    assert body["parametre"] == "limite"
    assert body["erreur"].startswith("« limite » doit être")
    assert client.get("/api/communes?q=aur&limite=2").get_json()[1]


@pytest.mark.parametrize(
    ("url", "method"),
    [
        (f"/partenaires/historique/{SQLITE_MAX + 1}", "GET"),
        (f"/partenaires/historique/{SQLITE_MAX + 1}/annuler", "POST"),
        (f"/admin/signalements/{SQLITE_MAX + 1}/traiter", "POST"),
        (f"/admin/partenaires/{SQLITE_MAX + 1}/desactiver", "POST"),
    ],
)
def test_ids_past_two_to_the_63_are_404_for_the_admin(app, users, url, method):
    client = app.test_client()
    AuthActions(client).login("admin@exemple.fr")
    assert client.open(url, method=method).status_code == 404


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"lat": "-3.453390458946682e-224", "lon": "3.789e-98"}, 200),
        ({"lat": "44.926012345678901234567890123456", "lon": "2,44"}, 200),
        ({"lat": "1e999", "lon": "2.44"}, 400),
        ({"lat": "\u0664\u0665", "lon": "2.44"}, 400),
        ({"page": "0" * 100_000 + "1"}, 200),
        ({"page": "-0"}, 400),
    ],
)
def test_decimal_notation_is_read_ascii_only(client, query, status):
    """Numbers as OpenAPI clients write them (exponent, long decimals) are read."""
    response = client.get("/api/services", query_string=query)
    assert response.status_code == status, response.get_json()
