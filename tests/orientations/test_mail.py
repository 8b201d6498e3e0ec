"""E-mail through a real SMTP server in the test process (the smtp_server fixture)."""

import logging

import pytest
from mail_server import free_port

from directory.orientations import mail

TO = "accueil@ccas-aurillac.fr"
SUBJECT = "Orientation de Léa M. : réponse reçue"
BODY = (
    "Bonjour,\n\nLa structure « Épicerie sociale » a répondu : acceptée.\nÀ bientôt\n"
)


def config(**settings):
    """The settings send() reads, as create_app registers them."""
    base = {
        "MAIL_SERVER": None,
        "MAIL_PORT": 25,
        "MAIL_USE_TLS": False,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_DEFAULT_SENDER": "annuaire-solidarites@cantal.invalid",
        "MAIL_TIMEOUT": 10,
    }
    return {**base, **settings}


def test_mail_is_off_by_default(app, smtp_server):
    assert app.config["MAIL_SERVER"] is None
    assert mail.send(app.config, TO, SUBJECT, BODY) is False
    assert smtp_server.messages == []


def test_send_delivers_utf8_text(app, smtp_server):
    smtp_server.configure(app)
    assert mail.send(app.config, TO, SUBJECT, BODY) is True
    [message] = smtp_server.messages
    assert message.rcpt_tos == [TO]
    assert message["To"] == TO
    assert message["From"] == "annuaire-solidarites@cantal.invalid"
    assert message["Subject"] == SUBJECT  # accents intact through the encoding
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content() == BODY


def test_sender_is_configurable(smtp_server):
    settings = config(
        MAIL_SERVER=smtp_server.host,
        MAIL_PORT=smtp_server.port,
        MAIL_DEFAULT_SENDER="ne-pas-repondre@cantal.fr",
    )
    assert mail.send(settings, TO, "Sujet", "Texte") is True
    [message] = smtp_server.messages
    assert message["From"] == "ne-pas-repondre@cantal.fr"
    assert message.mail_from == "ne-pas-repondre@cantal.fr"


def assert_logged_without_personal_data(caplog):
    [record] = [r for r in caplog.records if r.name == mail.__name__]
    assert record.levelno == logging.WARNING
    logged = record.getMessage()
    for secret in (TO, "accueil", "ccas-aurillac", "Léa", SUBJECT, "Épicerie"):
        assert secret not in logged


def test_server_down_returns_false_and_logs_no_personal_data(caplog):
    caplog.set_level(logging.WARNING, logger=mail.__name__)
    settings = config(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port("127.0.0.1"))
    assert mail.send(settings, TO, SUBJECT, BODY) is False
    assert_logged_without_personal_data(caplog)


def test_refused_recipient_returns_false_and_logs_no_address(smtp_server, caplog):
    # smtplib's SMTPRecipientsRefused quotes the address: it must not be logged.
    smtp_server.handler.refuse = True
    caplog.set_level(logging.WARNING, logger=mail.__name__)
    settings = config(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    assert mail.send(settings, TO, SUBJECT, BODY) is False
    assert smtp_server.messages == []
    assert_logged_without_personal_data(caplog)


class RecordingSMTP:
    """Stands for smtplib.SMTP: records the calls send() makes."""

    calls = []

    def __init__(self, host, port, timeout):
        self.calls.append(("connect", host, port, timeout))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        self.calls.append(("starttls",))

    def login(self, user, password):
        self.calls.append(("login", user, password))

    def send_message(self, message):
        self.calls.append(("send", message["To"]))


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, []),
        ({"MAIL_USE_TLS": True}, [("starttls",)]),
        (
            {"MAIL_USE_TLS": True, "MAIL_USERNAME": "annuaire", "MAIL_PASSWORD": "s3"},
            [("starttls",), ("login", "annuaire", "s3")],
        ),
    ],
)
def test_tls_and_login_follow_the_settings(monkeypatch, settings, expected):
    monkeypatch.setattr(RecordingSMTP, "calls", [])
    monkeypatch.setattr(mail.smtplib, "SMTP", RecordingSMTP)
    sent = mail.send(
        config(
            MAIL_SERVER="smtp.cantal.invalid", MAIL_PORT=587, MAIL_TIMEOUT=3, **settings
        ),
        TO,
        SUBJECT,
        BODY,
    )
    assert sent is True
    assert RecordingSMTP.calls == [
        ("connect", "smtp.cantal.invalid", 587, 3.0),
        *expected,
        ("send", TO),
    ]


def test_a_subject_cannot_add_headers(smtp_server):
    settings = config(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    hostile = "Léa M.\r\nBcc: espion@exemple.fr\nX-Injecte: oui"
    assert mail.send(settings, TO, hostile, BODY) is True
    [message] = smtp_server.messages
    assert message.rcpt_tos == [TO]
    assert message["Bcc"] is None and message["X-Injecte"] is None
    assert message["Subject"] == "Léa M. Bcc: espion@exemple.fr X-Injecte: oui"


@pytest.mark.parametrize(
    "to",
    ["", "   ", f"{TO}\r\nBcc: espion@exemple.fr", f"{TO}, espion@exemple.fr"],
)
def test_one_valid_recipient_only(smtp_server, caplog, to):
    caplog.set_level(logging.WARNING, logger=mail.__name__)
    settings = config(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    assert mail.send(settings, to, SUBJECT, BODY) is False
    assert smtp_server.messages == []
    assert "espion" not in caplog.text
