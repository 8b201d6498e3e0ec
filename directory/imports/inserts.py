"""Inserting many new services at once: the secondary indexes rebuilt once
instead of grown row by row. No Flask imports."""

import itertools
from contextlib import contextmanager

from ..catalogue.services import MULTI
from ..schema import PROVENANCE_COLUMNS
from .records import RECORD_COLUMNS
from .spool import TABLE

INSERT_COLUMNS = [*RECORD_COLUMNS, "cree_le", "modifie_le"]
# A partner's file has no provenance: its rows leave those last columns NULL.
PLAIN = len(RECORD_COLUMNS) - len(PROVENANCE_COLUMNS)
PLAIN_COLUMNS = [*RECORD_COLUMNS[:PLAIN], "cree_le", "modifie_le"]
BULK = 500  # from this many new services, consider rebuilding the indexes
BULK_CACHE_KB = 16384  # SQLite page cache during a bulk insert
# ... in file order (module search.ahead): the ids' index takes them in any
# order, and stays in this cache (≈ 100 MB at 1 000 000 services, at most).
ROWIDS_CACHE_KB = 131072
_attached = itertools.count(1)  # names of attached spools


def insert_services(db, records, stamp, *, provenance=True, sql):
    """Insert new services (a list of Records or tuples).

    :param sql: the INSERT that `bulk_insert`, around this batch, yields.
    """
    if not records:
        return
    stamps = (stamp, stamp)
    if provenance:
        rows = [tuple(r) + stamps for r in records]
    else:
        rows = [r[:PLAIN] + stamps for r in records]
    db.conn.executemany(sql, rows)


@contextmanager
def bulk_insert(db, count, *, provenance=True):
    """Around the insertion of `count` new services (yields the INSERT): when
    they outnumber the existing rows, rebuild the secondary indexes once at
    the end instead of growing them row by row.

    The indexes are dropped and re-created inside the caller's transaction
    (SQLite DDL is transactional): a crash restores them too.
    """
    columns = INSERT_COLUMNS if provenance else PLAIN_COLUMNS
    sql = (
        f"insert into services ({', '.join(columns)}) "
        f"values ({', '.join('?' * len(columns))})"
    )
    if count < BULK:
        yield sql
        return
    conn = db.conn
    existing = conn.execute("select count(*) from services").fetchone()[0]
    saved = _drop_indexes(conn) if count >= existing else []
    # A bigger page cache spares rewriting b-tree pages to the WAL many times.
    cache = conn.execute("pragma cache_size").fetchone()[0]
    conn.execute(f"pragma cache_size = {-BULK_CACHE_KB}")
    try:
        yield sql
        for _, create in saved:
            conn.execute(create)
    finally:
        conn.execute(f"pragma cache_size = {int(cache)}")


@contextmanager
def attached(db, spool):
    """The spooled rows' table, its scratch file attached to `db` (None for
    records held in memory, or within a caller's transaction: SQLite cannot
    ATTACH there). Detached on leaving."""
    if not spool.spilled or db.conn.in_transaction:
        yield None
        return
    spool.flush()
    spool.index()  # ids in order without sorting whole rows
    name = f"import_spool_{next(_attached)}"
    db.conn.execute(f"attach database ? as {name}", [spool.path])
    try:
        yield f"{name}.{TABLE}"
    finally:
        db.conn.execute(f"detach database {name}")


def insert_spooled(db, table, import_id, stamp, *, provenance=True, rowids=0):
    """Copy the new services of a spool's attached `table` into `services`,
    `service_besoins` and the audit's creation rows, each in its b-tree's
    order, all in SQL. `rowids`: the spool's row count, when each service is
    to get its spool row's rowid (its place in the file: module search.ahead).

    The spool's index on ids gives that order without sorting whole rows; the
    services' own indexes then grow in place (in id order, mostly at their
    ends), which costs less than dropping them and scanning the table again.
    """
    conn = db.conn
    columns = INSERT_COLUMNS if provenance else PLAIN_COLUMNS
    picked = [f"[{c}]" for c in columns[:-2]]
    if provenance:  # importe_le: when this import wrote it
        picked[-1] = ":stamp"
    saved, order, kb = [], "id", BULK_CACHE_KB
    if rowids:  # in file order: indexes built after, the ids' index in cache
        columns, picked, order = ["rowid", *columns], ["rowid", *picked], "rowid"
        saved = _drop_indexes(conn)
        kb = max(BULK_CACHE_KB, min(ROWIDS_CACHE_KB, rowids // 10))  # ~100 B each
    cache = conn.execute("pragma cache_size").fetchone()[0]
    conn.execute(f"pragma cache_size = {-kb}")
    try:
        _copy_spooled(conn, table, columns, picked, order, import_id, stamp)
        for _, create in saved:
            conn.execute(create)
    finally:
        conn.execute(f"pragma cache_size = {int(cache)}")


def _drop_indexes(conn):
    """Drop the services' secondary indexes (in the caller's transaction);
    returns [(name, sql)] to create them again."""
    saved = conn.execute(
        "select name, sql from sqlite_master where tbl_name = 'services'"
        " and type = 'index' and sql is not null"
    ).fetchall()
    for name, _ in saved:
        conn.execute(f"drop index [{name}]")
    return saved


def _copy_spooled(conn, table, columns, picked, order, import_id, stamp):
    # In `order`: id, or the spool's rowid when services get it (the table's
    # b-tree then grows at its end, the ids' index takes them as they come).
    conn.execute(
        f"insert into services ({', '.join(columns)})"
        f" select {', '.join(picked)}, :stamp, :stamp from {table} order by {order}",
        {"stamp": stamp},
    )
    # Needs are slugs (letters, digits, dashes) joined by MULTI: a JSON array.
    # In id order, each need's part of the (need, id) b-tree grows at its end:
    # a few hot pages, no sort.
    conn.execute(
        "insert into service_besoins (besoin, service_id)"
        " select need.value, spool.id"
        f" from {table} spool, json_each('[\"' || replace(spool.besoins, :multi,"
        " '\",\"') || '\"]') need order by spool.id",
        {"multi": MULTI},
    )
    conn.execute(
        "insert into changes (import_id, service_id, action, champ, avant, apres)"
        f" select :import, id, 'creation', null, 'null', 'null' from {table}"
        " order by id",
        {"import": import_id},
    )
