"""Validate and normalise one raw row into a service record. No Flask imports.

Each check returns the normalised value and appends French issues that name
the spreadsheet line, the column and the bad value. Pure value checks are
memoised: partner files repeat the same phones, hours and dates many times.
"""

import datetime
import re
from functools import lru_cache
from urllib.parse import urlsplit

import opening_hours
import phonenumbers
from email_validator import EmailNotValidError, validate_email

from .gazetteer import CommuneError, PostcodeMismatch, UnknownPostcode
from .report import Issue
from .vocabulary import (
    FRAIS,
    LANGUES,
    MODALITES,
    MODES_ACCUEIL,
    PUBLICS,
    STATUTS,
    THEMATIQUES,
    fold,
)

ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*(--[a-z0-9]+(-[a-z0-9]+)*)?$")
SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
FORMULA_RE = re.compile(r"^[=+@]\s*[A-Za-z_.]+\s*\(|^=")
CONSUMER_DOMAINS = {
    "gmail.com",
    "orange.fr",
    "wanadoo.fr",
    "laposte.net",
    "free.fr",
    "sfr.fr",
    "hotmail.com",
    "hotmail.fr",
    "outlook.com",
    "outlook.fr",
    "yahoo.fr",
    "yahoo.com",
    "nordnet.fr",
    "icloud.com",
    "live.fr",
}
GENERIC_LOCAL = re.compile(r"mairie|commune|ccas|cias|contact|accueil|secretariat|info")
TEXT_LIMITS = {"nom": (3, 150), "description": (1, 10_000), "structure_nom": (3, 150)}
MULTI = ", "  # how multi-valued cells are stored and exported


def shorten(text, width=40):
    """A value as quoted in a message: cut with an ellipsis when long."""
    return text if len(text) <= width else text[: width - 1] + "…"


def slugify(text):
    """A valid id/slug proposal for a free text."""
    return fold(text)[:100].strip("-")


class RowValidator:
    """Turns raw rows (column → text) into normalised service records."""

    def __init__(self, besoins, geocoder, *, territory="15", today=None):
        self.besoins = besoins  # vocabulary.Choices over the 16 needs
        self.geocoder = geocoder
        self.territory = territory
        self.today = today or datetime.date.today()

    def validate(self, line, raw):
        """Return (record or None when blocked, issues)."""
        issues = []

        def issue(column, message, value=None, suggestion=None, blocking=True):
            if value is not None:
                message = f"« {value} » : {message}"
            issues.append(Issue(message, line, column, suggestion, blocking))

        get = lambda column: raw.get(column, "")  # noqa: E731
        rec = {}
        rec["id"] = self._id(get("id"), issue)
        rec["statut"] = self._choice(STATUTS, get("statut") or "actif", issue)
        for column in ("nom", "description", "structure_nom"):
            rec[column] = self._text(column, get(column), issue)
        rec["structure_id"] = self._slug(get("structure_id"), issue)
        rec["besoins"] = self._multi(self.besoins, get("besoins"), issue, required=True)
        rec["thematiques"] = self._multi(THEMATIQUES, get("thematiques"), issue)
        rec["publics"] = self._multi(PUBLICS, get("publics") or "tous-publics", issue)
        if "tous-publics" in rec["publics"] and rec["publics"] != "tous-publics":
            issue(
                "publics",
                "« tous-publics » ne peut pas être combiné avec "
                "d'autres publics : gardez-le seul ou retirez-le.",
                get("publics"),
            )
        rec["age_min"] = self._age("age_min", get("age_min"), issue)
        rec["age_max"] = self._age("age_max", get("age_max"), issue)
        if rec["age_min"] is not None and rec["age_max"] is not None:
            if rec["age_min"] > rec["age_max"]:
                issue(
                    "age_max",
                    f"l'âge maximum ({rec['age_max']}) est inférieur "
                    f"à l'âge minimum ({rec['age_min']}).",
                )
        rec["frais"] = self._choice(FRAIS, get("frais"), issue, required=True)
        rec["frais_precisions"] = get("frais_precisions") or None
        if rec["frais"] == "payant" and not rec["frais_precisions"]:
            issue(
                "frais_precisions",
                "service payant : précisez le montant ou le "
                "tarif dans « frais_precisions ».",
            )
        rec["modalites_acces"] = self._multi(
            MODALITES, get("modalites_acces"), issue, required=True
        )
        if {"acces-libre", "orientation-professionnel"} <= set(
            (rec["modalites_acces"] or "").split(MULTI)
        ):
            issue(
                "modalites_acces",
                "« acces-libre » et « orientation-professionnel » "
                "s'excluent : choisissez l'un des deux.",
                get("modalites_acces"),
            )
        rec["conditions_acces"] = get("conditions_acces") or None
        rec["modes_accueil"] = self._multi(
            MODES_ACCUEIL, get("modes_accueil") or "en-presentiel", issue
        )
        rec["langues"] = self._multi(LANGUES, get("langues") or "fr", issue)
        for column in (
            "adresse",
            "complement_adresse",
            "horaires_precisions",
            "source",
        ):
            rec[column] = get(column) or None
        self._place(raw, rec, issue)
        rec["telephone"] = self._checked(
            "telephone", get("telephone"), check_phone, issue
        )
        rec["courriel"] = self._checked("courriel", get("courriel"), check_email, issue)
        for column in ("site_web", "lien_mobilisation"):
            rec[column] = self._checked(column, get(column), check_url, issue)
        if not (rec["telephone"] or rec["courriel"] or rec["site_web"]):
            issue(
                None,
                "aucun moyen de contact (téléphone, courriel ou site web) : "
                "ajoutez-en au moins un.",
                blocking=False,
            )
        rec["horaires"] = self._checked("horaires", get("horaires"), check_hours, issue)
        rec["zone_eligibilite"] = self._zone(get("zone_eligibilite"), issue)
        rec["date_maj"] = self._date(get("date_maj"), issue)
        for column in ("nom", "description", "structure_nom", "conditions_acces"):
            if rec.get(column) and FORMULA_RE.match(rec[column]):
                issue(
                    column,
                    "ressemble à une formule de tableur : elle est "
                    "enregistrée comme du texte, sans être calculée.",
                    shorten(rec[column]),
                    blocking=False,
                )
        blocked = any(i.blocking for i in issues)
        return (None if blocked else rec), issues

    # -- single fields -------------------------------------------------------

    def _id(self, value, issue):
        if not value:
            issue(
                "id",
                "identifiant obligatoire (par exemple "
                "« ccas-aurillac--aide-energie »).",
            )
        elif len(value) > 100 or not ID_RE.match(value):
            issue(
                "id",
                "identifiant invalide : lettres minuscules sans accents, "
                "chiffres et tirets uniquement, 100 caractères au plus.",
                value,
                suggestion=slugify(value) or None,
            )
        return value

    def _slug(self, value, issue):
        if not value:
            issue("structure_id", "identifiant de structure obligatoire.")
        elif not SLUG_RE.match(value) or len(value) > 100:
            issue(
                "structure_id",
                "identifiant de structure invalide : lettres "
                "minuscules sans accents, chiffres et tirets.",
                value,
                suggestion=slugify(value) or None,
            )
        return value

    def _text(self, column, value, issue):
        low, high = TEXT_LIMITS[column]
        if not value:
            issue(column, "valeur obligatoire.")
        elif len(value) < low:
            issue(
                column,
                f"trop court ({len(value)} caractères, {low} au minimum).",
                value,
            )
        elif len(value) > high:
            issue(column, f"trop long ({len(value)} caractères, {high} au maximum).")
        elif column == "nom" and value.endswith(".") and not value.endswith("etc."):
            issue(
                column, "le nom ne doit pas finir par un point.", value, blocking=False
            )
        return value or None

    def _choice(self, choices, value, issue, required=False):
        if not value:
            if required:
                issue(
                    choices.name,
                    "valeur obligatoire ("
                    + ", ".join(f"« {s} »" for s in choices.labels)
                    + ").",
                )
            return None
        slug = choices.match(value)
        if slug is None:
            issue(
                choices.name,
                "valeur inconnue.",
                value,
                suggestion=choices.suggest(value),
            )
        return slug

    def _multi(self, choices, value, issue, required=False):
        found, unknown = choices.split(value)
        for bad in unknown:
            issue(choices.name, f"« {bad} » inconnu", suggestion=choices.suggest(bad))
        if required and not found and not unknown:
            issue(choices.name, "au moins une valeur obligatoire.")
        return MULTI.join(found) or None

    def _age(self, column, value, issue):
        if not value:
            return None
        if not re.fullmatch(r"\d{1,3}", value) or int(value) > 120:
            issue(column, "âge invalide : un nombre entier entre 0 et 120.", value)
            return None
        return int(value)

    def _checked(self, column, value, check, issue):
        if not value:
            return None
        normalised, error, warning = check(value)
        if error:
            issue(column, error, value)
        elif warning:
            issue(column, warning, value, blocking=False)
        return normalised

    def _zone(self, value, issue):
        codes = []
        for item in re.split(r"[,;|\s]+", value or self.territory):
            if not item:
                continue
            if item.lower() == "france":
                codes.append("france")
            elif re.fullmatch(r"\d{2,3}|2[AB]|\d{5}|2[AB]\d{3}", item):
                codes.append(item)
            else:
                issue(
                    "zone_eligibilite",
                    "code invalide : un code INSEE de commune, "
                    "un numéro de département (15) ou « france ».",
                    item,
                )
        return MULTI.join(codes) or None

    def _date(self, value, issue):
        if not value:
            issue(
                "date_maj",
                "date de mise à jour obligatoire (AAAA-MM-JJ ou JJ/MM/AAAA).",
            )
            return None
        day, error = parse_date(value)
        if error:
            issue("date_maj", error, value)
        elif day > self.today:
            issue(
                "date_maj",
                "date dans le futur : indiquez la date de la dernière vérification.",
                value,
            )
        return day.isoformat() if day else None

    def _place(self, raw, rec, issue):
        """Commune, postcode, INSEE code and coordinates (geocoded when missing)."""
        postcode = re.sub(r"\s", "", raw.get("code_postal", ""))
        if re.fullmatch(r"\d{4}", postcode):
            postcode = "0" + postcode  # a spreadsheet ate the leading zero
        commune = raw.get("commune", "")
        rec.update(
            code_postal=postcode or None,
            commune=commune or None,
            code_insee=None,
            latitude=None,
            longitude=None,
            precision_geo=None,
        )
        if not postcode:
            issue("code_postal", "code postal obligatoire.")
        elif not re.fullmatch(r"\d{5}", postcode):
            issue(
                "code_postal",
                "code postal invalide : 5 chiffres.",
                raw.get("code_postal"),
            )
            return
        if not commune:
            issue("commune", "commune obligatoire.")
        if not (postcode and commune):
            return
        lat, lon = raw.get("latitude", ""), raw.get("longitude", "")
        coords = parse_coordinates(lat, lon)
        if isinstance(coords, str):
            issue("latitude" if not lat else "longitude", coords, f"{lat} ; {lon}")
            return
        try:
            match = self.geocoder.locate(
                commune, postcode, None if coords else rec.get("adresse")
            )
        except (PostcodeMismatch, UnknownPostcode) as exc:
            issue("code_postal", exc.message, suggestion=exc.suggestion)
            return
        except CommuneError as exc:
            issue("commune", exc.message, suggestion=exc.suggestion)
            return
        found = match.commune
        given_code = raw.get("code_insee", "")
        if given_code and given_code != found.code_insee:
            issue(
                "code_insee",
                f"ne correspond pas à la commune {found.nom} ({found.code_insee}).",
                given_code,
                suggestion=found.code_insee,
            )
        rec["commune"] = found.nom
        rec["code_insee"] = found.code_insee
        if coords:
            rec["latitude"], rec["longitude"] = coords
            rec["precision_geo"] = "manuel"
        else:
            rec["latitude"], rec["longitude"] = match.latitude, match.longitude
            rec["precision_geo"] = match.precision


@lru_cache(maxsize=65536)
def check_phone(value):
    """French phone → (E.164 or short number, error, warning)."""
    digits = re.sub(r"[\s.\-()/]", "", value)
    if re.fullmatch(r"1\d{1,2}|3\d{3}", digits):  # 115, 119, 3939…
        return digits, None, None
    try:
        number = phonenumbers.parse(digits, "FR")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        return (
            None,
            ("numéro de téléphone invalide : 10 chiffres, par exemple 04 71 46 20 20."),
            None,
        )
    warning = None
    if re.fullmatch(r"[1-9]\d{8}", digits):
        warning = "le zéro initial manquait (format du tableur) : il a été rétabli."
    return (
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        None,
        warning,
    )


@lru_cache(maxsize=65536)
def check_email(value):
    """E-mail → (normalised, error, warning on personal-looking addresses)."""
    try:
        email = validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        return None, "adresse électronique invalide.", None
    local, _, domain = email.lower().partition("@")
    if (
        domain in CONSUMER_DOMAINS
        and re.fullmatch(r"[a-z]+[._-][a-z]+\d*", local)
        and not GENERIC_LOCAL.search(local)
    ):
        return (
            email,
            None,
            (
                "adresse qui semble personnelle : préférez une adresse "
                "générique de la structure (données publiques)."
            ),
        )
    return email, None, None


@lru_cache(maxsize=65536)
def check_url(value):
    """http(s) URL → (URL, error, warning when the scheme had to be added)."""
    warning = None
    if not re.match(r"^[a-z][a-z0-9+.-]*://", value, re.I):
        if value.lower().startswith("www.") or re.match(
            r"^[\w-]+(\.[\w-]+)+(/|$)", value
        ):
            value, warning = "https://" + value, "« https:// » ajouté devant l'adresse."
    parts = urlsplit(value)
    if (
        parts.scheme.lower() not in ("http", "https")
        or "." not in parts.netloc
        or " " in value
    ):
        return None, "adresse web invalide : elle doit commencer par https://", None
    return value, None, warning


@lru_cache(maxsize=65536)
def check_hours(value):
    """OpenStreetMap opening_hours → (normalised string, error, None)."""
    try:
        opening_hours.OpeningHours(value, country="FR")
    except (opening_hours.ParserError, ValueError, TypeError):
        return (
            None,
            (
                "horaires illisibles : utilisez la syntaxe OpenStreetMap, par "
                "exemple « Mo-Fr 09:00-12:00,14:00-17:00; PH off »."
            ),
            None,
        )
    return value, None, None


@lru_cache(maxsize=65536)
def parse_date(value):
    """AAAA-MM-JJ or JJ/MM/AAAA (also with - or .) → (date, error)."""
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", value)
    french = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})", value)
    try:
        if iso:
            day = datetime.date(*map(int, iso.groups()))
        elif french:
            d, m, y = map(int, french.groups())
            day = datetime.date(y, m, d)
        else:
            return None, "date illisible : écrivez AAAA-MM-JJ ou JJ/MM/AAAA."
    except ValueError:
        return None, "date impossible (jour ou mois hors limites)."
    if day.year < 2000:
        return None, "date antérieure à 2000."
    return day, None


@lru_cache(maxsize=65536)
def _coordinate(text, low, high):
    try:
        number = float(text.replace(",", ".").strip())
    except ValueError:
        return None
    return number if low <= number <= high else None


def parse_coordinates(lat, lon):
    """(lat, lon) floats, None when both are empty, else a French error."""
    if not lat and not lon:
        return None
    if not lat or not lon:
        return "latitude et longitude vont ensemble : remplissez les deux ou aucune."
    latitude, longitude = _coordinate(lat, -90, 90), _coordinate(lon, -180, 180)
    if latitude is None or longitude is None:
        return "coordonnées invalides : nombres décimaux en degrés (WGS84)."
    return round(latitude, 6), round(longitude, 6)
