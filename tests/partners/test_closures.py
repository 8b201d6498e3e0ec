"""« Fermetures et horaires exceptionnels » in the partner space (issue 13):
a partner declares for its own structures only (403 otherwise, CSRF on), the
admin for any service; every declaration and withdrawal is an entry of the
history, undone there; bad input gets French messages next to the fields."""

import datetime
import re
from html import unescape

import pytest
from partner_helpers import MINE, OTHER, AuthActions, open_db, text

from directory.imports import engine as importer
from directory.imports.engine import ImportRefused
from directory.search.hours import PARIS

HALTE = f"{MINE}--halte-de-nuit-aurillac"
THEIRS = f"{OTHER}--aurillac"
NOW = datetime.datetime(2026, 11, 26, 10, tzinfo=PARIS)  # a Thursday
GOOD = {
    "genre": "fermeture",
    "debut": "2026-12-21",
    "fin": "2027-01-03",
    "motif": "fermeture de fin d'année",
    "horaires": "",
}
HOSTILE = '"><script>window.__pwned=1</script><img src=x onerror=alert(1)>'


def url(service_id):
    return f"/partenaires/services/{service_id}/fermetures"


def withdraw_url(service_id, closure_id):
    return f"{url(service_id)}/{closure_id}/retirer"


def words(response):
    html = response.get_data(as_text=True)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.fixture
def partner(app, auth):
    app.config["CLOCK"] = lambda: NOW
    auth.login()
    return auth.client


@pytest.fixture
def admin(app, users):
    app.config["CLOCK"] = lambda: NOW
    auth = AuthActions(app.test_client())
    auth.login("admin@exemple.fr")
    return auth.client


def periods(app, service_id=None):
    with open_db(app) as db:
        rows = db.query("select * from fermetures order by id")
        return [r for r in rows if service_id in (None, r["service_id"])]


def entries(app):
    with open_db(app) as db:
        return list(db.query("select * from imports where genre = 'fermeture'"))


def test_partner_declares_for_its_own_service(app, partner):
    page = partner.get(url(HALTE))
    assert page.status_code == 200
    assert "Déclarer une période" in text(page)
    assert "Aucune fermeture" in text(page)
    response = partner.post(url(HALTE), data=GOOD)
    assert response.status_code == 302
    assert response.location == url(HALTE)
    page = words(partner.get(response.location))
    label = "Fermeture prévue du 21 décembre 2026 au 3 janvier 2027"
    assert f"Enregistré : {label} (entrée n°" in page
    assert f"{label} — fermeture de fin d'année (à venir) Retirer" in page
    (row,) = periods(app, HALTE)
    assert (row["genre"], row["debut"], row["fin"]) == (
        "fermeture",
        "2026-12-21",
        "2027-01-03",
    )
    assert row["horaires"] is None and row["cree_par"] is not None
    (entry,) = entries(app)
    assert entry["utilisateur"] == "partenaire@exemple.fr"
    assert entry["structure_id"] == MINE
    history = words(partner.get("/partenaires/historique"))
    assert "Fermeture temporaire déclarée : « Halte de nuit d'Aurillac »" in history
    detail = words(partner.get(f"/partenaires/historique/{entry['id']}"))
    assert f"Période temporaire n°{row['id']}" in detail
    assert "fermeture de fin d'année" in detail


def test_the_dashboard_links_to_the_page(partner):
    page = partner.get("/partenaires/").get_data(as_text=True)
    assert f'href="{url(HALTE)}"' in page
    assert url(THEIRS) not in page


def test_partner_gets_403_on_another_structures_service(app, partner):
    assert partner.get(url(THEIRS)).status_code == 403
    assert partner.post(url(THEIRS), data=GOOD).status_code == 403
    assert periods(app) == [] and entries(app) == []


def test_partner_cannot_withdraw_another_structures_period(app, admin, partner):
    assert admin.post(url(THEIRS), data=GOOD).status_code == 302
    (row,) = periods(app)
    assert partner.post(withdraw_url(THEIRS, row["id"])).status_code == 403
    # Nor through one of its own services' address.
    assert partner.post(withdraw_url(HALTE, row["id"])).status_code == 404
    assert periods(app)[0]["annule_le"] is None


def test_admin_declares_for_any_service_and_lists_them_all(app, admin):
    response = admin.post(url(THEIRS), data={**GOOD, "genre": "complet"})
    assert response.status_code == 302
    overview = words(admin.get("/admin/fermetures"))
    assert "UDAF du Cantal à Aurillac" in overview
    assert "Complet / liste d'attente du 21 décembre 2026 au 3 janvier 2027" in overview
    assert admin.get(f"/admin/fermetures?service={THEIRS}").location == url(THEIRS)
    missing = admin.get("/admin/fermetures?service=inconnu")
    assert missing.status_code == 404
    assert "Aucun service n'a l'identifiant « inconnu »" in text(missing)
    stale = admin.get("/admin/a-verifier").get_data(as_text=True)
    assert "/fermetures" in stale


def test_anonymous_visitors_are_sent_to_login(app, client):
    for method in ("GET", "POST"):
        response = client.open(url(HALTE), method=method, data=GOOD)
        assert response.status_code == 302
        assert response.location.startswith("/partenaires/connexion")
    assert periods(app) == []


def test_without_a_csrf_token_nothing_is_written(app, partner):
    response = partner.post(url(HALTE), data=GOOD, csrf=False)
    assert response.status_code == 400
    assert "Requête invalide" in text(response)
    assert periods(app) == [] and entries(app) == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"genre": ""}, "genre", "Choisissez : fermeture temporaire"),
        ({"genre": "vacances"}, "genre", "Choisissez"),
        ({"debut": ""}, "debut", "Date de début manquante ou illisible"),
        ({"debut": "٣/١٢/٢٠٢٦"}, "debut", "Date de début manquante ou illisible"),
        ({"fin": "2026-13-45"}, "fin", "Date de fin manquante ou illisible"),
        ({"fin": "2026-12-01"}, "fin", "le jour du début ou après"),
        ({"debut": "2026-11-01", "fin": "2026-11-25"}, "fin", "La date de fin est"),
        ({"fin": "2027-12-31"}, "fin", "au plus 366 jours"),
        ({"motif": "x" * 201}, "motif", "au plus 200 caractères"),
        ({"genre": "horaires"}, "horaires", "Indiquez les horaires"),
        ({"genre": "horaires", "horaires": "lundi 10h"}, "horaires", "illisibles"),
        ({"genre": "horaires", "horaires": HOSTILE}, "horaires", "illisibles"),
        ({"debut": "x" * 100_000}, "debut", "illisible"),
    ],
)
def test_bad_input_gets_a_french_message_next_to_the_field(
    app, partner, changes, field, message
):
    response = partner.post(url(HALTE), data={**GOOD, **changes})
    assert response.status_code == 400
    html = text(response)
    found = re.search(rf'<p class="erreur-champ" id="{field}-erreur">([^<]*)</p>', html)
    assert found and message in found.group(1), html[-3000:]
    assert "La période n'a pas été enregistrée" in html
    assert periods(app) == [] and entries(app) == []


def test_an_overlapping_period_is_refused(app, partner):
    partner.post(url(HALTE), data=GOOD)
    response = partner.post(url(HALTE), data={**GOOD, "debut": "2027-01-02"})
    assert response.status_code == 409
    assert "déjà une période « fermeture temporaire »" in text(response)
    assert len(periods(app)) == 1
    other = {**GOOD, "genre": "horaires", "horaires": "Mo-Fr 10:00-12:00"}
    assert partner.post(url(HALTE), data=other).status_code == 302


def test_withdraw_then_undo_from_the_history(app, partner):
    partner.post(url(HALTE), data=GOOD)
    (row,) = periods(app)
    response = partner.post(withdraw_url(HALTE, row["id"]))
    assert response.status_code == 302
    page = words(partner.get(url(HALTE)))
    assert "Retiré : Fermeture prévue du 21 décembre 2026" in page
    assert "Aucune fermeture" in page
    assert periods(app)[0]["annule_le"] is not None
    declared, withdrawn = (e["id"] for e in entries(app))
    again = partner.post(withdraw_url(HALTE, row["id"]))
    assert "Cette période a déjà été retirée." in words(partner.get(again.location))

    refused = partner.post(f"/partenaires/historique/{declared}/annuler")
    assert f"n°{withdrawn} a changé depuis la même période" in words(
        partner.get(refused.location)
    )
    partner.post(f"/partenaires/historique/{withdrawn}/annuler")
    assert periods(app)[0]["annule_le"] is None  # restored
    assert "Fermeture prévue du 21 décembre" in words(partner.get(url(HALTE)))
    partner.post(f"/partenaires/historique/{declared}/annuler")
    assert periods(app)[0]["annule_le"] is not None  # the declaration undone
    with open_db(app) as db:
        statuses = [db["imports"].get(i)["statut"] for i in (declared, withdrawn)]
    assert statuses == ["annule", "annule"]


def test_a_declared_closure_shows_on_the_public_fiche(app, partner):
    partner.post(url(HALTE), data={**GOOD, "debut": "2026-11-20"})
    fiche = words(partner.get(f"/services/{HALTE}"))
    assert "Fermé du 20 novembre 2026 au 3 janvier 2027 — fermeture de fin" in fiche
    assert "Fermé jusqu'au 3 janvier 2027 inclus" in fiche


def test_unknown_period_or_service_is_404(partner):
    assert partner.post(withdraw_url(HALTE, 999)).status_code == 404
    assert partner.get(url("inconnu")).status_code == 404


def test_hostile_reason_is_inert_on_the_partner_pages(app, partner):
    partner.post(url(HALTE), data={**GOOD, "motif": HOSTILE})
    (entry,) = entries(app)
    for page in (
        url(HALTE),
        "/partenaires/historique",
        f"/partenaires/historique/{entry['id']}",
    ):
        html = partner.get(page).get_data(as_text=True)
        assert "<script>window.__pwned" not in html, page
        assert "<img src=x" not in html, page
    assert HOSTILE in text(partner.get(url(HALTE)))  # shown as text
    assert periods(app)[0]["motif"] == HOSTILE


def test_the_cli_undoes_a_closure_entry_too(app, partner, runner):
    partner.post(url(HALTE), data=GOOD)
    (entry,) = entries(app)
    result = runner.invoke(args=["undo-import", str(entry["id"])])
    assert result.exit_code == 0, result.output
    assert periods(app)[0]["annule_le"] is not None
    result = runner.invoke(args=["undo-import", str(entry["id"])])
    assert result.exit_code == 1 and "déjà été annulée" in result.output


def test_the_import_undo_refuses_a_closure_entry(app, partner):
    """imports.engine.undo never marks a closure's entry undone while the
    period stays: it sends the user to the closure's own undo."""
    partner.post(url(HALTE), data=GOOD)
    (entry,) = entries(app)
    with open_db(app) as db:
        with pytest.raises(ImportRefused, match="fermeture temporaire"):
            importer.undo(db, entry["id"])
        assert db["imports"].get(entry["id"])["statut"] == "applique"
    assert periods(app)[0]["annule_le"] is None
