"""The OpenAPI 3.1 description of the JSON API, written by hand (French texts).

tests/test_api.py checks it validates and that its search parameters are
exactly those `search.parse_params` reads; tests/web/test_contract.py runs
Schemathesis against a live server with it.
"""

from ..catalogue.services import SUMMARY_COLUMNS
from ..catalogue.vocabulary import PUBLICS
from .openapi_carte import carte_operation
from .openapi_closures import FERMETURE, FICHE

# Rules between parameters, which JSON Schema cannot say of separate query
# parameters: in the descriptions, the documented 400, and these extensions
# (machine-readable; the contract test generates requests that respect them).
EXCLUSIVE = [["commune", "lat"], ["commune", "lon"]]  # never together
TOGETHER = [["lat", "lon"]]  # both or neither
NEEDS_PLACE = {"tri": ["distance"]}  # these values need commune or lat/lon


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
        "Commune : code INSEE, code postal, nom ou ancien nom (un début de nom "
        "suffit s'il est unique). Jamais avec « lat »/« lon » (erreur 400) ; une "
        "commune inconnue donne une erreur 400 avec une suggestion.",
        {
            "type": "string",
            "maxLength": 200,
            "examples": ["Aurillac", "15014", "15100", "saint flour", "Murat"],
        },
    ),
    _param(
        "lat",
        "Latitude WGS84 : toujours avec « lon », jamais avec « commune » (erreur 400).",
        {"type": "number", "minimum": -90, "maximum": 90},
    ),
    _param(
        "lon",
        "Longitude WGS84 : toujours avec « lat », jamais avec « commune » "
        "(erreur 400).",
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
        "pertinence avec un texte, sinon le nom. « distance » demande une "
        "commune ou lat/lon (erreur 400 sinon).",
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
        *SUMMARY_COLUMNS,
        "distance_km",
        "telephone",
        "ouvert_maintenant",
        "fermeture",
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
        "ouvert_maintenant": {
            "type": ["boolean", "null"],
            "description": "Selon les horaires et une fermeture temporaire en "
            "cours ; null sans horaires connus.",
        },
        "fermeture": {"$ref": "#/components/schemas/Fermeture"},
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


def _with_values(parameters, name, values):
    """The parameters with the closed list of values of a repeatable one."""
    return [
        {**p, "schema": {"type": "array", "items": {"type": "string", "enum": values}}}
        if p["name"] == name
        else p
        for p in parameters
    ]


def search_parameters(besoins=None):
    """SEARCH_PARAMETERS with the lists of needs (this database's) and publics."""
    publics = [*PUBLICS.labels, *PUBLICS.labels.values()]  # slug or label
    parameters = _with_values(SEARCH_PARAMETERS, "public", publics)
    if besoins:
        parameters = _with_values(parameters, "besoin", list(besoins))
    return parameters


def undocumented_value(parameters, args):
    """(name, message) of the first value of `args` (a MultiDict) outside the
    documented values: not in a parameter's list, or empty for a number. The
    pages' forms are lenient (« Gratuit », `tri=`); the API keeps to its word."""
    for p in parameters:
        schema = p["schema"].get("items", p["schema"])
        for value in args.getlist(p["name"]):
            if "enum" in schema and value not in schema["enum"]:
                allowed = ", ".join(schema["enum"])
                if len(schema["enum"]) > 8:
                    allowed = "les valeurs de la description OpenAPI"
                shown = f"« {value[:60]} »" if value.strip() else "vide"
                return p["name"], (
                    f"« {p['name']} » {shown} : valeurs possibles : {allowed}."
                )
            if schema.get("type") in ("number", "integer") and not value.strip():
                return p["name"], (
                    f"« {p['name']} » est vide : donnez un nombre ou retirez-le."
                )
    return None


def openapi_document(server_url, besoins=None):
    """The OpenAPI document, with this server's URL and its needs' slugs."""
    bad = _json(
        {"$ref": "#/components/schemas/Erreur"},
        "Paramètre invalide (message en français) : valeur hors de la liste ou des "
        "bornes, valeur vide, « commune » avec « lat »/« lon », « lat » sans "
        "« lon », tri par distance sans lieu, commune inconnue.",
    )
    not_modified = {"description": "Inchangé depuis l'ETag donné (If-None-Match)."}
    document = {
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
                    "parameters": search_parameters(besoins),
                    "x-parametres-exclusifs": EXCLUSIVE,
                    "x-parametres-lies": TOGETHER,
                    "x-valeurs-avec-lieu": NEEDS_PLACE,
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
                            "schema": {
                                "type": "string",
                                "examples": ["anef-cantal--accueil-de-jour-aurillac"],
                            },
                        }
                    ],
                    "responses": {
                        "200": _json(
                            {"$ref": "#/components/schemas/Fiche"},
                            "La fiche du service.",
                        ),
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
                "Fermeture": FERMETURE,
                "Fiche": FICHE,
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
    document["paths"]["/carte/grappes.json"] = carte_operation(
        search_parameters(besoins), EXCLUSIVE, TOGETHER, bad
    )
    # Any server refuses an over-long address before the application sees it.
    too_long = {"description": "Adresse trop longue (refusée par le serveur web)."}
    for operations in document["paths"].values():
        for operation in operations.values():
            operation["responses"]["414"] = too_long
    return document
