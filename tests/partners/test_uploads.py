"""Upload → preview → confirm: counts and diffs, tokens, concurrency, reliability."""

import datetime
import threading
import time

import pytest
from partner_helpers import (
    MINE,
    OTHER,
    AuthActions,
    content,
    csv_bytes,
    open_db,
    seed_rows,
    text,
    token_of,
    upload,
)

from directory.db import get_db
from directory.imports import engine as importer
from directory.search.hours import PARIS
from directory.web.context import prepare_import

HALTE = f"{MINE}--halte-de-nuit-aurillac"
HALTE_SF = f"{MINE}--halte-de-nuit-saint-flour"
ACCUEIL = f"{MINE}--accueil-de-jour-aurillac"
NEW = f"{MINE}--permanence-murat"


def messy_file():
    """The partner's rows as French Excel saves them, with three edits, a
    closure and a new service: cp1252, ';', JJ/MM/AAAA dates, a phone number
    that lost its leading 0, non-breaking spaces."""
    rows = seed_rows(MINE)
    for row in rows:
        row["date_maj"] = "/".join(reversed(row["date_maj"].split("-")))
        row["commune"] = row["commune"] + "\u00a0"
        if row["id"] == HALTE:
            row["nom"] = "Halte de nuit d'Aurillac (ANEF)"
        elif row["id"] == HALTE_SF:
            row["statut"] = "ferme"
        elif row["id"] == ACCUEIL:
            row["telephone"] = "471 45 60 00"
    rows.append(
        dict(
            rows[0],
            id=NEW,
            nom="Permanence d'écoute à Murat",
            adresse="",
            code_postal="15300",
            commune="Murat",
            code_insee="",
            latitude="",
            longitude="",
            telephone="04 71 20 00 00",
        )
    )
    return csv_bytes(rows)


EXPECTED = {
    (HALTE, "nom"): "Halte de nuit d'Aurillac (ANEF)",
    (HALTE_SF, "statut"): "ferme",
    (ACCUEIL, "telephone"): "+33471456000",
}


def changed_fields(before, after):
    """{(id, column): new value} between two `content` snapshots of services."""
    old = {dict(r)["id"]: dict(r) for r in before["services"]}
    diff, created = {}, []
    for row in map(dict, after["services"]):
        if row["id"] not in old:
            created.append(row["id"])
            continue
        for column, value in row.items():
            if column != "modifie_le" and old[row["id"]][column] != value:
                diff[row["id"], column] = value
    return diff, created


def test_messy_file_preview_then_confirm_writes_exactly_the_preview(app, client, auth):
    auth.login()
    with open_db(app) as db:
        before = content(db)
    response = upload(client, messy_file(), "mes services.csv")
    assert response.status_code == 200
    page = text(response)
    assert "encodage Windows-1252" in page
    for count, label in ((1, "nouveau(x)"), (3, "modifié(s)"), (3, "inchangé(s)")):
        assert f"<strong>{count}</strong> {label}" in page
    assert "<strong>1</strong> fermé(s)" in page
    # Field-by-field before/after of each changed service.
    assert '<td class="avant">Halte de nuit d\'Aurillac</td>' in page
    assert '<td class="apres">Halte de nuit d\'Aurillac (ANEF)</td>' in page
    assert '<td class="avant">actif</td><td class="apres">ferme</td>' in page
    assert '<td class="avant"></td><td class="apres">+33471456000</td>' in page
    assert "Permanence d'écoute à Murat" in page
    with open_db(app) as db:
        assert content(db) == before, "the preview writes nothing"
    response = client.post(
        "/partenaires/import/confirmer", data={"jeton": token_of(response)}
    )
    assert response.status_code == 302
    result = client.get(response.location)
    page = text(result)
    assert "Import n°" in page and "enregistré" in page
    for service_id in (HALTE, HALTE_SF, ACCUEIL, NEW):
        assert f'href="/services/{service_id}"' in page
    with open_db(app) as db:
        diff, created = changed_fields(before, content(db))
        row = db["imports"].get(result.request.path.rsplit("/", 1)[1])
    assert created == [NEW]
    # Issue 10.10: every row of the file is re-dated to the day it was sent.
    dates = {key: diff.pop(key) for key in list(diff) if key[1] == "date_maj"}
    assert len(dates) == 6 and len(set(dates.values())) == 1
    assert diff == EXPECTED
    assert row["utilisateur"] == "partenaire@exemple.fr"
    assert (row["nouveaux"], row["modifies"], row["inchanges"], row["fermes"]) == (
        1,
        3,
        3,
        1,
    )
    # Same file again: nothing left to do.
    assert "Aucune modification" in text(upload(client, messy_file()))


def test_file_with_other_structure_ids_is_refused_naming_them(app, client, auth):
    auth.login()
    rows = seed_rows(MINE)
    theirs = seed_rows(OTHER)
    theirs[0]["nom"] = "UDAF détournée"
    stolen = dict(theirs[1], structure_id=MINE, structure_nom=rows[0]["structure_nom"])
    with open_db(app) as db:
        before = content(db)
    page = text(upload(client, csv_bytes(rows + [theirs[0], stolen])))
    assert "Erreurs à corriger" in page
    assert (
        f"« {OTHER} » : cette structure n'est pas rattachée à votre compte ; "
        f"la ligne (service « {theirs[0]['id']} ») est refusée." in page
    )
    assert (
        f"« {stolen['id']} » : ce service appartient à la structure « {OTHER} », "
        "vous ne pouvez pas le modifier." in page
    )
    assert 'name="jeton"' not in page
    with open_db(app) as db:
        assert content(db) == before
        assert db["depots"].count == 0


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("services.pdf", b"%PDF-1.4", "Format non pris en charge"),
        ("vide.csv", b"", "Le fichier est vide."),
        ("entete.csv", b"id;nom\r\n", "obligatoire"),
    ],
)
def test_bad_files_get_a_french_message(client, auth, filename, data, message):
    auth.login()
    response = upload(client, data, filename)
    assert response.status_code in (200, 400)
    assert message in text(response)


def test_too_large_file_gets_a_french_message(app, client, auth):
    """A logged-in partner sending 3 MB (limit 2 MB) with CSRF on, as a browser
    does (token first in the body), sees the French page, not the login page."""
    assert app.config["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024
    auth.login()
    token = client.csrf_token("/partenaires/import").encode()
    # A hand-made multipart body: the test client would spool a big one to a
    # temporary file that it never closes.
    body = (
        b'--limite\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        + token
        + b'\r\n--limite\r\nContent-Disposition: form-data; name="fichier"; '
        b'filename="gros.csv"\r\nContent-Type: text/csv\r\n\r\n'
        + b"x" * (3 * 1024 * 1024)
        + b"\r\n--limite--\r\n"
    )
    response = client.post(
        "/partenaires/import",
        data=body,
        content_type="multipart/form-data; boundary=limite",
    )
    assert response.status_code == 413
    page = text(response)
    assert "Fichier trop volumineux : la limite est de 2 Mo." in page
    assert "partenaire@exemple.fr" in page and "Se déconnecter" in page


@pytest.fixture
def previewed(app, client, auth):
    """A clean preview of the partner: (token, content before)."""
    auth.login()
    with open_db(app) as db:
        before = content(db)
    return token_of(upload(client, messy_file())), before


def confirm(client, token):
    return client.post(
        "/partenaires/import/confirmer", data={"jeton": token}, follow_redirects=True
    )


def test_tampered_token_is_refused(app, client, previewed):
    token, before = previewed
    page = text(confirm(client, token[:-2] + "xx"))
    assert "Ce dépôt de fichier est introuvable" in page
    page = text(confirm(client, ""))
    assert "introuvable" in page
    with open_db(app) as db:
        assert content(db) == before


def test_expired_token_is_refused(app, client, previewed):
    token, before = previewed
    later = datetime.datetime.now(PARIS) + datetime.timedelta(hours=2)
    app.config["CLOCK"] = lambda: later
    assert "Ce dépôt a expiré" in text(confirm(client, token))
    with open_db(app) as db:
        assert content(db) == before


def test_token_of_another_partner_is_refused(app, client, previewed):
    token, before = previewed
    other = AuthActions(app.test_client())
    other.login("autre@exemple.fr")
    page = text(confirm(other.client, token))
    assert "introuvable" in page
    with open_db(app) as db:
        assert content(db) == before
    # The owner can still confirm it.
    assert "enregistré" in text(confirm(client, token))


def test_confirmed_token_cannot_be_replayed_or_abandoned(app, client, previewed):
    token, _ = previewed
    confirm(client, token)
    assert "Ce fichier a déjà été importé (import n°" in text(confirm(client, token))
    response = client.post(
        "/partenaires/import/abandonner", data={"jeton": token}, follow_redirects=True
    )
    assert "déjà été importé" in text(response)
    with open_db(app) as db:
        assert db["imports"].count_where("utilisateur = 'partenaire@exemple.fr'") == 1


def test_abandon_writes_nothing(app, client, previewed):
    token, before = previewed
    response = client.post(
        "/partenaires/import/abandonner", data={"jeton": token}, follow_redirects=True
    )
    assert "Dépôt abandonné : rien n'a été enregistré." in text(response)
    assert "abandonné" in text(confirm(client, token))
    with open_db(app) as db:
        assert content(db) == before
        assert db["depots"].get(token)["contenu"] is None


def test_two_concurrent_confirms_apply_once(app, client, previewed):
    token, _ = previewed
    second = AuthActions(app.test_client())
    second.login()
    for test_client in (client, second.client):
        test_client.csrf_token("/partenaires/import")  # both pages already open
    barrier = threading.Barrier(2)
    responses = []

    def post(test_client):
        barrier.wait()
        response = test_client.post(
            "/partenaires/import/confirmer", data={"jeton": token}
        )
        responses.append((test_client, response))

    threads = [
        threading.Thread(target=post, args=(c,)) for c in (client, second.client)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    targets = sorted(r.location for _, r in responses)
    assert targets[0].startswith("/partenaires/historique/")
    assert targets[1] == "/partenaires/import"
    loser = next(c for c, r in responses if r.location == "/partenaires/import")
    message = text(loser.get("/partenaires/import"))
    assert "déjà été importé" in message or "déjà en cours d'import" in message
    with open_db(app) as db:
        assert db["imports"].count_where("utilisateur = 'partenaire@exemple.fr'") == 1
        assert db["depots"].get(token)["statut"] == "applique"


def test_confirm_after_the_data_changed_shows_the_new_preview(app, client, previewed):
    token, _ = previewed
    with app.app_context():
        importer.apply_edits(
            get_db(),
            {HALTE: {"nom": "Halte de nuit d'Aurillac (ANEF)"}},
            user="admin@exemple.fr",
            label="correction",
        )
    response = confirm(client, token)
    page = text(response)
    assert "Les fiches ont changé depuis l'aperçu" in page
    assert "<strong>2</strong> modifié(s)" in page
    with open_db(app) as db:
        assert db["imports"].count_where("utilisateur = 'partenaire@exemple.fr'") == 0
    assert "enregistré" in text(confirm(client, token_of(response)))
    with open_db(app) as db:
        assert db["imports"].count_where("utilisateur = 'partenaire@exemple.fr'") == 1


def test_confirm_revalidates_the_rights(app, client, previewed, users):
    token, before = previewed
    with open_db(app) as db:
        db["structures"].update(MINE, {"actif": 0})
        before = content(db)
    page = text(confirm(client, token))
    assert "n'est plus valable" in page
    assert "n'est pas rattachée à votre compte" in page
    with open_db(app) as db:
        assert content(db) == before


def big_file(count):
    """`count` valid new services of the partner's structure."""
    base = seed_rows(MINE)
    rows = []
    for i in range(count):
        row = dict(base[i % len(base)], id=f"{MINE}--copie-{i}")
        row["latitude"] = row["longitude"] = ""
        rows.append(row)
    return csv_bytes(rows, delimiter=",", encoding="utf-8")


@pytest.mark.slow
def test_searches_succeed_during_a_20000_row_import_and_undo_restores_all(app):
    with app.app_context():
        db = get_db()
        before = content(db)
        data = big_file(20_000)
        report = prepare_import(
            db, data, "gros.csv", max_rows=30_000, max_bytes=len(data) + 1
        )
        assert report.ok and len(report.new) == 20_000
    applying, done = threading.Event(), threading.Event()
    results, during, errors = [], [], []

    def apply():
        with app.app_context():
            applying.set()
            try:
                importer.apply(get_db(), report, user="partenaire@exemple.fr")
            except Exception as exc:  # noqa: BLE001 - reported by the assert below
                errors.append(exc)
            finally:
                done.set()

    def search(urls):
        client = app.test_client()
        applying.wait()
        n = 0
        while not done.is_set() or n < 3:
            started = not done.is_set()
            response = client.get(urls[n % len(urls)])
            results.append(response.status_code)
            if started and not done.is_set():
                during.append(1)
            n += 1

    urls = [
        "/api/services?q=accueil",
        "/recherche?besoin=logement",
        "/api/services?commune=Aurillac&rayon=20",
        "/services/" + HALTE,
    ]
    threads = [
        threading.Thread(target=search, args=(urls[i:] + urls[:i],)) for i in range(4)
    ]
    threads.append(threading.Thread(target=apply))
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert results and set(results) == {200}, results
    assert during, "no search ran while the import was being applied"
    with app.app_context():
        db = get_db()
        assert db["services"].count == len(before["services"]) + 20_000
        importer.undo(db, report.import_id)
        assert content(db) == before
    assert time.monotonic() - start < 60
