"""Prescripteur accounts (issue 14): where they land, what they may not open.

A prescripteur sends orientations; it is neither a partner nor an admin, so every
route of the partner space and of the admin pages answers 403, route by route.
"""

import pytest
from partner_helpers import (
    MINE,
    AuthActions,
    add_prescripteur,
    content,
    open_db,
    text,
)
from werkzeug.routing import BuildError

from directory.partners import accounts, auth

EMAIL = "prescripteur@ccas-aurillac.fr"


@pytest.fixture
def prescripteur(app, users):
    """A prescripteur's id (the partners and the admin of `users` exist too)."""
    return add_prescripteur(app.config["DATABASE"], EMAIL)


def test_is_prescripteur_reads_the_role():
    assert accounts.is_prescripteur({"role": "prescripteur", "is_admin": 0})
    assert not accounts.is_prescripteur({"role": None, "is_admin": 0})
    assert not accounts.is_prescripteur({"role": "partenaire", "is_admin": 1})
    assert not accounts.is_prescripteur(None)


def expected_landing(app):
    with app.test_request_context():
        try:
            return auth.url_for("orientations.sent")
        except BuildError:
            return "/"


def test_prescripteur_lands_on_its_orientations(app, client, prescripteur):
    response = AuthActions(client).login(EMAIL)
    assert response.status_code == 302
    assert response.location == expected_landing(app)


def test_landing_falls_back_to_home_without_the_orientations_page(app, monkeypatch):
    real = auth.url_for

    def no_orientations(endpoint, **values):
        if endpoint.startswith("orientations."):
            raise BuildError(endpoint, values, "GET")
        return real(endpoint, **values)

    monkeypatch.setattr(auth, "url_for", no_orientations)
    with app.test_request_context():
        assert auth.landing({"role": "prescripteur", "is_admin": 0}) == "/"
        assert auth.landing({"role": None, "is_admin": 0}) == "/partenaires/"
        assert auth.landing({"role": None, "is_admin": 1}) == "/admin/"


def partner_and_admin_urls(app):
    """(method, url) of every route of the partner space and the admin pages."""
    values = {"int": "1", "default": f"{MINE}--halte-de-nuit-aurillac"}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint.split(".")[0] not in ("partners", "admin"):
            continue
        args = {}
        for name, converter in rule._converters.items():
            items = getattr(converter, "items", None)
            kind = "int" if "Integer" in type(converter).__name__ else "default"
            args[name] = sorted(items)[0] if items else values[kind]
        url = rule.build(args)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, url


def test_prescripteur_gets_403_on_every_partner_and_admin_route(
    app, client, prescripteur
):
    assert AuthActions(client).login(EMAIL).status_code == 302
    with open_db(app) as db:
        before = content(db), db["users"].count, db["imports"].count
    checked = 0
    for method, url in partner_and_admin_urls(app):
        response = client.open(url, method=method, data={"message": "x" * 20})
        assert response.status_code == 403, (method, url)
        checked += 1
    assert checked >= 30
    with open_db(app) as db:
        assert (content(db), db["users"].count, db["imports"].count) == before


def test_a_prescripteur_owns_no_structure_even_when_attached(app, users):
    """Belt and braces: a stray user_structures row gives it nothing to edit."""
    path = app.config["DATABASE"]
    user_id = add_prescripteur(path, EMAIL, structures=[MINE], admin=True)
    with open_db(app) as db:
        user = accounts.get_user(db, user_id)
        service = {"structure_id": MINE}
        assert accounts.owned_structures(db, user_id) == []
        assert accounts.allowed_structures(db, user) == set()
        assert not accounts.can_edit_service(db, user, service)
        partner = accounts.get_user(db, users["partner"])
        assert accounts.can_edit_service(db, partner, service)


def test_even_flagged_admin_a_prescripteur_gets_no_admin_page(app, client, users):
    add_prescripteur(app.config["DATABASE"], EMAIL, admin=True)
    AuthActions(client).login(EMAIL)
    assert client.get("/admin/").status_code == 403
    assert client.get("/partenaires/").status_code == 403


def test_prescripteur_required_guards_a_view(app, client, users, prescripteur):
    app.add_url_rule(
        "/essai-prescripteur",
        "essai_prescripteur",
        auth.prescripteur_required(lambda: "page du prescripteur"),
    )
    response = client.get("/essai-prescripteur")
    assert response.status_code == 302
    assert response.location == "/partenaires/connexion?suivant=/essai-prescripteur"
    actions = AuthActions(client)
    for email in ("partenaire@exemple.fr", "admin@exemple.fr"):
        actions.login(email)
        assert client.get("/essai-prescripteur").status_code == 403, email
        actions.logout()
    actions.login(EMAIL)
    response = client.get("/essai-prescripteur")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "page du prescripteur"


# Creating prescripteurs: the admin page and the command line.


@pytest.fixture
def admin(client, users):
    AuthActions(client).login("admin@exemple.fr")
    return client


def account(app, email):
    with open_db(app) as db:
        user = next(db["users"].rows_where("email = ?", [email]), None)
        if user is not None:
            user["structures"] = [
                r["structure_id"]
                for r in db["user_structures"].rows_where("user_id = ?", [user["id"]])
            ]
        return user


def test_admin_creates_a_prescripteur_who_can_log_in(app, admin):
    response = admin.post(
        "/admin/partenaires",
        data={
            "email": "Travailleuse.Sociale@Cantal.fr",
            "mot_de_passe": "un-mot-de-passe",
            "type_compte": "prescripteur",
            "organisme": "  CCAS  d'Aurillac ",
        },
    )
    assert response.status_code == 302
    user = account(app, "travailleuse.sociale@cantal.fr")
    assert (user["role"], user["organisme"], user["is_admin"]) == (
        "prescripteur",
        "CCAS d'Aurillac",
        0,
    )
    assert user["structures"] == []
    page = text(admin.get("/admin/partenaires"))
    row = page[page.index('<th scope="row">travailleuse.sociale@cantal.fr') :]
    row = row[: row.index("</tr>")]
    assert "<td>prescripteur</td>" in row
    assert "<td>CCAS d'Aurillac</td>" in row
    assert "Rattacher une structure" not in row
    fresh = AuthActions(app.test_client())
    response = fresh.login("travailleuse.sociale@cantal.fr", "un-mot-de-passe")
    assert response.location == expected_landing(app)


def test_a_partner_created_by_the_admin_is_marked_partenaire(app, admin):
    admin.post(
        "/admin/partenaires",
        data={
            "email": "accueil@exemple.fr",
            "mot_de_passe": "un-mot-de-passe",
            "structures": MINE,
            "organisme": "ignoré pour un partenaire",
        },
    )
    user = account(app, "accueil@exemple.fr")
    assert (user["role"], user["organisme"], user["structures"]) == (
        "partenaire",
        None,
        [MINE],
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "organisme", "Indiquez l'organisme du prescripteur"),
        ({"organisme": "   "}, "organisme", "Indiquez l'organisme du prescripteur"),
        ({"organisme": "C" * 151}, "organisme", "150 caractères au plus"),
        (
            {"organisme": "CCAS", "structures": MINE},
            "structures",
            "ne gère pas de structure",
        ),
        (
            {"organisme": "CCAS", "admin": "y"},
            "admin",
            "ne peut pas être administrateur",
        ),
        (
            {"organisme": "CCAS", "type_compte": "espion"},
            "type_compte",
            "Type de compte inconnu",
        ),
    ],
)
def test_bad_prescripteur_is_refused_in_french(app, admin, data, field, message):
    form = {
        "email": "x@exemple.fr",
        "mot_de_passe": "un-mot-de-passe",
        "type_compte": "prescripteur",
        **data,
    }
    response = admin.post("/admin/partenaires", data=form)
    assert response.status_code == 400
    page = text(response)
    assert f'id="{field}-erreur"' in page
    error = page[page.index(f'id="{field}-erreur"') :]
    assert message in error[: error.index("</p>")]
    assert account(app, "x@exemple.fr") is None


def test_admin_cannot_attach_a_structure_to_a_prescripteur(app, admin, prescripteur):
    response = admin.post(
        f"/admin/partenaires/{prescripteur}/structures", data={"structure_id": MINE}
    )
    assert response.status_code == 302
    assert "ne gère pas de structure" in text(admin.get("/admin/partenaires"))
    assert account(app, EMAIL)["structures"] == []


def test_cli_creates_a_prescripteur(app, runner):
    result = runner.invoke(
        args=[
            "create-partner",
            "Assistante@Cantal.fr",
            "--prescripteur",
            "--organisme",
            "France Services de Murat",
        ],
        input="un-mot-de-passe-solide\nun-mot-de-passe-solide\n",
    )
    assert result.exit_code == 0, result.output
    assert (
        "Compte prescripteur créé pour assistante@cantal.fr "
        "(France Services de Murat)." in result.output
    )
    user = account(app, "assistante@cantal.fr")
    assert (user["role"], user["organisme"], user["structures"]) == (
        "prescripteur",
        "France Services de Murat",
        [],
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ([], "Indiquez l'organisme du prescripteur"),
        (["--organisme", "CCAS", "--structure", MINE], "ne gère pas de structure"),
        (["--organisme", "CCAS", "--admin"], "ne peut pas être administrateur"),
    ],
)
def test_cli_refuses_a_bad_prescripteur(app, runner, options, message):
    result = runner.invoke(
        args=["create-partner", "x@cantal.fr", "--prescripteur", *options],
        input="un-mot-de-passe-solide\nun-mot-de-passe-solide\n",
    )
    assert result.exit_code == 1
    assert message in result.output
    assert account(app, "x@cantal.fr") is None
