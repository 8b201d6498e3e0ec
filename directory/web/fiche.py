"""A service as its fiche shows it: French labels, hours, freshness, safe links.

Split out of public.py (module size); values stay raw here, the templates'
autoescaping does all HTML escaping. Links are only made from http(s) URLs.
"""

import calendar
import datetime
import re
from urllib.parse import quote, urlsplit

from ..catalogue.vocabulary import (
    FRAIS,
    LANGUAGE_NAMES,
    MODALITES,
    MODES_ACCUEIL,
    PUBLICS,
    STATUTS,
    THEMATIQUES,
)
from ..search import hours_fr
from .present import detail

MONTHS = (
    "janvier février mars avril mai juin juillet août septembre octobre novembre "
    "décembre"
).split()
STALE_MONTHS = 6
URL_IN_TEXT = re.compile(r"https?://[^\s;<>\"']+", re.IGNORECASE)
OSM_DIRECTIONS = "https://www.openstreetmap.org/directions?to={lat}%2C{lon}"
LANGUAGES = {}
for _name, _code in LANGUAGE_NAMES.items():
    LANGUAGES.setdefault(_code, _name.capitalize())  # first name wins (fa: persan)


def tel_href(value):
    """'tel:' target: digits and a leading + only (None when nothing is left)."""
    digits = re.sub(r"[^0-9+]", "", value or "")
    return f"tel:{digits}" if digits else None


def http_url(value):
    """The URL if it is http(s) with a host, else None (never `javascript:`)."""
    value = (value or "").strip()
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return value
    return None


def linked(text):
    """[(piece, url or None)]: the http(s) URLs of a text become links, the rest
    stays text (a `source` may list several URLs)."""
    text, pieces, last = text or "", [], 0
    for match in URL_IN_TEXT.finditer(text):
        url = match.group().rstrip(".,)")
        if match.start() > last:
            pieces.append((text[last : match.start()], None))
        pieces.append((url, http_url(url)))
        last = match.start() + len(url)
    if last < len(text):
        pieces.append((text[last:], None))
    return pieces


def date_fr(value):
    """'2024-08-01' → '1er août 2024' (the raw text if it is not a date)."""
    day = parse_date(value)
    if day is None:
        return value or ""
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {MONTHS[day.month - 1]} {day.year}"


def parse_date(value):
    try:
        return datetime.date.fromisoformat((value or "")[:10])
    except ValueError:
        return None


def months_before(day, months):
    """The same day `months` months earlier (clamped to the month's end)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(day.day, last))


def is_stale(value, today):
    """True when the date is older than STALE_MONTHS months (or unreadable)."""
    day = parse_date(value)
    return day is None or day < months_before(today, STALE_MONTHS)


def ages_fr(age_min, age_max):
    if age_min is not None and age_max is not None:
        return f"de {age_min} à {age_max} ans"
    if age_min is not None:
        return f"à partir de {age_min} ans"
    if age_max is not None:
        return f"jusqu'à {age_max} ans"
    return None


def zone_fr(codes, gazetteer):
    """Eligibility area in words: « Tout le Cantal », commune names…"""
    names = []
    for code in codes:
        if code.lower() == "france":
            names.append("Toute la France")
        elif code == "15":
            names.append("Tout le Cantal")
        elif len(code) == 2 or len(code) == 3:
            names.append(f"Département {code}")
        else:
            commune = gazetteer.get(code) if gazetteer else None
            names.append(commune.nom if commune else code)
    return names


def labelled(values, choices):
    return [choices.labels.get(v, v) for v in values]


def describe(row, *, now, gazetteer=None):
    """Everything the fiche shows about a service row."""
    out = detail(row, now=now)
    horaires = out.get("horaires")
    out["horaires_lignes"] = hours_fr.describe(horaires) if horaires else None
    out["horaires_statut"] = hours_fr.status(horaires, now) if horaires else None
    out["statut_fr"] = STATUTS.labels.get(out["statut"] or "actif", out["statut"])
    out["date_maj_fr"] = date_fr(out["date_maj"])
    out["perime"] = is_stale(out["date_maj"], now.date())
    out["publics_fr"] = labelled(out["publics"], PUBLICS)
    out["thematiques_fr"] = labelled(out["thematiques"], THEMATIQUES)
    out["modalites_fr"] = labelled(out["modalites_acces"], MODALITES)
    out["modes_accueil_fr"] = labelled(out["modes_accueil"], MODES_ACCUEIL)
    out["frais_fr"] = FRAIS.labels.get(out["frais"], out["frais"])
    out["langues_fr"] = [LANGUAGES.get(c, c) for c in out["langues"]]
    out["ages_fr"] = ages_fr(out.get("age_min"), out.get("age_max"))
    out["zone_fr"] = zone_fr(out["zone_eligibilite"], gazetteer)
    out["tel"] = tel_href(row.get("telephone"))
    out["site_web_url"] = http_url(out.get("site_web"))
    out["lien_mobilisation_url"] = http_url(out.get("lien_mobilisation"))
    out["source_liens"] = linked(out.get("source"))
    out["courriel_url"] = (
        "mailto:" + quote(out["courriel"], safe="@.+-_")
        if out.get("courriel") and "@" in out["courriel"]
        else None
    )
    lat, lon = out.get("latitude"), out.get("longitude")
    out["itineraire"] = (
        OSM_DIRECTIONS.format(lat=f"{lat:.5f}", lon=f"{lon:.5f}")
        if lat is not None and lon is not None
        else None
    )
    return out
