"""Plain-text e-mail through the configured SMTP server (settings MAIL_*).

Mail is off while MAIL_SERVER is empty (the default): `send` then returns False
and the pages show the pending counts instead. Nothing personal is logged: a
failure names the server and the error class, never an address or a subject.
"""

import logging
import smtplib
from email.errors import HeaderParseError
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

log = logging.getLogger(__name__)

DEFAULT_SENDER = "annuaire-solidarites@cantal.invalid"


def enabled(config):
    """True when an SMTP server is configured."""
    return bool(config.get("MAIL_SERVER"))


def one_line(value):
    """Text for a header: line breaks (header injection) become spaces."""
    return " ".join(str(value or "").split())


def build(config, to, subject, body):
    """The message: UTF-8 text, From MAIL_DEFAULT_SENDER, a one-line subject."""
    message = EmailMessage()
    sender = config.get("MAIL_DEFAULT_SENDER") or DEFAULT_SENDER
    message["From"] = sender
    message["To"] = to
    message["Subject"] = one_line(subject)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(body, charset="utf-8")
    return message


def send(config, to, subject, body):
    """Send one e-mail; True when the server accepted it, False when mail is off
    or the server failed (logged without personal data)."""
    if not enabled(config):
        return False
    to = str(to or "").strip()
    if not to or any(c in to for c in "\r\n,;"):
        # One recipient per call; never a second one smuggled into the header.
        log.warning("Courriel non envoyé : adresse de destination invalide")
        return False
    try:
        message = build(config, to, subject, body)
    except (ValueError, TypeError, HeaderParseError) as exc:  # a malformed address
        log.warning("Courriel non envoyé : message invalide (%s)", type(exc).__name__)
        return False
    server, port = config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25)
    try:
        with smtplib.SMTP(
            server, port, timeout=float(config.get("MAIL_TIMEOUT") or 10)
        ) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        # OSError covers refused connections, timeouts and TLS errors. The
        # exception text may quote a refused recipient: log its class only.
        log.warning(
            "Courriel non envoyé : serveur SMTP %s:%s, erreur %s",
            server,
            port,
            type(exc).__name__,
        )
        return False
    return True
