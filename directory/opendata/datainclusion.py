"""Our services → data·inclusion v1 services and structures (SPEC §8). No Flask.

Rules from the national schema's own mapping practice: ids prefixed by our
source slug, thématiques from the `thematiques` column or each need's default,
access modes turned into modes_mobilisation / mobilisable_par, ages appended
to publics_precisions, phones in E.164, only open (`actif`) services.
"""

from ..catalogue.closures import suspension_date
from ..catalogue.services import split_items

SOURCE = "annuaire-solidarites-cantal"
# Our modes d'orientation (0.x slugs) → v1's modes_mobilisation.
V1_MODES = {
    "se-presenter": "se-presenter",
    "telephoner": "telephoner",
    "envoyer-un-mail": "envoyer-un-courriel",
    "envoyer-un-mail-avec-une-fiche-de-prescription": "envoyer-un-courriel",
    "completer-le-formulaire-dadhesion": "utiliser-lien-mobilisation",
    "utiliser-lien-mobilisation": "utiliser-lien-mobilisation",
}
ENERGY_EXTRA = (
    "difficultes-financieres--prevenir-une-degradation-de-la-situation-financiere"
)
MODALITE_SENTENCES = {
    "sur-rendez-vous": "Sur rendez-vous.",
    "sur-inscription": "Sur inscription.",
    "orientation-professionnel": "Sur orientation d'un professionnel "
    "(travailleur social, conseiller…).",
}


def _split(value):
    return [v for v in (value or "").split(", ") if v]


def _age_sentence(row):
    low, high = row.get("age_min"), row.get("age_max")
    if low is not None and high is not None:
        return f"De {low} à {high} ans."
    if low is not None:
        return f"L'âge minimum est de {low} ans."
    if high is not None:
        return f"L'âge maximum est de {high} ans."
    return None


def thematiques(row, default_thematique):
    """The row's DI sub-thématiques, else the default one of each need."""
    explicit = _split(row.get("thematiques"))
    if explicit:
        return sorted(set(explicit))
    found = set()
    for need in _split(row.get("besoins")):
        if need in default_thematique:
            found.add(default_thematique[need])
        if need == "energie":
            found.add(ENERGY_EXTRA)
    return sorted(found)


def _mobilisation(row, modalites):
    """v1's modes_mobilisation and mobilisable_par: from the service's own
    modes d'orientation when given, else from its access modes and contacts."""
    users = _split(row.get("modes_orientation_beneficiaire"))
    pros = _split(row.get("modes_orientation_accompagnateur"))
    if users or pros:
        modes = {V1_MODES[m] for m in users + pros if m in V1_MODES}
        if not row.get("lien_mobilisation"):  # a paper form: no link to follow
            modes.discard("utiliser-lien-mobilisation")
        by = ["professionnels"] if pros else []
        return modes, by + (["usagers"] if users else [])
    modes = set()
    if "acces-libre" in modalites:
        modes.add("se-presenter")
    if row.get("telephone"):
        modes.add("telephoner")
    if row.get("courriel"):
        modes.add("envoyer-un-courriel")
    if row.get("lien_mobilisation"):
        modes.add("utiliser-lien-mobilisation")
    if "orientation-professionnel" in modalites:
        return modes, ["professionnels"]
    return modes, ["professionnels", "usagers"]


def service(row, *, default_thematique, url):
    """One data·inclusion v1 service (a plain dict, JSON-ready), with 0.x's
    justificatifs and modes_orientation_* (how to apply, for whom) beside."""
    modalites = _split(row.get("modalites_acces"))
    modes, by = _mobilisation(row, modalites)
    if row.get("mobilisation_precisions"):  # the partner's own words
        precisions = [row["mobilisation_precisions"]]
    else:
        precisions = [
            MODALITE_SENTENCES[m] for m in modalites if m in MODALITE_SENTENCES
        ]
        if row.get("horaires_precisions"):
            precisions.append(row["horaires_precisions"])
    publics_precisions = " ".join(p for p in [_age_sentence(row)] if p) or None
    zones = [z for z in _split(row.get("zone_eligibilite"))]
    return {
        "source": SOURCE,
        "structure_id": f"{SOURCE}--{row['structure_id']}",
        "id": f"{SOURCE}--{row['id']}",
        "nom": row["nom"],
        "description": row["description"],
        "lien_source": url,
        "date_maj": row["date_maj"],
        "type": None,
        "thematiques": thematiques(row, default_thematique),
        "frais": row.get("frais"),
        "frais_precisions": row.get("frais_precisions"),
        "publics": _split(row.get("publics")) or ["tous-publics"],
        "publics_precisions": publics_precisions,
        "conditions_acces": row.get("conditions_acces"),
        "commune": row.get("commune"),
        "code_postal": row.get("code_postal"),
        "code_insee": row.get("code_insee"),
        "adresse": row.get("adresse"),
        "complement_adresse": row.get("complement_adresse"),
        "longitude": row.get("longitude"),
        "latitude": row.get("latitude"),
        "telephone": row.get("telephone"),
        "courriel": row.get("courriel"),
        "modes_accueil": _split(row.get("modes_accueil")) or ["en-presentiel"],
        "zone_eligibilite": zones or None,
        "contact_nom_prenom": None,
        "lien_mobilisation": row.get("lien_mobilisation"),
        "modes_mobilisation": sorted(modes) or None,
        "mobilisable_par": by or None,
        "mobilisation_precisions": " ".join(precisions) or None,
        "justificatifs": split_items(row.get("justificatifs")) or None,
        "modes_orientation_beneficiaire": _split(
            row.get("modes_orientation_beneficiaire")
        ),
        "modes_orientation_accompagnateur": _split(
            row.get("modes_orientation_accompagnateur")
        ),
        "volume_horaire_hebdomadaire": None,
        "nombre_semaines": None,
        "horaires_accueil": row.get("horaires"),
        # A current or upcoming temporary closure (the search's `fermetures`).
        "date_suspension": suspension_date(row.get("fermetures")),
    }


SHARED_FIELDS = (
    "commune",
    "code_postal",
    "code_insee",
    "adresse",
    "complement_adresse",
    "longitude",
    "latitude",
    "telephone",
    "courriel",
    "site_web",
)


def structures(rows, *, url_for_structure):
    """data·inclusion v1 structures of these service rows (one per structure_id).

    A field is filled only when all the structure's services agree on it: a
    structure with centres in seven communes has no single address.
    """
    grouped = {}
    for row in rows:
        grouped.setdefault(row["structure_id"], []).append(row)
    out = []
    for sid in sorted(grouped):
        services = grouped[sid]
        shared = {}
        for name in SHARED_FIELDS:
            values = {r.get(name) for r in services}
            shared[name] = values.pop() if len(values) == 1 else None
        if shared["code_insee"] is None:
            for name in ("adresse", "complement_adresse", "longitude", "latitude"):
                shared[name] = None
        out.append(
            {
                "source": SOURCE,
                "id": f"{SOURCE}--{sid}",
                "nom": services[0]["structure_nom"],
                "date_maj": max(r["date_maj"] for r in services),
                "description": None,
                "lien_source": url_for_structure(sid),
                "siret": None,
                **shared,
                "horaires_accueil": None,
                "accessibilite_lieu": None,
                "reseaux_porteurs": None,
            }
        )
    return out
