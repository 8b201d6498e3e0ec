"""Accounts and the structures they own: partners, admins, prescripteurs. No
Flask imports.

A partner may act on the services of its `user_structures` whose structure is
active; an admin acts on everything. A prescripteur (users.role, issue 14) sends
orientations and owns no structure, whatever user_structures says. Passwords
are werkzeug hashes.
"""

import re

from werkzeug.security import check_password_hash, generate_password_hash

from ..catalogue.times import now

MIN_PASSWORD_LENGTH = 10
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
# Compared against when the e-mail is unknown, so both cases take as long.
_DUMMY_HASH = generate_password_hash("mot de passe factice")


class AccountError(ValueError):
    """A refused account operation; the message is French, `field` names the
    form field it concerns (the e-mail when unsure)."""

    def __init__(self, message, field="email"):
        super().__init__(message)
        self.field = field


def normalize_email(email):
    return (email or "").strip().lower()


def get_user(db, user_id):
    return next(db["users"].rows_where("id = ?", [user_id]), None)


def find_user(db, email):
    return next(db["users"].rows_where("email = ?", [normalize_email(email)]), None)


def check_password(user, password):
    """True when `password` matches; constant work whether the user exists."""
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return False
    return check_password_hash(user["password_hash"], password or "")


PRESCRIPTEUR = "prescripteur"
PARTENAIRE = "partenaire"
ROLES = (PARTENAIRE, PRESCRIPTEUR)
MAX_ORGANISME_LENGTH = 150


def is_prescripteur(user):
    """True for a prescripteur's account (it sends orientations, edits nothing)."""
    return user is not None and user.get("role") == PRESCRIPTEUR


def owned_structures(db, user_id):
    """The active structures an account is attached to: [{id, nom}] by name
    (none for a prescripteur)."""
    return list(
        db.query(
            "select s.id, s.nom from user_structures us"
            " join structures s on s.id = us.structure_id"
            " join users u on u.id = us.user_id"
            " where us.user_id = ? and s.actif = 1"
            " and coalesce(u.role, '') != ?"
            " order by s.nom, s.id",
            [user_id, PRESCRIPTEUR],
        )
    )


def allowed_structures(db, user):
    """Structure ids a user may import into: None (all) for an admin, none
    for a prescripteur."""
    if is_prescripteur(user):
        return set()
    if user["is_admin"]:
        return None
    return {s["id"] for s in owned_structures(db, user["id"])}


def can_edit_service(db, user, service):
    """True when the user may change this service row."""
    allowed = allowed_structures(db, user)
    return allowed is None or service["structure_id"] in allowed


def check_password_rules(password):
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"Le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères."
        )


def check_role(role, organisme, structures, admin):
    """A prescripteur names its organisme and has no structure nor admin right;
    returns (role, organisme) as stored (partners and admins: no organisme)."""
    role = role or PARTENAIRE
    if role not in ROLES:
        raise AccountError(f"Type de compte inconnu : « {role} ».", "type_compte")
    if role == PARTENAIRE:
        if not structures and not admin:
            raise AccountError(
                "Un compte partenaire gère au moins une structure.", "structures"
            )
        return (None if admin else PARTENAIRE), None
    organisme = " ".join((organisme or "").split())
    if not organisme:
        raise AccountError(
            "Indiquez l'organisme du prescripteur (par exemple « CCAS d'Aurillac »).",
            "organisme",
        )
    if len(organisme) > MAX_ORGANISME_LENGTH:
        raise AccountError(
            f"L'organisme compte {MAX_ORGANISME_LENGTH} caractères au plus.",
            "organisme",
        )
    if admin:
        raise AccountError(
            "Un compte prescripteur ne peut pas être administrateur.", "admin"
        )
    if structures:
        raise AccountError(
            "Un compte prescripteur ne gère pas de structure : laissez le champ "
            "des structures vide.",
            "structures",
        )
    return PRESCRIPTEUR, organisme


def create_user(
    db, email, password, structures=(), *, admin=False, role=None, organisme=None
):
    """Create an account (partner attached to existing structures, admin, or
    prescripteur of an organisme); returns its id."""
    email = normalize_email(email)
    if not EMAIL.fullmatch(email):
        raise AccountError(f"Adresse e-mail invalide : « {email} ».")
    check_password_rules(password)
    structures = list(dict.fromkeys(s.strip() for s in structures if s.strip()))
    role, organisme = check_role(role, organisme, structures, admin)
    missing = [s for s in structures if not db["structures"].count_where("id = ?", [s])]
    if missing:
        raise AccountError(
            "Structure inconnue : " + ", ".join(missing) + ".", "structures"
        )
    if find_user(db, email):
        raise AccountError(f"Un compte existe déjà pour {email}.")
    with db.atomic():
        user_id = (
            db["users"]
            .insert(
                {
                    "email": email,
                    "password_hash": generate_password_hash(password),
                    "is_admin": int(admin),
                    "actif": 1,
                    "cree_le": now(),
                    "role": role,
                    "organisme": organisme,
                }
            )
            .last_pk
        )
        db["user_structures"].insert_all(
            {"user_id": user_id, "structure_id": s} for s in structures
        )
    return user_id


def set_user_active(db, user_id, active):
    db["users"].update(user_id, {"actif": int(active)})


def attach(db, user_id, structure_id):
    """Attach a structure to an account (no-op when already attached)."""
    if is_prescripteur(get_user(db, user_id)):
        raise AccountError("Un compte prescripteur ne gère pas de structure.")
    if not db["structures"].count_where("id = ?", [structure_id]):
        raise AccountError(f"Structure inconnue : {structure_id}.")
    db["user_structures"].insert(
        {"user_id": user_id, "structure_id": structure_id}, ignore=True
    )


def detach(db, user_id, structure_id):
    db.execute(
        "delete from user_structures where user_id = ? and structure_id = ?",
        [user_id, structure_id],
    )


def create_structure(db, structure_id, name):
    """A structure with no service yet, so that an account can be attached."""
    structure_id = (structure_id or "").strip()
    name = (name or "").strip()
    if not SLUG.fullmatch(structure_id) or len(structure_id) > 80:
        raise AccountError(
            f"Identifiant de structure invalide : « {structure_id} » (minuscules, "
            "chiffres et tirets, par exemple « epicerie-solidaire-murat »)."
        )
    if len(name) < 3:
        raise AccountError("Le nom de la structure doit compter au moins 3 caractères.")
    if db["structures"].count_where("id = ?", [structure_id]):
        raise AccountError(f"La structure « {structure_id} » existe déjà.")
    stamp = now()
    db["structures"].insert(
        {
            "id": structure_id,
            "nom": name,
            "actif": 1,
            "cree_le": stamp,
            "modifie_le": stamp,
        }
    )


def set_structure_active(db, structure_id, active):
    db["structures"].update(structure_id, {"actif": int(active)})
