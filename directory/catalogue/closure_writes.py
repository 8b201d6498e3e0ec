"""The audited writes of temporary closures (issue 13): a declaration, a
withdrawal, and the undo of either. Each is ONE transaction that also writes an
entry of the imports log (genre 'fermeture') with one change row keyed
`fermeture:<id>`, so that « Historique » lists it and its undo replays it; the
other imports never block on it. Pure core: no Flask imports."""

import json

from .closures import (
    GENRES,
    ClosureError,
    clean_motif,
    get,
    label,
    of_service,
    period_fr,
)
from .times import now
from .transactions import log_entry, writing

LOG_GENRE = "fermeture"  # imports.genre of a declaration or a withdrawal
KEY_PREFIX = "fermeture:"  # changes.service_id of a closure's entry
DECLARED, WITHDRAWN = "fermeture-declaration", "fermeture-retrait"
# « Fermeture déclarée », « Horaires exceptionnels déclarés », « Complet déclaré ».
ENDINGS = {"fermeture": "e", "horaires": "s", "complet": ""}


def _overlap(db, service_id, genre, debut, fin, today, skip=None):
    """An active period of the same genre sharing a day with [debut, fin]."""
    for closure in of_service(db, service_id, today):
        if closure.genre == genre and closure.id != skip:
            if closure.debut <= fin and debut <= closure.fin:
                return closure
    return None


def _overlap_message(closure, today):
    return (
        f"Ce service a déjà une période « {GENRES[closure.genre].lower()} » "
        f"{period_fr(closure.debut, closure.fin, today)} : retirez-la d'abord ou "
        "choisissez d'autres dates."
    )


def _entry_text(service, closure, today):
    text = f"« {service['nom']} » : {label(closure, today, closure.horaires)}"
    return text + f" — {closure.motif}" if closure.motif else text


def _log(db, service, closure, action, today, *, user, stamp):
    """The imports-log entry and its one change row; returns the entry's id."""
    verb = "déclaré" if action == DECLARED else "retiré"
    title = GENRES[closure.genre].split(" /")[0]
    period = period_fr(closure.debut, closure.fin, today)
    entry = log_entry(
        db,
        user=user,
        label=f"{title} {verb}{ENDINGS[closure.genre]} : « {service['nom']} », "
        f"{period}",
        lines=1,
        genre=LOG_GENRE,
        stamp=stamp,
    )
    db["imports"].update(entry, {"structure_id": service["structure_id"]})
    text = _entry_text(service, closure, today)
    before, after = (None, text) if action == DECLARED else (text, "retirée")
    db["changes"].insert(
        {
            "import_id": entry,
            "service_id": f"{KEY_PREFIX}{closure.id}",
            "action": action,
            "champ": "fermeture",
            "avant": json.dumps(before, ensure_ascii=False),
            "apres": json.dumps(after, ensure_ascii=False),
        }
    )
    return entry


def declare(db, service, values, *, user, user_id, today):
    """Record a checked declaration ({genre, debut, fin, motif, horaires}: dates
    as dates) and its log entry in one transaction; returns (closure, entry id).
    Refused (ClosureError) when it overlaps an active one of the same genre."""
    genre, debut, fin = values["genre"], values["debut"], values["fin"]
    hours_text = (values.get("horaires") or "").strip() or None
    if genre != "horaires":
        hours_text = None  # the field is for exceptional hours only
    stamp = now()
    with writing(db):
        other = _overlap(db, service["id"], genre, debut, fin, today)
        if other is not None:
            raise ClosureError(_overlap_message(other, today))
        closure_id = (
            db["fermetures"]
            .insert(
                {
                    "service_id": service["id"],
                    "genre": genre,
                    "debut": debut.isoformat(),
                    "fin": fin.isoformat(),
                    "motif": clean_motif(values.get("motif")),
                    "horaires": hours_text,
                    "cree_par": user_id,
                    "cree_le": stamp,
                    "annule_le": None,
                }
            )
            .last_pk
        )
        closure = get(db, closure_id)
        entry = _log(db, service, closure, DECLARED, today, user=user, stamp=stamp)
    return closure, entry


def withdraw(db, service, closure, *, user, today):
    """Withdraw an active period (audited); returns the log entry's id."""
    stamp = now()
    with writing(db):
        current = get(db, closure.id)
        if current is None or current.annule_le is not None:
            raise ClosureError("Cette période a déjà été retirée.")
        db["fermetures"].update(closure.id, {"annule_le": stamp})
        return _log(db, service, current, WITHDRAWN, today, user=user, stamp=stamp)


def is_entry(db, import_id):
    """True when this imports-log entry is a closure's declaration or withdrawal."""
    row = next(db["imports"].rows_where("id = ?", [import_id]), None)
    return bool(row) and row["genre"] == LOG_GENRE


def undo(db, import_id, *, today):
    """Undo a declaration (the period is withdrawn) or a withdrawal (it is
    restored), in one transaction, the entry marked undone; returns 1."""
    row = next(db["imports"].rows_where("id = ?", [import_id]), None)
    if row is None or row["genre"] != LOG_GENRE:
        raise ClosureError(f"Entrée n°{import_id} introuvable.")
    if row["statut"] != "applique":
        raise ClosureError(f"L'entrée n°{import_id} a déjà été annulée.")
    change = next(db["changes"].rows_where("import_id = ?", [import_id]))
    later = [
        r["import_id"]
        for r in db.query(
            "select distinct c.import_id from changes c join imports i"
            " on i.id = c.import_id where c.service_id = ? and c.import_id > ?"
            " and i.statut = 'applique' order by 1",
            [change["service_id"], import_id],
        )
    ]
    if later:
        numbers = ", ".join(f"n°{n}" for n in later)
        raise ClosureError(
            f"Impossible d'annuler l'entrée n°{import_id} : {numbers} a changé "
            "depuis la même période. Annulez d'abord cette entrée."
        )
    closure_id = int(change["service_id"].removeprefix(KEY_PREFIX))
    stamp = now()
    with writing(db):
        closure = get(db, closure_id)
        if change["action"] == DECLARED:
            db["fermetures"].update(closure_id, {"annule_le": stamp})
        else:
            other = _overlap(
                db,
                closure.service_id,
                closure.genre,
                closure.debut,
                closure.fin,
                today,
                skip=closure_id,
            )
            if other is not None:
                raise ClosureError(_overlap_message(other, today))
            db["fermetures"].update(closure_id, {"annule_le": None})
        db["imports"].update(import_id, {"statut": "annule", "annule_le": stamp})
    return 1
