"""Login, logout, access control of every route, CSRF, login rate limit."""

import datetime
import re

import pytest
from flask_wtf.csrf import CSRFError
from partner_helpers import (
    MINE,
    OTHER,
    PASSWORD,
    AuthActions,
    add_user,
    content,
    open_db,
    text,
)

from directory import create_app
from directory.search.hours import PARIS

MY_BLUEPRINTS = ("auth", "partners", "admin", "orientations")
# Opened by the signed link of an e-mail, without an account (issue 14).
NO_LOGIN = ("orientations.link", "orientations.link_answer")


def test_login_page_has_labelled_fields(client):
    response = client.get("/partenaires/connexion")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<label for="email">Adresse e-mail</label>' in page
    assert '<label for="mot_de_passe">Mot de passe</label>' in page


def test_partner_logs_in_and_out(client, auth):
    response = auth.login()
    assert response.status_code == 302
    assert response.location == "/partenaires/"
    assert "Mes services" in text(client.get("/partenaires/"))
    response = auth.logout()
    assert response.location == "/"
    assert client.get("/partenaires/").status_code == 302


def test_admin_lands_on_admin_page(auth):
    assert auth.login("admin@exemple.fr").location == "/admin/"


def test_login_goes_back_to_the_page_asked(client, auth):
    response = client.get("/partenaires/historique")
    assert response.location == "/partenaires/connexion?suivant=/partenaires/historique"
    response = client.post(
        response.location,
        data={"email": "partenaire@exemple.fr", "mot_de_passe": PASSWORD},
    )
    assert response.location == "/partenaires/historique"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "x"])
def test_login_never_redirects_to_another_site(client, users, target):
    response = client.post(
        "/partenaires/connexion?suivant=" + target,
        data={"email": "partenaire@exemple.fr", "mot_de_passe": PASSWORD},
    )
    assert response.location == "/partenaires/"


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        (
            "partenaire@exemple.fr",
            "mauvais",
            "Adresse e-mail ou mot de passe incorrect.",
        ),
        ("inconnu@exemple.fr", PASSWORD, "Adresse e-mail ou mot de passe incorrect."),
        ("", PASSWORD, "Saisissez votre adresse e-mail."),
        ("partenaire@exemple.fr", "", "Saisissez votre mot de passe."),
    ],
)
def test_bad_login_is_refused_in_french(client, auth, email, password, message):
    response = auth.login(email, password)
    assert response.status_code in (200, 400)
    assert message in text(response)
    assert client.get("/partenaires/").status_code == 302


def test_disabled_account_cannot_log_in_and_loses_its_session(app, client, auth, users):
    auth.login()
    with open_db(app) as db:
        db["users"].update(users["partner"], {"actif": 0})
    assert client.get("/partenaires/").status_code == 302
    response = auth.login()
    assert "Ce compte est désactivé" in text(response)


def test_session_cookie_flags(client, auth):
    auth.login()
    cookie = client.get_cookie("session")
    assert cookie.http_only
    assert cookie.same_site == "Lax"


# Every route of the partner space and the admin pages, with sample arguments.
def route_urls(app, users, import_ids):
    values = {
        "service_id": f"{OTHER}--aurillac",
        "import_id": import_ids["other"],
        "user_id": users["other"],
        "structure_id": OTHER,
        "report_id": 1,
        "conflict_id": 1,
        "proposal_id": 1,
        "closure_id": 1,
        "orientation_id": 1,
        "token": "lien-invalide",
    }
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in MY_BLUEPRINTS:
            continue
        args = {}
        for name in rule.arguments:
            converter = rule._converters[name]
            items = getattr(converter, "items", None)
            args[name] = sorted(items)[0] if items else values[name]
        url = rule.build(args)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url


@pytest.fixture
def import_ids(app, client, users):
    """One « Rien n'a changé » import by each partner, and a public report."""
    later = datetime.datetime(2027, 6, 1, 10, 0, tzinfo=PARIS)
    app.config["CLOCK"] = lambda: later
    ids = {}
    for name, email, service in (
        ("mine", "partenaire@exemple.fr", f"{MINE}--halte-de-nuit-aurillac"),
        ("other", "autre@exemple.fr", f"{OTHER}--aurillac"),
    ):
        actions = AuthActions(app.test_client())
        actions.login(email)
        actions.client.post(f"/partenaires/services/{service}/a-jour")
        with open_db(app) as db:
            ids[name] = next(
                db.query(
                    "select max(id) as id from imports where utilisateur = ?", [email]
                )
            )["id"]
    with open_db(app) as db:
        db["signalements"].insert(
            {
                "service_id": f"{OTHER}--aurillac",
                "message": "Le numéro de téléphone a changé.",
                "statut": "nouveau",
                "cree_le": "2026-11-26T09:00:00Z",
            }
        )
    return ids


def test_anonymous_visitors_are_sent_to_login(app, client, users, import_ids):
    checked = 0
    for endpoint, method, url in route_urls(app, users, import_ids):
        if endpoint in ("auth.login", "auth.logout"):
            continue
        if endpoint in NO_LOGIN:  # no login page: an invalid link is a 404
            assert client.open(url, method=method).status_code == 404, (method, url)
            continue
        response = client.open(url, method=method)
        assert response.status_code == 302, (method, url)
        assert response.location.startswith("/partenaires/connexion"), (method, url)
        checked += 1
    assert checked >= 20


def test_partner_gets_403_on_every_admin_route(app, client, auth, users, import_ids):
    auth.login()
    with open_db(app) as db:
        before = db["users"].count, db["structures"].count
    checked = 0
    for endpoint, method, url in route_urls(app, users, import_ids):
        if not endpoint.startswith("admin.") and endpoint != "orientations.admin":
            continue
        assert client.open(url, method=method).status_code == 403, (method, url)
        checked += 1
    assert checked >= 12
    with open_db(app) as db:
        assert (db["users"].count, db["structures"].count) == before
        assert db["signalements"].get(1)["statut"] == "nouveau"


def test_partner_cannot_touch_another_partners_things(app, client, auth, import_ids):
    auth.login()
    other_import = import_ids["other"]
    with open_db(app) as db:
        before = content(db)
    assert client.get(f"/partenaires/historique/{other_import}").status_code == 403
    response = client.post(f"/partenaires/historique/{other_import}/annuler")
    assert response.status_code == 403
    response = client.post(f"/partenaires/services/{OTHER}--mauriac/a-jour")
    assert response.status_code == 403
    with open_db(app) as db:
        assert db["imports"].get(other_import)["statut"] == "applique"
        assert content(db) == before
    history = text(client.get("/partenaires/historique"))
    assert f"n°{import_ids['mine']}" in history
    assert f"n°{other_import}" not in history
    dashboard = text(client.get("/partenaires/"))
    assert "Halte de nuit" in dashboard and "UDAF" not in dashboard
    for extension in ("csv", "xlsx"):
        response = client.get(f"/partenaires/modele.{extension}")
        assert response.status_code == 200
    assert OTHER.encode() not in client.get("/partenaires/modele.csv").data


@pytest.fixture
def csrf_app(app):
    """The same database with CSRF protection on; CSRF refusals are marked."""
    csrf_app = create_app(
        {"TESTING": True, "DATABASE": app.config["DATABASE"], "WTF_CSRF_ENABLED": True}
    )
    csrf_app.register_error_handler(CSRFError, lambda exc: ("CSRF refusé", 400))
    return csrf_app


def test_every_post_without_csrf_token_is_rejected(csrf_app, users, import_ids):
    client = csrf_app.test_client()
    with client.session_transaction() as session:
        session["user_id"] = users["admin"]
    posts = [
        (e, url)
        for e, method, url in route_urls(csrf_app, users, import_ids)
        if method == "POST"
    ]
    assert len(posts) >= 12
    for endpoint, url in posts:
        response = client.post(url, data={"jeton": "x", "email": "a@b.fr"})
        assert response.status_code == 400, (endpoint, url)
        assert text(response) == "CSRF refusé", (endpoint, url)
    with open_db(csrf_app) as db:
        assert db["imports"].count_where("utilisateur = 'admin@exemple.fr'") == 0


def test_login_with_csrf_token_works(csrf_app, users):
    client = csrf_app.test_client()
    page = client.get("/partenaires/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    token = token or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page)
    response = client.post(
        "/partenaires/connexion",
        data={
            "csrf_token": token.group(1),
            "email": "partenaire@exemple.fr",
            "mot_de_passe": PASSWORD,
        },
    )
    assert response.status_code == 302


class Clock:
    def __init__(self):
        self.now = datetime.datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)

    def __call__(self):
        return self.now


@pytest.fixture
def clock(app):
    app.config.update(LOGIN_MAX_ATTEMPTS=3, LOGIN_WINDOW_SECONDS=600, CLOCK=Clock())
    return app.config["CLOCK"]


def test_brute_force_is_stopped_even_with_the_right_password(client, auth, clock):
    for _ in range(3):
        assert "incorrect" in text(auth.login(password="essai-au-hasard"))
    response = auth.login()
    assert response.status_code == 429
    assert "Trop de tentatives de connexion : réessayez dans 10 minutes." in text(
        response
    )
    clock.now += datetime.timedelta(minutes=9, seconds=30)
    response = auth.login()
    assert response.status_code == 429
    assert "réessayez dans 1 minute." in text(response)
    clock.now += datetime.timedelta(seconds=31)
    assert auth.login().location == "/partenaires/"


def test_rate_limit_per_address_across_accounts(client, auth, clock):
    for email in ("a@exemple.fr", "b@exemple.fr", "c@exemple.fr"):
        auth.login(email, "essai")
    assert auth.login().status_code == 429
    other_address = {"environ_base": {"REMOTE_ADDR": "192.0.2.7"}}
    assert auth.login(**other_address).status_code == 302


def test_rate_limit_per_account_across_addresses(client, auth, clock):
    for n in range(3):
        auth.login(password="essai", environ_base={"REMOTE_ADDR": f"192.0.2.{n}"})
    response = auth.login(environ_base={"REMOTE_ADDR": "198.51.100.1"})
    assert response.status_code == 429
    # Another account from that address is not affected.
    assert auth.login("autre@exemple.fr").status_code == 302


def test_failed_logins_store_no_address(app, auth, clock):
    auth.login(password="essai", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    with open_db(app) as db:
        keys = [r["cle"] for r in db.query("select cle from connexions_echouees")]
    assert len(keys) == 2
    assert not any("203.0.113.9" in k for k in keys)


def test_new_partner_account_from_the_database_helper(app, client):
    add_user(app.config["DATABASE"], "neuf@exemple.fr", [MINE])
    assert AuthActions(client).login("neuf@exemple.fr").status_code == 302
