"""Anonymise old orientations without waiting for a cron (issue 14).

The first request a process serves runs `orientations.purge` with the setting
ORIENTATION_RETENTION_DAYS and the app's clock, then again at most once a day,
so that a worker running for months still keeps the promise of the page
« Données personnelles ». A failure is logged and the request goes on: it never
turns into an error page. `flask purge-orientations` does the same on demand.
"""

import datetime
import logging
import threading

from flask import current_app

from ..db import get_db
from ..orientations.purge import purge
from .context import clock

log = logging.getLogger(__name__)
KEY = "orientation_purge"
INTERVAL = datetime.timedelta(days=1)


class PurgeState:
    """When this app last purged in this process, and the lock around it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.last = None  # the clock's time of the last attempt


def due(state, now):
    return state.last is None or not (state.last <= now < state.last + INTERVAL)


def purge_when_due():
    """before_request: purge if this process has not in the last day."""
    state = current_app.extensions[KEY]
    now = clock()
    if not due(state, now):
        return
    with state.lock:
        if not due(state, now):  # another thread did it meanwhile
            return
        # Marked first: a failing purge is not retried on every request.
        state.last = now
        try:
            count = purge(
                get_db(),
                now=now,
                days=current_app.config["ORIENTATION_RETENTION_DAYS"],
            )
        except Exception as exc:  # noqa: BLE001 - never an error page for this
            log.warning(
                "Anonymisation des orientations impossible : %s (%s)",
                type(exc).__name__,
                exc,
            )
        else:
            if count:
                log.info("%d orientation(s) anonymisée(s).", count)


def init_app(app):
    """Register the purge on the app's requests."""
    app.extensions[KEY] = PurgeState()
    app.before_request(purge_when_due)
