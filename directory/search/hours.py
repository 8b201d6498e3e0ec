"""Opening hours (OpenStreetMap syntax) through opening-hours-py, with caches.

Partner data repeats a few hundred distinct `horaires` strings at most, so we
parse each once and answer "open now?" once per string and minute.
"""

from functools import lru_cache
from zoneinfo import ZoneInfo

import opening_hours

PARIS = ZoneInfo("Europe/Paris")


@lru_cache(maxsize=8192)
def parse(text):
    """OpeningHours for a string (French public holidays), or None if invalid."""
    try:
        return opening_hours.OpeningHours(text, country="FR")
    except (opening_hours.ParserError, ValueError, TypeError):
        return None


def local_minute(now):
    """Naive Europe/Paris wall-clock time, to the minute (the cache key)."""
    if now.tzinfo is not None:
        now = now.astimezone(PARIS).replace(tzinfo=None)
    return now.replace(second=0, microsecond=0)


@lru_cache(maxsize=65536)
def _state(text, minute):
    parsed = parse(text)
    if parsed is None:
        return None
    state, _ = parsed.state(minute)
    if state == opening_hours.State.OPEN:
        return True
    if state == opening_hours.State.CLOSED:
        return False
    return None


def is_open(text, now):
    """True/False for a service's hours at `now`; None when unknown or no hours."""
    if not text:
        return None
    return _state(text, local_minute(now))


def data_version(db):
    """Changes whenever an import is applied or undone: every write to the
    services goes through the audited imports log (CLI, web upload, edits)."""
    row = next(
        db.query(
            "select coalesce(max(id), 0) as n, sum(statut = 'annule') as a from imports"
        )
    )
    return f"{row['n']}.{row['a'] or 0}"
