"""« Proposer un service » (issue 11.3): the public form, its checks, the rate
limit and the stored proposal. CSRF stays on (tests/csrf_client.py)."""

import re
from html import unescape

import pytest

from directory.db import get_db
from directory.web import propose

VALID = {
    "nom": "Garage solidaire du Pays de Salers",
    "structure_nom": "Association Roue libre",
    "commune": "salers",
    "besoin": "mobilite",
    "description": (
        "Réparation de voitures à petit prix, pour les personnes en insertion."
    ),
    "contact": "04 71 00 00 00",
    "courriel": "marie@example.org",
}


def text(response):
    body = re.sub(
        r"<script.*?</script>", "", response.get_data(as_text=True), flags=re.S
    )
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


def proposals(app):
    with app.app_context():
        return list(get_db().query("select * from propositions order by id"))


def test_form_is_prefilled_from_the_search_and_explains_the_email(client):
    page = client.get(
        "/proposer", query_string={"besoin": "energie", "commune": "Murat"}
    )
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<option selected value="energie">' in html
    assert 'value="Murat"' in html
    body = text(page)
    assert "Votre adresse e-mail (facultatif)" in body
    assert "effacée dès que votre proposition a été traitée" in body


def test_unknown_prefill_is_ignored(client):
    page = client.get(
        "/proposer", query_string={"besoin": "<b>x</b>", "commune": "\x00"}
    )
    assert page.status_code == 200
    assert "<b>x</b>" not in page.get_data(as_text=True)


def test_valid_proposal_is_stored_and_thanked(app, client):
    sent = client.post(
        "/proposer", data=VALID, environ_base={"REMOTE_ADDR": "192.0.2.7"}
    )
    assert sent.status_code == 303
    assert sent.headers["Location"] == "/proposer/merci"
    thanks = client.get(sent.headers["Location"])
    assert "Votre proposition a été transmise" in text(thanks)
    [row] = proposals(app)
    assert row["nom"] == VALID["nom"]
    assert row["commune"] == "Salers (15219)"
    assert row["besoins"] == "mobilite"
    assert row["courriel"] == "marie@example.org"
    assert row["statut"] == "nouvelle"
    assert row["adresse_ip_hash"] and "192.0.2.7" not in row["adresse_ip_hash"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"nom": ""}, "Indiquez le nom du service."),
        ({"nom": "ab"}, "Le nom doit compter de 3 à 150 caractères."),
        ({"commune": ""}, "Indiquez la commune du service."),
        ({"commune": "Aurilac"}, "Vouliez-vous dire « Aurillac » ?"),
        ({"besoin": ""}, "Choisissez le besoin auquel il répond."),
        ({"besoin": "autre"}, "Choisissez un besoin dans la liste."),
        ({"description": "court"}, "La description doit compter de 10 à 2 000"),
        ({"description": "x" * 2001}, "La description doit compter de 10 à 2 000"),
        ({"contact": ""}, "Indiquez un moyen de joindre le service."),
        ({"courriel": "marie@"}, "Adresse e-mail invalide"),
        ({"structure_nom": "s" * 151}, "150 caractères au plus pour la structure."),
    ],
)
def test_invalid_proposal_says_why_in_french(app, client, changes, message):
    page = client.post("/proposer", data={**VALID, **changes})
    assert page.status_code == 400
    body = text(page)
    assert "La proposition n'a pas été envoyée" in body
    assert message in body
    assert proposals(app) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"description": "é" * 200_000},
        {"nom": "x" * 100_000, "commune": "y" * 100_000},
        {"commune": "99999"},
        {"commune": "15"},
        {"commune": "' OR 1=1 --"},
        {"commune": "\x00\x01"},
        {"besoin": ["mobilite", "energie"]},
    ],
    ids=range(7),
)
def test_hostile_input_never_crashes(app, client, changes):
    page = client.post("/proposer", data={**VALID, **changes})
    assert page.status_code in (303, 400, 413)
    for row in proposals(app):
        assert len(row["description"]) <= 2000


def test_invalid_utf8_never_crashes(app, client):
    token = client.csrf_token("/proposer")
    body = (
        f"csrf_token={token}&nom=%FF%FE&commune=%C3&besoin=mobilite&description=%80%80"
    )
    page = client.post(
        "/proposer",
        data=body.encode(),
        content_type="application/x-www-form-urlencoded",
    )
    assert page.status_code == 400
    assert proposals(app) == []


def test_control_characters_are_removed(app, client):
    data = {
        **VALID,
        "nom": "Garage\x00 solidaire\x07",
        "description": "Ré\x1bparation\r\nà petit prix.",
    }
    assert client.post("/proposer", data=data).status_code == 303
    [row] = proposals(app)
    assert row["nom"] == "Garage solidaire"
    assert row["description"] == "Réparation\nà petit prix."


def test_missing_token_is_refused(app, client):
    page = client.post("/proposer", data=VALID, csrf=False)
    assert page.status_code == 400
    assert proposals(app) == []


def test_honeypot_is_thanked_but_not_stored(app, client):
    page = client.post(
        "/proposer", data={**VALID, "site_internet": "https://spam.example"}
    )
    assert page.status_code == 303
    assert proposals(app) == []


def test_rate_limit_per_address(app, client):
    for _ in range(propose.MAX_PER_HOUR):
        sent = client.post(
            "/proposer", data=VALID, environ_base={"REMOTE_ADDR": "192.0.2.9"}
        )
        assert sent.status_code == 303
    refused = client.post(
        "/proposer", data=VALID, environ_base={"REMOTE_ADDR": "192.0.2.9"}
    )
    assert refused.status_code == 429
    assert "plusieurs propositions en peu de temps" in text(refused)
    other = client.post(
        "/proposer", data=VALID, environ_base={"REMOTE_ADDR": "192.0.2.10"}
    )
    assert other.status_code == 303
    assert len(proposals(app)) == propose.MAX_PER_HOUR + 1


# -- needs with few services ask for more (home page, sparse results) -------------


def home_needs_asking(client):
    html = client.get("/").get_data(as_text=True)
    return re.findall(r'href="/proposer\?besoin=([a-z-]+)"', html)


def test_home_lists_the_needs_with_few_services(app, client):
    app.config["BESOIN_PEU_FOURNI"] = 5
    html = client.get("/").get_data(as_text=True)
    tiles = re.findall(
        r'class="tuile besoin-([a-z-]+)".*?class="tuile-nombre">(\d+) service',
        html,
        re.S,
    )
    assert len(tiles) == 16
    asking = home_needs_asking(client)
    assert asking == [slug for slug, n in tiles if int(n) < 5]
    assert "energie" in asking  # 3 services in the seed
    assert "Des besoins encore peu couverts" in text(client.get("/"))


def test_home_threshold_is_a_setting(app, client):
    app.config["BESOIN_PEU_FOURNI"] = 0
    assert home_needs_asking(client) == []
    assert "Des besoins encore peu couverts" not in text(client.get("/"))
    app.config["BESOIN_PEU_FOURNI"] = 10_000
    assert len(home_needs_asking(client)) == 16


def test_sparse_results_link_to_the_prefilled_form(client):
    page = client.get(
        "/recherche", query_string={"besoin": "energie", "commune": "Aurillac"}
    )
    html = page.get_data(as_text=True)
    assert "Peu de services pour cette recherche" in text(page)
    assert 'href="/proposer?besoin=energie&amp;commune=Aurillac"' in html
    form = client.get("/proposer?besoin=energie&commune=Murat").get_data(as_text=True)
    assert '<option selected value="energie">' in form


def test_empty_results_link_to_the_form(client):
    page = client.get("/recherche", query_string={"q": "zzzqqqxxx"})
    assert "Vous connaissez un service ? Proposez-le" in text(page)
    assert 'href="/proposer"' in page.get_data(as_text=True)


def test_plentiful_results_do_not_ask(client):
    page = client.get("/recherche", query_string={"besoin": "acces-aux-droits"})
    assert "Proposez-le" not in text(page)
