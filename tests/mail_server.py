"""An SMTP server in the test process (aiosmtpd) that keeps what it receives.

Used through the `smtp_server` fixture of conftest.py: `configure(app)` points
the app's MAIL_* settings at it, and `messages` holds each message received as an
email.message.EmailMessage (policy.default) with the envelope's `mail_from` and
`rcpt_tos` as attributes; set `handler.refuse` to make it refuse recipients.
"""

import socket
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


def free_port(host):
    """A TCP port nobody listens on now (the controller needs a fixed one)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class KeepingHandler:
    """aiosmtpd handler: parse and keep every message; refuse every recipient
    while `refuse` is set (a server that answers 550)."""

    def __init__(self):
        self.messages = []
        self.refuse = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return "550 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        # Lines end in \n once read, as Python writes them (the wire has \r\n).
        content = envelope.original_content.replace(b"\r\n", b"\n")
        message = message_from_bytes(content, policy=policy.default)
        message.mail_from = envelope.mail_from
        message.rcpt_tos = list(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"


class SmtpServer:
    """A running server: `.host`, `.port`, `.messages`, `configure(app)`."""

    def __init__(self, host="127.0.0.1"):
        self.host = host
        self.port = free_port(host)
        self.handler = KeepingHandler()
        self.controller = Controller(self.handler, hostname=host, port=self.port)

    @property
    def messages(self):
        return self.handler.messages

    def configure(self, app):
        """Send the app's e-mail here."""
        app.config.update(MAIL_SERVER=self.host, MAIL_PORT=self.port)
        return app

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()
