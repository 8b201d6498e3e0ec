"""Security headers: CSP with per-request nonces, nosniff, referrer, framing."""

import re

import pytest

from directory import create_app
from directory.web.security import content_security_policy, tile_source

PAGES = [
    "/",
    "/recherche?besoin=alimentation",
    "/carte",
    "/services/france-services-allanche--accueil",
    "/donnees",
    "/page-inconnue",
    "/api/besoins",
]


def directives(header):
    """{'script-src': ["'self'", …], …} from a CSP header value."""
    out = {}
    for part in header.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


@pytest.mark.parametrize("url", PAGES)
def test_every_response_has_the_security_headers(client, url):
    response = client.get(url)
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-Frame-Options"] == "DENY"
    csp = directives(headers["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    for directive in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in csp[directive]
        assert "'unsafe-eval'" not in csp[directive]
        assert any(
            re.fullmatch(r"'nonce-[A-Za-z0-9_-]{20,}'", v) for v in csp[directive]
        )


def test_nonce_changes_with_every_request(client):
    first = client.get("/").headers["Content-Security-Policy"]
    second = client.get("/").headers["Content-Security-Policy"]
    nonce = re.compile(r"'nonce-([^']+)'")
    assert nonce.search(first)[1] != nonce.search(second)[1]


@pytest.mark.parametrize(
    "url", ["/carte", "/recherche", "/services/france-services-allanche--accueil"]
)
def test_inline_scripts_and_styles_carry_the_response_nonce(client, url):
    response = client.get(url)
    html = response.get_data(as_text=True)
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])[
        1
    ]
    scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    inline = [attrs for attrs in scripts if 'type="application/json"' not in attrs]
    assert inline, "the map script is inline"
    assert all(f'nonce="{nonce}"' in attrs for attrs in inline)
    # The clusters are built by static/js/carte.js, called from the inline script.
    assert "L.map(" in html and "annuaireCarte.show(" in html
    for attrs in re.findall(r"<style([^>]*)>", html):
        assert f'nonce="{nonce}"' in attrs
    assert " style=" not in html  # inline style attributes would be blocked
    assert not re.search(r"\son[a-z]+=", html)  # nor would event handler attributes


def test_img_src_allows_the_tile_host(client):
    csp = directives(client.get("/carte").headers["Content-Security-Policy"])
    assert "https://tile.openstreetmap.org" in csp["img-src"]
    assert "https://tile.openstreetmap.org" not in csp["script-src"]


def test_empty_tiles_url_means_no_tile_layer_and_no_tile_host(seeded_db_path, tmp_path):
    import shutil

    path = tmp_path / "t.db"
    shutil.copy(seeded_db_path, path)
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": str(path),
            "MAP_TILES_URL": "",
        }
    )
    response = app.test_client().get("/carte")
    assert "L.tileLayer" not in response.get_data(as_text=True)
    csp = directives(response.headers["Content-Security-Policy"])
    assert csp["img-src"] == ["'self'", "data:"]


@pytest.mark.parametrize(
    ("url", "source"),
    [
        (
            "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            "https://tile.openstreetmap.org",
        ),
        (
            "https://{s}.tile.openstreetmap.fr/osmfr/{z}/{x}/{y}.png",
            "https://*.tile.openstreetmap.fr",
        ),
        (
            "https://data.geopf.fr/wmts?layer=PLAN&TileMatrix={z}&TileCol={x}&TileRow={y}",
            "https://data.geopf.fr",
        ),
        ("http://localhost:8080/tiles/{z}/{x}/{y}.png", "http://localhost:8080"),
        ("", None),
        (None, None),
        ("javascript:alert(1)", None),
        ("https://evil.example; script-src *", None),
        ("https://a.{s}.example/{z}.png", None),
    ],
)
def test_tile_source(url, source):
    assert tile_source(url) == source


def test_policy_never_lists_a_hostile_tile_url():
    policy = content_security_policy("abc", "https://x.example;script-src * /{z}")
    assert "script-src 'self' 'nonce-abc';" in policy
    assert "*" not in policy


def post_urls(app):
    """Every POST route of the URL map, with plausible values in its path."""
    values = {"int": "1", "default": "france-services-allanche--accueil"}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "POST" not in rule.methods:
            continue
        args = {}
        for name, converter in rule._converters.items():
            items = getattr(converter, "items", None)
            kind = "int" if "Integer" in type(converter).__name__ else "default"
            args[name] = sorted(items)[0] if items else values[kind]
        yield rule.build(args)[1]


@pytest.mark.parametrize("email", [None, "admin@exemple.fr", "partenaire@exemple.fr"])
def test_every_post_route_without_token_is_400(app, client, users, email):
    """CSRF is on in the tests; `csrf=False` sends a POST as a forged form would."""
    from partner_helpers import AuthActions, content, open_db

    if email:
        assert AuthActions(client).login(email).status_code == 302
    with open_db(app) as db:
        before = content(db), db["signalements"].count, db["users"].count
    urls = list(post_urls(app))
    assert "/partenaires/connexion" in urls and len(urls) >= 12
    for url in urls:
        response = client.post(url, data={"message": "x" * 20}, csrf=False)
        assert response.status_code == 400, url
        assert "Requête invalide" in response.get_data(as_text=True), url
    with open_db(app) as db:
        assert (content(db), db["signalements"].count, db["users"].count) == before
