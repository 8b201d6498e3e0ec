"""Hostile text in every field of an orientation stays inert (issue 14,
acceptance 4): on every page it is shown escaped, in every e-mail it is plain
text. The payloads are those of the browser XSS suite (tests/browser/test_xss.py),
which also runs them in Chromium (tests/browser/test_orientations.py)."""

from html import unescape

import pytest
from browser.test_xss import NOM, PAYLOAD, STRUCTURE_NOM
from partner_helpers import open_db

from .helpers import (
    ADMIN,
    ALLANCHE,
    HALTE,
    PARTNER,
    PRESCRIPTEUR,
    link_of,
    logged_in,
    orientation_id,
    send,
)

PRENOM = NOM  # <script>window.__pwned=1</script>
MOTIF = PAYLOAD["description"]
MESSAGE = PAYLOAD["mobilisation_precisions"] + " " + PAYLOAD["frais_precisions"]
ORGANISME = STRUCTURE_NOM
CONTACT = "x.y+tag@exemple.fr"
# What would be live markup if a value went out unescaped.
RAW = ("<script>window", "<svg onload", "<img src=x", "</dd><script>", "</script><")


def assert_inert(html, where):
    for fragment in RAW:
        assert fragment not in html, (where, fragment)


@pytest.fixture
def hostile(app, mailed):
    """Hostile names on the service, structure and prescripteur; one orientation
    to HALTE (refused with a hostile message) and one to ALLANCHE (signed link)."""
    with open_db(app) as db:
        db["users"].update(
            next(db["users"].rows_where("email = ?", [PRESCRIPTEUR]))["id"],
            {"organisme": ORGANISME},
        )
        for service_id in (HALTE, ALLANCHE):
            db["services"].update(service_id, {"nom": NOM + " " + service_id[:5]})
        db["structures"].update("anef-cantal", {"nom": STRUCTURE_NOM})
    prescripteur = logged_in(app, PRESCRIPTEUR)
    values = {"prenom": PRENOM, "contact": CONTACT, "motif": MOTIF}
    first = orientation_id(send(prescripteur, **values))
    second = orientation_id(send(prescripteur, service_id=ALLANCHE, **values))
    partner = logged_in(app, PARTNER)
    response = partner.post(
        f"/partenaires/orientations/{first}/refuser", data={"message": MESSAGE}
    )
    assert response.status_code == 303
    return {
        "prescripteur": prescripteur,
        "partner": partner,
        "first": first,
        "second": second,
        "link": link_of(mailed.messages[1]),
    }


def test_pages_show_hostile_text_escaped(app, hostile):
    prescripteur, partner = hostile["prescripteur"], hostile["partner"]
    pages = {
        "formulaire": (prescripteur, f"/services/{HALTE}/orienter"),
        "fiche": (prescripteur, f"/services/{HALTE}"),
        "envoyees": (prescripteur, "/orientations"),
        "detail": (prescripteur, f"/orientations/{hostile['first']}"),
        "recues": (partner, "/partenaires/orientations"),
        "recue": (partner, f"/partenaires/orientations/{hostile['first']}"),
        "espace": (partner, "/partenaires/"),
        "lien": (app.test_client(), hostile["link"]),
        "chiffres": (logged_in(app, ADMIN), "/admin/orientations"),
    }
    for name, (client, url) in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert_inert(response.get_data(as_text=True), name)
    shown = {
        "detail": (PRENOM, MOTIF, MESSAGE, CONTACT),
        "recue": (PRENOM, MOTIF, MESSAGE, ORGANISME),
        "lien": (PRENOM, MOTIF, ORGANISME),
        "envoyees": (PRENOM,),
        "recues": (PRENOM, ORGANISME),
    }
    for name, values in shown.items():
        client, url = pages[name]
        html = client.get(url).get_data(as_text=True)
        for value in values:
            assert value in unescape(html), (name, value[:30])


def test_a_refused_form_shows_the_hostile_input_escaped(app, hostile):
    response = send(
        hostile["prescripteur"],
        prenom=PRENOM,
        initiale="<",
        motif=MOTIF * 20,
        contact="<img src=x onerror=alert(1)>",
    )
    assert response.status_code == 400
    assert_inert(response.get_data(as_text=True), "formulaire refusé")


def test_a_hostile_refusal_is_shown_escaped_when_refused(app, hostile):
    response = hostile["partner"].post(
        f"/partenaires/orientations/{hostile['first']}/accepter",
        data={"message": MESSAGE * 30},
    )
    assert response.status_code in (303, 400)
    assert_inert(response.get_data(as_text=True), "réponse refusée")


def test_e_mails_are_plain_text_and_keep_the_text_as_typed(app, hostile, smtp_server):
    assert len(smtp_server.messages) == 3  # partner, service, prescripteur
    for message in smtp_server.messages:
        assert not message.is_multipart()
        assert message.get_content_type() == "text/plain"
        assert "\n" not in str(message["Subject"])
        assert PRENOM in str(message["Subject"])  # as typed: plain text is inert
        body = message.get_content()
        for secret in (MOTIF, MESSAGE, CONTACT):
            assert secret not in body
    assert ORGANISME in smtp_server.messages[0].get_content()
