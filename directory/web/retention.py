"""Personal data and anonymous counts past their delay, without waiting for a
cron (issues 14 and 15).

The first request a process serves runs `orientations.purge` with the setting
ORIENTATION_RETENTION_DAYS and `coverage.searchlog.purge` with
SEARCH_LOG_MONTHS, with the app's clock, then again at most once a day,
so that a worker running for months still keeps the promise of the page
« Données personnelles ». A failure is logged and the request goes on: it never
turns into an error page. `flask purge-orientations` does the same on demand.
"""

import datetime
import logging
import threading

from flask import current_app

from ..coverage import searchlog
from ..db import get_db
from ..orientations.purge import purge
from .context import clock

log = logging.getLogger(__name__)
KEY = "purges"  # the state of the daily purges
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
        config = current_app.config
        _attempt(
            "Anonymisation des orientations impossible",
            "%d orientation(s) anonymisée(s).",
            lambda db: purge(db, now=now, days=config["ORIENTATION_RETENTION_DAYS"]),
        )
        _attempt(
            "Effacement des comptes de recherche impossible",
            "%d compte(s) de recherche effacé(s).",
            lambda db: searchlog.purge(
                db, now=now, months=int(config.get("SEARCH_LOG_MONTHS", 13))
            ),
        )


def _attempt(failure, success, run):
    """Run one purge on the database; a failure is logged, never raised."""
    try:
        count = run(get_db())
    except Exception as exc:  # noqa: BLE001 - never an error page for this
        log.warning("%s : %s (%s)", failure, type(exc).__name__, exc)
    else:
        if count:
            log.info(success, count)


def init_app(app):
    """Register the purge on the app's requests."""
    app.extensions[KEY] = PurgeState()
    app.before_request(purge_when_due)
