"""The API keeps its OpenAPI contract: Schemathesis (all checks) against a live server.

Bounded (30 examples per operation) and derandomized, so a run is reproducible;
the hooks in schemathesis_hooks.py keep generated requests to the rules between
parameters that the document states in its `x-parametres-*` extensions.
"""

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from directory import create_app

HERE = Path(__file__).resolve().parent
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


class QuietHandler(WSGIRequestHandler):
    def log_request(self, code="-", size="-"):
        pass


@pytest.fixture
def live_api(seeded_db_path, tmp_path):
    """The app on a private copy of the seed, served by werkzeug in a thread."""
    path = tmp_path / "contrat.db"
    shutil.copy(seeded_db_path, path)
    app = create_app({"TESTING": True, "DATABASE": str(path)})
    server = make_server(
        "127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_schemathesis_finds_no_failure(live_api, tmp_path):
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(HERE), os.environ.get("PYTHONPATH")])
        ),
        "NO_COLOR": "1",
    }
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{live_api}/api/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            "30",
            "--generation-deterministic",
            "--workers",
            "1",
            "--no-color",
        ],
        cwd=tmp_path,  # no stray config file, reports or example database
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "5 selected / 5 total" in output
    assert "No issues found" in output


@pytest.mark.parametrize(
    "url", ["/api/services", "/api/communes", "/api/besoins", "/api/openapi.json"]
)
def test_405_says_which_methods_are_allowed(client, url):
    response = client.delete(url)
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "HEAD"}
    assert response.get_json()["erreur"] == "Cette adresse ne s'utilise pas ainsi."


@pytest.mark.parametrize(
    ("query", "parametre", "text"),
    [
        ("tri=", "tri", "« tri » vide : valeurs possibles : pertinence, distance"),
        ("tri=%20", "tri", "« tri » vide"),
        ("ouvert=oui", "ouvert", "« ouvert » « oui » : valeurs possibles : 0, 1."),
        ("frais=cher", "frais", "« cher »"),
        ("lat=&lon=2.4", "lat", "« lat » est vide"),
        ("besoin=", "besoin", "« besoin » vide"),
        ("commune=Aurillac&lat=45&lon=2.4", "commune", "soit « commune »"),
        ("lat=45", "lon", "« lat » et « lon » vont ensemble"),
        ("tri=distance", "tri", "demande une commune ou une position"),
    ],
)
def test_api_refuses_what_its_document_excludes(client, query, parametre, text):
    response = client.get(f"/api/services?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["parametre"] == parametre
    assert text in body["erreur"]


def test_pages_stay_lenient_with_empty_form_fields(client):
    """The search form sends empty fields: the page accepts them, only the API
    (which documents its values) refuses them."""
    response = client.get("/recherche?q=&tri=&frais=&ouvert=&rayon=")
    assert response.status_code == 200


def test_document_states_414_and_the_rules_between_parameters(client):
    document = client.get("/api/openapi.json").get_json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert "414" in operation["responses"], (method, path)
    search = document["paths"]["/api/services"]["get"]
    assert search["x-parametres-exclusifs"] == [["commune", "lat"], ["commune", "lon"]]
    assert search["x-parametres-lies"] == [["lat", "lon"]]
    assert search["x-valeurs-avec-lieu"] == {"tri": ["distance"]}
    params = {p["name"]: p for p in search["parameters"]}
    assert "jamais avec « commune »" in params["lat"]["description"]
    besoins = params["besoin"]["schema"]["items"]["enum"]
    # Each need by its slug or its French label, as the API reads them.
    assert {"alimentation", "Se nourrir"} <= set(besoins) and len(besoins) == 32
    assert (
        "« commune » avec « lat »/« lon »" in search["responses"]["400"]["description"]
    )


def test_server_answers_414_to_an_overlong_address(live_api):
    """What the 414 of the document describes: the web server's own refusal."""
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{live_api}/api/services?q={'a' * 70_000}", timeout=30)
    assert caught.value.code == 414
    caught.value.close()
