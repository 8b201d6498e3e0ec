"""A test client that sends the CSRF token as a browser does (STYLE §5).

CSRF stays on in every test: a POST without a `csrf_token` first GETs a page of
the same session holding a form (the page the form is on when it answers a GET,
else the login page), reads its hidden `csrf_token` input and sends it. The token
is cached for as long as the session keeps the same CSRF secret (login and logout
clear the session, hence the secret). `client.post(url, data=…, csrf=False)` sends
the request untouched, for the tests of « no token → 400 ».
"""

import re
from collections.abc import Mapping
from html import unescape

from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

HIDDEN_TOKEN = re.compile(
    r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"'
    r'|<input[^>]*value="([^"]+)"[^>]*name="csrf_token"'
)
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
FALLBACK_PAGE = "/partenaires/connexion"


def token_in(html):
    """The value of the first hidden `csrf_token` input of a page, or None."""
    match = HIDDEN_TOKEN.search(html)
    return unescape(match.group(1) or match.group(2)) if match else None


class CsrfClient(FlaskClient):
    """FlaskClient whose form POSTs carry the session's CSRF token."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._csrf_cache = (None, None)  # (session secret, signed token)

    def open(self, *args, csrf=True, **kwargs):
        method = str(kwargs.get("method", "GET")).upper()
        if (
            csrf
            and method in UNSAFE
            and args
            and isinstance(args[0], str)
            and self.application.config.get("WTF_CSRF_ENABLED", True)
            and "json" not in kwargs
        ):
            data = kwargs.get("data")
            if data is None or isinstance(data, Mapping):
                # dict(): a MultiDict would split a (file, filename) tuple in two.
                form = data.copy() if isinstance(data, MultiDict) else dict(data or {})
                if "csrf_token" not in form:
                    form["csrf_token"] = self.csrf_token(args[0])
                kwargs["data"] = form
        return super().open(*args, **kwargs)

    def session_secret(self):
        """The CSRF secret Flask-WTF keeps in the session cookie, or None."""
        app = self.application
        cookie = self.get_cookie(app.config["SESSION_COOKIE_NAME"])
        if cookie is None:
            return None
        serializer = app.session_interface.get_signing_serializer(app)
        try:
            session = serializer.loads(cookie.value)
        except Exception:  # an unreadable cookie: the server starts a new session
            return None
        return session.get(app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))

    def csrf_token(self, url):
        """A valid token for this session, fetched from a page as a browser does."""
        secret, token = self._csrf_cache
        if secret is not None and secret == self.session_secret():
            return token
        path = url.split("?", 1)[0].split("#", 1)[0]
        token = None
        for page in (path, FALLBACK_PAGE):
            response = super().open(page, method="GET")
            if response.status_code == 200 and response.mimetype == "text/html":
                token = token_in(response.get_data(as_text=True))
            response.close()
            if token:
                break
        assert token, f"no page with a csrf_token form for {url}"
        self._csrf_cache = (self.session_secret(), token)
        return token
