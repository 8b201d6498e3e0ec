"""Edit one fiche in the browser form: same validation as an import, audited,
listed in the history and undoable; a partner only edits its own services."""

import datetime
from html.parser import HTMLParser

import pytest
from partner_helpers import MINE, OTHER, AuthActions, content, open_db, text

from directory.search.hours import PARIS

HALTE = f"{MINE}--halte-de-nuit-aurillac"
THEIRS = f"{OTHER}--aurillac"
TODAY = datetime.datetime(2026, 11, 26, 10, tzinfo=PARIS)


def url(service_id):
    return f"/partenaires/services/{service_id}/modifier"


class FormReader(HTMLParser):
    """The fields a browser would submit from the page's edit form."""

    def __init__(self):
        super().__init__()
        self.fields, self.inside, self.textarea, self.select = [], False, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and "fiche-edition" in (attrs.get("class") or ""):
            self.inside = True
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.fields.append([name, attrs.get("value", "")])
        elif tag == "textarea":
            self.textarea = [name, ""]
            self.fields.append(self.textarea)
        elif tag == "select":
            self.select = name
        elif tag == "option" and self.select and "selected" in attrs:
            self.fields.append([self.select, attrs.get("value", "")])

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self.textarea is not None:
            # Browsers drop the line break that follows <textarea>.
            value = self.textarea[1]
            self.textarea[1] = value[2:] if value[:2] == "\r\n" else value[1:]
            self.textarea = None
        elif tag == "select":
            self.select = None
        elif tag == "form":
            self.inside = False


def form_of(response):
    """{name: value or [values]} of the edit form, as a browser submits it."""
    reader = FormReader()
    reader.feed(response.get_data(as_text=True))
    assert reader.fields, "no edit form in the page"
    data = {}
    for name, value in reader.fields:
        data.setdefault(name, []).append(value)
    return data


def submit(client, service_id, **changes):
    """GET the form, change some fields, POST it back."""
    page = client.get(url(service_id))
    assert page.status_code == 200, page.status_code
    data = form_of(page)
    for name, value in changes.items():
        data[name] = value if isinstance(value, list) else [value]
    return client.post(url(service_id), data=data)


@pytest.fixture
def partner(app, auth):
    app.config["CLOCK"] = lambda: TODAY
    auth.login()
    return auth.client


@pytest.fixture
def admin(app, users):
    app.config["CLOCK"] = lambda: TODAY
    auth = AuthActions(app.test_client())
    auth.login("admin@exemple.fr")
    return auth.client


def service(app, service_id):
    with open_db(app) as db:
        return db["services"].get(service_id)


def test_form_shows_the_current_values(partner):
    data = form_of(partner.get(url(HALTE)))
    with open_db(partner.application) as db:
        row = db["services"].get(HALTE)
    assert data["nom"] == [row["nom"]]
    assert data["description"] == [row["description"]]
    assert data["besoins"] == row["besoins"].split(", ")
    assert data["frais"] == [row["frais"]]
    assert data["statut"] == [row["statut"]]
    assert data["commune"] == [row["commune"]]
    page = text(partner.get(url(HALTE)))
    assert "Modifier « " in page
    assert "Enregistrer la fiche" in page


def test_partner_edits_its_fiche_through_an_audited_import(app, partner):
    before = service(app, HALTE)
    response = submit(
        partner,
        HALTE,
        nom="Halte de nuit d'Aurillac (7 j/7)",
        besoins=["logement", "alimentation"],
        telephone="0471000000",
    )
    assert response.status_code == 302
    assert "/partenaires/historique/" in response.headers["Location"]
    after = service(app, HALTE)
    assert after["nom"] == "Halte de nuit d'Aurillac (7 j/7)"
    assert after["besoins"] == "logement, alimentation"
    assert after["telephone"] == "+33471000000"  # normalised as an import does
    assert after["date_maj"] == "2026-11-26"
    assert after["description"] == before["description"]
    with open_db(app) as db:
        needs = {
            r["besoin"]
            for r in db["service_besoins"].rows_where("service_id = ?", [HALTE])
        }
        last = next(db.query("select * from imports order by id desc limit 1"))
    assert needs == {"logement", "alimentation"}
    assert last["utilisateur"] == "partenaire@exemple.fr"
    assert last["modifies"] == 1
    detail = text(partner.get(response.headers["Location"]))
    assert "enregistrée" in detail
    assert "Halte de nuit d'Aurillac (7 j/7)" in detail
    history = text(partner.get("/partenaires/historique"))
    assert "modification de la fiche" in history
    # The public fiche and the search see the new name.
    assert "Halte de nuit d'Aurillac (7 j/7)" in text(
        app.test_client().get(f"/services/{HALTE}")
    )


def test_an_edit_is_undone_from_the_history(app, partner):
    with open_db(app) as db:
        before = content(db)
    response = submit(partner, HALTE, nom="Un autre nom", besoins=["sante"])
    import_id = int(response.headers["Location"].rsplit("/", 1)[1])
    undo = partner.post(f"/partenaires/historique/{import_id}/annuler")
    assert undo.status_code == 302
    with open_db(app) as db:
        assert content(db) == before
        assert db["imports"].get(import_id)["statut"] == "annule"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"nom": "AB"}, "nom", "trop court"),
        ({"besoins": []}, "besoins", "au moins une valeur obligatoire"),
        ({"besoins": ["logment"]}, "besoins", "vouliez-vous dire « logement »"),
        ({"code_postal": "1500"}, "code_postal", "ne correspond pas"),
        ({"code_postal": "ABCDE"}, "code_postal", "code postal invalide"),
        ({"commune": "Riom"}, "code_postal", "ne correspond pas à la commune Riom"),
        ({"commune": "Xyzzyville"}, "commune", "Xyzzyville"),
        ({"courriel": "pas-un-courriel"}, "courriel", ""),
        ({"horaires": "lundi matin"}, "horaires", ""),
        ({"frais": "payant", "frais_precisions": ""}, "frais_precisions", "payant"),
        ({"statut": "supprime"}, "statut", "valeur inconnue"),
        ({"publics": ["tous-publics", "jeunes"]}, "publics", "tous-publics"),
        ({"latitude": "91", "longitude": "2.4"}, "longitude", "coordonnées invalides"),
        ({"latitude": "44.9", "longitude": ""}, "longitude", "vont ensemble"),
    ],
)
def test_invalid_values_are_refused_next_to_the_field(
    app, partner, changes, field, message
):
    with open_db(app) as db:
        before = content(db)
        imports = db["imports"].count
    response = submit(partner, HALTE, **changes)
    assert response.status_code == 400
    page = text(response)
    assert "La fiche n'a pas été enregistrée" in page
    if field:
        start = page.index(f'id="{field}-erreur"')
        error = page[start : page.index("</p>", start)]
        assert message in error
    else:
        assert message in page
    with open_db(app) as db:
        assert content(db) == before
        assert db["imports"].count == imports


def test_warnings_do_not_block_and_are_shown(app, partner):
    """As in an import, a warning (no contact, a formula-like name) is said but
    the fiche is saved."""
    response = submit(
        partner,
        HALTE,
        nom='=HYPERLINK("x")',
        telephone="",
        courriel="",
        site_web="",
    )
    assert response.status_code == 302
    page = text(partner.get(response.headers["Location"]))
    assert "aucun moyen de contact" in page
    assert "formule de tableur" in page
    assert service(app, HALTE)["nom"] == '=HYPERLINK("x")'


def test_logged_out_visitors_are_sent_to_login(client):
    for method in (client.get, client.post):
        response = method(url(HALTE))
        assert response.status_code == 302
        assert "/partenaires/connexion" in response.headers["Location"]


def test_partner_cannot_edit_another_structures_service(app, partner):
    before = service(app, THEIRS)
    assert partner.get(url(THEIRS)).status_code == 403
    own = form_of(partner.get(url(HALTE)))
    response = partner.post(url(THEIRS), data={**own, "nom": ["Volé"]})
    assert response.status_code == 403
    assert service(app, THEIRS) == before


def test_disabled_structure_cannot_be_edited(app, partner, users):
    with open_db(app) as db:
        db["structures"].update(MINE, {"actif": 0})
    assert partner.get(url(HALTE)).status_code == 403


def test_admin_edits_any_service(app, admin):
    assert admin.get(url(THEIRS)).status_code == 200
    response = submit(admin, THEIRS, conditions_acces="Sur présentation d'une pièce")
    assert response.status_code == 302
    assert service(app, THEIRS)["conditions_acces"] == "Sur présentation d'une pièce"
    with open_db(app) as db:
        last = next(db.query("select * from imports order by id desc limit 1"))
    assert last["utilisateur"] == "admin@exemple.fr"


@pytest.mark.parametrize(
    "service_id",
    [
        "x" * 5000,
        "été-ß-文字",
        "%00",
        "a--b" * 30,
        "9223372036854775808",
        "..",
    ],
)
def test_odd_ids_are_not_found(admin, partner, service_id):
    for client in (admin, partner):
        assert client.get(url(service_id)).status_code == 404
        assert client.post(url(service_id), data={"nom": "x"}).status_code == 404


def test_edit_without_change_writes_nothing(app, partner):
    with open_db(app) as db:
        before = content(db)
        imports = db["imports"].count
    response = submit(partner, HALTE)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(url(HALTE))
    assert "aucune modification" in text(partner.get(url(HALTE)))
    with open_db(app) as db:
        assert content(db) == before
        assert db["imports"].count == imports


def test_a_new_address_places_the_service_again(app, partner):
    """The old point belonged to the old address: changing the place without
    entering new coordinates locates it again (offline: the commune centre)."""
    response = submit(
        partner, HALTE, adresse="", code_postal="15100", commune="Saint-Flour"
    )
    assert response.status_code == 302
    after = service(app, HALTE)
    with open_db(app) as db:
        flour = next(db["communes"].rows_where("code_insee = ?", ["15187"]))
    assert (after["commune"], after["code_insee"]) == ("Saint-Flour", "15187")
    assert (after["latitude"], after["longitude"]) == (
        flour["latitude"],
        flour["longitude"],
    )
    assert after["precision_geo"] == "commune"


def test_hand_entered_point_is_precise(app, partner):
    response = submit(partner, HALTE, latitude="44.9260", longitude="2,4400")
    assert response.status_code == 302
    after = service(app, HALTE)
    assert (after["latitude"], after["longitude"], after["precision_geo"]) == (
        44.926,
        2.44,
        "manuel",
    )


def test_a_fiche_changed_meanwhile_is_not_overwritten(app, partner):
    page = partner.get(url(HALTE))
    data = form_of(page)
    submit(partner, HALTE, nom="Changé par quelqu'un d'autre")
    response = partner.post(url(HALTE), data={**data, "description": ["Écrasé ?"]})
    assert response.status_code == 409
    assert "modifiée entre-temps" in text(response)
    after = service(app, HALTE)
    assert after["nom"] == "Changé par quelqu'un d'autre"
    assert after["description"] != "Écrasé ?"


def test_edit_links_in_the_partner_space_and_admin(partner, admin):
    assert f'href="{url(HALTE)}"' in partner.get("/partenaires/").get_data(as_text=True)
    page = admin.get("/admin/sans-adresse").get_data(as_text=True)
    assert "/modifier" in page


def test_a_post_without_csrf_token_is_refused(app, partner):
    data = form_of(partner.get(url(HALTE)))
    del data["csrf_token"]
    before = service(app, HALTE)
    response = partner.post(
        url(HALTE), data={**data, "nom": ["Sans jeton"]}, csrf=False
    )
    assert response.status_code == 400
    assert service(app, HALTE) == before


@pytest.mark.parametrize(
    "changes",
    [
        {"latitude": "nan", "longitude": "inf"},
        {"code_postal": "١٥٠٠٠"},
        {"commune": "\x00" * 10},
        {"besoins": [f"b{i}" for i in range(300)]},
        {"nom": "x" * 5000},
        {"statut": ["actif", "ferme"]},
        {"horaires": "Mo-Fr 25:00-99:00"},
    ],
)
def test_odd_values_never_crash(app, partner, changes):
    with open_db(app) as db:
        before = content(db)
    response = submit(partner, HALTE, **changes)
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        with open_db(app) as db:
            assert content(db) == before
