"""The OpenAPI 3.1 description of the JSON API, written by hand (French texts).

tests/test_api.py checks it validates and that its search parameters are
exactly those `search.parse_params` reads.
"""


def _param(name, description, schema, repeatable=False):
    if repeatable:
        schema = {"type": "array", "items": schema}
    param = {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }
    if repeatable:
        param.update(style="form", explode=True)
    return param


SEARCH_PARAMETERS = [
    _param(
        "q",
        "Texte libre (nom, description, structure, commune, besoins) ; "
        "insensible aux accents et à la casse, le dernier mot est un préfixe.",
        {"type": "string", "maxLength": 200},
    ),
    _param(
        "besoin",
        "Besoin (slug de /api/besoins) ; répétable, les besoins se cumulent (OU).",
        {"type": "string"},
        repeatable=True,
    ),
    _param(
        "commune",
        "Commune : code INSEE, code postal, nom ou ancien nom.",
        {"type": "string", "maxLength": 200},
    ),
    _param(
        "lat",
        "Latitude WGS84 (avec lon, à la place de commune).",
        {"type": "number", "minimum": -90, "maximum": 90},
    ),
    _param(
        "lon",
        "Longitude WGS84 (avec lat).",
        {"type": "number", "minimum": -180, "maximum": 180},
    ),
    _param(
        "rayon",
        "Rayon en km autour du lieu (20 par défaut, 200 au plus).",
        {"type": "number", "minimum": 0.1, "maximum": 200, "default": 20},
    ),
    _param(
        "public",
        "Public accueilli (valeurs data·inclusion) ; répétable ; les "
        "services « tous-publics » correspondent toujours.",
        {"type": "string"},
        repeatable=True,
    ),
    _param(
        "frais", "Gratuit ou payant.", {"type": "string", "enum": ["gratuit", "payant"]}
    ),
    _param(
        "modalite",
        "Modalité d'accès ; répétable (OU).",
        {
            "type": "string",
            "enum": [
                "acces-libre",
                "sur-rendez-vous",
                "sur-inscription",
                "orientation-professionnel",
            ],
        },
        repeatable=True,
    ),
    _param(
        "ouvert",
        "1 : seulement les services ouverts maintenant (heure de Paris, "
        "jours fériés compris).",
        {"type": "string", "enum": ["0", "1"]},
    ),
    _param(
        "tri",
        "Ordre des résultats ; par défaut la distance avec un lieu, la "
        "pertinence avec un texte, sinon le nom.",
        {"type": "string", "enum": ["pertinence", "distance", "nom", "date_maj"]},
    ),
    _param(
        "page",
        "Numéro de page, à partir de 1.",
        {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1},
    ),
    _param(
        "par_page",
        "Résultats par page (100 au plus).",
        {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
    ),
]

_NULLABLE_STRING = {"type": ["string", "null"]}
_NULLABLE_NUMBER = {"type": ["number", "null"]}
_LIST = {"type": "array", "items": {"type": "string"}}

SERVICE_SUMMARY = {
    "type": "object",
    "required": [
        "id",
        "nom",
        "structure_nom",
        "besoins",
        "adresse",
        "code_postal",
        "commune",
        "code_insee",
        "latitude",
        "longitude",
        "distance_km",
        "telephone",
        "ouvert_maintenant",
        "url",
    ],
    "properties": {
        "id": {"type": "string"},
        "nom": {"type": "string"},
        "structure_nom": {"type": "string"},
        "besoins": _LIST,
        "adresse": _NULLABLE_STRING,
        "code_postal": {"type": "string"},
        "commune": {"type": "string"},
        "code_insee": {"type": "string"},
        "latitude": _NULLABLE_NUMBER,
        "longitude": _NULLABLE_NUMBER,
        "distance_km": {
            **_NULLABLE_NUMBER,
            "description": "Distance au lieu demandé ; null sans lieu, "
            "ou pour un service à distance hors du rayon.",
        },
        "telephone": {**_NULLABLE_STRING, "description": "Format national."},
        "ouvert_maintenant": {"type": ["boolean", "null"]},
        "url": {"type": "string", "format": "uri"},
    },
}
ERROR = {
    "type": "object",
    "required": ["erreur"],
    "properties": {"erreur": {"type": "string"}, "parametre": {"type": "string"}},
}


def _json(schema, description):
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }


def openapi_document(server_url):
    """The OpenAPI document, with this server's URL."""
    bad = _json(
        {"$ref": "#/components/schemas/Erreur"},
        "Paramètre invalide (message en français).",
    )
    not_modified = {"description": "Inchangé depuis l'ETag donné (If-None-Match)."}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Annuaire des solidarités du Cantal",
            "version": "1.0.0",
            "description": "Services d'aide du Cantal : recherche par besoin, commune "
            "et distance. Données sous Licence Ouverte 2.0.",
            "license": {
                "name": "Licence Ouverte 2.0",
                "url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
            },
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/api/services": {
                "get": {
                    "summary": "Rechercher des services",
                    "parameters": SEARCH_PARAMETERS,
                    "responses": {
                        "200": _json(
                            {"$ref": "#/components/schemas/Resultats"},
                            "Une page de résultats.",
                        ),
                        "304": not_modified,
                        "400": bad,
                    },
                }
            },
            "/api/services/{id}": {
                "get": {
                    "summary": "Un service, toutes ses colonnes",
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": _json({"type": "object"}, "La fiche du service."),
                        "304": not_modified,
                        "404": _json(
                            {"$ref": "#/components/schemas/Erreur"}, "Service inconnu."
                        ),
                    },
                }
            },
            "/api/communes": {
                "get": {
                    "summary": "Autocomplétion des communes",
                    "parameters": [
                        _param(
                            "q",
                            "Début ou partie du nom, ou début du code postal.",
                            {"type": "string", "maxLength": 100},
                        ),
                        _param(
                            "limite",
                            "Nombre de communes (10 par défaut).",
                            {"type": "integer", "minimum": 1, "maximum": 50},
                        ),
                    ],
                    "responses": {
                        "200": _json(
                            {"type": "array", "items": {"type": "object"}},
                            "Communes, celles du Cantal d'abord.",
                        ),
                        "304": not_modified,
                        "400": bad,
                    },
                }
            },
            "/api/besoins": {
                "get": {
                    "summary": "Les 16 besoins et le nombre de services de chacun",
                    "responses": {
                        "200": _json(
                            {"type": "array", "items": {"type": "object"}},
                            "Taxonomie des besoins.",
                        ),
                        "304": not_modified,
                    },
                }
            },
            "/api/openapi.json": {
                "get": {
                    "summary": "Ce document",
                    "responses": {"200": {"description": "Document OpenAPI."}},
                }
            },
        },
        "components": {
            "schemas": {
                "Erreur": ERROR,
                "Service": SERVICE_SUMMARY,
                "Resultats": {
                    "type": "object",
                    "required": ["total", "page", "par_page", "lieu", "services"],
                    "properties": {
                        "total": {"type": "integer"},
                        "page": {"type": "integer"},
                        "par_page": {"type": "integer"},
                        "lieu": {
                            "type": ["object", "null"],
                            "properties": {
                                "nom": {"type": "string"},
                                "code_insee": _NULLABLE_STRING,
                                "latitude": {"type": "number"},
                                "longitude": {"type": "number"},
                            },
                        },
                        "services": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Service"},
                        },
                    },
                },
            }
        },
    }
