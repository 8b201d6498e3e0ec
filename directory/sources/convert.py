"""One data·inclusion service (v1 or 0.x fields) and its structure → one row of
our CSV columns (strings), or the French reason it is left out. No Flask.
"""

import ast
import datetime
import json
import re
from dataclasses import dataclass

from ..catalogue.services import ITEMS, MULTI, PLACE
from ..catalogue.vocabulary import ORIENTATION_ACCOMPAGNATEUR, ORIENTATION_BENEFICIAIRE
from ..geo.places import CommuneError
from ..imports.checks import check_hours
from .mapping import service_id, structure_id

ZONE_CODE = re.compile(r"^(\d{2,3}|2[AB]|\d{5}|2[AB]\d{3})$")
OUT_OF_TERRITORY = "hors du territoire"
NO_NEED = "thématique sans besoin correspondant"
NO_STRUCTURE = "structure introuvable"


@dataclass
class Converted:
    """The row (None when left out), the reason, and whether it is in the
    territory (its id then counts as seen, valid or not)."""

    row: dict | None
    reason: str | None = None
    in_territory: bool = False
    id: str | None = None


def as_text(value):
    """A JSON or CSV value as text ('' for null); lists joined by ', '."""
    if value.__class__ is str:  # the common case, first (called ~50 times a row)
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, (list, tuple, set)):
        return MULTI.join(t for t in (as_text(v) for v in value) if t)
    if isinstance(value, dict):
        return ""
    return str(value).strip()


def as_list(value):
    """A multi-valued field: a JSON list, or a CSV cell '["a", "b"]', '{a,b}',
    'a, b' → ['a', 'b']."""
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return [t for t in (as_text(v) for v in value) if t]
    text = as_text(value)
    if not text:
        return []
    if text[0] == "[":
        for parse in (json.loads, ast.literal_eval):
            try:
                parsed = parse(text)
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                continue
            if isinstance(parsed, list):
                return as_list(parsed)
    text = text.strip("[]{}")
    return [t.strip().strip("'\"").strip() for t in text.split(",") if t.strip()]


def sentence(text):
    """Capitalised, ending with a full stop."""
    text = text.strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?…" else text + "."


def _first(*values):
    for value in values:
        if value:
            text = as_text(value)
            if text:
                return text
    return ""


def _date(value):
    text = as_text(value)
    match = re.match(r"(\d{4}-\d{2}-\d{2})", text)
    return match.group(1) if match else text


class Converter:
    """Converts services with the mapping tables, for one territory."""

    def __init__(self, tables, *, territory="15", gazetteer=None, today=None):
        self.tables = tables
        self.territory = str(territory)
        self.gazetteer = gazetteer
        self.today = today or datetime.date.today()

    # -- place and territory ------------------------------------------------------

    def _place(self, service, structure):
        source = service
        if not any(as_text(service.get(c)) for c in PLACE):
            source = structure or {}
        place = {c: as_text(source.get(c)) for c in PLACE}
        if not place["code_insee"] and self.gazetteer and place["commune"]:
            try:
                match = self.gazetteer.resolve(
                    place["commune"], place["code_postal"] or None, territory=""
                )
            except CommuneError:
                match = None
            if match is not None:
                place["code_insee"] = match.commune.code_insee
        return place

    def zone(self, service):
        """Our zone_eligibilite codes from v1 `zone_eligibilite` or 0.x
        `zone_diffusion_type`/`zone_diffusion_code`."""
        codes = []
        values = as_list(service.get("zone_eligibilite"))
        kind = as_text(service.get("zone_diffusion_type")).lower()
        if kind == "pays":
            values.append("france")
        elif kind in ("departement", "commune"):
            values.append(as_text(service.get("zone_diffusion_code")))
        for value in values:
            value = "france" if value.lower() in ("france", "99100") else value
            if (value == "france" or ZONE_CODE.match(value)) and value not in codes:
                codes.append(value)
        return codes

    def _covers(self, codes):
        for code in codes:
            if code in ("france", self.territory):
                return True
            if len(code) == 5 and code.startswith(self.territory):
                if self.gazetteer is None or self.gazetteer.get(code):
                    return True
        return False

    # -- the row ------------------------------------------------------------------

    def convert(self, service, structure):
        """A Converted for one service dict and its structure dict (or None)."""
        source = _first(service.get("source"), (structure or {}).get("source"))
        raw_id = as_text(service.get("id"))
        our_id = service_id(source, raw_id)
        place = self._place(service, structure)
        zone = self.zone(service)
        code = place["code_insee"]
        inside = code.startswith(self.territory) if code else self._covers(zone)
        if not inside:
            return Converted(None, OUT_OF_TERRITORY, False, our_id)
        if structure is None:
            return Converted(None, NO_STRUCTURE, True, our_id)
        needs, thematiques = self.tables.needs_of(as_list(service.get("thematiques")))
        if not needs:
            return Converted(None, NO_NEED, True, our_id)
        row = {
            "id": our_id,
            "statut": self._statut(service),
            "nom": as_text(service.get("nom")),
            "description": _first(
                service.get("description"),
                service.get("presentation_detail"),
                service.get("presentation_resume"),
            ),
            "structure_id": structure_id(
                _first(structure.get("source"), source),
                _first(structure.get("id"), service.get("structure_id")),
            ),
            "structure_nom": as_text(structure.get("nom")),
            "besoins": MULTI.join(needs),
            "thematiques": MULTI.join(thematiques),
            "publics": MULTI.join(self._publics(service)),
            "age_min": "",
            "age_max": "",
            "modes_accueil": MULTI.join(
                m
                for m in dict.fromkeys(
                    self.tables.modes_accueil.get(v)
                    for v in as_list(service.get("modes_accueil"))
                )
                if m
            ),
            "langues": "",
            **place,
            "zone_eligibilite": MULTI.join(zone),
            "date_maj": _date(
                _first(service.get("date_maj"), structure.get("date_maj"))
            ),
            "source": source,
            "lien_source": _first(
                service.get("lien_source"), structure.get("lien_source")
            ),
            "id_source": raw_id,
            "score_qualite": as_text(service.get("score_qualite")),
            "siret": re.sub(r"\s", "", as_text(structure.get("siret"))),
            "justificatifs": self._justificatifs(service),
            "conditions_acces": self._conditions(service),
        }
        row.update(self._contact(service, structure))
        row.update(self._hours(service, structure))
        row.update(self._frais(service))
        row.update(self._mobilisation(service))
        return Converted(row, None, True, our_id)

    def _statut(self, service):
        suspended = _date(service.get("date_suspension"))
        try:
            day = datetime.date.fromisoformat(suspended) if suspended else None
        except ValueError:
            day = None
        return "ferme" if day and day <= self.today else "actif"

    def _publics(self, service):
        values = as_list(service.get("publics")) or as_list(service.get("profils"))
        return self.tables.publics_of(values)

    def _contact(self, service, structure):
        public = service.get("contact_public") not in (False, "false", "False", "0")
        own = service if public else {}
        return {
            "telephone": _first(own.get("telephone"), structure.get("telephone")),
            "courriel": _first(own.get("courriel"), structure.get("courriel")),
            "site_web": _first(service.get("site_web"), structure.get("site_web")),
            "lien_mobilisation": _first(
                service.get("lien_mobilisation"), service.get("formulaire_en_ligne")
            ),
        }

    def _hours(self, service, structure):
        hours = _first(
            service.get("horaires_accueil"),
            service.get("horaires_ouverture"),
            structure.get("horaires_accueil"),
            structure.get("horaires_ouverture"),
        )
        precisions = [as_text(service.get("recurrence"))]
        if hours and check_hours(hours)[1]:  # not OSM syntax: kept as a note
            precisions.insert(0, hours)
            hours = ""
        return {
            "horaires": hours,
            "horaires_precisions": " ".join(sentence(p) for p in precisions if p),
        }

    def _frais(self, service):
        kinds, notes = [], []
        for value in as_list(service.get("frais")):
            kind, note = self.tables.frais.get(value, ("", ""))
            if kind:
                kinds.append(kind)
            if note:
                notes.append(note)
        for extra in (service.get("frais_precisions"), service.get("frais_autres")):
            if as_text(extra):
                notes.append(sentence(as_text(extra)))
        frais = "payant" if "payant" in kinds else ("gratuit" if kinds else "")
        return {"frais": frais, "frais_precisions": " ".join(notes)}

    def _conditions(self, service):
        parts = [as_text(service.get("conditions_acces"))]
        prerequis = as_list(service.get("pre_requis"))
        if prerequis:
            parts.append("Prérequis : " + " ; ".join(prerequis))
        if as_text(service.get("publics_precisions")):
            parts.append(as_text(service.get("publics_precisions")))
        return " ".join(sentence(p) for p in parts if p)

    def _justificatifs(self, service):
        return ITEMS.join(as_list(service.get("justificatifs")))

    def _mobilisation(self, service):
        """Access modes, how the person and a professional apply (our
        modes_orientation_* slugs), and the source's own words on it."""
        table = self.tables.mobilisation
        by = as_list(service.get("mobilisable_par"))
        v1 = as_list(service.get("modes_mobilisation"))
        users = as_list(service.get("modes_orientation_beneficiaire"))
        pros = as_list(service.get("modes_orientation_accompagnateur"))
        if v1:
            if not by or "usagers" in by:
                users += v1
            if not by or "professionnels" in by:
                pros += v1
        modalites = []
        for mode in users:
            modalite = table.get(mode, ("", ""))[0]
            if modalite and modalite not in modalites:
                modalites.append(modalite)
        if not modalites and pros:
            modalites.append("orientation-professionnel")
        if "orientation-professionnel" in modalites and "acces-libre" in modalites:
            modalites.remove("acces-libre")
        parts = []
        for label, other in (
            ("Pour les personnes", "modes_orientation_beneficiaire_autres"),
            ("Pour les professionnels", "modes_orientation_accompagnateur_autres"),
        ):
            if as_text(service.get(other)):
                parts.append(f"{label} : {sentence(as_text(service.get(other)))}")
        precisions = as_text(service.get("mobilisation_precisions"))
        if precisions:
            parts.append(sentence(precisions))
        return {
            "modalites_acces": MULTI.join(modalites),
            "modes_orientation_beneficiaire": _slugs(ORIENTATION_BENEFICIAIRE, users),
            "modes_orientation_accompagnateur": _slugs(
                ORIENTATION_ACCOMPAGNATEUR, pros
            ),
            "mobilisation_precisions": " ".join(parts),
        }


def _slugs(choices, values):
    """Our slugs of a source's modes, in order, without unknown ones (« autre »)."""
    found = []
    for value in values:
        slug = choices.match(value)
        if slug and slug not in found:
            found.append(slug)
    return MULTI.join(found)
