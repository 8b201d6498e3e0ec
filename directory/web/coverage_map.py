"""The choropleth of « Où l'aide manque » (issue 15): a folium map, no tiles,
the territory's commune polygons coloured by the distance class of one need,
and that need's services as points.

As for /carte (maps.py), nothing reaches JavaScript source but folium's own
code: the classes per commune and the services travel in one JSON block that
static/js/couverture.js parses (text through `textContent` only). The polygons
are one GeoJSON per process and file (data/cantal_communes.geojson filtered on
TERRITOIRE), gzipped once and served at a versioned URL, so switching needs
fetches them from the browser's cache.
"""

import json
from dataclasses import dataclass

import folium
from branca.element import MacroElement
from flask import current_app, url_for
from folium.template import Template
from markupsafe import Markup

from ..coverage.analysis import zone_key
from ..coverage.load import territory_codes
from .basemap import Basemap, basemap_url, geojson, once_per_file, serve
from .maps import safe_json

VENDOR_CSS = ("vendor/leaflet/leaflet.css", "css/carte.css")
VENDOR_JS = ("vendor/leaflet/leaflet.js", "js/couverture.js")
_cache = {}


class CoverageLayer(MacroElement):
    """Hands the map and its JSON block to static/js/couverture.js."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = annuaireCouverture.show(
                {{ this._parent.get_name() }},
                JSON.parse(
                    document.getElementById({{ this.data_id|tojson }}).textContent
                )
            );
        {% endmacro %}"""
    )

    def __init__(self, data_id):
        super().__init__()
        self._name = "CoverageLayer"
        self.data_id = data_id


@dataclass(frozen=True)
class Polygons:
    geojson: Basemap  # the FeatureCollection, gzipped and versioned
    codes: frozenset  # INSEE codes of the communes drawn


def territory_polygons(path, territory):
    """A FeatureCollection of the territory's communes: properties `code`
    (INSEE) and `nom`, the geometry as in the file."""
    with open(path, encoding="utf-8") as f:
        source = json.load(f)
    codes = territory_codes(territory)
    features = []
    for feature in source.get("features", []):
        properties = feature.get("properties") or {}
        code = str(properties.get("insee_code", ""))
        if codes is not None and not any(code.startswith(c) for c in codes):
            continue
        features.append(
            {
                "type": "Feature",
                "properties": {"code": code, "nom": properties.get("name") or ""},
                "geometry": feature.get("geometry"),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _build(path, territory):
    collection = territory_polygons(path, territory)
    return Polygons(
        geojson=geojson(collection),
        codes=frozenset(f["properties"]["code"] for f in collection["features"]),
    )


def polygons(config):
    """The Polygons of this configuration, built once per file version; None
    when DATA_DIR has no commune file."""
    return once_per_file(config, _cache, _build)


def polygons_url(config, endpoint):
    """(versioned URL, INSEE codes) of the polygons; (None, ∅) without a file."""
    entry = polygons(config)
    if entry is None:
        return None, frozenset()
    return url_for(endpoint, v=entry.geojson.version), entry.codes


def send_polygons():
    """The territory's commune polygons as GeoJSON, gzipped when accepted."""
    entry = polygons(current_app.config)
    return serve(entry.geojson if entry else None)


def service_points(coverage, need):
    """[lat, lon, id, nom, commune] of the need's in-person services that have
    a position and whose zone covers at least one commune of the territory."""
    departements = {c.departement.upper() for c in coverage.communes}
    codes = {c.code_insee.upper() for c in coverage.communes}

    def covers(key):
        return (
            key == "*"
            or (key[0] == "dep" and key[1] in departements)
            or (key[0] == "commune" and key[1] in codes)
        )

    points = []
    for s in coverage.services:
        if need not in s.besoins or s.remote:
            continue
        if s.latitude is None or s.longitude is None:
            continue
        if any(covers(k) for k in ({zone_key(z) for z in s.zones} or {"*"})):
            points.append(
                [round(s.latitude, 5), round(s.longitude, 5), s.id, s.nom, s.commune]
            )
    return points


def commune_texts(row):
    """[class key, commune, distance text, nearest service text] of a table row."""
    if row["km"] is None:
        return [row["cle"], row["commune"], "aucun service accessible", ""]
    distance = f"{row['km_texte']} km, ≈ {row['minutes_texte']} min"
    service = row["service_nom"] or ""
    if row["a_distance"]:
        service += " (à distance)"
    elif row["service_commune"]:
        service += f" ({row['service_commune']})"
    return [row["cle"], row["commune"], distance, service]


@dataclass(frozen=True)
class CoverageMap:
    html: Markup
    script: Markup
    points: int


def build(coverage, need, rows, *, config, nonce, classes, shapes, fiche, colour):
    """The folium map of one need → CoverageMap (html and nonce'd script).

    :param rows: the need's table rows (coverage_present.table_rows).
    :param classes: the DistanceClass list; :param shapes: (URL, codes) of
        the polygons (polygons_url): only the communes drawn get a class.
    :param fiche: the fiche URL without the id; :param colour: the points'.
    """
    m = folium.Map(
        location=list(config["MAP_CENTER"]),
        zoom_start=8,
        tiles=None,
        max_zoom=18,
        maxZoom=18,
        zoomSnap=0.25,
        control_scale=False,
    )
    m.default_js, m.default_css = [], []
    data_id = f"donnees-{m.get_name()}"
    CoverageLayer(data_id).add_to(m)
    root = m.get_root()
    root.render()
    points = service_points(coverage, need)
    payload = {
        "communes": shapes[0],
        "fond": basemap_url(config),
        "classes": {
            row["code_insee"]: commune_texts(row)
            for row in rows
            if row["code_insee"] in shapes[1]
        },
        "couleurs": {c.cle: c.couleur for c in classes},
        "services": points,
        "fiche": fiche,
        "couleurPoint": colour,
    }
    html = (
        f'<div class="carte carte-couverture">{root.html.render()}</div>\n'
        f'<script type="application/json" id="{data_id}">{safe_json(payload)}'
        "</script>"
    )
    script = f'<script nonce="{nonce}">{root.script.render()}</script>'
    return CoverageMap(Markup(html), Markup(script), len(points))
