"""Security headers: a Content-Security-Policy with a per-request nonce.

The only inline scripts and styles are ours (folium's map code, the need
colours); they carry `nonce="{{ csp_nonce() }}"`, so the policy never needs
'unsafe-inline'. Images may also come from the host of MAP_TILES_URL.
"""

import re
import secrets
from urllib.parse import urlsplit

from flask import g

PLACEHOLDER = re.compile(r"\{[^}]*\}")


def csp_nonce():
    """The nonce of the current request (made on first use)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def tile_source(url):
    """CSP source of a tile URL template: 'https://{s}.tile.osm.org/…' →
    'https://*.tile.osm.org'; None when there is no (valid) tile URL."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    labels = parts.netloc.split(".")
    # A placeholder is only allowed as a CSP wildcard in the leftmost label.
    if PLACEHOLDER.search(labels[0]):
        labels[0] = "*"
    host = ".".join(labels)
    if PLACEHOLDER.search(host) or not re.fullmatch(r"[A-Za-z0-9.*:\[\]-]+", host):
        return None
    return f"{parts.scheme}://{host}"


def content_security_policy(nonce, tiles_url):
    """The CSP header value for a response."""
    images = ["'self'", "data:"]
    tiles = tile_source(tiles_url)
    if tiles:
        images.append(tiles)
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", f"'nonce-{nonce}'"],
        "style-src": ["'self'", f"'nonce-{nonce}'"],
        "img-src": images,
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(v)}" for name, v in directives.items())


def init_app(app):
    """Add the headers to every response and `csp_nonce()` to templates."""
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers["Content-Security-Policy"] = content_security_policy(
            csp_nonce(), app.config.get("MAP_TILES_URL")
        )
        headers["X-Content-Type-Options"] = "nosniff"
        # The origin (not the path) reaches the tile server, as OSM's tile
        # usage policy asks; nothing at all goes to plain-http sites.
        headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        headers["X-Frame-Options"] = "DENY"
        headers["Permissions-Policy"] = (
            "geolocation=(self), camera=(), microphone=(), payment=()"
        )
        return response
