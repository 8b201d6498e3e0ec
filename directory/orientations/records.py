"""Orientations as stored: validation of a new one, the status transitions, the
queries of each side. No Flask imports; times are passed in (aware datetimes).

A prescripteur sends (`envoyee`); the receiving structure accepts or refuses
(with a message), then marks an accepted one « prise en charge ». Every change
is one row of `orientation_evenements`, written with the orientation's own row
in one transaction.
"""

import re

from email_validator import EmailNotValidError, validate_email

from ..catalogue.text import clean_text
from ..catalogue.times import stamp

LABELS = {
    "envoyee": "envoyée",
    "acceptee": "acceptée",
    "refusee": "refusée",
    "prise-en-charge": "prise en charge",
}
# The statuses each status may move to (the structure's answers).
TRANSITIONS = {"envoyee": ("acceptee", "refusee"), "acceptee": ("prise-en-charge",)}
BY = {
    "prescripteur": "la personne qui oriente",
    "partenaire": "la structure",
    "lien": "la structure (lien reçu par courriel)",
    "admin": "l'équipe du Département",
}
MAX_PRENOM = 50
MAX_MOTIF = 1000
MAX_MESSAGE = 1000
MAX_CONTACT = 254
CONSENT_NEEDED = (
    "Le contact n'est enregistré qu'avec l'accord de la personne : cochez la case "
    "ou laissez le contact vide."
)
MESSAGE_NEEDED = (
    "Expliquez le refus en quelques mots : la personne qui a orienté le lira."
)
PHONE_SEPARATORS = re.compile(r"[\s.\-()/]")
FRENCH_PHONE = re.compile(r"0[1-9]\d{8}")
SPACES = re.compile(r"\s+")
LIST_LIMIT = 500


class OrientationError(ValueError):
    """A refused orientation or answer: `errors` maps a field to its French
    message (str(exc) joins them)."""

    def __init__(self, errors):
        self.errors = errors if isinstance(errors, dict) else {"": errors}
        super().__init__(" ".join(self.errors.values()))


def one_line(value):
    """Text without control characters, its spaces and line breaks collapsed."""
    return SPACES.sub(" ", clean_text(value or "")).strip()


def check_contact(value):
    """A French phone (→ « 06 12 34 56 78 ») or an e-mail → (value, error)."""
    digits = PHONE_SEPARATORS.sub("", value)
    if digits.startswith("+33"):
        digits = "0" + digits[3:]
    elif digits.startswith("0033"):
        digits = "0" + digits[4:]
    if FRENCH_PHONE.fullmatch(digits):
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2)), None
    if "@" in value and len(value) <= MAX_CONTACT:
        try:
            return validate_email(value, check_deliverability=False).normalized, None
        except EmailNotValidError:
            pass
    return None, (
        "Contact invalide : un numéro de téléphone français (10 chiffres, par "
        "exemple 06 12 34 56 78) ou une adresse e-mail."
    )


def validate(values):
    """The values of a new orientation → (clean values, {field: French error})."""
    prenom = one_line(values.get("prenom"))
    initiale = one_line(values.get("initiale")).rstrip(".").strip().upper()
    contact = one_line(values.get("contact"))
    motif = clean_text(values.get("motif") or "").strip()
    consent = bool(values.get("consentement"))
    errors = {}
    if not prenom:
        errors["prenom"] = "Indiquez le prénom de la personne."
    elif len(prenom) > MAX_PRENOM:
        errors["prenom"] = f"Le prénom compte {MAX_PRENOM} caractères au plus."
    if len(initiale) != 1 or not initiale.isalpha():
        errors["initiale"] = "Indiquez l'initiale du nom : une seule lettre."
    if not motif:
        errors["motif"] = "Indiquez le motif de l'orientation."
    elif len(motif) > MAX_MOTIF:
        errors["motif"] = (
            f"Le motif compte {MAX_MOTIF} caractères au plus ({len(motif)} saisis)."
        )
    if contact and not consent:
        errors["contact"] = CONSENT_NEEDED
    elif contact:
        contact, error = check_contact(contact)
        if error:
            errors["contact"] = error
    clean = {
        "prenom": prenom,
        "initiale": initiale,
        "contact": contact or None,
        "motif": motif,
        "consentement": consent,
    }
    return clean, errors


def create(db, *, service, prescripteur_id, values, now, courriel_service=None):
    """Store a new orientation to `service` (a services row) and its first
    event; returns its id. Raises OrientationError on invalid values."""
    clean, errors = validate(values)
    if errors:
        raise OrientationError(errors)
    when = stamp(now)
    with db.atomic():
        orientation_id = (
            db["orientations"]
            .insert(
                {
                    "service_id": service["id"],
                    "structure_id": service["structure_id"],
                    "prescripteur_id": prescripteur_id,
                    "prenom": clean["prenom"],
                    "initiale": clean["initiale"],
                    "contact": clean["contact"],
                    "consentement_le": when if clean["consentement"] else None,
                    "motif": clean["motif"],
                    "statut": "envoyee",
                    "reponse": None,
                    "courriel_service": courriel_service,
                    "cree_le": when,
                    "modifie_le": when,
                    "anonymise_le": None,
                }
            )
            .last_pk
        )
        db["orientation_evenements"].insert(
            {
                "orientation_id": orientation_id,
                "statut": "envoyee",
                "message": None,
                "par": "prescripteur",
                "user_id": prescripteur_id,
                "le": when,
            }
        )
    return orientation_id


def discard(db, orientation_id):
    """Remove an orientation that could not be delivered (the e-mail to a
    service without account failed): nothing of it is kept."""
    with db.atomic():
        db.execute(
            "delete from orientation_evenements where orientation_id = ?",
            [orientation_id],
        )
        db.execute("delete from orientations where id = ?", [orientation_id])


def allowed(orientation, statut):
    """True when the orientation may move to `statut` now."""
    return orientation["anonymise_le"] is None and statut in TRANSITIONS.get(
        orientation["statut"], ()
    )


def transition(db, orientation_id, statut, *, message, par, user_id, now):
    """Move an orientation to `statut` with the structure's message, all or
    nothing; returns the updated row. Raises OrientationError when refused."""
    message = clean_text(message or "").strip()
    if statut == "refusee" and not message:
        raise OrientationError({"message": MESSAGE_NEEDED})
    if len(message) > MAX_MESSAGE:
        raise OrientationError(
            {"message": f"Le message compte {MAX_MESSAGE} caractères au plus."}
        )
    when = stamp(now)
    with db.atomic():
        row = get(db, orientation_id)
        if row is None or not allowed(row, statut):
            current = LABELS.get(row["statut"], "") if row else ""
            raise OrientationError(
                f"Cette orientation est déjà « {current} » : elle ne peut pas "
                f"passer à « {LABELS.get(statut, statut)} »."
            )
        cursor = db.execute(
            "update orientations set statut = ?, reponse = coalesce(?, reponse),"
            " modifie_le = ? where id = ? and statut = ? and anonymise_le is null",
            [statut, message or None, when, orientation_id, row["statut"]],
        )
        if cursor.rowcount != 1:  # changed by someone else meanwhile
            raise OrientationError("Cette orientation vient de changer : rechargez.")
        db["orientation_evenements"].insert(
            {
                "orientation_id": orientation_id,
                "statut": statut,
                "message": message or None,
                "par": par,
                "user_id": user_id,
                "le": when,
            }
        )
    return get(db, orientation_id)


SELECT = (
    "select o.*, coalesce(s.nom, o.service_id) as service_nom,"
    " coalesce(st.nom, o.structure_id) as structure_nom,"
    " u.email as prescripteur_email, u.organisme as prescripteur_organisme"
    " from orientations o left join services s on s.id = o.service_id"
    " left join structures st on st.id = o.structure_id"
    " left join users u on u.id = o.prescripteur_id"
)


def get(db, orientation_id):
    """One orientation with its service, structure and prescripteur, or None."""
    return next(db.query(SELECT + " where o.id = ?", [orientation_id]), None)


def events(db, orientation_id):
    """Its history, oldest first."""
    return list(
        db.query(
            "select * from orientation_evenements where orientation_id = ?"
            " order by le, id",
            [orientation_id],
        )
    )


def sent_by(db, prescripteur_id):
    """The orientations a prescripteur sent, last changed first."""
    return list(
        db.query(
            SELECT + " where o.prescripteur_id = ? order by o.modifie_le desc, o.id"
            " desc limit ?",
            [prescripteur_id, LIST_LIMIT],
        )
    )


def received_by(db, structure_ids):
    """The orientations addressed to these structures: pending first."""
    ids = sorted(structure_ids)
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    return list(
        db.query(
            SELECT + f" where o.structure_id in ({marks})"
            " order by o.statut = 'envoyee' desc, o.modifie_le desc, o.id desc"
            " limit ?",
            [*ids, LIST_LIMIT],
        )
    )


def pending_counts(db, structure_ids):
    """{structure_id: orientations waiting for an answer} (zeros left out)."""
    ids = sorted(structure_ids)
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    return {
        row["structure_id"]: row["n"]
        for row in db.query(
            "select structure_id, count(*) as n from orientations"
            f" where statut = 'envoyee' and anonymise_le is null"
            f" and structure_id in ({marks}) group by structure_id",
            ids,
        )
    }


def recipients(db, structure_id):
    """E-mails of the active partner accounts of an active structure (no
    prescripteur, no admin): those who answer in their space."""
    return [
        row["email"]
        for row in db.query(
            "select distinct u.email from users u"
            " join user_structures us on us.user_id = u.id"
            " join structures s on s.id = us.structure_id"
            " where us.structure_id = ? and s.actif = 1 and u.actif = 1"
            " and u.is_admin = 0 and coalesce(u.role, 'partenaire') != 'prescripteur'"
            " order by u.email",
            [structure_id],
        )
    ]


def admin_counts(db):
    """Counts only, never a name or a text: by status, by month of sending, and
    by structure (each status)."""
    by_status = {
        row["statut"]: row["n"]
        for row in db.query(
            "select statut, count(*) as n from orientations group by statut"
        )
    }
    by_month = list(
        db.query(
            "select substr(cree_le, 1, 7) as mois, count(*) as n from orientations"
            " group by mois order by mois desc limit 36"
        )
    )
    by_structure = list(
        db.query(
            "select o.structure_id, coalesce(st.nom, o.structure_id) as nom,"
            " count(*) as total,"
            " sum(o.statut = 'envoyee') as envoyee,"
            " sum(o.statut = 'acceptee') as acceptee,"
            " sum(o.statut = 'refusee') as refusee,"
            " sum(o.statut = 'prise-en-charge') as prise_en_charge"
            " from orientations o left join structures st on st.id = o.structure_id"
            " group by o.structure_id order by total desc, nom"
        )
    )
    return {
        "statuts": [(LABELS[s], by_status.get(s, 0)) for s in LABELS],
        "total": sum(by_status.values()),
        "mois": by_month,
        "structures": by_structure,
    }
