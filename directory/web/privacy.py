"""« Données personnelles » (issue 14): what the directory keeps about people,
for how long and who sees it. The durations come from the settings, so the page
says what the code does."""

from flask import current_app, render_template

from ..db import get_db
from ..imports import pending
from . import ratelimit

# Who answers the requests (RGPD_CONTACT, one French sentence shown as is): give
# a real address in production; the default names the office, not an address.
DEFAULT_CONTACT = (
    "Pour exercer vos droits, adressez-vous au délégué à la protection des données "
    "du Département du Cantal."
)


def minutes(seconds):
    return max(1, round(int(seconds) / 60))


def privacy():
    """The RGPD information page."""
    config = current_app.config
    return render_template(
        "public/donnees_personnelles.html",
        retention_days=int(config["ORIENTATION_RETENTION_DAYS"]),
        link_days=int(config["ORIENTATION_LINK_DAYS"]),
        contact=config["RGPD_CONTACT"] or DEFAULT_CONTACT,
        login_minutes=minutes(
            config.get("LOGIN_WINDOW_SECONDS", ratelimit.DEFAULT_WINDOW_SECONDS)
        ),
        upload_minutes=minutes(
            config.get("UPLOAD_EXPIRY_SECONDS", pending.DEFAULT_LIFETIME_SECONDS)
        ),
        upload_keep_days=pending.KEEP_DAYS,
        # Anonymous search counts (issue 15), said only where the table exists.
        search_counts=get_db()["recherches"].exists(),
        search_months=int(config.get("SEARCH_LOG_MONTHS", 13)),
    )


def set_default(state):
    state.app.config.setdefault("RGPD_CONTACT", DEFAULT_CONTACT)


def register(bp):
    """Add /donnees-personnelles (endpoint `public.privacy`) to the public side,
    and the RGPD_CONTACT setting's default."""
    bp.record_once(set_default)
    bp.add_url_rule("/donnees-personnelles", "privacy", privacy)
