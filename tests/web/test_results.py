"""Issue 10.3 to 10.6 on the results page: honest distances, empty needs, counts
on the filters, French (elision, quotes)."""

import re
from html import unescape

import pytest

from directory.db import get_db
from directory.geo.french import de
from directory.search.query import parse_params, search
from directory.web.context import get_besoins, get_gazetteer

PRECISE = "france-services-bus-cybercantal--accueil"  # street address, manual point


def text(response):
    body = re.sub(
        r"<script.*?</script>|<style.*?</style>",
        "",
        response.get_data(as_text=True),
        flags=re.S,
    )
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


def places(response):
    """« Commune · distance » lines of the results."""
    html = response.get_data(as_text=True)
    return [
        " ".join(unescape(p).split())
        for p in re.findall(r'<p class="resultat-lieu">(.*?)</p>', html, re.S)
    ]


# -- 10.3 distances ---------------------------------------------------------------


def test_commune_search_never_claims_metres(client):
    page = client.get(
        "/recherche", query_string={"commune": "Aurillac", "rayon": 30, "par_page": 100}
    )
    lines = places(page)
    assert "Aurillac · dans la commune" in lines
    assert not [line for line in lines if " m" in line.split("·")[-1]]
    assert "à moins de 100 m" not in text(page)
    assert any(re.fullmatch(r"[\w' -]+ · à \d+ km environ", line) for line in lines)


def test_position_next_to_a_precise_service_is_in_metres(app, client):
    with app.app_context():
        row = get_db()["services"].get(PRECISE)
    page = client.get(
        "/recherche",
        query_string={"lat": row["latitude"], "lon": row["longitude"], "par_page": 100},
    )
    html = page.get_data(as_text=True)
    after = html.split(f'/services/{PRECISE}"')[1]
    line = re.search(r'<p class="resultat-lieu">(.*?)</p>', after, re.S).group(1)
    assert " ".join(unescape(line).split()) == "Aurillac · à moins de 100 m"
    # The services placed at the chef-lieu are « environ », in whole km.
    assert any(re.search(r"· à \d+ km environ$", line) for line in places(page))


# -- 10.4 a need with no service anywhere ------------------------------------------


def test_need_without_any_service_says_so_and_points_elsewhere(app, client):
    with app.app_context():  # the seed has mobility services since issue 11.3
        get_db().execute("delete from services where besoins like '%mobilite%'")
    page = client.get(
        "/recherche", query_string={"besoin": "mobilite", "commune": "Aurillac"}
    )
    assert page.status_code == 200
    body = text(page)
    assert (
        "Aucun service « Se déplacer » n'est encore référencé dans le Cantal." in body
    )
    assert "élargir le rayon" not in body
    assert "Des besoins proches" in body
    assert "Emploi, formation et création d'activité (10 services)" in body
    html = page.get_data(as_text=True)
    for number in ("115", "119", "3919", "15", "112"):
        assert f'href="tel:{number}"' in html
    assert "Vous connaissez un service qui manque ? Proposez-le" in body
    assert 'href="/proposer?besoin=mobilite&amp;commune=Aurillac"' in html


def test_need_existing_elsewhere_keeps_the_widen_advice(client):
    page = client.get(
        "/recherche",
        query_string={
            "besoin": "alimentation",
            "commune": "Aurillac",
            "rayon": 5,
            "q": "zzzz",
        },
    )
    body = text(page)
    assert "0 service trouvé" in body
    assert "élargir le rayon" in body
    assert "n'est encore référencé" not in body


# -- 10.5 counts on the filters ----------------------------------------------------


def label_count(html, input_id):
    label = re.search(rf'<label for="{input_id}">(.*?)</label>', html, re.S).group(1)
    found = re.search(r'class="compte-filtre">\((\d+)\)<', label)
    return int(found.group(1)) if found else None


def total(client, **params):
    return client.get("/api/services", query_string=params).get_json()["total"]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"commune": "Aurillac", "rayon": 50},
        {"besoin": "alimentation", "frais": "gratuit"},
        {"q": "aide", "public": "jeunes"},
    ],
)
def test_each_filter_shows_the_results_it_would_give(client, params):
    html = client.get("/recherche", query_string=params).get_data(as_text=True)
    others = {k: v for k, v in params.items() if k != "besoin"}
    for slug in ("alimentation", "acces-aux-droits", "mobilite"):
        expected = total(client, **others, besoin=slug)
        assert label_count(html, f"besoin-{slug}") == expected, slug
    others = {k: v for k, v in params.items() if k != "frais"}
    for value in ("gratuit", "payant"):
        assert label_count(html, f"frais-{value}") == total(
            client, **others, frais=value
        )
    others = {k: v for k, v in params.items() if k != "public"}
    option = re.search(r'<option value="jeunes"[^>]*>([^<]*)</option>', html).group(1)
    assert option.endswith(f"({total(client, **others, public='jeunes')})")


def test_facets_come_from_one_search(app):
    with app.app_context():
        db = get_db()
        besoins = get_besoins(db)
        query = parse_params(
            {"besoin": ["alimentation"]}, gazetteer=get_gazetteer(db), besoins=besoins
        )
        result = search(db, query, besoin_slugs=list(besoins.labels), facets=True)
    assert result.facets["besoin"]["alimentation"] == result.total
    assert set(result.facets) == {"besoin", "public", "frais", "modalite"}


# -- 10.6 French ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, expected",
    [
        ("Aurillac", "d'Aurillac"),
        ("Ydes", "d'Ydes"),
        ("Arpajon-sur-Cère", "d'Arpajon-sur-Cère"),
        ("Le Claux", "du Claux"),
        ("Les Ternes", "des Ternes"),
        ("La Chapelle-Laurent", "de La Chapelle-Laurent"),
        ("Murat", "de Murat"),
        ("Hautefage", "de Hautefage"),
        ("ma position", "de ma position"),
    ],
)
def test_de_elides_and_contracts(name, expected):
    assert de(name) == expected


def test_around_a_commune_is_elided(client):
    body = text(client.get("/recherche", query_string={"commune": "Aurillac"}))
    assert "Autour d'Aurillac (20 km)" in body
    assert "autour d'Aurillac (20 km)" in body
    assert "utour de Aurillac" not in body


def test_remove_filter_text_has_single_quotes(client):
    body = text(client.get("/recherche", query_string={"q": "repas"}))
    assert "Retirer le filtre « repas »" in body
    assert "« «" not in body and "» »" not in body


def test_map_page_elides_too(client):
    body = text(client.get("/carte", query_string={"commune": "Aurillac"}))
    assert "autour d'Aurillac (20 km)" in body
    assert "Autour d'Aurillac (20 km)" in body
