"""The API's `fermeture` object and the fiche's schema (issue 13), for the
OpenAPI document of module `openapi`. No Flask imports."""

from ..catalogue.closures import GENRES

FERMETURE = {
    "type": ["object", "null"],
    "description": "La fermeture temporaire, les horaires exceptionnels ou la "
    "période « complet » en cours (sinon celle qui commence dans les 30 jours) ; "
    "null sans rien de tel. Elle se termine d'elle-même après « fin ».",
    "required": ["genre", "debut", "fin", "en_cours", "motif", "horaires", "libelle"],
    "properties": {
        "genre": {"type": "string", "enum": list(GENRES)},
        "debut": {"type": "string", "format": "date"},
        "fin": {"type": "string", "format": "date", "description": "Incluse."},
        "en_cours": {"type": "boolean"},
        "motif": {"type": ["string", "null"]},
        "horaires": {
            "type": ["string", "null"],
            "description": "Horaires de la période (syntaxe OpenStreetMap), pour "
            "le genre « horaires ».",
        },
        "libelle": {"type": "string", "examples": ["Fermé du 4 au 25 août"]},
    },
}
# A fiche holds every column (SPEC §2.1); the document states what issue 13 added.
FICHE = {
    "type": "object",
    "required": ["id", "ouvert_maintenant", "fermeture", "url"],
    "properties": {
        "ouvert_maintenant": {"type": ["boolean", "null"]},
        "fermeture": {"$ref": "#/components/schemas/Fermeture"},
    },
}
