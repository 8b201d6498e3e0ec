"""Annuaire des solidarités du Cantal: the Flask application factory.

The core (catalogue/, geo/, imports/, search/, opendata/, sources/,
orientations/) never imports Flask; web/ and partners/ are the Flask layer;
cli.py, db.py and schema.py sit here."""

import os

from flask import Flask
from flask_compress import Compress
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
# Pages and JSON gzip/brotli-compressed: phones on a weak rural signal.
compress = Compress()


def create_app(test_config=None):
    """Create and configure the app (flaskr style, plus FLASK_* environment)."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    app.config.from_mapping(
        SECRET_KEY="dev",
        DATABASE=os.path.join(app.instance_path, "directory.db"),
        DATA_DIR=os.path.join(os.path.dirname(app.root_path), "data"),
        TERRITOIRE="15",
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        IMPORT_MAX_BYTES=2 * 1024 * 1024,
        IMPORT_MAX_ROWS=5000,
        GEOCODER="offline",
        BAN_DOMAIN="data.geopf.fr/geocodage",
        GEOCODER_USER_AGENT="annuaire-solidarites-cantal",
        # data·inclusion import (flask import-datainclusion --api)
        DATA_INCLUSION_URL="https://api.data.inclusion.gouv.fr",
        DATA_INCLUSION_TOKEN=os.environ.get("DATA_INCLUSION_TOKEN") or None,
        DATA_INCLUSION_TIMEOUT=30,  # seconds per request
        DATA_INCLUSION_RETRIES=4,  # on 429/5xx and connection errors
        DATA_INCLUSION_BACKOFF=1.0,  # exponential backoff factor, seconds
        DATA_INCLUSION_PAGE_SIZE=1000,
        DATA_INCLUSION_MAX_PAGE_BYTES=50 * 1024 * 1024,
        MAP_TILES_URL="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        MAP_TILES_ATTRIBUTION=(
            '&copy; <a href="https://www.openstreetmap.org/copyright">'
            "les contributeurs d’OpenStreetMap</a>"
        ),
        MAP_CENTER=(45.03, 2.67),
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        # Static files stream from disk; compressing them leaks their file handle.
        COMPRESS_STREAMS=False,
        # E-mail of the orientations (issue 14): off while MAIL_SERVER is empty.
        MAIL_SERVER=None,
        MAIL_PORT=25,
        MAIL_USE_TLS=False,
        MAIL_USERNAME=None,
        MAIL_PASSWORD=None,
        MAIL_DEFAULT_SENDER="annuaire-solidarites@cantal.invalid",
        MAIL_TIMEOUT=10,  # seconds
        ORIENTATION_RETENTION_DAYS=90,  # after the last change, then anonymised
        ORIENTATION_LINK_DAYS=14,  # lifetime of the signed link sent to a service
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env()
    else:
        app.config.update(test_config)

    os.makedirs(app.instance_path, exist_ok=True)
    app.json.ensure_ascii = False  # French text stays readable in the API
    app.json.sort_keys = False  # keep the field order of SPEC §5

    from . import cli, db
    from .partners import admin, auth, orientations, space
    from .web import (
        api,
        basemap,
        converters,
        exports,
        public,
        retention,
        security,
        static_files,
    )

    converters.init_app(app)  # before any route is added
    db.init_app(app)
    csrf.init_app(app)
    compress.init_app(app)
    security.init_app(app)
    static_files.init_app(app)
    cli.init_app(app)
    api.init_app(app)
    basemap.init_app(app)
    retention.init_app(app)  # anonymise old orientations: first request, then daily
    for blueprint in (
        exports.bp,
        public.bp,
        auth.bp,
        space.bp,
        admin.bp,
        orientations.bp,
    ):
        app.register_blueprint(blueprint)
    return app
