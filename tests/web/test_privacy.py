"""« Données personnelles » (issue 14): the page says what the settings do, and
every page's footer links to it (public, partner space, admin, errors)."""

import re

import pytest
from partner_helpers import AuthActions, add_prescripteur, text

FOOTER = re.compile(r'<footer class="pied">(.*?)</footer>', re.S)


def footer_links_privacy(response):
    footer = FOOTER.search(response.get_data(as_text=True))
    assert footer, "pas de pied de page"
    return 'href="/donnees-personnelles"' in footer.group(1)


def test_page_gives_the_configured_delays(client):
    response = client.get("/donnees-personnelles")
    assert response.status_code == 200
    page = text(response)
    assert "<h1>Données personnelles</h1>" in page
    assert "90 jours après le dernier changement" in page
    assert "expire au bout de 14 jours" in page
    assert "Pour exercer vos droits, adressez-vous au délégué à la protection" in page
    # What the purge erases and what it keeps, in so many words.
    for said in ("prénom", "initiale", "seulement si elle a donné son accord", "haché"):
        assert said in page
    assert "ne voit que des <strong>nombres</strong>" in page


def test_page_follows_the_settings(app, client):
    app.config.update(
        ORIENTATION_RETENTION_DAYS=30,
        ORIENTATION_LINK_DAYS=7,
        LOGIN_WINDOW_SECONDS=1800,
        RGPD_CONTACT="Écrivez au DPO : <script>alert(1)</script>",
    )
    response = client.get("/donnees-personnelles")
    page = response.get_data(as_text=True)
    assert "30 jours après le dernier changement" in page
    assert "expire au bout de 7 jours" in page
    assert "servent 30 minutes" in page
    assert "90 jours" not in page
    # The setting is text, escaped like any other.
    assert "<script>alert(1)</script>" not in page
    assert "Écrivez au DPO : &lt;script&gt;" in page


def test_rgpd_contact_is_a_setting_with_a_default(app):
    assert app.config["RGPD_CONTACT"].startswith("Pour exercer vos droits")


@pytest.mark.parametrize(
    "path", ["/", "/recherche?q=logement", "/carte", "/donnees", "/page-inconnue"]
)
def test_public_pages_link_the_page_in_their_footer(client, path):
    assert footer_links_privacy(client.get(path))


def test_the_page_marks_itself_current_in_the_footer(client):
    page = client.get("/donnees-personnelles").get_data(as_text=True)
    assert 'href="/donnees-personnelles" aria-current="page"' in page


@pytest.mark.parametrize(
    ("email", "paths"),
    [
        ("partenaire@exemple.fr", ["/partenaires/", "/partenaires/historique"]),
        ("admin@exemple.fr", ["/admin/", "/admin/partenaires", "/admin/structures"]),
    ],
)
def test_partner_and_admin_pages_link_the_page(client, auth, email, paths):
    assert footer_links_privacy(client.get("/partenaires/connexion"))
    auth.login(email)
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert footer_links_privacy(response), path


def test_everyone_may_read_it(app, client, users):
    add_prescripteur(app.config["DATABASE"], "ts@cantal.fr")
    for email in (None, "partenaire@exemple.fr", "ts@cantal.fr"):
        actions = AuthActions(app.test_client())
        if email:
            actions.login(email)
        assert actions.client.get("/donnees-personnelles").status_code == 200


def test_search_counts_are_mentioned_only_where_they_are_kept(app, client):
    """The page says what the schema stores: anonymous counts of searches where
    the table `recherches` exists (issue 15), nothing about them otherwise."""
    from partner_helpers import open_db

    with open_db(app) as db:
        db["recherches"].create(
            {"heure": str, "nombre": int}, pk="heure", if_not_exists=True
        )
    page = " ".join(text(client.get("/donnees-personnelles")).split())
    assert "Il compte seulement les recherches, de façon anonyme" in page
    assert "effacés après 13 mois" in page
    with open_db(app) as db:
        db["recherches"].drop()
    page = " ".join(text(client.get("/donnees-personnelles")).split())
    assert "compte seulement les recherches" not in page
    assert "ni le texte que vous tapez, ni votre adresse IP" in page
