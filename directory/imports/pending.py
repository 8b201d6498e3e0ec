"""Pending uploads between the preview and the confirmation. No Flask imports.

The uploaded bytes are kept in `depots` under a random token bound to the
account, until they expire. Confirming first CLAIMS the token with one atomic
UPDATE (statut 'en-attente' → 'en-cours'): its row count decides who applies,
so two concurrent confirmations apply once. The engine then re-reads the stored
bytes (the database may have changed since the preview) and applies only when
the file is still clean and its changes are exactly the previewed ones.
"""

import datetime
import hashlib
import json
import secrets
from dataclasses import dataclass

from ..catalogue.times import stamp
from ..catalogue.transactions import writing
from . import engine

PENDING, CLAIMED, APPLIED, REFUSED = "en-attente", "en-cours", "applique", "refuse"
DEFAULT_LIFETIME_SECONDS = 3600
KEEP_DAYS = 7  # finished and expired rows are deleted after this


@dataclass
class Outcome:
    """What a confirmation did: status applied | refused | changed | invalid."""

    status: str
    message: str
    report: object = None
    import_id: int | None = None
    token: str | None = None


def digest(report):
    """Fingerprint of what a clean report would write (the preview's content)."""
    h = hashlib.sha256()
    for record in sorted(report.new, key=lambda r: r["id"]):
        h.update(json.dumps(list(record), ensure_ascii=False).encode())
    for change in sorted(report.changed, key=lambda c: c.record["id"]):
        h.update(
            json.dumps(
                [change.record["id"], change.fields], ensure_ascii=False
            ).encode()
        )
    h.update(json.dumps(sorted(report.structures.items())).encode())
    if report.refreshed:  # the rows re-dated, and to which day
        h.update(json.dumps([report.refresh_date, sorted(report.refreshed)]).encode())
    return h.hexdigest()


def store(db, user_id, filename, data, report, now, lifetime=DEFAULT_LIFETIME_SECONDS):
    """Keep a previewed file; returns its token."""
    purge(db, now)
    token = secrets.token_urlsafe(32)
    db["depots"].insert(
        {
            "token": token,
            "user_id": user_id,
            "fichier": filename,
            "contenu": data,
            "apercu": digest(report),
            "cree_le": stamp(now),
            "expire_le": stamp(now + datetime.timedelta(seconds=lifetime)),
            "statut": PENDING,
            "import_id": None,
        }
    )
    return token


def purge(db, now):
    """Delete rows expired for more than KEEP_DAYS days."""
    limit = stamp(now - datetime.timedelta(days=KEEP_DAYS))
    db.execute("delete from depots where expire_le < ?", [limit])


def claim(db, token, user_id, now):
    """Take a pending, unexpired token of this user; the row, or None if taken."""
    cursor = db.execute(
        "update depots set statut = ? where token = ? and user_id = ?"
        " and statut = ? and expire_le > ?",
        [CLAIMED, token or "", user_id, PENDING, stamp(now)],
    )
    if cursor.rowcount != 1:
        return None
    return next(db["depots"].rows_where("token = ?", [token]))


def refusal(db, token, user_id, now):
    """Why a token cannot be confirmed, in French (foreign = unknown)."""
    row = next(
        db["depots"].rows_where("token = ? and user_id = ?", [token or "", user_id]),
        None,
    )
    if row is None:
        return (
            "Ce dépôt de fichier est introuvable : le lien est invalide. "
            "Déposez à nouveau votre fichier."
        )
    if row["statut"] == APPLIED:
        return f"Ce fichier a déjà été importé (import n°{row['import_id']})."
    if row["statut"] == CLAIMED:
        return (
            "Ce fichier est déjà en cours d'import : consultez l'historique "
            "dans un instant."
        )
    if row["statut"] == REFUSED:
        return "Ce dépôt a été abandonné. Déposez à nouveau votre fichier."
    if row["expire_le"] <= stamp(now):
        return (
            "Ce dépôt a expiré : l'aperçu n'est plus valable. "
            "Déposez à nouveau votre fichier."
        )
    return "Ce dépôt ne peut pas être confirmé. Déposez à nouveau votre fichier."


def finish(db, token, status, import_id=None):
    """Close a claimed token; the stored bytes are no longer needed."""
    db.execute(
        "update depots set statut = ?, import_id = ?, contenu = null where token = ?",
        [status, import_id, token],
    )


def release(db, token, new_digest):
    """Give a claimed token back (after an error, or a new preview to confirm)."""
    db.execute(
        "update depots set statut = ?, apercu = ? where token = ? and statut = ?",
        [PENDING, new_digest, token, CLAIMED],
    )


def discard(db, token, user_id):
    """Abandon a pending upload of this user; True if there was one."""
    cursor = db.execute(
        "update depots set statut = ?, contenu = null"
        " where token = ? and user_id = ? and statut = ?",
        [REFUSED, token or "", user_id, PENDING],
    )
    return cursor.rowcount == 1


def confirm(db, token, user, now, prepare):
    """Claim, re-validate and apply a pending upload in one transaction.

    :param user: the account row (its id owns the token, its e-mail is logged).
    :param prepare: callable(bytes, filename) → ImportReport (a dry run).
    """
    row = claim(db, token, user["id"], now)
    if row is None:
        return Outcome("invalid", refusal(db, token, user["id"], now))
    try:
        report = prepare(row["contenu"], row["fichier"])
        if not report.ok:
            finish(db, token, REFUSED)
            return Outcome(
                "refused",
                "Le fichier n'est plus valable avec les données actuelles : "
                "rien n'a été enregistré. Corrigez-le puis déposez-le à nouveau.",
                report,
            )
        if not report.writes:
            finish(db, token, REFUSED)
            return Outcome(
                "refused",
                "Aucune modification : les fiches sont déjà à jour.",
                report,
            )
        current = digest(report)
        if current != row["apercu"]:
            release(db, token, current)
            return Outcome(
                "changed",
                "Les fiches ont changé depuis l'aperçu : vérifiez le nouvel aperçu "
                "ci-dessous puis confirmez à nouveau.",
                report,
                token=token,
            )
        structures = list(report.structures)
        with writing(db):
            import_id = engine.apply(
                db,
                report,
                user=user["email"],
                structure_id=structures[0] if len(structures) == 1 else None,
            )
            finish(db, token, APPLIED, import_id)
    except BaseException:
        release(db, token, row["apercu"])
        raise
    return Outcome("applied", f"Import n°{import_id} enregistré.", report, import_id)
