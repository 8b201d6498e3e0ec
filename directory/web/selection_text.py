"""« Ma sélection » as text: the ids of a shared link, today's hours, and the
bodies of the « Envoyer par SMS » and « Envoyer par e-mail » links.

Pure functions (URLs come in as strings), so the texts are tested without a
browser. Every value goes into the `sms:`/`mailto:` URLs through
urllib.parse.quote: a service's text can never add a parameter or a line of HTML.
"""

import datetime
import re
import unicodedata
from urllib.parse import quote

from ..search import hours
from ..search.hours_fr import CLOSED, DAYS, MONTHS, OPEN, join_fr, time_fr

MAX_IDS = 20
# Service ids are slugs (imports/validate.ID_RE, sources/mapping.service_id).
SERVICE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")
SMS_MAX = 459  # 3 concatenated SMS of 153 GSM-7 characters
SMS_NAME_MAX = 36
MAIL_TEXT_MAX = 300  # « À apporter » in an e-mail: the rest is on the fiche
SMS_HEADER = "Services conseillés :"
SMS_FOOTER = "Détails : "
MAIL_SUBJECT = "Services conseillés (annuaire des solidarités du Cantal)"
DAY, MINUTE = datetime.timedelta(days=1), datetime.timedelta(minutes=1)

# GSM 03.38: the basic alphabet counts 1, its extension table 2 (ESC + char).
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = set("^{}\\[~]|€")
# What French text uses outside GSM-7, written with GSM-7 characters.
GSM_LOOKALIKES = str.maketrans(
    {
        "«": '"',
        "»": '"',
        "“": '"',
        "”": '"',
        "„": '"',
        "’": "'",
        "‘": "'",
        "ʼ": "'",
        "–": "-",
        "—": "-",
        "‑": "-",
        "…": "...",
        "·": "-",
        "œ": "oe",
        "Œ": "OE",
        "æ": "ae",
        "\t": " ",
    }
)


def parse_ids(values):
    """(ids, extra, unreadable) from `ids` query values (« a,b,c »): the first
    MAX_IDS distinct well-formed ids in order, how many more were given, and
    how many parts were not service ids at all."""
    found, unreadable = {}, 0
    for value in values:
        for part in value.split(","):
            part = part.strip().lower()
            if not part:
                continue
            if SERVICE_ID.fullmatch(part):
                found.setdefault(part, None)
            else:
                unreadable += 1
    ids = list(found)
    return ids[:MAX_IDS], max(0, len(ids) - MAX_IDS), unreadable


def one_line(text):
    """Whitespace (newlines included) collapsed: a name stays on its line."""
    return " ".join((text or "").split())


def shorten(text, limit):
    text = one_line(text)
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def gsm_text(text):
    """The text in GSM-7 characters only (an SMS with « ê » or « » » would be
    sent as UCS-2: 67 characters a part instead of 153)."""
    out = []
    for char in text.translate(GSM_LOOKALIKES):
        if char in GSM_BASIC or char in GSM_EXTENDED:
            out.append(char)
        elif char.isspace():
            out.append(" ")
        else:
            base = unicodedata.normalize("NFKD", char)
            out.extend(c for c in base if c in GSM_BASIC)
    return "".join(out)


def gsm_length(text):
    """Septets an SMS text takes (extension characters count twice)."""
    return sum(2 if char in GSM_EXTENDED else 1 for char in text)


def sms_segments(text):
    """Number of SMS a GSM-7 text is sent as."""
    length = gsm_length(text)
    return 1 if length <= 160 else -(-length // 153)


def sms_body(services, link_for):
    """(body, count): the SMS text (≤ SMS_MAX septets) and how many services it
    names. It lists the first services that fit, name and phone, then one link
    (`link_for(ids)`) to exactly those services."""
    lines = []
    for service in services:
        name = shorten(service["nom"], SMS_NAME_MAX)
        phone = one_line(service.get("telephone"))
        lines.append(gsm_text(f"{name} : {phone}" if phone else name))
    for count in range(len(services), 0, -1):
        ids = [s["id"] for s in services[:count]]
        body = "\n".join([SMS_HEADER, *lines[:count], SMS_FOOTER + link_for(ids)])
        body = gsm_text(body)
        if gsm_length(body) <= SMS_MAX:
            return body, count
    return "", 0


def sms_href(body):
    """The `sms:` link (the `?&body=` form both Android and iOS read)."""
    return "sms:?&body=" + quote(body, safe="")


def address_line(service):
    """« 1 place X, bâtiment B, 15100 Saint-Flour » on one line."""
    town = one_line(
        f"{service.get('code_postal') or ''} {service.get('commune') or ''}"
    )
    parts = [one_line(service.get(k)) for k in ("adresse", "complement_adresse")]
    return ", ".join(p for p in [*parts, town] if p)


def capitalised(line):
    return line[:1].upper() + line[1:]


def mail_body(services, selection_link):
    """The e-mail text: per service its name, structure, address, phone, hours,
    what to bring and its fiche; then the link to the whole selection."""
    blocks = [
        "Bonjour,",
        "Voici les services dont nous avons parlé "
        "(annuaire des solidarités du Cantal) :",
    ]
    for number, s in enumerate(services, 1):
        lines = [f"{number}. {one_line(s['nom'])}"]
        if s.get("structure_nom") and one_line(s["structure_nom"]) != one_line(
            s["nom"]
        ):
            lines.append(one_line(s["structure_nom"]))
        if address := address_line(s):
            lines.append(f"Adresse : {address}")
        if s.get("telephone"):
            lines.append(f"Téléphone : {one_line(s['telephone'])}")
        for closure in s.get("fermetures_fr") or ():
            motif = f" ({one_line(closure['motif'])})" if closure.get("motif") else ""
            lines.append(f"Attention : {one_line(closure['libelle'])}{motif}")
        if s.get("horaires_lignes"):
            lines.append("Horaires :")
            lines += [f"  {capitalised(line)}" for line in s["horaires_lignes"]]
        elif s.get("horaires"):
            lines.append(f"Horaires : {one_line(s['horaires'])}")
        if s.get("horaires_precisions"):
            lines.append(f"  {shorten(s['horaires_precisions'], MAIL_TEXT_MAX)}")
        if s.get("justificatifs"):
            bring = " ; ".join(one_line(item) for item in s["justificatifs"])
            lines.append(f"À apporter : {shorten(bring, MAIL_TEXT_MAX)}")
        lines.append(f"Fiche : {s['url_complete']}")
        blocks.append("\r\n".join(lines))
    blocks.append(f"Retrouver cette sélection : {selection_link}")
    return "\r\n\r\n".join(blocks)


def mail_href(body, subject=MAIL_SUBJECT):
    """The `mailto:` link with no recipient: the sender picks one."""
    return f"mailto:?subject={quote(subject, safe='')}&body={quote(body, safe='')}"


def _range(start, end):
    if (start, end) == (0, 1440):
        return "24 h/24"
    return f"{time_fr(start)} – {'minuit' if end == 1440 else time_fr(end)}"


def date_fr(day, weekday=False):
    """« 6 décembre 2026 », « 1er mai 2027 », « mardi 8 décembre » (weekday)."""
    first = "1er" if day.day == 1 else str(day.day)
    if weekday:
        return f"{DAYS[day.weekday()]} {first} {MONTHS[day.month - 1]}"
    return f"{first} {MONTHS[day.month - 1]} {day.year}"


def today_hours(text, now):
    """« Aujourd'hui, mardi 8 décembre : 9 h – 12 h et 14 h – 17 h » (or
    « … : fermé »); None without hours or when the day is uncertain."""
    parsed = hours.parse(text) if text else None
    if parsed is None:
        return None
    midnight = hours.local_minute(now).replace(hour=0, minute=0)
    ranges = []
    for start, end, state, _ in parsed.intervals(midnight, midnight + DAY):
        if state == OPEN:
            low = (max(start, midnight) - midnight) // MINUTE
            high = (min(end, midnight + DAY) - midnight) // MINUTE
            if ranges and ranges[-1][1] == low:  # a change of comment only
                ranges[-1] = (ranges[-1][0], high)
            elif low < high:
                ranges.append((low, high))
        elif state != CLOSED:
            return None
    said = join_fr(_range(lo, hi) for lo, hi in ranges) if ranges else "fermé"
    return f"Aujourd'hui, {date_fr(midnight, weekday=True)} : {said}"
