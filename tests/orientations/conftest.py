"""Fixtures of the orientation tests: a frozen clock, the prescripteur
accounts, the app mailing the test's SMTP server."""

import pytest

from .helpers import Clock, add_prescripteurs


@pytest.fixture
def clock(app):
    app.config["CLOCK"] = Clock()
    return app.config["CLOCK"]


@pytest.fixture
def mailed(app, users, smtp_server, clock):
    """The app sending its e-mail to the test's SMTP server, with prescripteurs."""
    smtp_server.configure(app)
    add_prescripteurs(app)
    return smtp_server
