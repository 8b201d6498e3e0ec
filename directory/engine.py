"""Glue between the Flask app and the import engine (config, cached gazetteer)."""

from flask import current_app

from . import importer
from .geocoding import Gazetteer, make_geocoder
from .vocabulary import besoins_choices


def get_gazetteer(db):
    """The gazetteer, built once per process from the communes table."""
    cache = current_app.extensions.setdefault("directory", {})
    if "gazetteer" not in cache:
        cache["gazetteer"] = Gazetteer.from_db(
            db, territory=current_app.config["TERRITOIRE"]
        )
    return cache["gazetteer"]


def get_besoins(db):
    """Choices over the needs table (slug → French label)."""
    rows = db.query("select slug, libelle from besoins order by ordre")
    return besoins_choices(rows)


def prepare_import(
    db,
    data,
    filename,
    *,
    allowed_structures=None,
    progress=None,
    max_rows=None,
    max_bytes=None,
):
    """Dry-run an upload with the app's configuration."""
    config = current_app.config
    return importer.prepare(
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
    )
