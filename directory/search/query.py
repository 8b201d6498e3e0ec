"""The one search function behind the pages, the JSON API and the exports.

`parse_params` turns query-string values into a validated `Query` (or raises
`ParamError` with a French message naming the parameter); `search` runs it:
the text engine (Tantivy, `search.engine`) for the text; a relevance search
with no place, "open now" or facets is answered by the engine alone (filters
as term filters, exact top page and count); otherwise vectorised masks and an
ellipsoidal distance over the in-memory columns of `search.index` do the rest,
"open now" from opening_hours. The page's rows are then read by rowid.
No Flask imports.
"""

import datetime
import re
from dataclasses import dataclass, field

import numpy as np

from ..catalogue.vocabulary import FRAIS, MODALITES, PUBLICS
from ..geo.geocoders import parse_query
from ..geo.places import CommuneError, Match, UnknownCommune
from . import hours
from .closures import Layer
from .engine import current
from .facets import facet_counts
from .index import fetch_rows, get_index
from .lazy import Lazy
from .text import need_terms
from .textquery import text_query
from .textsearch import box, corrected_from, every, filters, top, zone

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
MAX_CHOICES = 20  # communes listed for an ambiguous prefix
TRUE, FALSE = {"1", "true", "oui", "on"}, {"0", "false", "non", "off", ""}


class ParamError(ValueError):
    """A bad query parameter: French message, parameter name, optional suggestion."""

    def __init__(self, message, parametre, suggestion=None, choices=()):
        super().__init__(message)
        self.message, self.parametre, self.suggestion = message, parametre, suggestion
        self.choices = list(choices)  # names to pick from (several communes)


@dataclass
class Place:
    nom: str
    code_insee: str | None
    latitude: float
    longitude: float
    departement: str | None = None
    precise: bool = False  # a clicked position, not a commune's chef-lieu


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
    services: list  # rows with distance_km, ouvert_maintenant, fermeture(s)
    facets: dict | None = None  # filter → {value: count with the other filters}
    # With search(selection=True): the index and the positions of every match.
    index: object = None
    positions: object = None
    corrected: str | None = None  # the text as corrected, when only that found


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


# ASCII digits only: int() and float() also read « ٣ », « １２ » and « 1_0 ».
INTEGER = re.compile(r"[+-]?[0-9]+")
DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][+-]?[0-9]+)?")
MAX_DIGITS = 30  # more is out of range anyway; int() of 5 000 digits fails


def _number(text, name, low, high, integer=False):
    """A number of the query string in [low, high], or a French ParamError."""
    if not (INTEGER if integer else DECIMAL).fullmatch(text):
        kind = "un nombre entier" if integer else "un nombre"
        raise ParamError(
            f"« {name} » doit être {kind} écrit en chiffres (0 à 9).", name
        )
    if integer:
        significant = text.lstrip("+-").lstrip("0") or "0"
        sign = -1 if text.startswith("-") else 1
        value = sign * int(significant) if len(significant) <= MAX_DIGITS else None
    else:
        value = float(text.replace(",", "."))  # 1e999 is inf: out of range
    if value is None or not low <= value <= high:
        raise ParamError(f"« {name} » doit être compris entre {low} et {high}.", name)
    return value


def parse_integer(text, name, low, high):
    """An integer of the query string in [low, high] (ASCII digits only)."""
    return _number(text, name, low, high, integer=True)


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
        try:
            match = gazetteer.resolve(name or None, code or None)
        except UnknownCommune:
            # A name only: « riom » may be the start of the commune's name.
            communes = [] if code or not name else gazetteer.starting_with(name)
            if not communes:
                raise
            match = _one_of(communes, name)
    except ParamError:
        raise
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


def _one_of(communes, name):
    """The Match of the only commune starting with `name`, or a ParamError
    listing the communes to choose from."""
    if len(communes) == 1:
        return Match(communes[0])
    names = [c.nom for c in communes[:MAX_CHOICES]]
    more = ""
    if len(communes) > MAX_CHOICES:
        more = f" ({len(communes)} : voici les {MAX_CHOICES} plus peuplées)"
    raise ParamError(
        f"Plusieurs communes commencent par « {name[:60]} »{more} : "
        "choisissez la vôtre.",
        "commune",
        choices=names,
    )


def parse_params(args, *, gazetteer, besoins):
    """Validate query-string values (a MultiDict or a dict) into a Query.

    `gazetteer` may be a function returning it: it is then loaded only for a
    commune or a position (a worker's first text search need not load it)."""
    if callable(gazetteer):
        gazetteer = Lazy(gazetteer)
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
        query.frais = _choices(get["frais"], FRAIS, "frais")[0]
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
            precise=True,
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


def search(
    db,
    query,
    *,
    besoin_slugs,
    now=None,
    paginate=True,
    facets=False,
    selection=False,
    columns="*",
):
    """Run a Query: Result(total, query, services of the requested page).

    A relevance search of a text without place, "open now" or facets is one
    engine query; otherwise filters and orders work on the in-memory columns
    of `search.index`. With `facets`, the Result also counts each need,
    public, fee and access mode.
    With `selection`, no row is read: Result.index and .positions hold every match.
    `columns` (SQL) are those read of each row of the page: "id, nom, horaires"…
    """
    now = now or datetime.datetime.now(PARIS)
    closures = Layer(db, now)  # temporary closures: read once, when needed
    # A text of punctuation only ("*", '"') searches nothing: it is ignored.
    engine = current(db) if query.q else None
    text = text_query(engine, query.q, need_terms(db)) if query.q else None
    start = (query.page - 1) * query.par_page if paginate else 0
    simple = not (query.place or query.ouvert or facets or selection)
    if text and query.tri == "pertinence" and simple:
        total, rowids, corrected = top(
            engine,
            text,
            filters(engine.schema, query),
            start=start,
            limit=query.par_page if paginate else None,
        )
        services = []
        for row in fetch_rows(db, rowids, columns):
            row["distance_km"] = None
            services.append(closures.annotate(row))
        return Result(total, query, services, corrected=corrected)
    index = get_index(db, besoin_slugs)
    # `mask` gathers the filters a facet never varies; the checkbox ones apart.
    mask = index.active.copy()
    chosen = {}
    if query.besoins:
        chosen["besoin"] = index.needs_mask(query.besoins)
    if query.publics:
        chosen["public"] = index.publics_mask(query.publics)
    if query.modalites:
        chosen["modalite"] = index.modalites_mask(query.modalites)
    if query.frais:
        chosen["frais"] = index.frais == query.frais
    if query.ouvert:
        mask &= index.open_mask(now, closures.overrides())
    distances = within = None
    restrictions = []
    if query.place:
        place = query.place
        distances = index.distances(place.latitude, place.longitude)
        within = index.placed & (distances <= query.rayon)
        mask &= within | index.remote
        if place.code_insee:
            mask &= index.zone_mask({place.code_insee, place.departement, "france"})
        if text:
            restrictions.append(
                box(engine.schema, place.latitude, place.longitude, query.rayon)
            )
            if place.code_insee:
                accepted = {place.code_insee, place.departement, "france"} - {None}
                restrictions.append(zone(engine.schema, accepted))
    tri = query.tri
    if tri == "pertinence":
        tri = "distance" if query.place else "rang" if text else "nom"
    if text:
        where = None
        if query.place:
            place = query.place
            where = (place.latitude, place.longitude, query.rayon, place.code_insee)
        rowids, scores = every(engine, text, restrictions, key=(query.q, where))
        positions, scores = index.positions(rowids, scores)
        rank = np.full(len(mask), -np.inf)
        rank[positions] = scores
        mask &= rank > -np.inf
    counts = facet_counts(index, mask, chosen) if facets else None
    for chosen_mask in chosen.values():
        mask &= chosen_mask
    selected = np.flatnonzero(mask)
    total = len(selected)
    corrected = corrected_from(text, rank[selected]) if text else None
    if selection:  # the map's clusters: every match, unordered, no row read
        return Result(
            total,
            query,
            [],
            counts,
            index=index,
            positions=selected,
            corrected=corrected,
        )
    if tri == "distance":
        # Out-of-radius remote services come last; ties by name, as people read.
        key = np.where(within[selected], distances[selected], np.inf)
        selected = selected[np.lexsort((index.nom_rank[selected], key))]
    elif tri == "rang":
        order = np.lexsort((index.nom_rank[selected], -rank[selected]))
        selected = selected[order]
    elif tri == "nom":
        selected = index.by_nom[mask[index.by_nom]]
    else:  # date_maj, most recent first
        selected = index.by_date[mask[index.by_date]]
    if paginate:
        selected = selected[start : start + query.par_page]
    rows = fetch_rows(db, index.rowid[selected].tolist(), columns)
    services = []
    for position, row in zip(selected.tolist(), rows, strict=True):
        distance = None
        if distances is not None and within[position]:
            distance = round(float(distances[position]), 2)
        row["distance_km"] = distance
        services.append(closures.annotate(row))
    return Result(total, query, services, counts, corrected=corrected)
