"""Checks of single cells: phones, e-mails, URLs, opening hours, dates and
coordinates. Each returns the normalised value and a French message.
No Flask imports.
"""

import datetime
import re
from functools import lru_cache
from urllib.parse import urlsplit

import opening_hours
import phonenumbers
from email_validator import EmailNotValidError, validate_email

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

PHONE_SEPARATORS = re.compile(r"[\s.\-()/]")
SHORT_NUMBER = re.compile(r"1\d{1,2}|3\d{3}")  # 115, 119, 3939…
# Geographic, mobile and 09 numbers: every 0X XX XX XX XX is well formed.
COMMON_PHONE = re.compile(r"0[1-79]\d{8}")
LOST_ZERO = re.compile(r"[1-9]\d{8}")


def check_phone(value):
    """French phone → (E.164 or short number, error, warning)."""
    digits = PHONE_SEPARATORS.sub("", value)
    if COMMON_PHONE.fullmatch(digits):  # the usual case, without phonenumbers
        return "+33" + digits[1:], None, None
    return _check_phone(digits)


@lru_cache(maxsize=4096)
def _check_phone(digits):
    if SHORT_NUMBER.fullmatch(digits):
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
    if LOST_ZERO.fullmatch(digits):
        warning = "le zéro initial manquait (format du tableur) : il a été rétabli."
    return (
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        None,
        warning,
    )


SIMPLE_EMAIL = re.compile(
    r"([a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*)"
    r"@((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})",
    re.IGNORECASE,
)
PERSONAL_LOCAL = re.compile(r"[a-z]+[._-][a-z]+\d*")


def check_email(value):
    """E-mail → (normalised, error, warning on personal-looking addresses).

    Plain ASCII addresses are checked by one expression; anything else (accents,
    quotes, IDN) goes through email-validator.
    """
    if match := SIMPLE_EMAIL.fullmatch(value):
        email = f"{match[1]}@{match[2].lower()}"
    else:
        try:
            email = validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError:
            return None, "adresse électronique invalide.", None
    local, _, domain = email.lower().partition("@")
    if (
        domain in CONSUMER_DOMAINS
        and PERSONAL_LOCAL.fullmatch(local)
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


def unguard(value):
    """Drop the apostrophe our CSV export puts before formula-like text."""
    if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@"):
        return value[1:]
    return value
