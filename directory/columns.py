"""The column sets of a service: those of the CSV file (SPEC §2.1), those the
application derives, the provenance of imported rows. Read through `schema`."""

# Columns of data/services.csv (SPEC §2.1), in file order.
SERVICE_COLUMNS = {
    "id": str,
    "statut": str,
    "nom": str,
    "description": str,
    "structure_id": str,
    "structure_nom": str,
    "besoins": str,
    "thematiques": str,
    "publics": str,
    "age_min": int,
    "age_max": int,
    "frais": str,
    "frais_precisions": str,
    "modalites_acces": str,
    "conditions_acces": str,
    "justificatifs": str,  # documents to bring (issue 13)
    "modes_orientation_beneficiaire": str,  # how the person applies
    "modes_orientation_accompagnateur": str,  # how a professional refers her
    "mobilisation_precisions": str,  # how to apply, in words
    "modes_accueil": str,
    "langues": str,
    "adresse": str,
    "complement_adresse": str,
    "code_postal": str,
    "commune": str,
    "code_insee": str,
    "latitude": float,
    "longitude": float,
    "telephone": str,
    "courriel": str,
    "site_web": str,
    "lien_mobilisation": str,
    "horaires": str,
    "horaires_precisions": str,
    "zone_eligibilite": str,
    "date_maj": str,
    "source": str,
}
# Columns the application derives; they are not in the CSV file.
DERIVED_COLUMNS = {
    "precision_geo": str,
    "besoins_libelles": str,
    "cree_le": str,
    "modifie_le": str,
}
# Where a row comes from, beyond the CSV's `source` (issue 11). Written by the
# data·inclusion import; the CSV import leaves them empty and never compares them.
PROVENANCE_COLUMNS = {
    "lien_source": str,  # the service's page at the producer
    "id_source": str,  # the producer's own id (data·inclusion `id`)
    "score_qualite": float,  # data·inclusion quality score, 0 to 1
    "siret": str,  # the structure's SIRET, a deduplication key
    "origine": str,  # from what: « API data·inclusion », a file name
    "importe_le": str,  # when the source last changed the row here
}
# Columns of SERVICE_COLUMNS that later steps add (m007, m011): the first step
# creates the others, so that an old database and a new one end up the same.
ADDED_BY_M007 = ("justificatifs", "mobilisation_precisions")
# What m007 added, as it was merged (the sets above have moved on since).
M007_COLUMNS = (
    ("lien_source", str),
    ("id_source", str),
    ("score_qualite", float),
    ("siret", str),
    ("justificatifs", str),
    ("mobilisation_precisions", str),
    ("origine", str),
    ("importe_le", str),
)
ADDED_BY_M011 = ("modes_orientation_beneficiaire", "modes_orientation_accompagnateur")
FTS_COLUMNS = ["nom", "description", "structure_nom", "commune", "besoins_libelles"]
FTS_TOKENIZE = "unicode61 remove_diacritics 2"
