"""« Où l'aide manque » for the Département's team (issue 15): the need's table
as on /couverture, plus what people searched and did not find (the anonymous
counts of coverage.searchlog) by commune and needs, each beside the distance
class of that commune for those needs, and the searches month by month."""

import datetime
import math

from flask import current_app, render_template

from ..catalogue.services import split
from ..coverage import searchlog
from ..db import get_db
from ..search.hours_fr import MONTHS
from ..web import coverage_present as present
from ..web.coverage import need_page
from ..web.selection_text import date_fr
from .auth import admin_required

UNMET_LIMIT = 200  # the most frequent (commune, needs); the rest is said


def hour_text(hour):
    """'2026-12-08T10:00' → « 8 décembre 2026, 10 h »."""
    try:
        moment = datetime.datetime.strptime(hour, "%Y-%m-%dT%H:%M")
    except (TypeError, ValueError):
        return hour or ""
    return f"{date_fr(moment.date())}, {moment.hour} h"


def month_text(month):
    """'2026-12' → « décembre 2026 »."""
    try:
        year, number = (int(part) for part in month.split("-"))
        return f"{MONTHS[number - 1]} {year}"
    except (AttributeError, ValueError, IndexError):
        return month or ""


def gaps(coverage, position, needs, by_key):
    """For each need searched: its label, and the distance class and km of the
    commune at `position` for it (None: no commune, or one outside the
    territory)."""
    out = []
    for need in needs:
        entry = {"libelle": coverage.labels.get(need, need), "classe": None}
        if position is not None and need in coverage.needs:
            km = float(coverage.km[position, coverage.need_index(need)])
            entry["classe"] = by_key[present.class_key(coverage.distance_class(km))]
            entry["km_texte"] = (
                present.french_number(km, 1) if math.isfinite(km) else None
            )
        out.append(entry)
    return out


def unmet_rows(db, coverage, classes):
    """searchlog.unmet as the page shows it, the gaps beside each row."""
    by_key = {c.cle: c for c in classes}
    positions = {c.code_insee: i for i, c in enumerate(coverage.communes)}
    rows = []
    for row in searchlog.unmet(db):
        position = positions.get(row["code_insee"])
        besoins = gaps(coverage, position, split(row["besoins"]), by_key)
        rows.append(
            {
                "code_insee": row["code_insee"],
                "commune": row["nom"] or row["code_insee"],
                "territoire": position is not None,
                "besoins": besoins,
                "nombre": row["nombre"],
                "derniere": hour_text(row["derniere"]),
            }
        )
    return rows


def months(db):
    """searchlog.by_month with French month names and the share without result."""
    return [
        {
            "mois": month_text(row["mois"]),
            "recherches": row["recherches"],
            "sans_resultat": row["sans_resultat"],
            "part": present.percent(row["sans_resultat"] / row["recherches"])
            if row["recherches"]
            else "—",
        }
        for row in searchlog.by_month(db)
    ]


@admin_required
def page():
    """/admin/couverture: the gaps of a need and the searches without result."""
    db = get_db()
    context, status = need_page(db, "admin.coverage")
    unmet = unmet_rows(db, context["coverage"], context["classes"])
    return render_template(
        "admin/couverture.html",
        sans_resultat=unmet[:UNMET_LIMIT],
        sans_resultat_total=len(unmet),
        par_mois=months(db),
        retention=int(current_app.config.get("SEARCH_LOG_MONTHS", 13)),
        **context,
    ), status


def register(bp):
    """Add /admin/couverture (endpoint admin.coverage) to the admin blueprint."""
    bp.add_url_rule("/couverture", "coverage", page)
