"""Static files compressed and cached for a long time; a favicon; meta descriptions."""

import gzip
import re
from html import unescape
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LEAFLET = ROOT / "static" / "vendor" / "leaflet" / "leaflet.js"
ALLANCHE = "france-services-allanche--accueil"


def asset_url(html, name):
    """The URL (with its ?v= version) of an asset linked from a page."""
    match = re.search(
        rf'(?:src|href)="(/static/[^"]*{re.escape(name)}\?v=[0-9a-f]+)"', html
    )
    assert match, f"{name} absent ou non versionné"
    return unescape(match.group(1))


def test_vendor_js_is_gzipped_and_cached_for_a_year(client):
    html = client.get("/carte").get_data(as_text=True)
    url = asset_url(html, "vendor/leaflet/leaflet.js")
    response = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert response.mimetype in ("text/javascript", "application/javascript")
    body = response.get_data()
    assert len(body) < LEAFLET.stat().st_size / 2
    assert gzip.decompress(body) == LEAFLET.read_bytes()
    cache = response.cache_control
    assert cache.public and cache.max_age == 31536000 and cache.immutable
    etag = response.headers["ETag"]
    response.close()
    again = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304
    again.close()


def test_client_without_gzip_gets_the_plain_file(client):
    response = client.get("/static/vendor/leaflet/leaflet.js")
    assert "Content-Encoding" not in response.headers
    assert response.get_data() == LEAFLET.read_bytes()
    # Without the current version in the URL, cached for an hour only.
    assert response.cache_control.max_age == 3600
    assert not response.cache_control.immutable
    response.close()


@pytest.mark.parametrize(
    "path",
    [
        "css/site.css",
        "js/site.js",
        "vendor/leaflet/leaflet.css",
        "vendor/leaflet.markercluster/leaflet.markercluster.js",
    ],
)
def test_text_assets_are_compressed(client, path):
    response = client.get(f"/static/{path}", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.get_data()) == (ROOT / "static" / path).read_bytes()
    response.close()


def test_images_are_sent_as_is(client):
    response = client.get(
        "/static/vendor/leaflet/images/marker-icon.png",
        headers={"Accept-Encoding": "gzip"},
    )
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert "Content-Encoding" not in response.headers
    response.close()


@pytest.mark.parametrize(
    "path", ["../setup.cfg", "vendor/absent.js", "vendor", "%2e%2e/README.md"]
)
def test_missing_or_outside_static_file_is_a_french_404(client, path):
    response = client.get(f"/static/{path}")
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)


def test_favicon_is_served_and_linked(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.get_data() == (ROOT / "static" / "favicon.ico").read_bytes()
    assert response.get_data()[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert "max-age" in response.headers["Cache-Control"]
    response.close()
    html = client.get("/").get_data(as_text=True)
    assert '<link rel="icon" href="/favicon.ico"' in html
    svg = client.get(asset_url(html, "favicon.svg"))
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    svg.close()


def description(client, url):
    response = client.get(url)
    assert response.status_code == 200
    found = re.findall(
        r'<meta name="description" content="([^"]*)">', response.get_data(as_text=True)
    )
    assert len(found) == 1, url
    return unescape(found[0])


def test_every_public_page_has_a_french_meta_description(client):
    texts = {
        url: description(client, url)
        for url in (
            "/",
            "/recherche?besoin=alimentation&commune=Aurillac",
            f"/services/{ALLANCHE}",
            "/carte",
            "/donnees",
        )
    }
    for url, text in texts.items():
        assert 50 <= len(text) <= 300, (url, text)
        assert "Cantal" in text, url
    assert len(set(texts.values())) == len(texts)  # page-specific
    assert "Aurillac" in texts["/recherche?besoin=alimentation&commune=Aurillac"]
    assert "Allanche" in texts[f"/services/{ALLANCHE}"]
