"""/carte/grappes.json in the OpenAPI document: its parameters are those the
endpoint reads, its answers (200 and 400) match the documented schemas, its
`bbox` pattern accepts what the endpoint accepts."""

import json
import re

import jsonschema
import pytest

from directory.opendata import openapi_carte
from directory.search import clusters
from directory.search.query import PARAMETERS

PATH = "/carte/grappes.json"
CANTAL = "2.0,44.5,3.5,45.5"


@pytest.fixture
def document(client):
    return client.get("/api/openapi.json").get_json()


def operation(document):
    return document["paths"][PATH]["get"]


def validate(document, schema, body):
    """Validate `body` against `schema`, resolving the document's $refs."""
    jsonschema.validate(
        body, {**schema, "components": document["components"]}, cls=Draft202012
    )


Draft202012 = jsonschema.Draft202012Validator


def test_documented_parameters_are_the_view_and_the_maps_filters(document):
    documented = {p["name"]: p for p in operation(document)["parameters"]}
    assert set(documented) == {"bbox", "zoom"} | (
        set(PARAMETERS) - {"page", "par_page", "tri"}
    )
    assert documented["bbox"]["required"] and documented["zoom"]["required"]
    zoom = documented["zoom"]["schema"]
    assert (zoom["minimum"], zoom["maximum"]) == (clusters.MIN_ZOOM, clusters.MAX_ZOOM)
    # The filters are documented as for /api/services (same values).
    search = {
        p["name"]: p for p in document["paths"]["/api/services"]["get"]["parameters"]
    }
    for name in set(documented) - {"bbox", "zoom"}:
        assert documented[name] == search[name]
    assert operation(document)["x-parametres-exclusifs"] == [
        ["commune", "lat"],
        ["commune", "lon"],
    ]


ANSWERED = [
    {"bbox": CANTAL, "zoom": "9"},
    {"bbox": "-180,-90,180,90", "zoom": "3"},
    {"bbox": "-180,-90,180,90", "zoom": "18"},
    {"bbox": CANTAL, "zoom": "12", "besoin": "alimentation", "frais": "gratuit"},
    {"bbox": CANTAL, "zoom": "9", "commune": "Aurillac", "rayon": "10"},
    {"bbox": CANTAL, "zoom": "9", "q": "épicerie", "ouvert": "1"},
    {"bbox": "2.40,44.90,2.48,44.95", "zoom": "16", "lat": "44.93", "lon": "2.44"},
]


@pytest.mark.parametrize("params", ANSWERED, ids=lambda p: "&".join(p))
def test_answers_match_the_documented_schema(client, document, params):
    response = client.get(PATH, query_string=params)
    assert response.status_code == 200
    schema = operation(document)["responses"]["200"]["content"]["application/json"]
    body = response.get_json()
    validate(document, schema["schema"], body)
    # The positions the descriptions give (JSON Schema says only the lengths).
    for _, _, count, need, *extent in body["grappes"]:
        assert type(count) is int and count >= 2 and type(need) is int
        assert need >= -1 and extent[0] <= extent[2] and extent[1] <= extent[3]
    for _, _, ident, nom, commune, need in body["services"]:
        assert all(type(v) is str for v in (ident, nom, commune))
        assert type(need) is int and need >= -1


REFUSED = [
    {"zoom": "9"},
    {"bbox": CANTAL},
    {"bbox": "3,44,2,45", "zoom": "9"},
    {"bbox": CANTAL, "zoom": "9", "frais": "cher"},
    {"bbox": CANTAL, "zoom": "9", "ouvert": "oui"},  # the page's leniency only
    {"bbox": CANTAL, "zoom": "9", "besoin": ""},
    {"bbox": CANTAL, "zoom": "9", "commune": "Aurillac", "lat": "45", "lon": "2"},
]


@pytest.mark.parametrize("params", REFUSED, ids=lambda p: "&".join(p))
def test_refusals_match_the_documented_error(client, document, params):
    response = client.get(PATH, query_string=params)
    assert response.status_code == 400
    schema = operation(document)["responses"]["400"]["content"]["application/json"]
    validate(document, schema["schema"], response.get_json())


def test_the_lists_parameters_do_not_change_the_map(client):
    plain = client.get(PATH, query_string={"bbox": CANTAL, "zoom": "9"})
    for extra in ({"page": "0"}, {"par_page": "999"}, {"tri": "distance"}):
        response = client.get(PATH, query_string={"bbox": CANTAL, "zoom": "9", **extra})
        assert response.status_code == 200, extra
        assert response.get_json() == plain.get_json()


BOXES = [
    "2,44,3,45",
    "-180,-90,180,90",
    "-180.000000,-90.000000,180.000000,90.000000",
    "2.123456789012,44.5,3.5,45.5",
    "002,044,003,090",
    "-0,-0,-0,-0",
    "179.999,89.999,180,90",
    "2.1234567890123,44,3,45",  # 13 decimals
    "180.5,44,181,45",
    "2,90.1,3,91",
    "-181,44,3,45",
    "+2,44,3,45",
    ".5,44,3,45",
    "2.,44,3,45",
    "2 ,44,3,45",
    "2,44,3,45 ",
    "1e1,44,3,45",
    "2,44,3",
    "2,44,3,45,5",
    "2;44;3;45",
    "0x1,44,3,45",
    "١,44,3,45",
]


@pytest.mark.parametrize("box", BOXES)
def test_the_bbox_pattern_is_what_the_endpoint_accepts(client, document, box):
    (bbox,) = [p for p in operation(document)["parameters"] if p["name"] == "bbox"]
    pattern = bbox["schema"]["pattern"]
    assert pattern == openapi_carte.BBOX_PATTERN
    documented = re.fullmatch(pattern.strip("^$"), box) is not None
    response = client.get(PATH, query_string={"bbox": box, "zoom": "5"})
    assert response.status_code == (200 if documented else 400), response.get_json()


def test_the_pages_source_url_uses_documented_values(client):
    html = client.get(
        "/carte?ouvert=oui&frais=Gratuit&besoin=Se+nourrir&page=2&tri=nom"
    ).get_data(as_text=True)
    (block,) = re.findall(
        r'<script type="application/json" id="donnees-[^"]+">(.*?)<', html
    )
    source = json.loads(block)["source"]
    assert source == "/carte/grappes.json?besoin=alimentation&frais=gratuit&ouvert=1"
    response = client.get(f"{source}&bbox={CANTAL}&zoom=9")
    assert response.status_code == 200
