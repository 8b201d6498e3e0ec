"""The orientation journey over real HTTP, CSRF on (issue 14, acceptance 1 and
the delivery rules): a prescripteur sends, the partner answers in its space or
the service through the signed link, the prescripteur sees each status; the
e-mails arrive at a real SMTP server, their subjects naming the person by first
name and initial only."""

import datetime
import io
import logging

import pytest
from partner_helpers import open_db, text

from directory.orientations.records import CONSENT_NEEDED

from .helpers import (
    ADMIN,
    ALLANCHE,
    ALLANCHE_MAIL,
    CONTACT,
    FORM,
    HALTE,
    HALTE_NAME,
    MOTIF,
    NOW,
    PARTNER,
    PMI,
    PMI_PHONE,
    PRESCRIPTEUR,
    add_prescripteurs,
    assert_no_personal_data,
    body_of,
    link_of,
    logged_in,
    orientation_id,
    rows,
    send,
    words,
)


@pytest.fixture
def prescripteur(app, mailed):
    return logged_in(app, PRESCRIPTEUR)


@pytest.fixture
def partner(app, mailed):
    return logged_in(app, PARTNER)


def test_the_fiche_offers_the_form_to_prescripteurs_only(app, users, mailed):
    link = "Orienter une personne vers ce service"
    assert link not in text(app.test_client().get(f"/services/{HALTE}"))
    assert link not in text(logged_in(app, PARTNER).get(f"/services/{HALTE}"))
    page = logged_in(app, PRESCRIPTEUR).get(f"/services/{HALTE}")
    assert link in text(page)
    assert f'href="/services/{HALTE}/orienter"' in page.get_data(as_text=True)


def test_send_then_refuse_with_a_message(app, mailed, prescripteur, partner, clock):
    form = prescripteur.get(f"/services/{HALTE}/orienter")
    assert form.status_code == 200
    assert "La personne accepte que ses coordonnées soient transmises" in text(form)
    response = send(prescripteur)
    assert response.status_code == 303
    number = orientation_id(response)
    (row,) = rows(app)
    assert (row["statut"], row["prenom"], row["contact"]) == (
        "envoyee",
        "Marie",
        CONTACT,
    )
    assert row["structure_id"] == "anef-cantal" and row["courriel_service"] is None
    page = words(prescripteur.get(response.location))
    assert "Orientation envoyée à" in page and "espace partenaire" in page
    assert "Statut envoyée" in page

    (message,) = mailed.messages
    assert message.rcpt_tos == [PARTNER]
    assert message["Subject"] == f"Nouvelle orientation : Marie D. vers {HALTE_NAME}"
    assert_no_personal_data(message)
    assert f"/partenaires/orientations/{number}" in body_of(message)

    assert "1 orientation(s) en attente de réponse" in words(
        partner.get("/partenaires/")
    )
    listing = words(partner.get("/partenaires/orientations"))
    assert "Marie D." in listing and "CCAS d'Aurillac" in listing
    assert "(1 en attente)" in listing
    detail = words(partner.get(f"/partenaires/orientations/{number}"))
    assert MOTIF in detail and CONTACT in detail and PRESCRIPTEUR in detail

    clock.now += datetime.timedelta(days=1)
    refusal = partner.post(
        f"/partenaires/orientations/{number}/refuser",
        data={"message": "Plus de place ce mois-ci : rappelez en février."},
    )
    assert refusal.status_code == 303
    assert "Orientation refusée." in words(partner.get(refusal.location))
    assert rows(app)[0]["statut"] == "refusee"
    assert "Aucune orientation en attente" in words(partner.get("/partenaires/"))

    answer = mailed.messages[-1]
    assert answer.rcpt_tos == [PRESCRIPTEUR]
    assert answer["Subject"] == "Orientation de Marie D. : refusée"
    assert_no_personal_data(answer)
    assert "rappelez en février" not in body_of(answer)

    listing = words(prescripteur.get("/orientations"))
    assert "Marie D." in listing and "refusée" in listing
    page = words(prescripteur.get(f"/orientations/{number}"))
    assert "Plus de place ce mois-ci : rappelez en février." in page
    assert "Refusée le 27 novembre 2026 à 10 h 00, par la structure" in page


def test_a_refusal_without_message_is_refused_in_french(app, prescripteur, partner):
    number = orientation_id(send(prescripteur))
    response = partner.post(
        f"/partenaires/orientations/{number}/refuser", data={"message": "  "}
    )
    assert response.status_code == 400
    assert "Expliquez le refus en quelques mots" in text(response)
    assert rows(app)[0]["statut"] == "envoyee"
    assert len(rows(app, "orientation_evenements")) == 1


def test_accept_then_prise_en_charge(app, mailed, prescripteur, partner, clock):
    number = orientation_id(send(prescripteur, contact="", consentement=""))
    assert rows(app)[0]["contact"] is None
    base = f"/partenaires/orientations/{number}"
    assert partner.post(f"{base}/prise-en-charge").status_code == 303
    assert "ne peut pas passer à « prise en charge »" in words(partner.get(base))
    assert rows(app)[0]["statut"] == "envoyee"

    clock.now += datetime.timedelta(hours=2)
    response = partner.post(f"{base}/accepter", data={"message": "RDV lundi 9 h."})
    assert response.status_code == 303
    assert "Orientation acceptée." in words(partner.get(base))
    assert mailed.messages[-1]["Subject"] == "Orientation de Marie D. : acceptée"
    page = words(prescripteur.get(f"/orientations/{number}"))
    assert "Statut acceptée" in page and "RDV lundi 9 h." in page

    assert partner.post(f"{base}/prise-en-charge").status_code == 303
    subjects = [m["Subject"] for m in mailed.messages]
    assert subjects[-1] == "Orientation de Marie D. : prise en charge"
    for message in mailed.messages:
        assert_no_personal_data(message)
    page = words(prescripteur.get(f"/orientations/{number}"))
    assert "Statut prise en charge" in page
    history = [e["statut"] for e in rows(app, "orientation_evenements")]
    assert history == ["envoyee", "acceptee", "prise-en-charge"]
    assert "prise en charge" in words(prescripteur.get("/orientations"))


def test_signed_link_for_a_structure_without_account(app, mailed, prescripteur, clock):
    response = send(prescripteur, service_id=ALLANCHE)
    assert response.status_code == 303
    number = orientation_id(response)
    (row,) = rows(app)
    assert row["courriel_service"] == ALLANCHE_MAIL
    (message,) = mailed.messages
    assert message.rcpt_tos == [ALLANCHE_MAIL]
    assert message["Subject"].startswith("Nouvelle orientation : Marie D. vers ")
    assert_no_personal_data(message)
    path = link_of(message)

    visitor = app.test_client()  # no login
    page = visitor.get(path)
    assert page.status_code == 200
    assert MOTIF in words(page) and CONTACT in words(page)
    assert page.headers["Cache-Control"] == "no-store"
    clock.now += datetime.timedelta(days=13)
    response = visitor.post(f"{path}/accepter", data={"message": ""})
    assert response.status_code == 303 and response.location == path
    assert rows(app)[0]["statut"] == "acceptee"
    event = rows(app, "orientation_evenements")[-1]
    assert (event["par"], event["user_id"]) == ("lien", None)
    assert mailed.messages[-1]["Subject"] == "Orientation de Marie D. : acceptée"
    page = words(prescripteur.get(f"/orientations/{number}"))
    assert "par la structure (lien reçu par courriel)" in page

    clock.now += datetime.timedelta(days=2)  # 15 days after sending
    for method, url in (("GET", path), ("POST", f"{path}/prise-en-charge")):
        response = visitor.open(url, method=method)
        assert response.status_code == 410
        assert "Ce lien a expiré : il était valable 14 jours." in words(response)
    assert rows(app)[0]["statut"] == "acceptee"


def test_a_link_opens_only_its_orientation_of_its_structure(app, mailed, prescripteur):
    from directory.orientations import records, tokens

    first = orientation_id(send(prescripteur, service_id=ALLANCHE))
    second = orientation_id(send(prescripteur, service_id=ALLANCHE, prenom="Paul"))
    first_link, second_link = (link_of(m) for m in mailed.messages)
    assert "Paul" in words(app.test_client().get(second_link))
    assert "Paul" not in words(app.test_client().get(first_link))
    with open_db(app) as db:
        row = records.get(db, first)
        other_structure = tokens.make(
            app.config["SECRET_KEY"], {**row, "structure_id": "anef-cantal"}, now=NOW
        )
        other_key = tokens.make("une-autre-cle", row, now=NOW)
    visitor = app.test_client()
    before = rows(app)
    for token, status in (
        (other_structure, 403),
        (other_key, 404),
        (first_link.rsplit("/", 1)[1][:-2] + "xx", 404),
        ("x" * 5000, 404),
    ):
        response = visitor.get(f"/orientation/{token}")
        assert response.status_code == status
        assert "Lien d'orientation inutilisable" in words(response)
        post = visitor.post(f"/orientation/{token}/refuser", data={"message": "non"})
        assert post.status_code == status
    assert rows(app) == before
    assert second == first + 1


@pytest.mark.parametrize("mail_on", [True, False])
def test_no_courriel_nothing_stored_and_told_to_phone(
    app, users, smtp_server, clock, mail_on
):
    if mail_on:
        smtp_server.configure(app)
    add_prescripteurs(app)
    client = logged_in(app, PRESCRIPTEUR)
    page = words(client.get(f"/services/{PMI}/orienter"))
    assert "Téléphonez-lui au " + PMI_PHONE in page
    response = send(client, service_id=PMI)
    assert response.status_code == 409
    assert "Téléphonez-lui au " + PMI_PHONE in words(response)
    assert "Rien n'a été enregistré" in words(response)
    assert rows(app) == [] and rows(app, "orientation_evenements") == []
    assert smtp_server.messages == []


def test_mail_off_a_service_without_account_cannot_be_reached(app, users, clock):
    add_prescripteurs(app)
    client = logged_in(app, PRESCRIPTEUR)
    response = send(client, service_id=ALLANCHE)
    assert response.status_code == 409
    assert "Téléphonez-lui au 04 71 20 48 43" in words(response)
    assert rows(app) == []


def test_mail_off_the_partner_still_sees_the_pending_count(app, users, clock):
    add_prescripteurs(app)
    number = orientation_id(send(logged_in(app, PRESCRIPTEUR)))
    partner = logged_in(app, PARTNER)
    assert "1 orientation(s) en attente" in words(partner.get("/partenaires/"))
    assert f"/partenaires/orientations/{number}" in partner.get(
        "/partenaires/orientations"
    ).get_data(as_text=True)


def test_a_failed_mail_to_a_service_stores_nothing(app, users, clock):
    add_prescripteurs(app)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=9, MAIL_TIMEOUT=2)
    response = send(logged_in(app, PRESCRIPTEUR), service_id=ALLANCHE)
    assert response.status_code == 502
    assert "Le courriel à ce service n'a pas pu partir" in words(response)
    assert rows(app) == [] and rows(app, "orientation_evenements") == []


def test_consent_missing_with_a_contact_is_refused(app, mailed, prescripteur):
    response = send(prescripteur, consentement="")
    assert response.status_code == 400
    assert CONSENT_NEEDED in words(response)
    assert rows(app) == [] and mailed.messages == []


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"prenom": ""}, "Indiquez le prénom de la personne."),
        ({"initiale": "Dup"}, "une seule lettre"),
        ({"motif": "x" * 1001}, "1000 caractères au plus"),
        ({"contact": "pas un contact"}, "Contact invalide"),
    ],
)
def test_bad_forms_are_refused_in_french(app, mailed, prescripteur, values, message):
    response = send(prescripteur, **values)
    assert response.status_code == 400
    assert message in words(response)
    assert "L'orientation n'a pas été envoyée" in words(response)
    assert rows(app) == []


def test_attachments_are_refused(app, mailed, prescripteur):
    response = prescripteur.post(
        f"/services/{HALTE}/orienter",
        data={**FORM, "piece": (io.BytesIO(b"%PDF-1.4"), "bulletin.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "aucun document n'est conservé" in words(response)
    assert rows(app) == []


def test_closed_or_unknown_services(app, mailed, prescripteur):
    assert prescripteur.get("/services/inconnu--x/orienter").status_code == 404
    with open_db(app) as db:
        db["services"].update(HALTE, {"statut": "ferme"})
    assert "Ce service a fermé" in words(
        prescripteur.get(f"/services/{HALTE}/orienter")
    )
    assert send(prescripteur).status_code == 409
    assert rows(app) == []


def test_admin_sees_counts_only(app, mailed, prescripteur, partner):
    number = orientation_id(send(prescripteur))
    orientation_id(send(prescripteur, service_id=ALLANCHE, prenom="Paul"))
    partner.post(
        f"/partenaires/orientations/{number}/refuser",
        data={"message": "Complet jusqu'en mars"},
    )
    admin = logged_in(app, ADMIN)
    page = words(admin.get("/admin/orientations"))
    assert "2 orientation(s) enregistrée(s)" in page
    assert "Refusée 1" in page and "Envoyée 1" in page and "novembre 2026 2" in page
    for secret in ("Marie", "Paul", CONTACT, MOTIF[:20], PRESCRIPTEUR, "Complet"):
        assert secret not in page


def test_no_personal_data_in_the_logs(app, users, smtp_server, clock, caplog):
    """Every record logged while sending, answering, and failing to mail."""
    caplog.set_level(logging.DEBUG)
    add_prescripteurs(app)
    smtp_server.configure(app)
    prescripteur = logged_in(app, PRESCRIPTEUR)
    number = orientation_id(send(prescripteur))
    partner = logged_in(app, PARTNER)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=9, MAIL_TIMEOUT=2)
    partner.post(
        f"/partenaires/orientations/{number}/refuser", data={"message": "Complet."}
    )
    assert send(prescripteur, service_id=ALLANCHE).status_code == 502
    # The test's SMTP server (aiosmtpd, logger « mail.log ») is not the app.
    records = [r for r in caplog.records if not r.name.startswith("mail.")]
    assert records  # the failed e-mails were logged…
    logged = " ".join(f"{r.name} {r.getMessage()} {r.exc_text}" for r in records)
    for secret in ("Marie", CONTACT, MOTIF[:20], "Complet.", PRESCRIPTEUR, PARTNER):
        assert secret not in logged  # …without anything personal
    assert ALLANCHE_MAIL not in logged


def test_anonymised_orientations_show_no_data_and_take_no_answer(
    app, mailed, prescripteur, partner, clock
):
    from directory.orientations import purge

    number = orientation_id(send(prescripteur))
    orientation_id(send(prescripteur, service_id=ALLANCHE))
    link = link_of(mailed.messages[-1])
    with open_db(app) as db:
        assert purge.purge(db, now=NOW + datetime.timedelta(days=91), days=90) == 2
    for client, url in (
        (prescripteur, "/orientations"),
        (prescripteur, f"/orientations/{number}"),
        (partner, "/partenaires/orientations"),
        (partner, f"/partenaires/orientations/{number}"),
    ):
        page = words(client.get(url))
        assert "Personne anonymisée" in page, url
        assert "Marie" not in page and MOTIF not in page and CONTACT not in page
    assert "Répondre" not in words(partner.get(f"/partenaires/orientations/{number}"))
    response = partner.post(f"/partenaires/orientations/{number}/accepter")
    assert response.status_code == 303
    assert rows(app)[0]["statut"] == "envoyee"
    gone = app.test_client().get(link)
    assert gone.status_code == 410
    assert "ses données personnelles ont été effacées" in words(gone)
