"""Public pages (SPEC §6) through the test client: texts, links, map, fiche, reports."""

import datetime
import json
import re
from html.parser import HTMLParser

import folium
import pytest

from directory import create_app
from directory.db import get_db
from directory.search.hours import PARIS
from directory.web import reports
from directory.web.maps import build_map

ALLANCHE = "france-services-allanche--accueil"
DEPARTEMENT = "departement-cantal--hotel-du-departement"
TUESDAY_3PM = datetime.datetime(2026, 11, 24, 15, 0, tzinfo=PARIS)
SATURDAY_NOON = datetime.datetime(2026, 11, 28, 12, 0, tzinfo=PARIS)


class Page(HTMLParser):
    """Links, result items, inline scripts and JSON blocks of an HTML page."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.links, self.results, self.scripts, self.data = [], [], [], []
        self.elements, self._script, self._text = [], None, []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if tag == "a":
            self.links.append(attrs)
        if tag == "li" and "resultat" in (attrs.get("class") or "").split():
            self.results.append([])
        if (
            tag == "a"
            and self.results
            and attrs.get("href", "").startswith("/services/")
        ):
            self.results[-1].append(attrs["href"])
        if tag == "script" and "src" not in attrs:
            self._script, self._text = attrs, []

    def handle_data(self, data):
        if self._script is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            text = "".join(self._text)
            if self._script.get("type") == "application/json":
                self.data.append(json.loads(text))
            else:
                self.scripts.append((self._script, text))
            self._script = None

    def hrefs(self):
        return [a.get("href") for a in self.links]

    def result_ids(self):
        return [hrefs[0].rsplit("/", 1)[1] for hrefs in self.results if hrefs]


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.data[:500]
    return response.get_data(as_text=True)


def at(app, moment):
    app.config["CLOCK"] = lambda: moment


def test_home_has_search_form_needs_with_counts_and_115(app, client):
    html = page(client, "/")
    assert '<html lang="fr">' in html
    for field in ('id="q"', 'id="commune"', 'id="rayon"', ">Rechercher</button>"):
        assert field in html
    assert "services référencés" in html and "Se nourrir" in html
    assert 'href="tel:115"' in html
    with app.app_context():
        count = next(
            get_db().query(
                "select count(*) as n from service_besoins sb join services s"
                " on s.id = sb.service_id where sb.besoin = 'alimentation'"
                " and s.statut != 'ferme'"
            )
        )["n"]
    assert f"{count} services" in html
    assert "/recherche?besoin=alimentation" in html
    assert "user-scalable" not in html and "maximum-scale" not in html


def test_layout_has_landmarks_skip_link_and_footer_links(client):
    html = page(client, "/recherche")
    assert 'href="#contenu"' in html and '<main id="contenu"' in html
    for landmark in ("<header", "<nav", "<footer"):
        assert landmark in html
    assert "/donnees" in html and "/api/openapi.json" in html


def test_search_lists_results_with_map_of_the_same_services(client):
    html = page(client, "/recherche?commune=Saint-Flour&besoin=alimentation")
    parsed = Page(html)
    assert 'id="resultats"' in html and "trouvés autour de Saint-Flour (20 km)" in html
    listed = parsed.result_ids()
    assert listed
    (data,) = parsed.data
    assert [row[2] for row in data["services"]] == listed
    assert 'class="carte"' in html
    assert "Légende" in html and "Se nourrir" in html
    assert " km" in html


def test_search_shows_phone_as_tel_link_and_open_now(app, client):
    at(app, TUESDAY_3PM)
    html = page(client, "/recherche?q=allanche")
    assert 'href="tel:+33471204843"' in html
    assert "04 71 20 48 43" in html
    assert "Ouvert maintenant" in html


def test_active_filters_have_removal_links(client):
    parsed = Page(page(client, "/recherche?commune=Saint-Flour&besoin=alimentation"))
    hrefs = parsed.hrefs()
    assert "/recherche?commune=Saint-Flour" in hrefs  # need removed
    assert "/recherche?besoin=alimentation" in hrefs  # place removed


def test_removing_one_need_keeps_the_others(client):
    hrefs = Page(page(client, "/recherche?besoin=alimentation&besoin=logement")).hrefs()
    assert "/recherche?besoin=logement" in hrefs
    assert "/recherche?besoin=alimentation" in hrefs


def test_pagination_links(client):
    html = page(client, "/recherche?par_page=5")
    assert "page 1 sur" in html
    parsed = Page(html)
    nexts = [a["href"] for a in parsed.links if a.get("rel") == "next"]
    assert nexts == ["/recherche?par_page=5&page=2"]
    assert not [a for a in parsed.links if a.get("rel") == "prev"]
    last = int(re.search(r"page 1 sur (\d+)", html)[1])
    html = page(client, f"/recherche?par_page=5&page={last}")
    parsed = Page(html)
    assert not [a for a in parsed.links if a.get("rel") == "next"]
    prev = [a["href"] for a in parsed.links if a.get("rel") == "prev"]
    assert prev == [f"/recherche?par_page=5&page={last - 1}"]
    assert len(parsed.result_ids()) <= 5


@pytest.mark.parametrize(
    ("url", "urgence", "droits"),
    [
        ("/recherche?besoin=logement", True, False),
        ("/recherche?q=h%C3%A9bergement+d%27urgence", True, False),
        ("/recherche?besoin=acces-aux-droits", False, True),
        ("/recherche?q=rsa", False, True),
        ("/recherche?besoin=alimentation", False, False),
    ],
)
def test_contextual_banners(client, url, urgence, droits):
    html = page(client, url)
    assert ("Besoin d'un hébergement d'urgence" in html) is urgence
    assert (
        'href="https://www.mesdroitssociaux.gouv.fr/"' in html.split("<footer")[0]
    ) is droits


def test_search_without_javascript_needs_no_script(client):
    html = page(client, "/recherche?q=epicerie")
    assert '<form class="recherche" action="/recherche" method="get"' in html
    assert "Épicerie" in html


def test_bad_parameter_gives_french_400_in_the_layout(client):
    html = page(client, "/recherche?commune=Zzzzville", 400)
    assert "inconnue" in html and 'role="alert"' in html and "<main" in html


def test_carte_is_full_screen_map_with_list_and_legend(client):
    html = page(client, "/carte?besoin=alimentation")
    parsed = Page(html)
    assert "carte-plein-ecran" in html and "Légende" in html
    assert "data-autour-de-moi" in html
    (data,) = parsed.data
    # The server clusters the map: lone services as rows, groups as counts;
    # together they hold every service of the list (all placed here).
    assert set(row[2] for row in data["services"]) <= set(parsed.result_ids())
    assert all(len(row) == 6 for row in data["services"])
    assert all(len(cell) == 8 for cell in data["grappes"])
    drawn = len(data["services"]) + sum(cell[2] for cell in data["grappes"])
    assert drawn == len(parsed.result_ids())


def test_carte_paginates_the_text_list(client, monkeypatch):
    monkeypatch.setattr("directory.web.public.LIST_ON_MAP", 3)
    html = page(client, "/carte")
    parsed = Page(html)
    assert len(parsed.result_ids()) == 3
    data = parsed.data[0]
    assert len(data["services"]) + sum(cell[2] for cell in data["grappes"]) > 3
    assert "page 1 sur" in html and 'rel="next"' in html
    second = Page(page(client, "/carte?page=2"))
    assert len(second.result_ids()) == 3
    assert not set(second.result_ids()) & set(parsed.result_ids())


def test_map_pages_use_vendored_assets_only(client):
    for url in ("/carte", "/recherche", f"/services/{ALLANCHE}"):
        html = page(client, url)
        assert "/static/vendor/leaflet/leaflet.js" in html
        assert "/static/vendor/leaflet.markercluster/leaflet.markercluster.js" in html
        assert "/static/vendor/leaflet/leaflet.css" in html
        for cdn in ("cdn.", "unpkg", "jsdelivr", "cdnjs", "code.jquery"):
            assert cdn not in html
    for path in (
        "vendor/leaflet/leaflet.js",
        "vendor/leaflet/LICENSE",
        "vendor/leaflet/images/marker-icon.png",
        "vendor/leaflet.markercluster/MIT-LICENCE.txt",
        "vendor/VERSIONS.txt",
    ):
        response = client.get(f"/static/{path}")
        assert response.status_code == 200, path
        response.close()


def test_fiche_shows_everything_known(app, client):
    at(app, TUESDAY_3PM)
    html = page(client, f"/services/{ALLANCHE}")
    for text in (
        "France services d&#39;Allanche",
        "1 Place du Cézallier",
        "15160 Allanche",
        'href="tel:+33471204843"',
        'href="mailto:mdsallanche@hautesterres.fr"',
        "https://www.openstreetmap.org/directions?to=45.23048%2C2.93496",
        "Ouvert maintenant · ferme à 17 h",
        "Tous publics",
        "Gratuit",
        "Français",
        "Accès libre, Sur rendez-vous",
        "Source et mise à jour",
        "1er août 2024",
        "Signaler une erreur",
        'id="signaler"',
        "Copier le lien",
        "mailto:?subject=",
        "sms:?&amp;body=",
        'class="carte carte-fiche"',
    ):
        assert text in html, text


def test_fiche_says_what_to_bring_and_how_to_apply_inertly(app, client):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    with app.app_context():
        db = get_db()
        with db.conn:
            db.conn.execute(
                "update services set justificatifs = ?, mobilisation_precisions = ?"
                " where id = ?",
                [f"Pièce d'identité. {hostile}", f"Téléphoner. {hostile}", ALLANCHE],
            )
    html = page(client, f"/services/{ALLANCHE}")
    assert '<dt>À apporter</dt><dd class="texte" id="a-apporter">Pièce' in html
    assert '<dt>Comment faire une demande</dt><dd class="texte"' in html
    assert "<script>alert" not in html and "<img src=x" not in html
    assert html.count("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") == 2


def test_fiche_closed_status_says_when_it_opens(app, client):
    at(app, SATURDAY_NOON)
    assert "Fermé · ouvre lundi à 10 h" in page(client, f"/services/{ALLANCHE}")


def test_fiche_website_link(client):
    assert 'href="https://www.cantal.fr"' in page(client, f"/services/{DEPARTEMENT}")


@pytest.mark.parametrize(
    ("date_maj", "warned"),
    [
        ("2024-08-01", True),
        ("2026-05-25", True),
        ("2026-05-26", False),
        ("2026-11-01", False),
    ],
)
def test_fiche_warns_when_older_than_six_months(app, client, date_maj, warned):
    at(app, datetime.datetime(2026, 11, 26, 10, 0, tzinfo=PARIS))
    with app.app_context():
        get_db()["services"].update(ALLANCHE, {"date_maj": date_maj})
    html = page(client, f"/services/{ALLANCHE}")
    assert ("plus de 6 mois" in html) is warned


def test_unknown_fiche_is_a_french_404(client):
    html = page(client, "/services/nexiste-pas", 404)
    assert "Page introuvable" in html and '<html lang="fr">' in html and "<main" in html


def test_500_is_french_in_the_layout(app):
    def boom():
        raise RuntimeError("boom")

    app.add_url_rule("/boom", view_func=boom)
    html = page(app.test_client(), "/boom", 500)
    assert "Erreur interne" in html and "<main" in html


def test_report_is_stored_then_thanked(app, client):
    response = client.post(
        f"/services/{ALLANCHE}/signaler",
        data={"message": "Le numéro de téléphone a changé.", "courriel": "a@b.fr"},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/services/{ALLANCHE}")
    assert "Merci" in page(client, f"/services/{ALLANCHE}")
    with app.app_context():
        (row,) = reports.pending(get_db())
    assert row["service_id"] == ALLANCHE and row["statut"] == "nouveau"
    assert row["message"] == "Le numéro de téléphone a changé."
    assert row["courriel"] == "a@b.fr"
    assert row["adresse_ip_hash"] and "127.0.0.1" not in row["adresse_ip_hash"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"message": "court"}, "entre 10 et 2 000 caractères"),
        ({"message": ""}, "Décrivez l&#39;erreur constatée."),
        ({"message": "x" * 2001}, "entre 10 et 2 000 caractères"),
        (
            {"message": "Adresse fausse.", "courriel": "pas-un-mail"},
            "Adresse e-mail invalide",
        ),
    ],
)
def test_report_validation_in_french(app, client, data, message):
    response = client.post(f"/services/{ALLANCHE}/signaler", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert get_db()["signalements"].count == 0


def test_report_on_unknown_service_is_404(client):
    response = client.post("/services/inconnu/signaler", data={"message": "x" * 20})
    assert response.status_code == 404


def test_reports_are_rate_limited_per_ip(app, client):
    url = f"/services/{ALLANCHE}/signaler"
    data = {"message": "Les horaires ont changé."}
    for _ in range(reports.MAX_PER_HOUR):
        assert client.post(url, data=data).status_code == 303
    response = client.post(url, data=data)
    assert response.status_code == 429
    assert "réessayer dans une heure" in response.get_data(as_text=True)
    other = client.post(url, data=data, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 303
    with app.app_context():
        assert get_db()["signalements"].count == reports.MAX_PER_HOUR + 1


def test_rate_limit_window_is_one_hour(app, client):
    url = f"/services/{ALLANCHE}/signaler"
    data = {"message": "Les horaires ont changé."}
    at(app, TUESDAY_3PM)
    for _ in range(reports.MAX_PER_HOUR):
        client.post(url, data=data)
    at(app, TUESDAY_3PM + datetime.timedelta(minutes=61))
    assert client.post(url, data=data).status_code == 303


def test_report_needs_csrf_token_when_csrf_is_on(seeded_db_path, tmp_path):
    import shutil

    path = tmp_path / "csrf.db"
    shutil.copy(seeded_db_path, path)
    app = create_app({"TESTING": True, "DATABASE": str(path)})
    client = app.test_client()
    response = client.post(
        f"/services/{ALLANCHE}/signaler", data={"message": "Numéro erroné ici."}
    )
    assert response.status_code == 400
    assert "Requête invalide" in response.get_data(as_text=True)
    html = page(client, f"/services/{ALLANCHE}")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)[1]
    response = client.post(
        f"/services/{ALLANCHE}/signaler",
        data={"message": "Numéro erroné ici.", "csrf_token": token},
    )
    assert response.status_code == 303


HOSTILE = {
    "nom": '<script>window.__x=1</script>"><img src=x onerror=alert(1)>${alert(2)}`b`',
    "structure_nom": "</script><script>alert(3)</script>",
    "description": "${alert(4)} <b>gras</b> `x`",
    "commune": '"><img src=x onerror=alert(5)>',
    "adresse": "<svg onload=alert(6)>",
    "complement_adresse": "'-alert(7)-'",
    "conditions_acces": "</textarea><script>alert(8)</script>",
    "frais_precisions": "<iframe src=javascript:alert(9)>",
    "horaires_precisions": "<img src=x onerror=alert(10)>",
    "site_web": "javascript:alert(11)",
    "lien_mobilisation": "JaVaScRiPt:alert(12)",
    "source": "javascript:alert(13)",
    "courriel": '"><script>alert(14)</script>',
    "telephone": "javascript:alert(15)",
}


@pytest.fixture
def hostile(app):
    """The Allanche service with an XSS payload in every partner text field."""
    with app.app_context():
        get_db()["services"].update(ALLANCHE, HOSTILE)
    return app


@pytest.mark.parametrize(
    "url",
    [
        f"/services/{ALLANCHE}",
        "/recherche?besoin=acces-aux-droits&par_page=100",
        "/carte?besoin=acces-aux-droits",
    ],
)
def test_hostile_text_is_escaped_everywhere(hostile, url):
    html = page(hostile.test_client(), url)
    parsed = Page(html)
    assert "&lt;script&gt;window.__x=1" in html  # shown, as text
    for raw in (
        "<script>window",
        "<img src=x",
        "<svg",
        "<iframe",
        "<b>gras",
        "<script>alert",
    ):
        assert raw not in html, raw
    for tag, attrs in parsed.elements:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            if name in ("href", "src", "action"):
                assert not (value or "").strip().lower().startswith("javascript:"), (
                    value
                )
    for attrs, code in parsed.scripts:  # executable inline scripts: ours only
        assert attrs.get("nonce")
        for needle in ("${", "`", "alert", "</", "<img", "window.__x"):
            assert needle not in code, needle
    if parsed.data:
        (data,) = parsed.data
        (row,) = [r for r in data["services"] if r[2] == ALLANCHE]
        assert row[3] == HOSTILE["nom"] and row[4] == HOSTILE["commune"]
        block = html.split('type="application/json"', 1)[1].split("</script>", 1)[0]
        for raw in ("<", "${", "`"):
            assert raw not in block.split(">", 1)[1], raw


def test_map_payload_is_compact_and_never_in_the_code(app):
    services = [
        {
            "id": f"s-{i}",
            "nom": f"Service {i} ${{x}}</script>",
            "commune": "Aurillac",
            "besoins": "alimentation, logement",
            "latitude": 44.9 + i / 1000,
            "longitude": 2.44,
        }
        for i in range(3000)
    ] + [
        {
            "id": "sans-lieu",
            "nom": "x",
            "commune": "y",
            "besoins": "",
            "latitude": None,
            "longitude": None,
        }
    ]
    besoins = [
        {"slug": "logement", "libelle": "Logement", "couleur": "#b91c1c"},
        {"slug": "alimentation", "libelle": "Se nourrir", "couleur": "red;}"},
    ]
    parts = build_map(
        services,
        config={"MAP_CENTER": (45.03, 2.67), "MAP_TILES_URL": ""},
        nonce="abc",
        besoins=besoins,
        fiche_prefix="/services/",
    )
    assert parts.count == 3000
    assert parts.legend == [("alimentation", "Se nourrir", "#374151")]
    assert parts.script.startswith('<script nonce="abc">')
    assert "Service" not in parts.script and "L.tileLayer" not in parts.script
    assert "maxZoom" in parts.script
    (data,) = Page(str(parts.html)).data
    assert data["services"][0] == [
        44.9,
        2.44,
        "s-0",
        "Service 0 ${x}</script>",
        "Aurillac",
        1,
    ]
    # One JSON array, no per-marker HTML: the page grows with the data only.
    assert len(parts.html) < 1.5 * len(json.dumps(data, ensure_ascii=False)) + 1000
    assert "marker" not in str(parts.html).lower()
    # Assets stay per instance: folium's class-level lists are untouched.
    assert any("leaflet" in url for _, url in folium.Map.default_js)


def test_tiles_url_adds_a_tile_layer(app):
    parts = build_map(
        [],
        config={
            "MAP_CENTER": (45.03, 2.67),
            "MAP_TILES_URL": "https://tuiles.example.fr/{z}/{x}/{y}.png",
            "MAP_TILES_ATTRIBUTION": "© Exemple",
        },
        nonce="n",
        besoins=[],
        fiche_prefix="/services/",
    )
    assert "L.tileLayer" in parts.script and "tuiles.example.fr" in parts.script


def test_fiche_source_lists_each_url_as_a_link(app, client):
    with app.app_context():
        get_db()["services"].update(
            ALLANCHE, {"source": "ANCT https://a.example/x ; https://b.example/y."}
        )
    hrefs = Page(page(client, f"/services/{ALLANCHE}")).hrefs()
    assert "https://a.example/x" in hrefs and "https://b.example/y" in hrefs
