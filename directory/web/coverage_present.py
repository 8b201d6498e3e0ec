"""« Où l'aide manque » as the pages show it (issue 15): the analysis cached per
process, the distance classes (colour, symbol, label in km and minutes), the
table of a need sorted, its summary and its CSV. Shared by the public pages
(web/coverage.py) and the admin page (partners/coverage.py)."""

import math
import re
import threading
import unicodedata
from dataclasses import dataclass

from flask import current_app

from ..coverage.analysis import Settings
from ..coverage.load import load
from ..opendata.csv_excel import export_rows
from ..search.hours import data_version

KEY = "coverage"
_lock = threading.Lock()
# ColorBrewer OrRd (sequential, safe for colour-blind readers and in grey):
# the farther the nearest help, the darker the commune.
PALETTES = {
    3: ("#fee8c8", "#fdbb84", "#e34a33"),
    4: ("#fef0d9", "#fdcc8a", "#fc8d59", "#d7301f"),
    5: ("#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000"),
    6: ("#fef0d9", "#fdd49e", "#fdbb84", "#fc8d59", "#e34a33", "#b30000"),
}
NONE_COLOUR = "#525252"  # no reachable service at all
BARS = "▁▂▃▄▅▆▇"  # taller: farther (the class without colour)
NONE_SYMBOL = "✕"
NONE_KEY = "aucun"
SORTS = {
    "distance": "Distance (la plus grande d'abord)",
    "population": "Population",
    "commune": "Commune (ordre alphabétique)",
}
CSV_COLUMNS = [
    "besoin",
    "code_insee",
    "commune",
    "population",
    "km",
    "minutes",
    "classe",
    "service_id",
    "service_nom",
    "service_commune",
    "a_distance",
]


@dataclass(frozen=True)
class DistanceClass:
    cle: str  # "0", "1"… or "aucun": CSS classes, data attributes
    libelle: str  # « ≤ 10 km (≈ 12 min) »
    court: str  # « ≤ 10 km »
    couleur: str
    texte: str  # the text colour on `couleur`
    symbole: str


def current(db):
    """The Coverage of the territory, computed once per data version (an import
    or its undoing changes it) and settings, then kept for the process."""
    config = current_app.config
    settings = Settings.from_config(config)
    territory = str(config["TERRITOIRE"])
    key = (str(config["DATABASE"]), territory, settings, data_version(db))
    cached = current_app.extensions.get(KEY)
    if cached is not None and cached[0] == key:
        return cached[1]
    with _lock:  # one computation at a time (seconds for a national territory)
        cached = current_app.extensions.get(KEY)
        if cached is None or cached[0] != key:
            cached = (key, load(db, territory, settings))
            current_app.extensions[KEY] = cached
    return cached[1]


def french_number(value, decimals=0):
    """1234.5 → « 1 234,5 » (narrow no-break space between thousands)."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u202f").replace(".", ",")


def decimal(value):
    """« 1,3 », « 50 », « 12,5 »: a setting as French text."""
    return f"{value:g}".replace(".", ",")


def percent(share):
    """0.3889 → « 39 % »; never « 100 % » nor « 0 % » when it is not exactly so."""
    value = round(share * 100)
    if value == 100 and share < 1:
        return "plus de 99\u202f%"
    if value == 0 and share > 0:
        return "moins de 1\u202f%"
    return f"{value}\u202f%"


def luminance(hex_colour):
    """WCAG relative luminance of "#rrggbb"."""
    channels = []
    for i in (1, 3, 5):
        c = int(hex_colour[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]


def text_colour(hex_colour):
    """White or near-black, whichever contrasts more with the colour."""
    lum = luminance(hex_colour)
    return "#ffffff" if 1.05 / (lum + 0.05) >= (lum + 0.05) / 0.0615 else "#111827"


def minutes_of(km, settings):
    return decimal(round(km / settings.speed_kmh * 60))


def classes(settings):
    """The distance classes in order, the last one « aucun service »."""
    bounds = list(settings.classes_km)
    count = len(bounds) + 1
    palette = PALETTES.get(count) or PALETTES[6][:count]
    out = []
    for i in range(count):
        if i == 0:
            court = f"≤ {decimal(bounds[0])} km"
            libelle = f"{court} (≈ {minutes_of(bounds[0], settings)} min)"
        elif i < len(bounds):
            low, high = bounds[i - 1], bounds[i]
            court = f"{decimal(low)} à {decimal(high)} km"
            libelle = (
                f"{court} (≈ {minutes_of(low, settings)} à "
                f"{minutes_of(high, settings)} min)"
            )
        else:
            court = f"plus de {decimal(bounds[-1])} km"
            libelle = f"{court} (plus de {minutes_of(bounds[-1], settings)} min)"
        symbol = BARS[round(i * (len(BARS) - 1) / max(1, count - 1))]
        colour = palette[i]
        out.append(
            DistanceClass(str(i), libelle, court, colour, text_colour(colour), symbol)
        )
    out.append(
        DistanceClass(
            NONE_KEY,
            "aucun service accessible",
            "aucun service",
            NONE_COLOUR,
            text_colour(NONE_COLOUR),
            NONE_SYMBOL,
        )
    )
    return out


def class_key(classe):
    """The core's class (0, 1… or None) → its key ("0", "1"… or "aucun")."""
    return NONE_KEY if classe is None else str(classe)


def choose_need(coverage, value):
    """(need, error): the need asked for, or the first one with a French error
    when it is unknown (None when nothing was asked)."""
    if value in coverage.needs:
        return value, None
    default = coverage.needs[0] if coverage.needs else None
    if value is None or value == "":
        return default, None
    return default, (
        "Ce besoin n'existe pas dans l'annuaire : voici le premier de la liste, "
        f"« {coverage.labels.get(default, default)} »."
    )


def folded(name):
    """Sort key of a French name: accents and case ignored (« Élancourt » with E)."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def sort_key(sort):
    if sort == "population":
        return lambda r: (-r["population"], folded(r["commune"]), r["code_insee"])
    if sort == "commune":
        return lambda r: (folded(r["commune"]), r["code_insee"])
    # distance: no reachable service first (infinitely far), then the farthest
    return lambda r: (
        r["km"] is not None,
        -(r["km"] or 0),
        -r["population"],
        folded(r["commune"]),
    )


def table_rows(coverage, need, sort="distance"):
    """The rows of Coverage.rows(need) in the chosen order, with their class key
    and French texts (population, km, minutes)."""
    rows = []
    for row in sorted(coverage.rows(need), key=sort_key(sort)):
        km = row["km"]
        rows.append(
            {
                **row,
                "cle": class_key(row["classe"]),
                "population_texte": french_number(row["population"]),
                "km_texte": french_number(km, 1) if km is not None else None,
                "minutes_texte": french_number(row["minutes"])
                if row["minutes"] is not None
                else None,
            }
        )
    return rows


def need_summary(coverage, need, rows):
    """What the page says of one need: the population shares within each bound,
    the communes and inhabitants beyond the threshold or without any service,
    and per class the communes and inhabitants (for the legend)."""
    settings = coverage.settings
    total = sum(r["population"] for r in rows)
    per_class = {}
    for row in rows:
        count, people = per_class.get(row["cle"], (0, 0))
        per_class[row["cle"]] = (count + 1, people + row["population"])
    beyond = [r for r in rows if r["km"] is None or r["km"] > settings.threshold_km]
    return {
        "besoin": need,
        "libelle": coverage.labels.get(need, need),
        "habitants": french_number(total),
        "parts": [
            (
                f"{decimal(bound)} km (≈ {minutes_of(bound, settings)} min)",
                percent(coverage.share_within(need, bound)),
            )
            for bound in settings.classes_km
        ],
        "seuil": decimal(settings.threshold_km),
        "communes_au_dela": len(beyond),
        "habitants_au_dela": french_number(sum(r["population"] for r in beyond)),
        "sans_service": sum(1 for r in rows if r["km"] is None),
        "par_classe": {
            key: (count, french_number(people))
            for key, (count, people) in per_class.items()
        },
        "a_distance": sum(1 for r in rows if r["a_distance"]),
    }


def method_text(settings):
    """The sentence that says how distances are measured (an approximation)."""
    return (
        f"Distances à vol d'oiseau × {decimal(settings.road_factor)}, une "
        "approximation de la route (pas un itinéraire), depuis le chef-lieu de "
        "chaque commune ; les temps supposent une moyenne de "
        f"{decimal(settings.speed_kmh)} km/h. Un service « à distance » "
        "(téléphone, en ligne) compte pour 0 km dans sa zone."
    )


def csv_body(coverage, need, rows):
    """The table of one need (or, `need` None, rows of several needs, each
    with its `besoin`) as CSV for French Excel (`;`, BOM, formulas
    neutralised); km with a decimal comma, as French Excel reads numbers."""
    by_key = {c.cle: c.court for c in classes(coverage.settings)}
    return export_rows(
        (
            {
                **row,
                "besoin": need or row["besoin"],
                "km": french_number(row["km"], 1).replace("\u202f", "")
                if row["km"] is not None
                else None,
                "classe": by_key[row["cle"]],
                "a_distance": "oui" if row["a_distance"] else "non",
            }
            for row in rows
        ),
        columns=CSV_COLUMNS,
    )


def print_name(name):
    """« St-Flour », « Ste-Marie »: the usual abbreviations of place names,
    for the printed matrix."""
    return re.sub(r"\bSainte-", "Ste-", re.sub(r"\bSaint-", "St-", name))


def matrix(coverage, limit=None):
    """Rows of the communes × needs matrix, by commune name: (commune, its
    print name, [(class key, rounded km or None)] per need)."""
    order = sorted(
        range(len(coverage.communes)),
        key=lambda i: (
            folded(coverage.communes[i].nom),
            coverage.communes[i].code_insee,
        ),
    )
    out = []
    for i in order[:limit]:
        cells = []
        for j in range(len(coverage.needs)):
            km = float(coverage.km[i, j])
            finite = math.isfinite(km)
            cells.append(
                (class_key(coverage.distance_class(km)), round(km) if finite else None)
            )
        commune = coverage.communes[i]
        out.append((commune, print_name(commune.nom), cells))
    return out
