"""Write transactions that take SQLite's write lock up front.

A deferred `BEGIN` that reads before it writes cannot wait for another writer:
when its snapshot is stale, the upgrade to a write fails at once with
« database is locked » (the busy timeout does not apply). `BEGIN IMMEDIATE`
waits its turn instead. Nested use becomes a savepoint of the outer transaction.
"""

import contextlib

from .times import now


@contextlib.contextmanager
def writing(db):
    """`with writing(db):` one all-or-nothing write that waits for the lock."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    try:
        db.conn.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise


def log_entry(db, *, user, label, lines, genre=None, stamp=None):
    """Open the imports-log entry of an audited write that is no file (a fiche
    edit, a merge, a recomputation): its changes rows name this id, and undo
    replays them. Counts start at 0; returns the id."""
    return (
        db["imports"]
        .insert(
            {
                "utilisateur": user,
                "fichier": label,
                "cree_le": stamp or now(),
                "lignes": lines,
                "nouveaux": 0,
                "modifies": 0,
                "inchanges": 0,
                "fermes": 0,
                "statut": "applique",
                "genre": genre,
            }
        )
        .last_pk
    )
