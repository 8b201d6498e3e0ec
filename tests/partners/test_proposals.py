"""Admin moderation of the public's proposals (issue 11.3): admin only, POST with
CSRF, « Traitée » / « Rejetée », the proposer's e-mail erased once handled."""

import pytest
from partner_helpers import open_db, text

PROPOSAL = {
    "nom": "Garage solidaire du Pays de Salers",
    "structure_nom": "Association Roue libre",
    "commune": "salers",
    "besoin": "mobilite",
    "description": "Réparation de voitures à petit prix, pour les gens en insertion.",
    "contact": "04 71 00 00 00",
    "courriel": "marie@example.org",
}


@pytest.fixture
def proposed(app, client):
    """Two proposals sent through the public form."""
    for name in ("Garage solidaire du Pays de Salers", "Crèche parentale de Riom"):
        sent = client.post("/proposer", data={**PROPOSAL, "nom": name})
        assert sent.status_code == 303
    with open_db(app) as db:
        return [r["id"] for r in db.query("select id from propositions order by id")]


def stored(app, proposal_id):
    with open_db(app) as db:
        return db["propositions"].get(proposal_id)


def test_admin_sees_new_proposals_and_handles_them(app, auth, proposed):
    auth.login("admin@exemple.fr")
    admin = auth.client
    page = text(admin.get("/admin/propositions"))
    assert "Garage solidaire du Pays de Salers" in page
    assert "Crèche parentale de Riom" in page
    assert "Salers (15219)" in page and "Se déplacer" in page
    assert "marie@example.org" in page
    done = admin.post(f"/admin/propositions/{proposed[0]}/traiter?statut=nouvelle")
    assert done.status_code == 302
    row = stored(app, proposed[0])
    assert (row["statut"], row["courriel"]) == ("traitee", None)
    admin.post(f"/admin/propositions/{proposed[1]}/rejeter")
    row = stored(app, proposed[1])
    assert (row["statut"], row["courriel"]) == ("rejetee", None)
    after = text(admin.get(done.location))
    assert "Aucune proposition." in after
    assert "l'adresse e-mail de la personne qui l'a envoyée est effacée" in after
    handled = text(admin.get("/admin/propositions?statut=toutes"))
    assert "traitée" in handled and "rejetée" in handled
    assert "marie@example.org" not in handled
    assert "Rejetée : proposition" not in handled  # no buttons once handled


def test_menu_links_to_the_queue(auth):
    auth.login("admin@exemple.fr")
    html = auth.client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/propositions"' in html


def test_unknown_proposal_or_action(auth, proposed):
    auth.login("admin@exemple.fr")
    assert auth.client.post("/admin/propositions/999/traiter").status_code == 404
    assert auth.client.post(
        f"/admin/propositions/{proposed[0]}/effacer"
    ).status_code in (
        404,
        405,
    )
    assert auth.client.get("/admin/propositions?statut=%00").status_code == 200


def test_post_without_token_is_refused(app, auth, proposed):
    auth.login("admin@exemple.fr")
    refused = auth.client.post(f"/admin/propositions/{proposed[0]}/traiter", csrf=False)
    assert refused.status_code == 400
    assert stored(app, proposed[0])["courriel"] == "marie@example.org"


def test_partners_and_visitors_cannot_moderate(app, client, auth, proposed):
    visitor = client.get("/admin/propositions")
    assert visitor.status_code == 302 and "/connexion" in visitor.location
    auth.login()  # a partner, not an admin
    assert auth.client.get("/admin/propositions").status_code == 403
    assert (
        auth.client.post(f"/admin/propositions/{proposed[0]}/rejeter").status_code
        == 403
    )
    assert stored(app, proposed[0])["statut"] == "nouvelle"
