"""Counting searches for « Où l'aide manque » (issue 15): the first page of each
search (`/recherche`, `/api/services`) adds one anonymous count to the app's
coverage.searchlog.SearchLog, written in batches (SEARCH_LOG_WRITE_SECONDS,
60 by default). A failure to write is logged, never shown: a search always
answers. Old counts are deleted with the other purges (module `retention`)."""

from flask import current_app

from ..coverage import searchlog
from ..db import get_db

KEY = "searchlog"


def search_log(app):
    """The app's SearchLog (one per process)."""
    log = app.extensions.get(KEY)
    if log is None:
        every = float(app.config.get("SEARCH_LOG_WRITE_SECONDS", 60))
        log = app.extensions[KEY] = searchlog.SearchLog(every=every)
    return log


def note(query, total, now):
    """Count one search (page 1 only: turning pages is the same search)."""
    if query.page != 1:
        return
    app = current_app._get_current_object()
    log = search_log(app)
    place = query.place
    log.record(now, place.code_insee if place else None, query.besoins, total > 0)
    if not log.due():
        return
    try:
        log.write(get_db())
    except Exception:  # the count waits for the next write; the search answers
        app.logger.warning("Comptage des recherches : écriture impossible.")
