"""Temporary closures of a service (issue 13): closed from … to …, exceptional
hours for given dates, or « complet / liste d'attente ». What a period is, the
checks of a declaration, which one applies on a day, the French wording, and
reading them. A period ends by itself: nothing deletes it, and one whose `fin`
is past no longer applies. The audited writes are module `closure_writes`.

Pure core: the opening-hours side (exceptional hours, « open now ») is
`search.closures`; no Flask here."""

import datetime
import re
from dataclasses import dataclass

GENRES = {
    "fermeture": "Fermeture temporaire",
    "horaires": "Horaires exceptionnels",
    "complet": "Complet / liste d'attente",
}
# Which one governs a day when several apply (a closure beats exceptional hours).
PRECEDENCE = ("fermeture", "horaires", "complet")
MAX_DAYS = 366  # a period lasts one year at most
MAX_AHEAD = 2 * 365  # and starts within two years (a typo like 2062 is refused)
MAX_MOTIF = 200
ANNOUNCE_DAYS = 30  # an upcoming period is shown this many days before it starts
MONTHS = (
    "janvier février mars avril mai juin juillet août septembre octobre novembre "
    "décembre"
).split()


# ASCII digits only: int() also reads « ٣ » and « １２ ».
ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
FRENCH = re.compile(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})")


class ClosureError(ValueError):
    """A declaration, withdrawal or undo refused; the message is French."""


@dataclass(frozen=True)
class Closure:
    id: int
    service_id: str
    genre: str
    debut: datetime.date
    fin: datetime.date
    motif: str | None = None
    horaires: str | None = None
    annule_le: str | None = None

    @classmethod
    def from_row(cls, row):
        return cls(
            row["id"],
            row["service_id"],
            row["genre"],
            datetime.date.fromisoformat(row["debut"]),
            datetime.date.fromisoformat(row["fin"]),
            row.get("motif") or None,
            row.get("horaires") or None,
            row.get("annule_le"),
        )

    def covers(self, day):
        return self.debut <= day <= self.fin

    def announced(self, day):
        """Starts after `day`, within ANNOUNCE_DAYS."""
        return day < self.debut <= day + datetime.timedelta(days=ANNOUNCE_DAYS)


def parse_day(text):
    """A date typed or sent by a date field: `2026-08-04`, `04/08/2026`; else None."""
    text = (text or "").strip()
    try:
        if ISO.fullmatch(text):
            return datetime.date.fromisoformat(text)
        if match := FRENCH.fullmatch(text):
            day, month, year = (int(g) for g in match.groups())
            return datetime.date(year, month, day)
    except ValueError:
        pass
    return None


def clean_motif(text):
    """The reason on one line (spaces and line breaks folded)."""
    return " ".join((text or "").split()) or None


def check(genre, debut, fin, motif, *, today):
    """{field: French message} of what is wrong in a declaration (dates as
    typed); the exceptional hours are checked by search.closures."""
    errors = {}
    if genre not in GENRES:
        errors["genre"] = (
            "Choisissez : fermeture temporaire, horaires exceptionnels ou complet."
        )
    start, end = parse_day(debut), parse_day(fin)
    if start is None:
        errors["debut"] = "Date de début manquante ou illisible (jj/mm/aaaa)."
    if end is None:
        errors["fin"] = "Date de fin manquante ou illisible (jj/mm/aaaa)."
    if start and end:
        if end < start:
            errors["fin"] = "La date de fin doit être le jour du début ou après."
        elif end < today:
            errors["fin"] = (
                "La date de fin est passée : une période terminée n'a plus d'effet."
            )
        elif (end - start).days + 1 > MAX_DAYS:
            errors["fin"] = (
                f"Une période dure au plus {MAX_DAYS} jours : déclarez la suite "
                "plus tard."
            )
        elif (start - today).days > MAX_AHEAD:
            errors["debut"] = "La date de début est à plus de deux ans : vérifiez-la."
    if len(clean_motif(motif) or "") > MAX_MOTIF:
        errors["motif"] = f"Le motif fait au plus {MAX_MOTIF} caractères."
    return errors


# -- which one applies ---------------------------------------------------------


def in_force(closures, day):
    """The closure that governs opening on `day`: a 'fermeture', else
    exceptional hours; None (a 'complet' changes no hours)."""
    for genre in PRECEDENCE[:2]:
        for closure in closures:
            if closure.genre == genre and closure.covers(day):
                return closure
    return None


def shown(closures, day):
    """The one to show on a result: in force (by precedence), else the first
    announced (starting within ANNOUNCE_DAYS); None."""
    current = [c for c in closures if c.covers(day)]
    if current:
        return min(current, key=lambda c: (PRECEDENCE.index(c.genre), c.debut))
    upcoming = [c for c in closures if c.announced(day)]
    return min(upcoming, key=_start_order, default=None)


def _start_order(closure):
    return closure.debut, PRECEDENCE.index(closure.genre)


def visible(closures, day):
    """Those a fiche shows: in force or announced, by start date."""
    return sorted(
        (c for c in closures if c.covers(day) or c.announced(day)), key=_start_order
    )


def suspension_date(items):
    """data·inclusion `date_suspension`: the start of the first current or
    upcoming 'fermeture' among these public dicts (ISO), or None."""
    starts = [i["debut"] for i in items or () if i["genre"] == "fermeture"]
    return min(starts, default=None)


# -- French --------------------------------------------------------------------


def day_fr(day, year=False, month=True):
    """« 4 août », « 1er septembre 2027 » (without the month: « 4 »)."""
    text = "1er" if day.day == 1 else str(day.day)
    return text + f" {MONTHS[day.month - 1]}" * month + f" {day.year}" * year


def period_fr(debut, fin, today):
    """« du 4 au 25 août », « le 4 août », « du 28 décembre 2026 au 3 janvier
    2027 »: the year is said when it is not this year's."""
    year = not debut.year == fin.year == today.year
    if debut == fin:
        return f"le {day_fr(debut, year)}"
    if debut.year != fin.year:
        return f"du {day_fr(debut, True)} au {day_fr(fin, True)}"
    same_month = debut.month == fin.month
    return f"du {day_fr(debut, month=not same_month)} au {day_fr(fin, year)}"


def label(closure, today, hours_text=None):
    """« Fermé du 4 au 25 août », « Fermeture prévue du … au … », « Horaires
    exceptionnels du … au … : … », « Complet / liste d'attente jusqu'au … »."""
    current = closure.debut <= today
    period = period_fr(closure.debut, closure.fin, today)
    if closure.genre == "fermeture":
        return ("Fermé " if current else "Fermeture prévue ") + period
    if closure.genre == "horaires":
        text = "Horaires exceptionnels " + period
        return text + f" : {hours_text}" if hours_text else text
    if current:
        year = closure.fin.year != today.year
        return f"Complet / liste d'attente jusqu'au {day_fr(closure.fin, year)}"
    return "Complet / liste d'attente " + period


# -- reading -------------------------------------------------------------------

ACTIVE = (
    "select f.*, s.rowid as _rowid from fermetures f"
    " join services s on s.id = f.service_id"
    " where f.annule_le is null and f.fin >= ?"
)


def active_rows(db, day):
    """(services' rowid, Closure) of every period not withdrawn nor ended on
    `day`, current or future: one query on a small table (index on `fin`)."""
    cursor = db.conn.execute(ACTIVE, [day.isoformat()])
    names = [d[0] for d in cursor.description]
    rows = (dict(zip(names, values, strict=True)) for values in cursor)
    return [(row["_rowid"], Closure.from_row(row)) for row in rows]


def of_services(db, service_ids, day):
    """{service id: its periods not withdrawn nor ended on `day`, by start}
    of these services (one query; a service without any is absent)."""
    ids = list(service_ids)
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    rows = db.query(
        f"select * from fermetures where service_id in ({marks}) and fin >= ?"
        " and annule_le is null order by debut, id",
        [*ids, day.isoformat()],
    )
    found = {}
    for row in rows:
        found.setdefault(row["service_id"], []).append(Closure.from_row(row))
    return found


def of_service(db, service_id, day):
    """The service's periods not withdrawn nor ended on `day`, by start."""
    return of_services(db, [service_id], day).get(service_id, [])


def get(db, closure_id):
    row = next(db["fermetures"].rows_where("id = ?", [closure_id]), None)
    return Closure.from_row(row) if row else None
