"""Validate and normalise one raw row into a service record. No Flask imports.

Each check returns the normalised value and appends French issues that name
the spreadsheet line, the column and the bad value. Pure value checks are
memoised: partner files repeat the same phones, hours and dates many times.
"""

import datetime
import re
from functools import partial
from operator import itemgetter

from ..catalogue.services import ITEMS, MULTI, split_items
from ..catalogue.vocabulary import (
    FRAIS,
    LANGUES,
    MODALITES,
    MODES_ACCUEIL,
    ORIENTATION_ACCOMPAGNATEUR,
    ORIENTATION_BENEFICIAIRE,
    PUBLICS,
    STATUTS,
    THEMATIQUES,
    fold,
)
from .checks import (
    check_email,
    check_hours,
    check_phone,
    check_url,
    parse_date,
    unguard,
)
from .place import check_place
from .report import (
    FORMULA_RE,
    NO_CONTACT,
    PAYANT_SANS_PRECISIONS,
    Issue,
    formula_problem,
    problem,
    text_problem,
)

ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*(--[a-z0-9]+(-[a-z0-9]+)*)?$")
SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# Cells remembered per column: bounds the memory of a 1 000 000-row import
# (repeated values recur long before this; unique ones would pile up).
MEMO_SIZE = 50_000


# Fees and access modes are often unknown to whoever lists a service (a source
# that names a crèche rarely gives its fees): left empty, they are warned about,
# not guessed, so the service can still be found.
UNKNOWN_OK = "unknown-ok"


def _missing(choices, required):
    """The problem of an empty required choice (a warning when UNKNOWN_OK)."""
    values = ", ".join(f"« {s} »" for s in choices.labels)
    if required is UNKNOWN_OK:
        return problem(
            choices.name,
            f"non renseigné ({values}) : complétez dès que vous le savez.",
            blocking=False,
        )
    return problem(choices.name, f"valeur obligatoire ({values}).")


def slugify(text):
    """A valid id/slug proposal for a free text."""
    return fold(text)[:100].strip("-")


class RowValidator:
    """Turns raw rows (column → text) into normalised service records.

    Checks of a single cell are memoised per column and value (a 100 000-row
    file repeats its needs, communes, hours and dates endlessly); problems are
    kept without their line number and become Issues only when they occur.
    """

    def __init__(self, besoins, geocoder, *, territory="15", today=None):
        self.besoins = besoins  # vocabulary.Choices over the 16 needs
        self.geocoder = geocoder
        self.territory = territory
        self.today = today or datetime.date.today()
        # The offline geocoder ignores the street: cache places without it.
        self._address_key = getattr(geocoder, "uses_address", False)
        by_person = partial(self._multi, ORIENTATION_BENEFICIAIRE)
        by_professional = partial(self._multi, ORIENTATION_ACCOMPAGNATEUR)
        # (step, column, check, default) of the memoised cells; the step orders
        # problems as a person reads the row.
        self._plan = [
            (1, "statut", self._statut, "actif"),
            (4, "structure_nom", partial(self._text_cached, "structure_nom"), ""),
            (5, "structure_id", self._slug, ""),
            (6, "besoins", partial(self._multi, besoins, required=True), ""),
            (7, "thematiques", partial(self._multi, THEMATIQUES), ""),
            (8, "publics", self._publics, "tous-publics"),
            (9, "age_min", partial(self._age, "age_min"), ""),
            (10, "age_max", partial(self._age, "age_max"), ""),
            (12, "frais", partial(self._choice, FRAIS, required=UNKNOWN_OK), ""),
            (14, "modalites_acces", self._modalites, ""),
            (14.1, "justificatifs", self._items, ""),
            (14.2, "modes_orientation_beneficiaire", by_person, ""),
            (14.3, "modes_orientation_accompagnateur", by_professional, ""),
            (15, "modes_accueil", partial(self._multi, MODES_ACCUEIL), "en-presentiel"),
            (16, "langues", partial(self._multi, LANGUES), "fr"),
            (18, "telephone", partial(self._checked, "telephone", check_phone), ""),
            (19, "courriel", partial(self._checked, "courriel", check_email), ""),
            (20, "site_web", partial(self._checked, "site_web", check_url), ""),
            (
                21,
                "lien_mobilisation",
                partial(self._checked, "lien_mobilisation", check_url),
                "",
            ),
            (23, "horaires", partial(self._checked, "horaires", check_hours), ""),
            (24, "zone_eligibilite", self._zone, territory),
            (25, "date_maj", self._date, ""),
        ]
        self._memos = {column: {} for _, column, _, _ in self._plan}
        self._steps = None  # the plan with each memo, made on first use
        self._places = {}

    def validate(self, line, raw):
        """Return (record or None when blocked, issues)."""
        get = raw.get
        rec, problems = {}, []
        if self._steps is None:  # subclasses may have changed the plan
            self._steps = [
                (step, column, check, default, self._memos[column])
                for step, column, check, default in self._plan
            ]
        for step, column, check, default, memo in self._steps:
            value = get(column) or default
            hit = memo.get(value)
            if hit is None:
                if len(memo) >= MEMO_SIZE:  # phones, e-mails: mostly unique
                    memo.clear()
                hit = memo[value] = check(unguard(value))
            rec[column] = hit[0]
            if hit[1]:
                problems.extend((step, p) for p in hit[1])
        rec["id"] = service_id = get("id") or ""
        if not ID_RE.match(service_id) or len(service_id) > 100:
            problems.append((0, self._id(service_id)))
        for column in FREE_TEXT:
            value = get(column)
            if value and value[0] == "'":
                value = unguard(value)
            rec[column] = value or None
        for step, column in ((2, "nom"), (3, "description")):
            if found := text_problem(column, rec[column] or ""):
                problems.append((step, found))
        if rec["age_min"] is not None and rec["age_max"] is not None:
            if rec["age_min"] > rec["age_max"]:
                problems.append(
                    (
                        11,
                        problem(
                            "age_max",
                            f"l'âge maximum ({rec['age_max']}) est inférieur "
                            f"à l'âge minimum ({rec['age_min']}).",
                        ),
                    )
                )
        if rec["frais"] == "payant" and not rec["frais_precisions"]:
            problems.append((13, PAYANT_SANS_PRECISIONS))
        place_key = (  # place.PLACE_COLUMNS spelt out (once a row: no loop)
            get("code_postal") or "",
            get("commune") or "",
            get("latitude") or "",
            get("longitude") or "",
            get("code_insee") or "",
        )
        if self._address_key:
            place_key += (rec["adresse"],)
        hit = self._places.get(place_key)
        if hit is None:
            if len(self._places) >= MEMO_SIZE:  # e.g. every row its own point
                self._places.clear()
            hit = self._places[place_key] = check_place(self.geocoder, place_key)
        rec.update(hit[0])
        if hit[1]:
            problems.extend((17, p) for p in hit[1])
        if not (rec["telephone"] or rec["courriel"] or rec["site_web"]):
            problems.append((22, NO_CONTACT))
        for step, column in (
            (26, "nom"),
            (27, "description"),
            (28, "conditions_acces"),
            (28.1, "justificatifs"),
            (28.2, "mobilisation_precisions"),
        ):
            text = rec[column]
            if text and text[0] in "=+@" and FORMULA_RE.match(text):
                problems.append((step, formula_problem(column, text)))
        if not problems:
            return rec, []
        problems.sort(key=itemgetter(0))  # stable: same step keeps its order
        issues = [Issue(m, line, c, s, b) for _, (c, m, s, b) in problems]
        return (None if any(i.blocking for i in issues) else rec), issues

    # -- single fields: value → (normalised, problems) or a problem ------------

    def _id(self, value):
        """The problem of an invalid id (the caller checked it is invalid)."""
        if not value:
            return problem(
                "id",
                "identifiant obligatoire (par exemple "
                "« ccas-aurillac--aide-energie »).",
            )
        return problem(
            "id",
            "identifiant invalide : lettres minuscules sans accents, "
            "chiffres et tirets uniquement, 100 caractères au plus.",
            value,
            suggestion=slugify(value) or None,
        )

    def _statut(self, value):
        return self._choice(STATUTS, value)

    def _slug(self, value):
        if not value:
            return value, (
                problem("structure_id", "identifiant de structure obligatoire."),
            )
        if not SLUG_RE.match(value) or len(value) > 100:
            return value, (
                problem(
                    "structure_id",
                    "identifiant de structure invalide : lettres "
                    "minuscules sans accents, chiffres et tirets.",
                    value,
                    suggestion=slugify(value) or None,
                ),
            )
        return value, ()

    def _text_cached(self, column, value):
        found = [p for p in (text_problem(column, value),) if p]
        if value and value[0] in "=+@" and FORMULA_RE.match(value):
            found.append(formula_problem(column, value))
        return value or None, tuple(found)

    def _choice(self, choices, value, required=False):
        if not value:
            if required:
                return None, (_missing(choices, required),)
            return None, ()
        slug = choices.match(value)
        if slug is None:
            return None, (
                problem(
                    choices.name,
                    "valeur inconnue.",
                    value,
                    suggestion=choices.suggest(value),
                ),
            )
        return slug, ()

    def _multi(self, choices, value, required=False):
        found, unknown = choices.split(value)
        problems = [
            problem(choices.name, f"« {bad} » inconnu", suggestion=choices.suggest(bad))
            for bad in unknown
        ]
        if required is UNKNOWN_OK and not found and not unknown:
            problems.append(_missing(choices, required))
        elif required and not found and not unknown:
            problems.append(problem(choices.name, "au moins une valeur obligatoire."))
        return MULTI.join(found) or None, tuple(problems)

    def _publics(self, value):
        normalised, problems = self._multi(PUBLICS, value)
        if normalised and "tous-publics" in normalised and normalised != "tous-publics":
            problems += (
                problem(
                    "publics",
                    "« tous-publics » ne peut pas être combiné avec "
                    "d'autres publics : gardez-le seul ou retirez-le.",
                    value,
                ),
            )
        return normalised, problems

    def _modalites(self, value):
        normalised, problems = self._multi(MODALITES, value, required=UNKNOWN_OK)
        if {"acces-libre", "orientation-professionnel"} <= set(
            (normalised or "").split(MULTI)
        ):
            problems += (
                problem(
                    "modalites_acces",
                    "« acces-libre » et « orientation-professionnel » "
                    "s'excluent : choisissez l'un des deux.",
                    value,
                ),
            )
        return normalised, problems

    @staticmethod
    def _items(value):
        """A list typed in one cell (« Pièce d'identité ; Avis d'imposition »),
        items split on « ; » or line breaks and joined by « ; »."""
        return ITEMS.join(split_items(value)) or None, ()

    def _age(self, column, value):
        if not value:
            return None, ()
        if not re.fullmatch(r"\d{1,3}", value) or int(value) > 120:
            return None, (
                problem(
                    column, "âge invalide : un nombre entier entre 0 et 120.", value
                ),
            )
        return int(value), ()

    def _checked(self, column, check, value):
        if not value:
            return None, ()
        normalised, error, warning = check(value)
        if error:
            return normalised, (problem(column, error, value),)
        if warning:
            return normalised, (problem(column, warning, value, blocking=False),)
        return normalised, ()

    def _zone(self, value):
        codes, problems = [], []
        for item in re.split(r"[,;|\s]+", value):
            if not item:
                continue
            if item.lower() == "france":
                codes.append("france")
            elif re.fullmatch(r"\d{2,3}|2[AB]|\d{5}|2[AB]\d{3}", item):
                codes.append(item)
            else:
                problems.append(
                    problem(
                        "zone_eligibilite",
                        "code invalide : un code INSEE de commune, "
                        "un numéro de département (15) ou « france ».",
                        item,
                    )
                )
        return MULTI.join(codes) or None, tuple(problems)

    def _date(self, value):
        if not value:
            return None, (
                problem(
                    "date_maj",
                    "date de mise à jour obligatoire (AAAA-MM-JJ ou JJ/MM/AAAA).",
                ),
            )
        day, error = parse_date(value)
        if error:
            return None, (problem("date_maj", error, value),)
        if day > self.today:
            return day.isoformat(), (
                problem(
                    "date_maj",
                    "date dans le futur : indiquez la date de la dernière "
                    "vérification.",
                    value,
                ),
            )
        return day.isoformat(), ()


FREE_TEXT = (
    "nom",
    "description",
    "frais_precisions",
    "conditions_acces",
    "adresse",
    "complement_adresse",
    "horaires_precisions",
    "mobilisation_precisions",
    "source",
)
