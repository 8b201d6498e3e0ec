"""Which services changed since an index version was built, from the import
journal: the services of the imports applied or undone since then (their
`changes` rows). None when the journal cannot tell (a restore, an undo that
disappeared, an unknown version): the index is then rebuilt whole.
No Flask imports."""

RESTORE = "restauration de "  # imports.records.RESTORE_PREFIX (tests check)
CHUNK = 500


def state(db):
    """The journal state an index version is built from (stored beside it)."""
    top = db.conn.execute("select coalesce(max(id), 0) from imports").fetchone()[0]
    undone = [
        r[0]
        for r in db.conn.execute(
            "select id from imports where statut = 'annule' order by id"
        )
    ]
    return {"top": top, "last": _fingerprint(db, top), "annules": undone}


def _fingerprint(db, import_id):
    row = db.conn.execute(
        "select id, cree_le, fichier, utilisateur from imports where id = ?",
        [import_id],
    ).fetchone()
    return "|".join(str(v) for v in row) if row else ""


def since(db, previous):
    """Ids of the services the journal changed since `previous` (a `state`),
    or None when only a full rebuild is safe."""
    if not previous or _fingerprint(db, previous["top"]) != previous["last"]:
        return None
    now = state(db)
    if not set(previous["annules"]) <= set(now["annules"]):
        return None
    newer = db.conn.execute(
        "select id, fichier from imports where id > ?", [previous["top"]]
    ).fetchall()
    if any((fichier or "").startswith(RESTORE) for _, fichier in newer):
        return None
    imports = sorted(
        {i for i, _ in newer} | (set(now["annules"]) - set(previous["annules"]))
    )
    found = set()
    for start in range(0, len(imports), CHUNK):
        chunk = imports[start : start + CHUNK]
        marks = ",".join("?" * len(chunk))
        found.update(
            r[0]
            for r in db.conn.execute(
                f"select distinct service_id from changes where import_id in ({marks})",
                chunk,
            )
        )
    return sorted(found)
