"""Glue between the Flask app and the import engine (config, cached gazetteer)."""

import datetime
import json
import os
import threading

from flask import current_app

from ..catalogue.vocabulary import besoins_choices
from ..db import connect, get_db
from ..geo.gazetteer import Gazetteer
from ..geo.geocoders import make_geocoder
from ..imports import engine
from ..search import hours

_cache = {}  # process-wide: the gazetteer takes ~0.6 s to build
_readers = threading.local()  # per thread: (database file, its connection)


def reading_db():
    """The database for a request that only reads (the API's search): one
    connection kept per thread and database file, where get_db opens one per
    request (SQLite parses the whole schema on a connection's first statement:
    ~0.5 ms, a sixth of a search). Outside a transaction each statement reads
    the last commit; a file replaced at the same path is opened again; an
    in-memory database falls back to get_db."""
    path = current_app.config["DATABASE"]
    try:
        stat = os.stat(path)
    except (OSError, TypeError, ValueError):
        return get_db()
    key = (os.fspath(path), stat.st_dev, stat.st_ino)
    held = getattr(_readers, "held", None)
    if held is not None and held[0] == key:
        if held[1].conn.in_transaction:  # left open by a failed request
            held[1].conn.rollback()
        return held[1]
    if held is not None:
        held[1].close()
    db = connect(path)
    _readers.held = (key, db)
    return db


def get_gazetteer(db):
    """The gazetteer of the communes table, built once per process and content."""
    territory = current_app.config["TERRITOIRE"]
    # Two statements: each is O(1), together in one SELECT SQLite scans the table.
    count = db.conn.execute("select count(*) from communes").fetchone()[0]
    last = db.conn.execute("select max(rowid) from communes").fetchone()[0]
    key = ("gazetteer", territory, count, last)
    if key not in _cache:
        _cache[key] = Gazetteer.from_db(db, territory=territory)
    return _cache[key]


# The needs' slugs and labels in order, as one JSON text built by SQLite.
BESOINS = (
    "select json_group_array(json_array(slug, libelle)) from"
    " (select slug, libelle from besoins order by ordre, rowid)"
)


def get_besoins(db):
    """Choices over the needs table (slug → French label), built once per
    content of the table (one JSON text read per call)."""
    content = db.conn.execute(BESOINS).fetchone()[0]
    if ("besoins", content) not in _cache:
        _cache["besoins", content] = besoins_choices(
            {"slug": s, "libelle": label} for s, label in json.loads(content)
        )
    return _cache["besoins", content]


def clock():
    """Now, in Paris; tests freeze it with the CLOCK setting (a callable)."""
    frozen = current_app.config.get("CLOCK")
    return frozen() if frozen else datetime.datetime.now(hours.PARIS)


def prepare_import(
    db,
    data,
    filename,
    *,
    allowed_structures=None,
    progress=None,
    max_rows=None,
    max_bytes=None,
    refresh_date=None,
    index_ahead=False,
):
    """Dry-run an upload with the app's configuration (`refresh_date`,
    `index_ahead`: see engine.prepare)."""
    config = current_app.config
    return engine.prepare(
        db,
        data,
        filename,
        geocoder=make_geocoder(config, get_gazetteer(db), db=db),
        besoins=get_besoins(db),
        allowed_structures=allowed_structures,
        max_bytes=max_bytes or config["IMPORT_MAX_BYTES"],
        max_rows=max_rows or config["IMPORT_MAX_ROWS"],
        territory=config["TERRITOIRE"],
        progress=progress,
        refresh_date=refresh_date,
        index_ahead=index_ahead,
    )
