"""The one search function behind the pages, the JSON API and the exports.

`parse_params` turns query-string values into a validated `Query` (or raises
`ParamError` with a French message naming the parameter); `search` runs it
against SQLite: FTS5 with bm25, the indexed service↔need table, a bounding
box then an exact ellipsoidal distance, and "open now" from opening_hours.
No Flask imports.
"""

import datetime
import math
import re
from dataclasses import dataclass, field

from . import hours
from .gazetteer import CommuneError
from .geocoding import parse_query
from .vocabulary import MODALITES, PUBLICS

PARIS = hours.PARIS
PARAMETERS = (
    "q",
    "besoin",
    "commune",
    "lat",
    "lon",
    "rayon",
    "public",
    "frais",
    "modalite",
    "ouvert",
    "tri",
    "page",
    "par_page",
)
REPEATABLE = {"besoin", "public", "modalite"}
TRIS = ("pertinence", "distance", "nom", "date_maj")
DEFAULT_RAYON, MAX_RAYON = 20.0, 200.0
DEFAULT_PAR_PAGE, MAX_PAR_PAGE, MAX_PAGE = 20, 100, 10_000
MAX_Q = 200
TRUE, FALSE = {"1", "true", "oui", "on"}, {"0", "false", "non", "off", ""}
# bm25 weights of the FTS columns: nom, description, structure_nom, commune, besoins
BM25 = "bm25(services_fts, 10.0, 1.0, 5.0, 3.0, 6.0)"
# WGS84 ellipsoid, for the local distance formula below.
A_KM, E2 = 6378.137, 0.00669437999014


class ParamError(ValueError):
    """A bad query parameter: French message, parameter name, optional suggestion."""

    def __init__(self, message, parametre, suggestion=None):
        super().__init__(message)
        self.message, self.parametre, self.suggestion = message, parametre, suggestion


@dataclass
class Place:
    nom: str
    code_insee: str | None
    latitude: float
    longitude: float
    departement: str | None = None


@dataclass
class Query:
    q: str | None = None
    besoins: list = field(default_factory=list)
    place: Place | None = None
    rayon: float | None = None
    publics: list = field(default_factory=list)
    frais: str | None = None
    modalites: list = field(default_factory=list)
    ouvert: bool = False
    tri: str = "pertinence"
    page: int = 1
    par_page: int = DEFAULT_PAR_PAGE


@dataclass
class Result:
    total: int
    query: Query
    services: list  # rows (dicts) with distance_km and ouvert_maintenant


def _values(args, name):
    if hasattr(args, "getlist"):
        values = args.getlist(name)
    else:
        value = args.get(name)
        values = value if isinstance(value, list) else [] if value is None else [value]
    values = [str(v).strip() for v in values]
    if name not in REPEATABLE and len(values) > 1:
        raise ParamError(
            f"Le paramètre « {name} » ne peut être donné qu'une fois.", name
        )
    return [v for v in values if v] if name in REPEATABLE else values[:1]


def _number(text, name, low, high, integer=False):
    try:
        value = int(text) if integer else float(text.replace(",", "."))
    except ValueError:
        kind = "un nombre entier" if integer else "un nombre"
        raise ParamError(f"« {name} » doit être {kind}.", name) from None
    if (not integer and not math.isfinite(value)) or not low <= value <= high:
        raise ParamError(f"« {name} » doit être compris entre {low} et {high}.", name)
    return value


def _choices(values, choices, name):
    slugs = []
    for value in values:
        slug = choices.match(value)
        if slug is None:
            suggestion = choices.suggest(value)
            hint = f" Vouliez-vous dire « {suggestion} » ?" if suggestion else ""
            raise ParamError(
                f"Valeur inconnue pour « {name} » : « {value[:60]} ».{hint}",
                name,
                suggestion,
            )
        if slug not in slugs:
            slugs.append(slug)
    return slugs


def resolve_place(gazetteer, text):
    """A commune given as INSEE code, postcode, name or former name → Place."""
    if len(text) > 200:
        raise ParamError("« commune » : 200 caractères au maximum.", "commune")
    try:
        _, code, name = parse_query(text)
        match = gazetteer.resolve(name or None, code or None)
    except CommuneError as exc:
        hint = ""
        if exc.suggestion and "Vouliez-vous dire" not in exc.message:
            hint = f" Vouliez-vous dire « {exc.suggestion} » ?"
        raise ParamError(exc.message + hint, "commune", exc.suggestion) from None
    except ValueError as exc:  # geopy's query errors
        raise ParamError(f"Commune illisible : {exc}", "commune") from None
    commune = match.commune
    return Place(
        commune.nom,
        commune.code_insee,
        match.latitude,
        match.longitude,
        commune.departement,
    )


def parse_params(args, *, gazetteer, besoins):
    """Validate query-string values (a MultiDict or a dict) into a Query."""
    get = {name: _values(args, name) for name in PARAMETERS}
    query = Query()
    if get["q"]:
        if len(get["q"][0]) > MAX_Q:
            raise ParamError(f"« q » : {MAX_Q} caractères au maximum.", "q")
        query.q = get["q"][0] or None
    query.besoins = _choices(get["besoin"], besoins, "besoin")
    query.publics = _choices(get["public"], PUBLICS, "public")
    query.modalites = _choices(get["modalite"], MODALITES, "modalite")
    if get["frais"] and get["frais"][0]:
        query.frais = _choices(get["frais"], _FRAIS, "frais")[0]
    lat, lon = (get["lat"] or [""])[0], (get["lon"] or [""])[0]
    commune = (get["commune"] or [""])[0]
    if commune and (lat or lon):
        raise ParamError("Donnez soit « commune », soit « lat » et « lon ».", "commune")
    if lat or lon:
        if not (lat and lon):
            raise ParamError(
                "« lat » et « lon » vont ensemble.", "lat" if not lat else "lon"
            )
        latitude = _number(lat, "lat", -90, 90)
        longitude = _number(lon, "lon", -180, 180)
        near = gazetteer.nearest(latitude, longitude)
        query.place = Place(
            "Position indiquée",
            near.code_insee if near else None,
            latitude,
            longitude,
            near.departement if near else None,
        )
    elif commune:
        query.place = resolve_place(gazetteer, commune)
    if get["rayon"] and get["rayon"][0]:
        query.rayon = _number(get["rayon"][0], "rayon", 0.1, MAX_RAYON)
    if query.place and query.rayon is None:
        query.rayon = DEFAULT_RAYON
    ouvert = (get["ouvert"] or [""])[0].lower()
    if ouvert not in TRUE | FALSE:
        raise ParamError("« ouvert » vaut 1 (ouvert maintenant) ou 0.", "ouvert")
    query.ouvert = ouvert in TRUE
    tri = (get["tri"] or ["pertinence"])[0] or "pertinence"
    if tri not in TRIS:
        raise ParamError("« tri » vaut " + ", ".join(TRIS) + ".", "tri")
    if tri == "distance" and not query.place:
        raise ParamError(
            "Le tri par distance demande une commune ou une position.", "tri"
        )
    query.tri = tri
    if get["page"] and get["page"][0]:
        query.page = _number(get["page"][0], "page", 1, MAX_PAGE, integer=True)
    if get["par_page"] and get["par_page"][0]:
        query.par_page = _number(
            get["par_page"][0], "par_page", 1, MAX_PAR_PAGE, integer=True
        )
    return query


class _Frais:
    """Choices-like matcher for frais (gratuit / payant)."""

    labels = {"gratuit": "Gratuit", "payant": "Payant"}

    def match(self, value):
        value = value.lower()
        return value if value in self.labels else None

    def suggest(self, value):
        return None


_FRAIS = _Frais()


def fts_query(text):
    """Quote every word for FTS5 (apostrophes, quotes, NEAR( are just text);
    the last word is a prefix, so "epicerie sol" finds "solidaire"."""
    words = re.findall(r"\w+", text)
    if not words:
        return None
    quoted = [f'"{w}"' for w in words[:20]]
    quoted[-1] += "*"
    return " ".join(quoted)


def distance_sql(lat0, lon0):
    """SQL expression for the distance in km from (lat0, lon0) to each service.

    Local ellipsoidal plane at the mid-latitude: within 0.1 % of the geodesic
    below 200 km (checked by the tests), and computed by SQLite in C.
    """
    phi = math.radians(lat0)
    w = 1 - E2 * math.sin(phi) ** 2
    meridian = A_KM * (1 - E2) / w**1.5  # radius of curvature N-S
    normal = A_KM / math.sqrt(w)  # radius of curvature E-W
    return (
        f"sqrt(power(radians(s.latitude - {lat0!r}) * {meridian!r}, 2) + "
        f"power(radians(s.longitude - {lon0!r}) * {normal!r} * "
        f"cos(radians((s.latitude + {lat0!r}) / 2)), 2))"
    )


def _contains(column, values, params, prefix):
    """SQL: a ', '-separated list column holds one of `values`."""
    clauses = []
    for i, value in enumerate(values):
        params[f"{prefix}{i}"] = f"%, {value}, %"
        clauses.append(f"(', ' || coalesce(s.{column}, '') || ', ') like :{prefix}{i}")
    return "(" + " or ".join(clauses) + ")"


def build_sql(query, *, open_hours=None):
    """(from+where SQL, select columns, order by, params) for a Query."""
    params, where = {}, ["s.statut != 'ferme'"]
    source = "services s"
    select = ["s.*"]
    if query.q and (match := fts_query(query.q)):
        source = "services_fts f join services s on s.rowid = f.rowid"
        where.append("services_fts match :fts")
        params["fts"] = match
        select.append(f"{BM25} as rang")
    if query.besoins:
        marks = ", ".join(f":b{i}" for i in range(len(query.besoins)))
        params.update({f"b{i}": b for i, b in enumerate(query.besoins)})
        where.append(
            "s.id in (select service_id from service_besoins "
            f"where besoin in ({marks}))"
        )
    if query.publics:
        where.append(
            _contains("publics", query.publics + ["tous-publics"], params, "p")
        )
    if query.modalites:
        where.append(_contains("modalites_acces", query.modalites, params, "m"))
    if query.frais:
        where.append("s.frais = :frais")
        params["frais"] = query.frais
    if query.ouvert:
        marks = ", ".join(f":h{i}" for i in range(len(open_hours or [])))
        params.update({f"h{i}": h for i, h in enumerate(open_hours or [])})
        where.append(f"s.horaires in ({marks})" if marks else "0")
    if query.place:
        place, rayon = query.place, query.rayon
        distance = distance_sql(place.latitude, place.longitude)
        dlat = rayon / 110.5 + 0.01
        dlon = (
            rayon / (111.0 * max(math.cos(math.radians(place.latitude)), 0.05)) + 0.01
        )
        params.update(
            rayon=rayon,
            lat_lo=place.latitude - dlat,
            lat_hi=place.latitude + dlat,
            lon_lo=place.longitude - dlon,
            lon_hi=place.longitude + dlon,
        )
        in_box = (
            "s.latitude between :lat_lo and :lat_hi and "
            "s.longitude between :lon_lo and :lon_hi"
        )
        remote = "', ' || coalesce(s.modes_accueil, '') || ', ' like '%, a-distance, %'"
        where.append(f"(({in_box} and {distance} <= :rayon) or ({remote}))")
        select.append(
            f"case when {in_box} and {distance} <= :rayon then {distance} "
            "end as distance_km"
        )
        if place.code_insee:
            zones = [place.code_insee, place.departement or "", "france"]
            params.update({f"z{i}": f"%, {z}, %" for i, z in enumerate(zones)})
            where.append(
                "(s.zone_eligibilite is null or "
                + " or ".join(
                    f"(', ' || s.zone_eligibilite || ', ') like :z{i}"
                    for i in range(len(zones))
                )
                + ")"
            )
    else:
        select.append("null as distance_km")
    tri = query.tri
    if tri == "pertinence":
        tri = "distance" if query.place else "rang" if "fts" in params else "nom"
    order = {
        "distance": "distance_km is null, distance_km, s.nom, s.id",
        "rang": "rang, s.nom, s.id",
        "nom": "s.nom collate nocase, s.id",
        "date_maj": "s.date_maj desc, s.nom, s.id",
    }[tri]
    return f"from {source} where " + " and ".join(where), select, order, params


def search(db, query, *, now=None, paginate=True):
    """Run a Query: Result(total, query, services of the requested page)."""
    now = now or datetime.datetime.now(PARIS)
    open_hours = hours.open_now_values(db, now) if query.ouvert else None
    body, select, order, params = build_sql(query, open_hours=open_hours)
    total = next(db.query(f"select count(*) as n {body}", params))["n"]
    sql = f"select {', '.join(select)} {body} order by {order}"
    if paginate:
        sql += " limit :limit offset :offset"
        params.update(limit=query.par_page, offset=(query.page - 1) * query.par_page)
    rows = []
    for row in db.query(sql, params):
        row.pop("rang", None)
        if row.get("distance_km") is not None:
            row["distance_km"] = round(row["distance_km"], 2)
        row["ouvert_maintenant"] = hours.is_open(row.get("horaires"), now)
        rows.append(row)
    return Result(total, query, rows)
