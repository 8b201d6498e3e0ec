"""The map's clusters by zoom level: what /carte inlines for its first view and
what /carte/grappes.json answers when the map moves (same filters as the list).

Items are compact JSON rows: a cluster is [lat, lon, count, need index,
south, west, north, east]; a lone service is [lat, lon, id, nom, commune,
need index], the row format of maps.rows_for_map. Grid in search/clusters.py.
"""

import re
from dataclasses import replace

import numpy as np
from flask import jsonify, url_for
from werkzeug.datastructures import MultiDict

from ..db import get_db
from ..opendata.openapi_carte import IGNORED
from ..search.clusters import (
    MAX_ZOOM,
    MIN_ZOOM,
    grid,
    in_bbox,
    layout_of,
    view_for,
)
from ..search.index import fetch_rows
from ..search.query import (
    PARAMETERS,
    ParamError,
    Query,
    parse_integer,
    parse_params,
)
from ..search.query import search as run_query
from .api import check_documented
from .context import clock, get_besoins, get_gazetteer
from .maps import rows_for_map

# The map's size assumed for the first view (the page does not know the
# screen): the script asks for the clusters again if it frames another zoom.
NOMINAL_PX = (1000, 600)
FIRST_MAX_ZOOM = 13
TRIMMED_ABOVE = 1_000  # past this many, the first view leaves out 0.1 % strays
# A coordinate of `bbox`, as openapi_carte.BBOX_PATTERN documents it (with
# its range): no « + », no spaces, no exponent, a point and digits after it.
DECIMAL = re.compile(r"-?[0-9]{1,3}(?:\.[0-9]{1,12})?")
# The search parameters the map reads: all but those of the list.
FILTERS = tuple(name for name in PARAMETERS if name not in IGNORED)
POINT_COLUMNS = "id, nom, commune, besoins, latitude, longitude"


def parse_view(args):
    """(bbox, zoom) of the query string, or a French ParamError."""
    text = args.get("bbox") or ""
    if not text:
        raise ParamError(
            "« bbox » manque : ouest,sud,est,nord en degrés décimaux.", "bbox"
        )
    parts = text.split(",")
    if len(parts) != 4 or not all(DECIMAL.fullmatch(p) for p in parts):
        raise ParamError(
            "« bbox » s'écrit ouest,sud,est,nord : quatre nombres en degrés "
            "décimaux (chiffres 0 à 9, point décimal), séparés par des virgules.",
            "bbox",
        )
    west, south, east, north = (float(p) for p in parts)
    if not (-90 <= south <= north <= 90):
        raise ParamError(
            "« bbox » : les latitudes vont de -90 à 90, le sud avant le nord.", "bbox"
        )
    if not (-180 <= west <= east <= 180):
        raise ParamError(
            "« bbox » : les longitudes vont de -180 à 180, l'ouest avant l'est.",
            "bbox",
        )
    zoom = parse_integer((args.get("zoom") or "").strip(), "zoom", MIN_ZOOM, MAX_ZOOM)
    return (west, south, east, north), zoom


def placed_matches(result):
    """Positions (in the search index) of the matches that have a position."""
    index, positions = result.index, result.positions
    return positions[index.placed[positions]]


def first_view(result):
    """(bbox, zoom) framing the matches, or None when none is placed."""
    index, positions = result.index, placed_matches(result)
    if not len(positions):
        return None
    latitude, longitude = index.latitude[positions], index.longitude[positions]
    if len(positions) > TRIMMED_ABOVE:
        low, high = np.quantile(latitude, [0.001, 0.999])
        keep = (latitude >= low) & (latitude <= high)
        low, high = np.quantile(longitude, [0.001, 0.999])
        keep &= (longitude >= low) & (longitude <= high)
        latitude, longitude = latitude[keep], longitude[keep]
    width, height = NOMINAL_PX
    return view_for(
        latitude, longitude, width_px=width, height_px=height, max_zoom=FIRST_MAX_ZOOM
    )


def items(db, result, *, bbox, zoom, besoin_slugs, slugs):
    """{"grappes": clusters, "services": lone services, "dans_la_vue": count}
    for the matches of `result` (a search with selection=True) inside bbox."""
    index = result.index
    layout = layout_of(index)
    # The placed matches in Z-order (the layout's): a mask read in that order.
    chosen = np.zeros(len(index.placed), bool)
    chosen[result.positions] = True
    chosen &= index.placed
    positions = layout.order[chosen[layout.order]]
    latitude, longitude = index.latitude[positions], index.longitude[positions]
    inside = in_bbox(latitude, longitude, bbox)
    positions = positions[inside]
    found = grid(
        latitude[inside],
        longitude[inside],
        index.besoins[positions],
        zoom=zoom,
        need_count=len(besoin_slugs),
        code=layout.code[positions],
    )
    # The index numbers needs by bit in `besoin_slugs`; the page by `slugs`.
    where = {slug: i for i, slug in enumerate(slugs)}
    by_bit = [where.get(slug, -1) for slug in besoin_slugs]
    cells = []
    for cell in found.cells:
        need = cell[3]
        cells.append([*cell[:3], by_bit[need] if need >= 0 else -1, *cell[4:]])
    rowids = index.rowid[positions[found.points]].tolist()
    return {
        "grappes": cells,
        "services": rows_for_map(fetch_rows(db, rowids, POINT_COLUMNS), slugs),
        "dans_la_vue": int(len(positions)),
    }


def first_items(db, result, *, besoin_slugs, slugs):
    """items() of the first view, with its "vue" (bbox) and "zoom"; both None
    (and no item) when no match is placed. The map of every service (no
    filter) is computed once per version of the search index."""
    if not unfiltered(result.query):
        return _first_items(db, result, besoin_slugs=besoin_slugs, slugs=slugs)
    index, key = result.index, (tuple(besoin_slugs), tuple(slugs))
    kept = _whole_maps.get(id(index))
    if kept is None or kept[0] is not index:
        while len(_whole_maps) >= WHOLE_MAPS_KEPT:
            _whole_maps.pop(next(iter(_whole_maps)))
        kept = _whole_maps[id(index)] = (index, {})
    if key not in kept[1]:
        kept[1][key] = _first_items(db, result, besoin_slugs=besoin_slugs, slugs=slugs)
    return dict(kept[1][key])  # the caller adds its "source"


# The first view of the map of every service, per search index (version).
_whole_maps = {}  # id(index) -> (index, {(besoin_slugs, slugs): first items})
WHOLE_MAPS_KEPT = 2


def unfiltered(query):
    """True when the Query selects every service: it differs from the
    default one by the list's order and page at most (a filter added to
    Query one day counts as a filter)."""
    default = Query()
    shown = replace(
        query, tri=default.tri, page=default.page, par_page=default.par_page
    )
    return shown == default


def _first_items(db, result, *, besoin_slugs, slugs):
    view = first_view(result)
    if view is None:
        return {
            "grappes": [],
            "services": [],
            "dans_la_vue": 0,
            "vue": None,
            "zoom": None,
        }
    bbox, zoom = view
    found = items(
        db, result, bbox=bbox, zoom=zoom, besoin_slugs=besoin_slugs, slugs=slugs
    )
    return {**found, "vue": list(bbox), "zoom": zoom}


def source_url(args, query):
    """The clusters' URL for these filters (the script adds bbox and zoom), in
    the values the endpoint documents: the page's form is more lenient
    (« ouvert=oui », « frais=Gratuit », a need by its label).

    :param args: the page's query string (public.page_args); query: as parsed.
    """
    values = {name: args.get(name) for name in ("q", "commune", "lat", "lon", "rayon")}
    values.update(
        besoin=query.besoins,
        public=query.publics,
        frais=query.frais,
        modalite=query.modalites,
        ouvert="1" if query.ouvert else None,
    )
    return url_for("public.clusters", **{k: v for k, v in values.items() if v})


def answer(raw):
    """The JSON of /carte/grappes.json: clusters and lone services of a view.

    :param raw: request.args; the list's parameters (IGNORED) are left out,
        the others must hold documented values (as for /api/services).
    """
    db = get_db()
    args = MultiDict((k, v) for k, v in raw.items(multi=True) if k in FILTERS)
    try:
        check_documented(args)
        bbox, zoom = parse_view(raw)
        besoins = get_besoins(db)
        gazetteer = lambda: get_gazetteer(db)  # noqa: E731 - loaded only for a place
        query = parse_params(args, gazetteer=gazetteer, besoins=besoins)
    except ParamError as exc:
        return jsonify({"erreur": exc.message, "parametre": exc.parametre}), 400
    slugs = list(besoins.labels)
    result = run_query(db, query, besoin_slugs=slugs, now=clock(), selection=True)
    payload = {"total": result.total, "zoom": zoom, "bbox": list(bbox)}
    payload.update(
        items(db, result, bbox=bbox, zoom=zoom, besoin_slugs=slugs, slugs=slugs)
    )
    response = jsonify(payload)
    response.headers["Cache-Control"] = "no-store"
    return response
