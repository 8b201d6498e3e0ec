"""Anonymise old orientations (issue 14): the person's data lives at most
ORIENTATION_RETENTION_DAYS after the orientation's last change.

What goes: the first name and initial, the contact, the reason, the answer, the
address the signed link went to, and every event's message. What stays, for the
counts: the status and its history, the dates, the service, the structure and the
prescripteur's account.
"""

import datetime

from ..catalogue.times import stamp

DEFAULT_DAYS = 90
PERSONAL = ("prenom", "initiale", "contact", "motif", "reponse", "courriel_service")
STALE = "anonymise_le is null and modifie_le < :cutoff"


def cutoff(now, days):
    """The stored time before which an orientation's last change is too old."""
    return stamp(now - datetime.timedelta(days=int(days)))


def purge(db, *, now, days=DEFAULT_DAYS):
    """Anonymise every orientation unchanged for more than `days` days before
    `now` (an aware datetime), in one transaction; returns how many."""
    if int(days) < 0:
        raise ValueError("days must be zero or more")
    params = {"cutoff": cutoff(now, days), "now": stamp(now)}
    emptied = ", ".join(f"{column} = null" for column in PERSONAL)
    with db.atomic():
        db.execute(
            "update orientation_evenements set message = null where orientation_id"
            f" in (select id from orientations where {STALE})",
            params,
        )
        cursor = db.execute(
            f"update orientations set {emptied}, anonymise_le = :now where {STALE}",
            params,
        )
        return cursor.rowcount
