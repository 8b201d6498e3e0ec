"""Open-data exports (SPEC §8): CSV round trip, formula escaping, GeoJSON, DI."""

import csv
import io
import json

import pytest
from data_inclusion.schema.v1 import Service, Structure
from pydantic import ValidationError

from directory.db import get_db
from directory.imports import engine as importer
from directory.opendata.csv_excel import escape_formula, export_rows, national_phone
from directory.web.context import prepare_import


def test_csv_export_is_excel_fr(client):
    response = client.get("/export/services.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.data
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\r\n") >= 36
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert all(r["statut"] != "ferme" for r in rows)
    phones = [r["telephone"] for r in rows if r["telephone"]]
    assert phones and all(p.startswith(("0", "1")) for p in phones)


def test_csv_export_reimports_with_no_change(app, client):
    data = client.get("/export/services.csv").data
    with app.app_context():
        report = prepare_import(get_db(), data, "export.csv")
    assert report.ok, [i.text for i in report.errors]
    assert (len(report.new), len(report.changed)) == (0, 0)
    assert len(report.unchanged) >= 35
    assert "Aucune modification" in importer.format_report(report, dry_run=False)


def test_hostile_values_come_out_escaped_and_back_in_unchanged(app, client):
    with app.app_context():
        db = get_db()
        service_id = next(db["services"].rows)["id"]
        db["services"].update(
            service_id,
            {
                "nom": '=HYPERLINK("http://evil.example","clic")',
                "conditions_acces": "+33 rappel",
                "horaires_precisions": "@SUM(A1)",
                "description": "-2 € par colis",
            },
        )
    data = client.get("/export/services.csv").data.decode("utf-8-sig")
    row = next(
        r
        for r in csv.DictReader(io.StringIO(data), delimiter=";")
        if r["id"] == service_id
    )
    assert row["nom"] == '\'=HYPERLINK("http://evil.example","clic")'
    assert row["conditions_acces"] == "'+33 rappel"
    assert row["horaires_precisions"] == "'@SUM(A1)"
    assert row["description"] == "'-2 € par colis"
    with app.app_context():
        report = prepare_import(get_db(), data.encode("utf-8-sig"), "export.csv")
    assert report.ok
    assert service_id in report.unchanged


@pytest.mark.parametrize(
    "value, escaped",
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("ok", "ok"),
        (12.5, 12.5),
        (None, None),
    ],
)
def test_escape_formula(value, escaped):
    assert escape_formula(value) == escaped


def test_export_rows_and_phones():
    data = export_rows([{"id": "a--b", "telephone": "+33471462020", "nom": "=1"}])
    text = data.decode("utf-8-sig")
    assert text.splitlines()[1].startswith("a--b;;'=1;")
    assert "04 71 46 20 20" in text
    assert national_phone("115") == "115"


def test_exports_honour_search_filters(client):
    every = client.get("/export/services.geojson").get_json()
    food = client.get("/export/services.geojson?besoin=alimentation").get_json()
    api = client.get("/api/services?besoin=alimentation&par_page=100").get_json()
    assert len(food["features"]) == api["total"] < len(every["features"])
    csv_rows = client.get("/export/services.csv?besoin=alimentation").data
    assert csv_rows.count(b"\r\n") - 1 == api["total"]
    assert client.get("/export/services.csv?besoin=logment").status_code == 400


def test_geojson_has_one_feature_per_service(app, client):
    body = json.loads(client.get("/export/services.geojson").data)
    assert body["type"] == "FeatureCollection"
    with app.app_context():
        open_services = get_db()["services"].count_where("statut != 'ferme'")
    assert len(body["features"]) == open_services
    ids = [f["id"] for f in body["features"]]
    assert len(set(ids)) == len(ids)
    for feature in body["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert 44 < lat < 46 and 2 < lon < 4
        assert feature["properties"]["url"].endswith(feature["id"])


def test_data_inclusion_services_validate_against_the_schema(client):
    services = client.get("/export/data-inclusion/services.json").get_json()
    assert len(services) >= 35
    for item in services:
        model = Service.model_validate(item, context={"ignore_warnings": False})
        assert model.id.startswith("annuaire-solidarites-cantal--")
        assert model.thematiques
    structures = client.get("/export/data-inclusion/structures.json").get_json()
    assert {s["id"] for s in structures} == {s["structure_id"] for s in services}
    for item in structures:
        Structure.model_validate(item, context={"ignore_warnings": False})


def test_data_inclusion_schema_rejects_a_broken_export():
    """The validation above can fail: a wrong enum value is caught."""
    with pytest.raises(ValidationError):
        Service.model_validate(
            {
                "source": "x",
                "structure_id": "x--s",
                "id": "x--1",
                "nom": "Nom",
                "description": "Une description.",
                "date_maj": "2026-01-01",
                "publics": ["martiens"],
            }
        )


def test_donnees_page_explains_exports_and_licence(client):
    page = client.get("/donnees").get_data(as_text=True)
    assert "Licence Ouverte 2.0" in page
    for url in (
        "/export/services.csv",
        "/export/services.geojson",
        "/export/data-inclusion/services.json",
        "/export/data-inclusion/structures.json",
        "/api/openapi.json",
    ):
        assert url in page
