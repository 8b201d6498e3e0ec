"""Shared pieces of the orientation tests: accounts, services, a frozen clock,
sending an orientation through the form, reading the e-mails."""

import datetime
import re
from html import unescape

from partner_helpers import MINE, AuthActions, add_prescripteur, open_db

from directory.search.hours import PARIS

PRESCRIPTEUR = "prescripteur@ccas-aurillac.fr"
OTHER_PRESCRIPTEUR = "prescripteur@france-services.fr"
PARTNER = "partenaire@exemple.fr"  # of MINE (partner_helpers.make_users)
OTHER_PARTNER = "autre@exemple.fr"  # of OTHER
ADMIN = "admin@exemple.fr"
HALTE = f"{MINE}--halte-de-nuit-aurillac"  # its structure has an account
HALTE_NAME = "Halte de nuit d'Aurillac"
ALLANCHE = "france-services-allanche--accueil"  # no account, a courriel
ALLANCHE_MAIL = "mdsallanche@hautesterres.fr"
PMI = "departement-cantal--pmi-prevention-prenatale-postnatale"  # neither
PMI_PHONE = "04 71 46 20 47"
NOW = datetime.datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)
CONTACT = "06 12 34 56 78"
MOTIF = "Expulsion locative prévue en janvier ; besoin d'un hébergement."
FORM = {
    "prenom": "Marie",
    "initiale": "D",
    "contact": CONTACT,
    "consentement": "y",
    "motif": MOTIF,
}


class Clock:
    """CLOCK setting the tests move forward."""

    def __init__(self, now=NOW):
        self.now = now

    def __call__(self):
        return self.now


def add_prescripteurs(app):
    path = app.config["DATABASE"]
    return {
        "prescripteur": add_prescripteur(path, PRESCRIPTEUR),
        "other_prescripteur": add_prescripteur(
            path, OTHER_PRESCRIPTEUR, organisme="France services de Murat"
        ),
    }


def logged_in(app, email):
    """A new client logged in as `email` (CSRF on)."""
    client = app.test_client()
    response = AuthActions(client).login(email)
    assert response.status_code == 302, email
    return client


def send(client, service_id=HALTE, **values):
    """POST the orientation form; returns the response."""
    return client.post(f"/services/{service_id}/orienter", data={**FORM, **values})


def orientation_id(response):
    match = re.fullmatch(r"/orientations/(\d+)", response.location or "")
    assert match, (response.status_code, response.location)
    return int(match.group(1))


def rows(app, table="orientations"):
    with open_db(app) as db:
        return list(db.query(f"select * from {table} order by id"))


def words(response):
    """The page as text: tags removed, entities decoded, spaces collapsed."""
    html = response.get_data(as_text=True)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def link_of(message):
    """The signed link of an e-mail's body (its path)."""
    match = re.search(r"https?://[^/\s]+(/orientation/[\w.\-]+)", body_of(message))
    assert match, body_of(message)
    return match.group(1)


def body_of(message):
    return message.get_content()


def assert_no_personal_data(message, *, allowed=("Marie D.",)):
    """Subject: the first name and initial at most; body: no contact, no motif."""
    subject = str(message["Subject"])
    for secret in (CONTACT, "06 12", MOTIF[:20], "Expulsion", "hébergement"):
        assert secret not in subject, subject
        assert secret not in body_of(message), secret
    stripped = subject
    for name in allowed:
        stripped = stripped.replace(name, "")
    assert "Marie" not in stripped and "D." not in stripped
