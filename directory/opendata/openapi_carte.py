"""The OpenAPI description of /carte/grappes.json: the map's clusters of a
view, with the search filters (the rest of the document: openapi.py).

The endpoint (web/clusters.py) reads exactly what is described here: `bbox`
and `zoom`, and the search parameters but those of the list (`IGNORED`).
"""

# One longitude, one latitude: at most three digits before the point and
# twelve after, no sign but « - », no exponent (what the endpoint reads).
LONGITUDE = r"-?(?:(?:1[0-7][0-9]|0?[0-9]?[0-9])(?:\.[0-9]{1,12})?|180(?:\.0{1,12})?)"
LATITUDE = r"-?(?:0?[0-8]?[0-9](?:\.[0-9]{1,12})?|0?90(?:\.0{1,12})?)"
BBOX_PATTERN = f"^{LONGITUDE},{LATITUDE},{LONGITUDE},{LATITUDE}$"
MIN_ZOOM, MAX_ZOOM = 0, 18  # search.clusters' (a test checks they agree)
IGNORED = ("page", "par_page", "tri")  # the list's parameters, not the map's
BOX_RULE = "x-boite-ordonnee"  # this parameter's west ≤ east and south ≤ north

_NUMBER = {"type": "number"}
CLUSTER = {
    "type": "array",
    "description": "Une grappe : [latitude, longitude, nombre de services (2 ou "
    "plus), besoin le plus fréquent (position dans /api/besoins, -1 si aucun), "
    "sud, ouest, nord, est de l'étendue de ses services].",
    # Positions described in words: Schemathesis reads no « prefixItems ».
    "items": _NUMBER,
    "minItems": 8,
    "maxItems": 8,
}
LONE_SERVICE = {
    "type": "array",
    "description": "Un service seul à sa place : [latitude, longitude, id, nom, "
    "commune, premier besoin (position dans /api/besoins, -1 si aucun)].",
    "items": {"type": ["number", "string"]},
    "minItems": 6,
    "maxItems": 6,
}
CLUSTERS = {
    "type": "object",
    "required": ["total", "zoom", "bbox", "grappes", "services", "dans_la_vue"],
    "properties": {
        "total": {
            "type": "integer",
            "description": "Services trouvés avec ces filtres, partout.",
        },
        "dans_la_vue": {
            "type": "integer",
            "description": "Services placés dans la vue : la somme des grappes "
            "et des services seuls.",
        },
        "zoom": {"type": "integer"},
        "bbox": {
            "type": "array",
            "items": _NUMBER,
            "minItems": 4,
            "maxItems": 4,
            "description": "La vue demandée : ouest, sud, est, nord.",
        },
        "grappes": {"type": "array", "items": CLUSTER},
        "services": {"type": "array", "items": LONE_SERVICE},
    },
}


def carte_operation(search_parameters, exclusive, together, bad):
    """The GET operation of /carte/grappes.json.

    :param search_parameters: those of /api/services (openapi.search_parameters).
    :param exclusive, together: the rules between them (x-parametres-*).
    :param bad: the response of a refused parameter.
    """
    view = [
        {
            "name": "bbox",
            "in": "query",
            "required": True,
            "description": "La vue : ouest,sud,est,nord en degrés décimaux WGS84 "
            "(point décimal), l'ouest avant l'est, le sud avant le nord.",
            "schema": {
                "type": "string",
                "pattern": BBOX_PATTERN,
                "examples": ["2.0,44.5,3.5,45.5"],
            },
        },
        {
            "name": "zoom",
            "in": "query",
            "required": True,
            "description": "Le niveau de zoom de la carte (Web Mercator, tuiles "
            "de 256 pixels) : il fixe la taille des grappes.",
            "schema": {
                "type": "integer",
                "minimum": MIN_ZOOM,
                "maximum": MAX_ZOOM,
                "examples": [9],
            },
        },
    ]
    return {
        "get": {
            "summary": "Les services de la carte regroupés pour une vue",
            "description": "Les services placés trouvés avec ces filtres, dans la "
            "vue : regroupés par cases d'environ 64 pixels au zoom donné (une "
            "grappe par case de plusieurs services), seuls sinon ; jamais plus de "
            "2 000 éléments (les cases grandissent s'il le faut). Les mêmes "
            "filtres que /api/services, sans tri ni pages.",
            "parameters": view
            + [p for p in search_parameters if p["name"] not in IGNORED],
            "x-parametres-exclusifs": exclusive,
            "x-parametres-lies": together,
            BOX_RULE: "bbox",
            "responses": {
                "200": {
                    "description": "Grappes et services seuls de la vue.",
                    "content": {"application/json": {"schema": CLUSTERS}},
                },
                "400": bad,
            },
        }
    }
