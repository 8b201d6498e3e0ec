"""A service as its fiche shows it: French labels, hours, freshness, safe links.

Split out of public.py (module size); values stay raw here, the templates'
autoescaping does all HTML escaping. Links are only made from http(s) URLs.
"""

import calendar
import csv
import datetime
import functools
import os
import re
from urllib.parse import quote, urlsplit

from ..catalogue.matching import is_external
from ..catalogue.vocabulary import (
    FRAIS,
    LANGUAGE_NAMES,
    MODALITES,
    MODES_ACCUEIL,
    ORIENTATION_ACCOMPAGNATEUR,
    ORIENTATION_BENEFICIAIRE,
    PUBLICS,
    STATUTS,
    THEMATIQUES,
)
from ..search import closures, hours_fr
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
SOURCES_CSV = os.path.join("datainclusion", "sources.csv")
LOCAL_LABEL = "cet annuaire"


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


def lower_first(labels):
    """['Téléphoner', 'Envoyer un courriel'] → ['téléphoner', 'envoyer un courriel']
    after the first: read as one sentence."""
    return [
        label if i == 0 else label[0].lower() + label[1:]
        for i, label in enumerate(labels)
    ]


def describe(row, *, now, gazetteer=None, periods=()):
    """Everything the fiche shows about a service row; `periods`: its current
    or upcoming closures (catalogue.closures.of_service)."""
    out = detail(row, now=now, periods=periods)
    horaires = out.get("horaires")
    out["horaires_lignes"] = hours_fr.describe(horaires) if horaires else None
    out["horaires_statut"] = closures.status(horaires, periods, now)
    out["fermetures_fr"] = closures.banners(periods, now)
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
    # What to bring, how the person (or a professional for her) applies.
    out["orientation_beneficiaire_fr"] = lower_first(
        labelled(out["modes_orientation_beneficiaire"], ORIENTATION_BENEFICIAIRE)
    )
    out["orientation_accompagnateur_fr"] = lower_first(
        labelled(out["modes_orientation_accompagnateur"], ORIENTATION_ACCOMPAGNATEUR)
    )
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


@functools.lru_cache(maxsize=8)
def _labels(path, mtime):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return {
            (r.get("source") or "").strip(): (r.get("libelle") or "").strip()
            for r in csv.DictReader(handle)
        }


def source_labels(data_dir):
    """{source id: French label} of data/datainclusion/sources.csv ({} if absent)."""
    path = os.path.join(data_dir or "", SOURCES_CSV)
    try:
        return _labels(path, os.stat(path).st_mtime_ns)
    except (OSError, csv.Error, UnicodeDecodeError):
        return {}


def source_label(row, labels):
    """« DORA » for a data·inclusion row (its raw id when unknown), else None."""
    if not is_external(row):
        return None
    source = (row.get("source") or "").strip()
    return labels.get(source) or source or "data·inclusion"


def date_numeric(value):
    day = parse_date(value)
    return day.strftime("%d/%m/%Y") if day else None


def provenance(db, row, data_dir):
    """Where the fiche comes from, and the other sources of the same place:
    `autres` when it is shown for its cluster, `affiche_comme` when another
    service of the cluster is shown instead."""
    labels = source_labels(data_dir)
    out = {
        "libelle": source_label(row, labels),
        "date_maj": date_numeric(row.get("date_maj")),
        "lien_url": http_url(row.get("lien_source")),
        "importe_le": date_numeric(row.get("importe_le")),
        "origine": row.get("origine"),
        "autres": [],
        "affiche_comme": None,
    }
    if row.get("doublon_de"):
        shown = next(
            db.query(
                "select id, nom, commune from services where id = ?",
                [row["doublon_de"]],
            ),
            None,
        )
        out["affiche_comme"] = shown
    others = db.query(
        "select id, nom, source, origine, lien_source from services"
        " where doublon_de = ? order by id",
        [row["id"]],
    )
    out["autres"] = [
        {
            "id": other["id"],
            "libelle": source_label(other, labels) or LOCAL_LABEL,
            "lien_url": http_url(other["lien_source"]),
        }
        for other in others
    ]
    return out
