"""« Ma sélection » through the Flask client: /selection?ids=…[&commune=…],
the SMS and e-mail texts, and hostile input (issue 13, part 1)."""

import datetime
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from directory.catalogue import closure_writes
from directory.catalogue.services import get_service
from directory.db import get_db
from directory.search.hours import PARIS
from directory.web import selection_text as text

ALLANCHE = "france-services-allanche--accueil"
MURAT = "france-services-murat--accueil"
YDES = "france-services-ydes--accueil"
AURILLAC = "anef-cantal--accueil-de-jour-aurillac"  # no phone, no hours
TUESDAY_10H = datetime.datetime(2026, 12, 8, 10, 0, tzinfo=PARIS)
HOSTILE = {
    "nom": "<script>window.__pwned=1</script> & « Épicerie »\n[x]",
    "structure_nom": "</script><svg onload=alert(2)>",
    "justificatifs": "<img src=x onerror=alert(3)> ${alert(3)} &body=x",
    "mobilisation_precisions": "\"'><iframe src=javascript:alert(4)>%0A&subject=",
    "horaires_precisions": "`${alert(5)}` ?body=",
}
# Nothing but unreserved characters and escapes after the fixed parts.
ESCAPED = "[A-Za-z0-9%._~-]*"


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.data[:300]
    return response.get_data(as_text=True)


def ids_url(*ids, **params):
    url = "/selection?ids=" + ",".join(ids)
    return url + "".join(f"&{k}={v}" for k, v in params.items())


def card_names(html):
    return [
        unescape(n)
        for n in re.findall(r'class="selection-nom"><a [^>]*>([^<]*)<', html)
    ]


def link(html, scheme):
    """The decoded href of the page's sms: or mailto: link, and its parameters."""
    href = unescape(re.search(rf'href="({scheme}:[^"]*)"', html)[1])
    return href, {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}


def update(app, service_id, **values):
    with app.app_context():
        get_db()["services"].update(service_id, values)


@pytest.fixture
def tuesday(app):
    app.config["CLOCK"] = lambda: TUESDAY_10H
    return app


def test_page_shows_what_the_person_needs(tuesday, client):
    update(
        tuesday,
        ALLANCHE,
        justificatifs="Pièce d'identité",
        mobilisation_precisions=None,
    )
    update(tuesday, MURAT, mobilisation_precisions="Sur rendez-vous au guichet.")
    html = get(client, ids_url(ALLANCHE, MURAT))
    assert card_names(html) == [
        "France services d'Allanche",
        "France services de Murat",
    ]
    page = unescape(html)
    for expected in (
        "1 Place du Cézallier",
        "15160 Allanche",
        'href="tel:+33471204843">04 71 20 48 43</a>',
        "Ouvert maintenant · ferme à 12 h",
        "Aujourd'hui, mardi 8 décembre : 9 h – 12 h et 13 h 30 – 17 h",
        "<li>Lundi : 10 h – 12 h</li>",
        "Fermé les jours fériés",
        "<dt>À apporter</dt>",
        "Pièce d'identité",
        "<dt>Comment faire une demande</dt>",
        "Sur rendez-vous au guichet.",
        f">http://localhost/services/{ALLANCHE}</a>",
        "Imprimé le 8 décembre 2026",
        f'value="http://localhost/selection?ids={ALLANCHE},{MURAT}"',
        'data-selection="france-services-murat--accueil"',
    ):
        assert expected in page, expected
    assert page.count("<dt>À apporter</dt>") == 1
    assert page.count("<dt>Comment faire une demande</dt>") == 1


def test_header_link_and_buttons_on_results_and_fiches(app, client):
    results = get(client, "/recherche?commune=Saint-Flour")
    assert "data-selection-lien-entete" in results and ">Ma sélection<" in results
    ids = re.findall(r'<li class="resultat">.*?data-selection="([^"]+)"', results, re.S)
    assert len(ids) >= 3
    fiche = get(client, f"/services/{ALLANCHE}")
    assert f'data-selection="{ALLANCHE}"' in fiche and 'aria-pressed="false"' in fiche
    assert (
        f'Fiche en ligne : <span class="url">http://localhost/services/{ALLANCHE}'
        in fiche
    )
    update(app, MURAT, statut="ferme")
    assert "data-selection=" not in get(client, f"/services/{MURAT}").split("<main")[1]


def test_without_ids_the_page_says_how_to_fill_it(client):
    for url in ("/selection", "/selection?ids=", "/selection?ids=,,,"):
        html = get(client, url)
        assert "Votre sélection est vide." in html and "selection-service" not in html
    assert "data-given" not in get(client, "/selection")  # JS opens the stored one
    assert "data-given" in get(client, "/selection?ids=")


def test_gone_services_are_said_gone_not_errors(app, client):
    update(app, MURAT, statut="ferme")
    html = unescape(get(client, ids_url(ALLANCHE, "service-inconnu", MURAT)))
    assert card_names(html) == ["France services d'Allanche"]
    assert "Service introuvable : il n'existe plus dans l'annuaire" in html
    assert "France services de Murat : ce service a fermé, il n'existe plus" in html
    assert "<code>service-inconnu</code>" in html
    _, sms = link(html, "sms")
    assert MURAT not in sms["body"] and sms["body"].endswith(f"ids={ALLANCHE}")
    _, mail = link(html, "mailto")
    assert "Murat" not in mail["body"] and "inconnu" not in mail["body"]


def test_at_most_twenty_services(app, client):
    with app.app_context():
        every = [r["id"] for r in get_db().query("select id from services order by id")]
    html = get(client, ids_url(*every[:25]))
    assert html.count('class="selection-service"') == 20
    assert "5 autres services du lien ne sont pas affichés" in html
    assert f'value="http://localhost/selection?ids={",".join(every[:20])}"' in html


def test_repeated_and_unreadable_ids(client):
    html = get(
        client, f"/selection?ids={ALLANCHE.upper()}, {ALLANCHE},,<b>&ids={MURAT}"
    )
    assert card_names(html) == [
        "France services d'Allanche",
        "France services de Murat",
    ]
    assert "1 référence illisible dans le lien a été ignorée" in html


@pytest.mark.parametrize(
    "ids",
    [
        "<script>alert(1)</script>",
        "a" * 101,
        "\x00,\x1b[31m",
        "é,ü,٣",
        "../../etc/passwd",
        "%00%ff",
        "' or 1=1 --",
        "9" * 100_000,
        ",".join(["x"] * 50_000),
        ",".join(f"s{i}" for i in range(5000)),
    ],
)
def test_hostile_ids_are_never_a_500(client, ids):
    response = client.get("/selection", query_string={"ids": ids})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html and "\x00" not in html


@pytest.mark.parametrize(
    "commune",
    [
        "zzz",
        "mau",
        "\x00",
        "x" * 1000,
        "9" * 100_000,
        "<script>alert(1)</script>",
        "15100",
        "Saint-Flour 15100",
        " ",
        "Paris",
    ],
)
def test_hostile_communes_are_never_a_500(client, commune):
    response = client.get(
        "/selection", query_string={"ids": ALLANCHE, "commune": commune}
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html
    assert card_names(html) == ["France services d'Allanche"]


def test_a_commune_to_choose_among_several(client):
    html = unescape(get(client, ids_url(ALLANCHE, commune="mau")))
    assert 'role="alert"' in html
    assert f"/selection?ids={ALLANCHE}&commune=Mauriac" in html


def test_order_by_distance_from_a_commune(app, client):
    ids = (YDES, AURILLAC, ALLANCHE, MURAT)
    assert card_names(get(client, ids_url(*ids))) == [
        "France services Sumène Artense",
        "Accueil de jour d'Aurillac",
        "France services d'Allanche",
        "France services de Murat",
    ]
    html = unescape(get(client, ids_url(*ids, commune="Murat")))
    assert card_names(html) == [
        "France services de Murat",
        "France services d'Allanche",
        "Accueil de jour d'Aurillac",
        "France services Sumène Artense",
    ]
    assert "Dans la commune de Murat" in html and "À 14 km environ de Murat" in html
    assert "Services classés du plus proche au plus éloigné de Murat." in html
    assert f"ids={MURAT},{ALLANCHE},{AURILLAC},{YDES}&commune=Murat" in html
    update(app, MURAT, latitude=None, longitude=None)  # no position: last
    assert card_names(get(client, ids_url(*ids, commune="Murat")))[-1] == (
        "France services de Murat"
    )


def test_sms_names_phones_and_one_link_in_three_sms(client):
    html = get(client, ids_url(ALLANCHE, MURAT, YDES, AURILLAC))
    href, query = link(html, "sms")
    assert re.fullmatch(rf"sms:\?&body={ESCAPED}", href)
    body = query["body"]
    assert text.gsm_length(body) <= text.SMS_MAX
    assert text.gsm_text(body) == body  # GSM-7 only: 153 characters a part
    assert body.splitlines() == [
        "Services conseillés :",
        "France services d'Allanche : 04 71 20 48 43",
        "France services de Murat : 04 71 20 28 88",
        "France services Sumène Artense : 04 71 40 87 31",
        "Accueil de jour d'Aurillac",
        f"Détails : http://localhost/selection?ids={ALLANCHE},{MURAT},{YDES},{AURILLAC}",
    ]
    assert "Le SMS ne cite que" not in html


def test_sms_of_a_long_selection_stays_within_three_sms(app, client):
    with app.app_context():
        every = [r["id"] for r in get_db().query("select id from services order by id")]
    html = unescape(get(client, ids_url(*every[:20])))
    _, query = link(html, "sms")
    body = query["body"]
    assert text.gsm_length(body) <= text.SMS_MAX and text.sms_segments(body) <= 3
    listed = len(body.splitlines()) - 2
    assert 1 <= listed < 20
    assert body.endswith("ids=" + ",".join(every[:listed]))
    assert f"Le SMS ne cite que les {listed} premiers services" in html


def test_mail_has_name_address_phone_hours_and_fiche(tuesday, client):
    update(tuesday, ALLANCHE, justificatifs="Pièce d'identité ; Avis d'imposition")
    html = get(client, ids_url(ALLANCHE, AURILLAC))
    href, query = link(html, "mailto")
    assert re.fullmatch(rf"mailto:\?subject={ESCAPED}&body={ESCAPED}", href)
    assert query["subject"] == text.MAIL_SUBJECT
    body = query["body"]
    assert "1. France services d'Allanche\r\n" in body
    assert "Adresse : 1 Place du Cézallier, 15160 Allanche\r\n" in body
    assert "Téléphone : 04 71 20 48 43\r\n" in body
    assert "Horaires :\r\n  Lundi : 10 h – 12 h\r\n" in body
    assert "À apporter : Pièce d'identité ; Avis d'imposition" in body
    assert f"Fiche : http://localhost/services/{ALLANCHE}\r\n" in body
    assert "2. Accueil de jour d'Aurillac\r\nANEF du Cantal\r\n" in body
    assert body.endswith(
        f"Retrouver cette sélection : http://localhost/selection?ids={ALLANCHE},{AURILLAC}"
    )


def test_hostile_service_text_is_inert(app, client):
    update(app, ALLANCHE, **HOSTILE)
    html = get(client, ids_url(ALLANCHE, MURAT))
    main = html.split("<main", 1)[1]
    for raw in ("<script>window", "<svg", "<img", "<iframe", "\"'><"):
        assert raw not in main
    page = unescape(main)
    for value in HOSTILE.values():
        assert " ".join(value.split()) in " ".join(page.split())
    for scheme, names in (("sms", {"body"}), ("mailto", {"subject", "body"})):
        href, query = link(html, scheme)
        assert re.fullmatch(rf"{scheme}:\?(subject={ESCAPED}&)?&?body={ESCAPED}", href)
        assert set(query) == names  # « &body=x » in a text adds no parameter
    _, mail = link(html, "mailto")
    assert f"1. {text.one_line(HOSTILE['nom'])}\r\n" in mail["body"]
    assert f"À apporter : {HOSTILE['justificatifs']}" in mail["body"]
    _, sms = link(html, "sms")
    assert sms["body"].splitlines()[1] == text.gsm_text(
        text.shorten(HOSTILE["nom"], text.SMS_NAME_MAX) + " : 04 71 20 48 43"
    )
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts and all("src=" in tag for tag in scripts)


def test_gsm_text_and_length():
    assert (
        text.gsm_text("« Crèche » – cœur, ça, île…") == '" Crèche " - coeur, ca, ile...'
    )
    assert text.gsm_text("Épicerie à Ydes\tok") == "Épicerie à Ydes ok"
    assert text.gsm_length("[€]") == 6 and text.sms_segments("a" * 160) == 1
    assert text.sms_segments("a" * 161) == 2 and text.sms_segments("a" * 459) == 3


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        ("Tu 09:00-12:00,14:00-17:00", "9 h – 12 h et 14 h – 17 h"),
        ('Tu 09:00-12:00 "sur RDV", Tu 12:00-13:00', "9 h – 13 h"),
        ("Mo 09:00-12:00", "fermé"),
        ("24/7", "24 h/24"),
        ("Tu 20:00-24:00", "20 h – minuit"),
    ],
)
def test_today_hours(hours, expected):
    assert text.today_hours(hours, TUESDAY_10H) == (
        f"Aujourd'hui, mardi 8 décembre : {expected}"
    )


@pytest.mark.parametrize("hours", [None, "", "n'importe quoi", "Tu unknown"])
def test_today_hours_unknown(hours):
    assert text.today_hours(hours, TUESDAY_10H) is None


def test_parse_ids():
    assert text.parse_ids(["b,a", "B ,c,,<x>"]) == (["b", "a", "c"], 0, 1)
    ids = [f"s{i}" for i in range(30)]
    assert text.parse_ids([",".join(ids)]) == (ids[:20], 10, 0)


def test_a_temporary_closure_is_said_on_the_page_and_in_the_mail(tuesday, client):
    """Closed this week at an hour its regular hours say open: the page says
    « Fermé » with the period, today's hours say closed, the e-mail warns."""
    with tuesday.app_context():
        db = get_db()
        closure_writes.declare(
            db,
            get_service(db, MURAT),
            {
                "genre": "fermeture",
                "debut": datetime.date(2026, 12, 7),
                "fin": datetime.date(2026, 12, 11),
                "motif": "travaux",
            },
            user="admin@exemple.fr",
            user_id=1,
            today=datetime.date(2026, 12, 1),
        )
    html = get(client, ids_url(MURAT, ALLANCHE))
    page = " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
    assert "Fermé du 7 au 11 décembre — travaux" in page
    assert "Fermé · ouvre lundi à 9 h" in page  # Monday 14, after the closure
    assert "Aujourd'hui, mardi 8 décembre : fermé" in page
    assert page.count("Fermé du") == 1  # Allanche is not closed
    body = link(html, "mailto")[1]["body"]
    assert "Attention : Fermé du 7 au 11 décembre (travaux)\r\n" in body
