"""What people search and do not find (issue 15), anonymous by design.

A search is kept only as a count per hour (rounded down, Paris time), commune
(a clicked position counts as its nearest commune), needs chosen and whether
any service was found: never the text typed, an address, an IP, a cookie or
any identifier. Counts wait in memory and are added to the table `recherches`
in one transaction every `every` seconds (a search writes nothing itself);
rows older than the retention (13 months by default) are deleted. No Flask.
"""

import calendar
import datetime
import threading
import time

from ..catalogue.services import MULTI

UPSERT = (
    "insert into recherches (heure, code_insee, besoins, resultats, nombre)"
    " values (?, ?, ?, ?, ?) on conflict (heure, code_insee, besoins, resultats)"
    " do update set nombre = nombre + excluded.nombre"
)


def hour_of(moment):
    """'2026-12-06T14:00' of an aware or Paris-naive datetime."""
    return moment.strftime("%Y-%m-%dT%H:00")


def months_before(day, months):
    """The same day `months` months earlier (the month's last day if shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(day.day, last))


class SearchLog:
    """The counts of one process, written in batches (thread-safe)."""

    def __init__(self, every=60.0):
        self.every = every
        self._counts = {}
        self._lock = threading.Lock()
        self._written = time.monotonic()

    def record(self, moment, code_insee, besoins, found):
        key = (
            hour_of(moment),
            code_insee or "",
            MULTI.join(sorted(set(besoins or ()))),
            1 if found else 0,
        )
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + 1

    def due(self):
        return bool(self._counts) and time.monotonic() - self._written >= self.every

    def take(self):
        """The counts not yet written, emptied."""
        with self._lock:
            counts, self._counts = self._counts, {}
            self._written = time.monotonic()
        return counts

    def write(self, db):
        """Add the waiting counts to the table, in one transaction; returns how
        many searches were written. On failure they are kept for the next try."""
        counts = self.take()
        if not counts:
            return 0
        try:
            with db.atomic():
                db.conn.executemany(
                    UPSERT, [(*key, number) for key, number in counts.items()]
                )
        except Exception:
            with self._lock:
                for key, number in counts.items():
                    self._counts[key] = self._counts.get(key, 0) + number
            raise
        return sum(counts.values())


def purge(db, *, now, months=13):
    """Delete the counts older than `months` months; returns how many rows."""
    cutoff = months_before(now.date(), months).isoformat()
    with db.atomic():
        cursor = db.execute("delete from recherches where heure < ?", [cutoff])
    return cursor.rowcount


def unmet(db, since=None):
    """Searches that found nothing, by commune and needs: [{code_insee, nom,
    besoins, nombre, derniere}] most frequent first (the commune's name from
    the gazetteer)."""
    sql = (
        "select r.code_insee, c.nom, r.besoins, sum(r.nombre) as nombre,"
        " max(r.heure) as derniere from recherches r"
        " left join communes c on c.code_insee = r.code_insee"
        " and c.statut = 'actuelle'"
        " where r.resultats = 0"
    )
    params = []
    if since:
        sql += " and r.heure >= ?"
        params.append(since)
    sql += " group by r.code_insee, r.besoins order by nombre desc, r.code_insee"
    return list(db.query(sql, params))


def by_month(db):
    """[{mois, recherches, sans_resultat}] per month, oldest first."""
    return list(
        db.query(
            "select substr(heure, 1, 7) as mois, sum(nombre) as recherches,"
            " sum(case when resultats = 0 then nombre else 0 end) as sans_resultat"
            " from recherches group by mois order by mois"
        )
    )
