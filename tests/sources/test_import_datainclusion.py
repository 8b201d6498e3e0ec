"""`flask import-datainclusion` end to end: the real command, the real HTTP client
against a local server replaying recorded data·inclusion pages, and files."""

import datetime
import json
import os
import re
import subprocess
import sys

import pytest
from conftest import ROOT, TEST_DATA, copy_db, snapshot

from directory.db import get_db
from directory.search.hours import PARIS

from .fake_api import TOKEN, FakeAPI

DI = TEST_DATA / "datainclusion"
NOW = datetime.datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)
ENERGY = "dora--7d2e9f41-0c6b-4a85-b3e7-1f9a2c4d6e08"
FOOD = "soliguide--4521-food-packages-34b030b1"
CRECHE = "monenfant--6489213-accueil"
PERMIS = "france-travail--15014-aide-permis"
VESTIAIRE = "soliguide--4600-clothing"
FOOD_DORA = "dora--2b4d6f80-1a3c-4e5a-9c7e-0b2d4f6a8c1e"


@pytest.fixture
def api():
    server = FakeAPI().start()
    yield server
    server.stop()


@pytest.fixture
def di_app(app, api):
    app.config.update(
        DATA_INCLUSION_URL=api.url,
        DATA_INCLUSION_TOKEN=TOKEN,
        DATA_INCLUSION_BACKOFF=0,
        DATA_INCLUSION_RETRIES=2,
        DATA_INCLUSION_TIMEOUT=2,
        DATA_INCLUSION_PAGE_SIZE=4,
        CLOCK=lambda: NOW,
    )
    return app


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=["import-datainclusion", *map(str, args)])


def state(app):
    """Every data table plus the audit trail, to prove nothing was written."""
    with app.app_context():
        db = get_db()
        return (
            snapshot(db),
            db["imports"].count,
            db["changes"].count,
        )


def imported(app, ids):
    with app.app_context():
        db = get_db()
        rows = {
            r["id"]: r
            for r in db.query(
                f"select * from services where id in ({','.join('?' * len(ids))})",
                list(ids),
            )
        }
        needs = {}
        for r in db.query(
            "select service_id, besoin from service_besoins order by besoin"
        ):
            if r["service_id"] in rows:
                needs.setdefault(r["service_id"], []).append(r["besoin"])
        return rows, needs


def test_api_import_end_to_end(di_app, api):
    before = state(di_app)
    result = invoke(di_app, "--api")
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"« API data·inclusion ({api.url}) » : 6 lignes de services lues" in out
    assert "Bilan : 6 nouveaux, 0 modifié, 0 inchangé" in out
    assert (
        "4 services laissés de côté : hors du territoire (1), ligne illisible (1), "
        "service incomplet (1), thématique sans besoin correspondant (1)."
    ) in out
    assert (
        "ligne 7 · API, page 2 des services, service n° 3 : n'est pas un objet "
        "JSON ; service laissé de côté."
    ) in out
    assert "ligne 8 · API, page 2 des services, service n° 4 : pas de « nom »" in out
    # the real client: token, département, every page
    assert {auth for _, _, auth in api.requests} == {f"Bearer {TOKEN}"}
    assert {q["code_departement"][0] for _, q, _ in api.requests} == {"15"}
    assert api.pages("structures") == [1]
    assert api.pages("services") == [1, 2, 3]
    rows, needs = imported(di_app, [ENERGY, FOOD, CRECHE, PERMIS, VESTIAIRE])
    assert needs == {
        ENERGY: ["budget", "logement"],
        FOOD: ["alimentation"],
        CRECHE: ["garde-enfants"],
        PERMIS: ["mobilite"],
        VESTIAIRE: ["equipement-vetements"],
    }
    assert rows[VESTIAIRE]["statut"] == "ferme"  # suspended at the source
    assert {rows[i]["statut"] for i in (ENERGY, FOOD, CRECHE, PERMIS)} == {"actif"}
    energy = rows[ENERGY]
    assert (energy["source"], energy["id_source"], energy["score_qualite"]) == (
        "dora",
        ENERGY,
        0.82,
    )
    assert energy["lien_source"].startswith("https://dora.inclusion.beta.gouv.fr/")
    assert energy["horaires"] == "Mo-Fr 08:30-12:00,13:30-17:00; PH off"
    assert energy["origine"] == f"API data·inclusion ({api.url})"
    # the same CCAS from two sources: both kept, with the keys that match them
    assert rows[ENERGY]["siret"] == rows[FOOD]["siret"] == "26150014100013"
    assert rows[FOOD]["modalites_acces"] == "orientation-professionnel"
    after = state(di_app)
    assert after[1] == before[1] + 1
    with di_app.app_context():
        log = (
            get_db()
            .execute("select utilisateur, genre from imports order by id desc limit 1")
            .fetchone()
        )
    assert log == ("cli", "datainclusion")
    # the food parcels listed by both DORA and Soliguide: shown once (the
    # import computes the duplicate clusters)
    rows, _ = imported(di_app, [FOOD, FOOD_DORA])
    assert {rows[FOOD]["doublon_de"], rows[FOOD_DORA]["doublon_de"]} == {
        None,
        FOOD_DORA,  # DORA's has the better score_qualite
    }


def test_reimport_changes_nothing(di_app):
    assert invoke(di_app, "--api").exit_code == 0
    before = state(di_app)
    again = invoke(di_app, "--api")
    assert again.exit_code == 0, again.output
    assert "Aucune modification : la base est déjà à jour." in again.output
    assert state(di_app)[0] == before[0]


def test_dry_run_writes_nothing(di_app):
    before = state(di_app)
    result = invoke(di_app, "--api", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Bilan : 6 nouveaux" in result.output
    assert "Essai à blanc : rien n'a été enregistré." in result.output
    assert state(di_app) == before


def test_sources_option(di_app, api):
    result = invoke(di_app, "--api", "--sources", "soliguide,monenfant")
    assert result.exit_code == 0, result.output
    assert "Bilan : 3 nouveaux" in result.output
    assert (
        "7 services laissés de côté : source non demandée (6), ligne illisible (1)."
        in result.output
    )
    assert {q["sources"][0] for _, q, _ in api.requests} == {"monenfant"}
    assert all(q["sources"] == ["monenfant", "soliguide"] for _, q, _ in api.requests)


def fail_500(api, app):
    api.script += [("services", 500, b'{"detail": "erreur"}', {})] * 3


def fail_401(api, app):
    api.script.append(("structures", 401, b"{}", {}))


def hang(api, app):
    app.config.update(DATA_INCLUSION_TIMEOUT=0.3, DATA_INCLUSION_RETRIES=0)
    api.script.append(("services", 200, None, {"hang": True}))


def huge_page(api, app):
    app.config.update(DATA_INCLUSION_MAX_PAGE_BYTES=4096)


def bad_json(api, app):
    api.script.append(("services", 200, b'{"items": [{"id": "dora--x",', {}))


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        (
            fail_500,
            "L'API data·inclusion est en erreur (HTTP 500, page 1 des services)",
        ),
        (fail_401, "Jeton refusé par l'API data·inclusion (HTTP 401)"),
        (hang, "L'API data·inclusion ne répond pas (page 1 des services)"),
        (huge_page, "Page trop volumineuse (page 1 des structures) : plus de 4 Ko"),
        (bad_json, "JSON invalide"),
    ],
    ids=["500", "401", "timeout", "page-enorme", "json-invalide"],
)
def test_api_failures_write_nothing(di_app, api, failure, message):
    before = state(di_app)
    failure(api, di_app)
    result = invoke(di_app, "--api")
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Aucune modification enregistrée." in result.output
    assert TOKEN not in result.output  # the token is never printed
    assert state(di_app) == before


def test_api_without_token(di_app):
    di_app.config["DATA_INCLUSION_TOKEN"] = None
    result = invoke(di_app, "--api")
    assert result.exit_code == 1
    assert "Jeton absent : définissez la variable d'environnement" in result.stderr


def test_api_or_files_not_both(di_app):
    result = invoke(di_app, "--api", DI / "services-v0.json")
    assert result.exit_code == 2
    assert "Indiquez soit --api, soit un ou plusieurs fichiers." in result.stderr


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "truncated.json",
            "truncated.json : JSON incomplet, le fichier semble tronqué",
        ),
        ("invalid.json", "invalid.json : JSON invalide ligne 1, colonne 57"),
    ],
)
def test_bad_files_write_nothing(di_app, name, message):
    before = state(di_app)
    result = invoke(di_app, DI / "structures-v0.json", DI / name)
    assert result.exit_code == 1
    assert message in result.output
    assert "Aucune modification enregistrée." in result.output
    assert state(di_app) == before


def test_0x_open_data_files(di_app):
    result = invoke(di_app, DI / "structures-v0.json", DI / "services-v0.json")
    assert result.exit_code == 0, result.output
    assert "Bilan : 2 nouveaux" in result.output
    assert "1 service laissé de côté : hors du territoire (1)." in result.output
    rows, needs = imported(
        di_app,
        [
            "mediation-numerique--15138-france-services-murat-demarches",
            "dora--c5e7a9b1-3d4f-4a6b-8c2e-4a6b8c0e2a34",
        ],
    )
    assert needs == {
        "mediation-numerique--15138-france-services-murat-demarches": [
            "acces-aux-droits",
            "numerique",
        ],
        "dora--c5e7a9b1-3d4f-4a6b-8c2e-4a6b8c0e2a34": ["garde-enfants"],
    }
    periscolaire = rows["dora--c5e7a9b1-3d4f-4a6b-8c2e-4a6b8c0e2a34"]
    assert periscolaire["justificatifs"] == (
        "Justificatif de domicile ; Attestation de quotient familial CAF"
    )
    assert periscolaire["modes_orientation_beneficiaire"] == (
        "telephoner, completer-le-formulaire-dadhesion"
    )
    assert periscolaire["modes_orientation_accompagnateur"] == "envoyer-un-mail"
    assert periscolaire["mobilisation_precisions"] == (
        "Pour les personnes : Inscription en mairie."
    )
    assert periscolaire["commune"] == "Mauriac"
    # The fiche says what to bring and how to apply (issue 13, part 2).
    page = di_app.test_client().get(
        "/services/dora--c5e7a9b1-3d4f-4a6b-8c2e-4a6b8c0e2a34"
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert re.search(
        r'<dt>À apporter</dt><dd class="texte" id="a-apporter"><ul><li>Justificatif '
        r"de domicile</li><li>Attestation de quotient familial CAF</li></ul></dd>",
        html,
    )
    assert re.search(
        r'<dt>Comment faire une demande</dt><dd class="texte" id="comment-demander">'
        r"<p>Vous-même : Téléphoner, remplir le formulaire d(&#39;|')adhésion\.</p>"
        r"<p>Par un professionnel \(travailleur social, conseiller\) : Envoyer un "
        r"courriel\.</p><p>Pour les personnes : Inscription en mairie\.</p>",
        html,
    )


def test_search_answer_and_json_lines_files(di_app):
    result = invoke(
        di_app,
        DI / "search-services.json",
        DI / "services.jsonl",
        DI / "structures.csv",
    )
    assert result.exit_code == 0, result.output
    assert "Bilan : 4 nouveaux" in result.output
    assert "ligne 4 · services.jsonl, service n° 2 : ligne 2 illisible" in result.output
    _, needs = imported(di_app, ["dora--f2a3b4c5-d6e7-4f8a-9b0c-1d2e3f4a5b6c"])
    assert needs == {
        "dora--f2a3b4c5-d6e7-4f8a-9b0c-1d2e3f4a5b6c": ["famille", "garde-enfants"]
    }


def api_pages(tmp_path, drop=()):
    """Copies of the recorded pages, without the services whose id is in `drop`."""
    paths = []
    for path in sorted((DI / "api").glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        document["items"] = [
            item
            for item in document["items"]
            if not (isinstance(item, dict) and item.get("id") in drop)
        ]
        copy = tmp_path / path.name
        copy.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        paths.append(copy)
    return paths


def test_a_service_gone_from_the_source_is_closed(di_app, tmp_path):
    first = invoke(di_app, *api_pages(mkdir(tmp_path / "a")))
    assert first.exit_code == 0, first.output
    # Soliguide no longer lists its food parcels (it still lists the vestiaire)
    gone = "soliguide--4521-food_packages"
    again = invoke(di_app, *api_pages(mkdir(tmp_path / "b"), drop={gone}))
    assert again.exit_code == 0, again.output
    assert "1 fermé" in again.output
    rows, _ = imported(di_app, [FOOD, ENERGY])
    assert rows[FOOD]["statut"] == "ferme"
    assert rows[ENERGY]["statut"] == "actif"


def test_undo_restores_the_database_exactly(di_app):
    before = state(di_app)[0]
    result = invoke(di_app, "--api")
    assert result.exit_code == 0, result.output
    with di_app.app_context():
        (import_id,) = get_db().execute("select max(id) from imports").fetchone()
    undone = di_app.test_cli_runner().invoke(args=["undo-import", str(import_id)])
    assert undone.exit_code == 0, undone.output
    assert state(di_app)[0] == before


def mkdir(path):
    path.mkdir()
    return path


def test_unknown_source_is_pointed_out(di_app):
    result = invoke(di_app, "--api", "--sources", "dorra", "--dry-run")
    assert result.exit_code == 0
    assert "Attention : source « dorra » inconnue" in result.stderr
    assert "data-inclusion, dora, emplois-de-linclusion" in result.stderr


def test_real_flask_process_reads_the_token_from_the_environment(
    api, seeded_db_path, tmp_path
):
    database = copy_db(seeded_db_path, tmp_path)
    env = dict(
        os.environ,
        FLASK_DATABASE=str(database),
        DATA_INCLUSION_TOKEN=TOKEN,
        FLASK_DATA_INCLUSION_URL=api.url,
        FLASK_DATA_INCLUSION_BACKOFF="0",
        FLASK_DATA_INCLUSION_PAGE_SIZE="4",
    )
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "directory"]
        + ["import-datainclusion", "--api", "--dry-run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Essai à blanc : rien n'a été enregistré." in result.stdout
    assert {auth for _, _, auth in api.requests} == {f"Bearer {TOKEN}"}
    assert api.pages("services") == [1, 2, 3]


def test_progress_bars_on_stderr(di_app, monkeypatch):
    monkeypatch.setenv("DIRECTORY_PROGRESS", "1")
    result = invoke(di_app, "--api", "--dry-run")
    assert result.exit_code == 0, result.output
    for label in ("structures", "services", "vérification"):
        assert f"data·inclusion, {label}" in result.stderr
    assert "data·inclusion, services" not in result.stdout  # the report stays clean


def test_a_pair_from_two_sources_is_shown_once_everywhere(di_app):
    """The food parcels of the Aurillac CCAS, listed by Soliguide and by DORA:
    after the import, search (page and API), map and exports show DORA's only."""
    result = invoke(di_app, "--api")
    assert result.exit_code == 0, result.output
    client = di_app.test_client()
    page = client.get("/recherche?q=colis&par_page=100").get_data(as_text=True)
    assert f"/services/{FOOD_DORA}" in page
    assert f"/services/{FOOD}" not in page
    api = client.get("/api/services?q=colis&par_page=100").get_json()
    shown = {s["id"] for s in api["services"]}
    assert FOOD_DORA in shown and FOOD not in shown
    carte = client.get("/carte?q=colis").get_data(as_text=True)
    assert FOOD_DORA in carte and FOOD not in carte
    body = client.get("/export/services.csv?q=colis").data.decode("utf-8-sig")
    assert FOOD_DORA in body and FOOD not in body
    geo = client.get("/export/services.geojson?q=colis").get_json()
    ids = {f["id"] for f in geo["features"]}
    assert FOOD_DORA in ids and FOOD not in ids
    # the fiche of the one shown names the other source
    fiche = client.get(f"/services/{FOOD_DORA}").get_data(as_text=True)
    assert "Aussi référencé par" in fiche and "Soliguide" in fiche
