"""Maps with folium, embedded as components (folium's flask example, minus the
header) under a strict CSP.

Partner text never enters JavaScript source: the markers' data is one JSON
array of compact tuples in a `<script type="application/json">` block, parsed
by static/js/carte.js, which builds each popup with `textContent`, colours
each cluster by the dominant need of its markers and draws the commune base
layer (basemap.py) under the tiles. Leaflet and markercluster come from
`static/vendor/` (see VENDOR_JS). The full-screen map gets its clusters from
the server instead (`clusters=`, web/clusters.py): the payload then carries
its first view and the URL the script asks for the next ones.
"""

import json
import re
from dataclasses import dataclass, field

import folium
from folium.plugins import FastMarkerCluster
from folium.template import Template
from markupsafe import Markup

from ..catalogue.services import split
from ..search.facets import needs
from .basemap import basemap_url

# Vendored assets (static/vendor/VERSIONS.txt) then ours, in load order.
VENDOR_CSS = (
    "vendor/leaflet/leaflet.css",
    "vendor/leaflet.markercluster/MarkerCluster.css",
    "vendor/leaflet.markercluster/MarkerCluster.Default.css",
    "css/carte.css",
)
VENDOR_JS = (
    "vendor/leaflet/leaflet.js",
    "vendor/leaflet.markercluster/leaflet.markercluster.js",
    "js/carte.js",
)
DEFAULT_COLOUR = "#374151"
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
# Characters escaped in the JSON block: '<' '>' '&' keep it inside its
# <script> element; '$' and '`' never matter to JSON.parse, but escaping them
# keeps template-literal syntax out of every <script> element of the page.
JSON_ESCAPES = {c: f"\\u{ord(c):04x}" for c in "<>&'$`\u2028\u2029"}


class JsonMarkerCluster(FastMarkerCluster):
    """FastMarkerCluster reading its rows from a JSON block instead of JS source.

    static/js/carte.js builds the markers and clusters, then fits the view.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = annuaireCarte.show(
                {{ this._parent.get_name() }},
                JSON.parse(
                    document.getElementById({{ this.data_id|tojson }}).textContent
                ),
                {{ this.options|tojavascript }}
            );
        {% endmacro %}"""
    )

    def __init__(self, data_id, **kwargs):
        super().__init__([], control=False, **kwargs)
        self.data_id = data_id
        # Components embed: folium's header (CDN links) is never used, and
        # these per-instance lists keep folium's class-level ones untouched.
        self.default_js, self.default_css = [], []


@dataclass(frozen=True)
class MapParts:
    """What a page embeds: `html` (container + JSON data) and `script`
    (the nonce'd inline <script> element); both are Markup."""

    html: Markup
    script: Markup
    count: int = 0
    legend: list = field(default_factory=list)  # [(slug, libelle, couleur)]


def map_needs(db):
    """The needs in display order (slug, libelle, description, couleur, ordre,
    thematique_defaut) for a map page, colours checked (only #rrggbb goes into
    the page's <style>); unlike the home page, no count of services: that
    would read every service on every request."""
    return checked_colours(needs(db))


def checked_colours(rows):
    """The need rows, each colour not #rrggbb replaced by the default one:
    the colours go into a <style> element."""
    for row in rows:
        if not COLOUR.fullmatch(row["couleur"] or ""):
            row["couleur"] = DEFAULT_COLOUR
    return rows


def safe_json(value):
    """Compact JSON that can sit inside a <script> element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return "".join(JSON_ESCAPES.get(c, c) for c in text)


def rows_for_map(services, slugs):
    """Compact tuples [lat, lon, id, nom, commune, need index] for placed services."""
    position = {slug: i for i, slug in enumerate(slugs)}
    rows = []
    for service in services:
        lat, lon = service.get("latitude"), service.get("longitude")
        if lat is None or lon is None:
            continue
        needs = service["besoins"]
        needs = split(needs) if isinstance(needs, str) else needs
        rows.append(
            [
                round(float(lat), 5),
                round(float(lon), 5),
                service["id"],
                service.get("nom") or "",
                service.get("commune") or "",
                position.get(needs[0], -1) if needs else -1,
            ]
        )
    return rows


def build_map(
    services,
    *,
    config,
    nonce,
    besoins,
    fiche_prefix,
    css_class="carte",
    zoom=13,
    clusters=None,
):
    """A folium map of these services (rows with id, nom, commune, besoins,
    latitude, longitude) → MapParts.

    :param besoins: the needs in order, dicts with slug, libelle, couleur.
    :param fiche_prefix: the fiche URL without the id, e.g. "/services/".
    :param zoom: the largest zoom when the view is fitted to the markers.
    :param clusters: for a map clustered by the server (web/clusters.py): the
        first view's "grappes" and lone "services" (rows), its "vue" (bbox),
        "zoom" and "source" (URL of the clusters); `services` is then unused.
    """
    slugs = [b["slug"] for b in besoins]
    colours = [
        b["couleur"] if COLOUR.fullmatch(b["couleur"] or "") else DEFAULT_COLOUR
        for b in besoins
    ]
    rows = rows_for_map(services, slugs) if clusters is None else clusters["services"]
    m = folium.Map(
        location=list(config["MAP_CENTER"]),
        zoom_start=9,
        tiles=None,
        max_zoom=18,
        # With tiles=None, max_zoom reaches no layer and markercluster throws
        # "Map has no maxZoom specified": this keyword lands in L.map's options.
        maxZoom=18,
        # carte.js adds a metric-only scale (folium's shows miles too).
        control_scale=False,
    )
    m.default_js, m.default_css = [], []
    if config.get("MAP_TILES_URL"):
        folium.TileLayer(
            config["MAP_TILES_URL"],
            attr=config.get("MAP_TILES_ATTRIBUTION") or "Fond de carte",
            max_zoom=18,
            control=False,
        ).add_to(m)
    data_id = f"donnees-{m.get_name()}"
    JsonMarkerCluster(data_id).add_to(m)
    root = m.get_root()
    root.render()
    payload = {
        "fiche": fiche_prefix,
        "fond": basemap_url(config),
        "slugs": slugs,
        "couleurs": colours,
        "defaut": DEFAULT_COLOUR,
        "zoom": zoom,
        "services": rows,
    }
    used = {row[5] for row in rows}
    count = len(rows)
    if clusters is not None:
        payload.update(
            grappes=clusters["grappes"],
            vue=clusters["vue"],
            zoomVue=clusters["zoom"],
            source=clusters["source"],
        )
        used |= {cell[3] for cell in clusters["grappes"]}
        count += sum(cell[2] for cell in clusters["grappes"])
    html = (
        f'<div class="{css_class}">{root.html.render()}</div>\n'
        f'<script type="application/json" id="{data_id}">{safe_json(payload)}'
        "</script>"
    )
    script = f'<script nonce="{nonce}">{root.script.render()}</script>'
    legend = [
        (b["slug"], b["libelle"], colours[i])
        for i, b in enumerate(besoins)
        if i in used
    ]
    return MapParts(Markup(html), Markup(script), count, legend)
