"""Database handle (sqlite-utils) kept on flask.g, as in flaskr."""

import sqlite3

import sqlite_utils
from flask import current_app, g

BUSY_TIMEOUT_MS = 10_000


def connect(path):
    """Open the database file with WAL, a busy timeout and foreign keys."""
    conn = sqlite3.connect(
        str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
    )
    db = sqlite_utils.Database(conn)
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA foreign_keys = ON")
    # With WAL, NORMAL never corrupts the file; a power cut may only lose the
    # last commits, which is the usual trade-off for a web application.
    db.execute("PRAGMA synchronous = NORMAL")
    return db


def get_db():
    """Return the request's sqlite_utils.Database, opening it on first use."""
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"])
    return g.db


def close_db(e=None):
    """Close the request's database connection, if any."""
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_app(app):
    """Register the teardown; the CLI is registered by directory.cli."""
    app.teardown_appcontext(close_db)
