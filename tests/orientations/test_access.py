"""Who may open what (issue 14, acceptance 2), route by route over the URL map:
a prescripteur sees only the orientations it sent, a partner only those
addressed to its structures, the admin counts but no contents; anonymous
visitors are sent to the login page, as everywhere in the partner space.
Nothing changes in SQLite and no e-mail leaves on a refused request."""

import itertools

import pytest
from partner_helpers import open_db, text

from .helpers import (
    ADMIN,
    CONTACT,
    HALTE,
    MOTIF,
    OTHER_PARTNER,
    OTHER_PRESCRIPTEUR,
    PARTNER,
    PRESCRIPTEUR,
    logged_in,
    orientation_id,
    send,
)

# Status each visitor gets, per endpoint: "login" is the redirect to the login
# page, "list" a 200 list without the orientation's contents, None: allowed
# (its own orientation or any service), not a refusal to check here.
EXPECTED = {
    "orientations.orient": {
        "anonymous": "login",
        "other_prescripteur": None,
        "other_partner": 403,
        "admin": 403,
        "partner": 403,
    },
    "orientations.sent": {
        "anonymous": "login",
        "other_prescripteur": "list",
        "other_partner": 403,
        "admin": 403,
        "partner": 403,
    },
    "orientations.detail": {
        "anonymous": "login",
        "other_prescripteur": 404,
        "other_partner": 403,
        "admin": 403,
        "partner": 403,
    },
    "orientations.received": {
        "anonymous": "login",
        "other_prescripteur": 403,
        "other_partner": "list",
        "admin": 403,
        "prescripteur": 403,
    },
    "orientations.received_detail": {
        "anonymous": "login",
        "other_prescripteur": 403,
        "other_partner": 404,
        "admin": 403,
        "prescripteur": 403,
    },
    "orientations.received_answer": {
        "anonymous": "login",
        "other_prescripteur": 403,
        "other_partner": 404,
        "admin": 403,
        "prescripteur": 403,
    },
    "orientations.admin": {
        "anonymous": "login",
        "other_prescripteur": 403,
        "other_partner": 403,
        "partner": 403,
        "prescripteur": 403,
    },
}
# The signed link needs no account: its own tests are in test_journey.py.
LINK_ENDPOINTS = {"orientations.link", "orientations.link_answer"}
EMAILS = {
    "prescripteur": PRESCRIPTEUR,
    "other_prescripteur": OTHER_PRESCRIPTEUR,
    "partner": PARTNER,
    "other_partner": OTHER_PARTNER,
    "admin": ADMIN,
}


def orientation_urls(app, number):
    """(endpoint, method, url) of every route of the orientations blueprint,
    each word of an `any` converter (the three answers) included."""
    values = {"service_id": [HALTE], "orientation_id": [number]}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] != "orientations":
            continue
        if rule.endpoint in LINK_ENDPOINTS:
            continue
        choices = {
            name: sorted(getattr(rule._converters[name], "items", None) or [])
            or values[name]
            for name in rule.arguments
        }
        for combination in itertools.product(*choices.values()):
            yield from _methods(rule, dict(zip(choices, combination, strict=True)))


def _methods(rule, args):
    url = rule.build(args)[1]
    for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
        yield rule.endpoint, method, url


def test_every_orientation_route_is_in_the_table(app):
    endpoints = {
        r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("orient")
    }
    assert endpoints == set(EXPECTED) | LINK_ENDPOINTS


def snapshot(app):
    with open_db(app) as db:
        return [
            list(db.query(f"select * from {table} order by id"))
            for table in ("orientations", "orientation_evenements", "users")
        ]


@pytest.fixture
def sent(app, mailed):
    """One orientation from PRESCRIPTEUR to HALTE (structure of PARTNER)."""
    number = orientation_id(send(logged_in(app, PRESCRIPTEUR)))
    mailed.messages.clear()
    return number


@pytest.mark.parametrize("visitor", [*EMAILS, "anonymous"])
def test_other_accounts_are_refused_route_by_route(app, sent, smtp_server, visitor):
    client = (
        app.test_client() if visitor == "anonymous" else logged_in(app, EMAILS[visitor])
    )
    before = snapshot(app)
    checked = 0
    for endpoint, method, url in orientation_urls(app, sent):
        expected = EXPECTED[endpoint].get(visitor)
        if expected is None:
            continue
        data = {"message": "Réponse pirate", **FORM_DATA} if method == "POST" else None
        response = client.open(url, method=method, data=data)
        where = (visitor, method, url)
        if expected == "login":
            assert response.status_code == 302, where
            assert response.location.startswith("/partenaires/connexion"), where
        elif expected == "list":
            assert response.status_code == 200, where
            page = text(response)
            for secret in ("Marie", CONTACT, MOTIF[:20]):
                assert secret not in page, where
        else:
            assert response.status_code == expected, where
            for secret in ("Marie", CONTACT, MOTIF[:20]):
                assert secret not in text(response), where
        checked += 1
    assert checked >= 5
    assert snapshot(app) == before
    assert smtp_server.messages == []


FORM_DATA = {"prenom": "Intrus", "initiale": "I", "motif": "Tentative"}


def test_the_owners_do_get_in(app, sent):
    prescripteur = logged_in(app, PRESCRIPTEUR)
    assert "Marie" in text(prescripteur.get(f"/orientations/{sent}"))
    partner = logged_in(app, PARTNER)
    assert MOTIF in text(partner.get(f"/partenaires/orientations/{sent}"))
    assert logged_in(app, ADMIN).get("/admin/orientations").status_code == 200


def test_a_partner_of_both_structures_sees_it_and_a_detached_one_no_longer(app, sent):
    from directory.partners import accounts

    partner = logged_in(app, PARTNER)
    with open_db(app) as db:
        user = next(db["users"].rows_where("email = ?", [PARTNER]))
        accounts.detach(db, user["id"], "anef-cantal")
    assert partner.get(f"/partenaires/orientations/{sent}").status_code == 404
    with open_db(app) as db:
        db["structures"].update("anef-cantal", {"actif": 0})
        accounts.attach(db, user["id"], "anef-cantal")
    # An inactive structure: its orientations are not shown either.
    assert partner.get(f"/partenaires/orientations/{sent}").status_code == 404


def test_posts_without_csrf_token_are_refused(app, sent):
    partner = logged_in(app, PARTNER)
    before = snapshot(app)
    for action in ("accepter", "refuser", "prise-en-charge"):
        response = partner.post(
            f"/partenaires/orientations/{sent}/{action}",
            data={"message": "x"},
            csrf=False,
        )
        assert response.status_code == 400
    prescripteur = logged_in(app, PRESCRIPTEUR)
    response = prescripteur.post(
        f"/services/{HALTE}/orienter",
        data={"prenom": "A", "initiale": "B", "motif": "c"},
        csrf=False,
    )
    assert response.status_code == 400
    assert snapshot(app) == before
