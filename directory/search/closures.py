"""Closures on top of opening hours (issue 13): a 'fermeture' on a day closes
the service whatever its hours, exceptional hours replace the regular ones on
their dates, a 'complet' changes no hours but is shown.

`Layer` is what one search sees: the periods not yet ended, read from SQLite
at most once per search (one small query, never from the index: declaring a
closure is no import). No Flask imports."""

import re

from ..catalogue import closures as periods
from ..catalogue.closures import in_force, shown
from . import hours, hours_fr

_WD = "(?:Mo|Tu|We|Th|Fr|Sa|Su)"
_DAYS = rf"(?:{_WD}(?:-{_WD})?|PH)(?:,(?:{_WD}(?:-{_WD})?|PH))*"
_TIMES = r"\d\d:\d\d-\d\d:\d\d(?:\s*,\s*\d\d:\d\d-\d\d:\d\d)*"
# One rule of exceptional hours: days (optional), then times or off.
RULE = re.compile(rf"(?:{_DAYS}\s+)?(?:{_TIMES}|off|closed)")
MONS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
HOURS_HELP = (
    "Horaires illisibles : écrivez par exemple « Mo-Fr 10:00-12:00; Sa 09:00-12:00 » "
    "(jours en anglais abrégé, heures sur 24 h, règles séparées par « ; »)."
)


def _rules(text):
    return [rule.strip() for rule in (text or "").split(";") if rule.strip()]


def hours_problem(text):
    """French message when exceptional hours are missing or beyond the simple
    form a period can carry (days then times, `;` between rules); else None."""
    if not (text or "").strip():
        return "Indiquez les horaires de la période (ex. « Mo-Fr 10:00-12:00 »)."
    if len(text) > 500:
        return "500 caractères au plus."
    rules = _rules(text)
    if not all(RULE.fullmatch(rule) for rule in rules):
        return HOURS_HELP
    if hours.parse("; ".join(rules)) is None:
        return HOURS_HELP
    return None


def validate(form, *, today):
    """(values, errors) of a declaration as typed: values ready for
    catalogue.closure_writes.declare, errors {field: French message}."""
    genre = (form.get("genre") or "").strip()
    errors = periods.check(
        genre, form.get("debut"), form.get("fin"), form.get("motif"), today=today
    )
    text = " ".join((form.get("horaires") or "").split())
    if genre == "horaires" and (problem := hours_problem(text)):
        errors["horaires"] = problem
    values = {
        "genre": genre,
        "debut": periods.parse_day(form.get("debut")),
        "fin": periods.parse_day(form.get("fin")),
        "motif": periods.clean_motif(form.get("motif")),
        "horaires": "; ".join(_rules(text)) if genre == "horaires" else None,
    }
    return values, errors


def _date_osm(day):
    return f"{day.year} {MONS[day.month - 1]} {day.day:02d}"


def effective_hours(regular, closures):
    """The regular OSM hours with these periods written over them: a
    'fermeture' as `<dates> off`, exceptional hours as `<dates> off` then
    each rule prefixed by the dates. Later rules override earlier ones."""
    parts = [regular.strip()] if (regular or "").strip() else []
    for closure in sorted(closures, key=lambda c: (c.genre != "horaires", c.debut)):
        if closure.genre not in ("fermeture", "horaires"):
            continue
        dates = f"{_date_osm(closure.debut)}-{_date_osm(closure.fin)}"
        parts.append(f"{dates} off")
        if closure.genre == "horaires":
            parts += [f"{dates} {rule}" for rule in _rules(closure.horaires)]
    return "; ".join(parts)


def today_of(now):
    return hours.local_minute(now).date()


def open_now(regular, closures, now):
    """True/False/None as hours.is_open, with the period in force today."""
    closure = in_force(closures, today_of(now))
    if closure is None:
        return hours.is_open(regular, now)
    if closure.genre == "fermeture":
        return False
    return hours.is_open(closure.horaires, now)


def status(regular, closures, now):
    """The fiche's live status (hours_fr.status) with the periods: « Fermé
    jusqu'au 25 août inclus », « Fermé · ouvre le 26 août à 9 h »…"""
    day = today_of(now)
    changing = [c for c in closures if c.genre in ("fermeture", "horaires")]
    if not changing:
        return hours_fr.status(regular, now) if regular else None
    force = in_force(changing, day)
    if not regular and force is None:
        return None
    text = effective_hours(regular, changing)
    result = None
    if "||" not in (regular or "") and hours.parse(text) is not None:
        result = hours_fr.status(text, now)
    if result is None:  # beyond the composition: today's period alone
        if force is not None and force.genre == "fermeture":
            result = "Fermé"
        else:
            hours_text = force.horaires if force else regular
            result = hours_fr.status(hours_text, now) if hours_text else None
    if result == "Fermé" and force is not None and force.genre == "fermeture":
        year = force.fin.year != day.year
        result = f"Fermé jusqu'au {periods.day_fr(force.fin, year)} inclus"
    return result


def label(closure, today):
    """catalogue.closures.label, exceptional hours said in French."""
    hours_text = None
    if closure.genre == "horaires" and closure.horaires:
        lines = hours_fr.describe(closure.horaires)
        hours_text = " ; ".join(lines) if lines else closure.horaires
    return periods.label(closure, today, hours_text)


def public(closure, today):
    """The API's `fermeture` object (None for no closure)."""
    if closure is None:
        return None
    return {
        "genre": closure.genre,
        "debut": closure.debut.isoformat(),
        "fin": closure.fin.isoformat(),
        "en_cours": closure.covers(today),
        "motif": closure.motif,
        "horaires": closure.horaires,
        "libelle": label(closure, today),
    }


def shown_public(closures, now):
    """public() of the period a result shows (in force, else announced)."""
    today = today_of(now)
    return public(shown(closures, today), today)


def banners(closures, now):
    """public() of every period a fiche announces: in force, or starting
    within catalogue.closures.ANNOUNCE_DAYS; by start date."""
    today = today_of(now)
    return [public(c, today) for c in periods.visible(closures, today)]


class Layer:
    """The periods one search sees, read at most once (lazily: a search that
    reads no row and filters no opening reads nothing)."""

    def __init__(self, db, now):
        self.db, self.now, self.today = db, now, today_of(now)
        self._rows = self._by_service = None

    def rows(self):
        if self._rows is None:
            self._rows = periods.active_rows(self.db, self.today)
        return self._rows

    def by_service(self):
        if self._by_service is None:
            self._by_service = {}
            for _, closure in self.rows():
                self._by_service.setdefault(closure.service_id, []).append(closure)
        return self._by_service

    def overrides(self):
        """{services' rowid: open now?} where a period replaces the hours today."""
        found = {}
        for rowid, closure in self.rows():
            if closure.genre != "complet" and closure.covers(self.today):
                found.setdefault(rowid, []).append(closure)
        now = self.now
        return {rowid: bool(open_now(None, cs, now)) for rowid, cs in found.items()}

    def annotate(self, row):
        """Set a result row's `ouvert_maintenant`, `fermeture` (the period
        shown) and `fermetures` (every current or upcoming one, as dicts)."""
        mine = self.by_service().get(row.get("id"), ())
        row["ouvert_maintenant"] = open_now(row.get("horaires"), mine, self.now)
        row["fermeture"] = public(shown(mine, self.today), self.today)
        row["fermetures"] = [public(c, self.today) for c in mine]
        return row
