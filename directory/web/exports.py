"""Open-data exports (SPEC §8), honouring the search filters of SPEC §5."""

import datetime

from flask import Blueprint, Response, jsonify, request

from ..db import get_db
from ..opendata import datainclusion, geojson
from ..opendata.csv_excel import PROVENANCE_EXPORT, export_rows
from ..schema import SERVICE_COLUMNS
from ..search.query import ParamError
from .api import bad_parameter, run_search
from .context import clock
from .present import detail, service_url

bp = Blueprint("exports", __name__, url_prefix="/export")
bp.register_error_handler(ParamError, bad_parameter)


def _rows():
    """Every matching service (no pagination), in the search order."""
    return run_search(request.args, paginate=False).services


def _download(body, mimetype, name):
    """An attachment; a bare `mimetype` (werkzeug adds the charset to text/*)."""
    stamp = datetime.date.today().isoformat()
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{name.format(date=stamp)}"'
    )
    return response


@bp.route("/services.csv")
def services_csv():
    """CSV for French Excel: `;`, UTF-8 BOM, CRLF, formulas neutralised; one
    service per duplicate cluster, with its provenance columns."""
    body = export_rows(_rows(), columns=[*SERVICE_COLUMNS, *PROVENANCE_EXPORT])
    return _download(body, "text/csv", "services-cantal-{date}.csv")


@bp.route("/services.geojson")
def services_geojson():
    """GeoJSON FeatureCollection, one feature per service (null geometry: unplaced)."""
    now = clock()

    def properties(row):
        return {
            **detail(row, now=now, absolute=True),
            "distance_km": row.get("distance_km"),
            **{column: row.get(column) for column in PROVENANCE_EXPORT},
        }

    collection = geojson.feature_collection(
        geojson.feature(row, properties(row)) for row in _rows()
    )
    response = jsonify(collection)
    response.mimetype = "application/geo+json"
    return response


def _default_thematiques():
    return {r["slug"]: r["thematique_defaut"] for r in get_db()["besoins"].rows}


@bp.route("/data-inclusion/services.json")
def di_services():
    """Services in the data·inclusion v1 schema."""
    defaults = _default_thematiques()
    return jsonify(
        [
            datainclusion.service(
                row,
                default_thematique=defaults,
                url=service_url(row["id"], absolute=True),
            )
            for row in _rows()
        ]
    )


@bp.route("/data-inclusion/structures.json")
def di_structures():
    """Structures of the matching services, in the data·inclusion v1 schema."""
    return jsonify(datainclusion.structures(_rows(), url_for_structure=lambda s: None))
