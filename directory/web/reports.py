"""« Signaler une erreur »: reports from the public, stored for the Département.

A report keeps a keyed hash of the sender's IP address, never the address,
so the rate limit (a count of the same hash over the last hour) needs no
other storage. No Flask imports.
"""

import datetime
import hashlib
import hmac

from ..catalogue.text import clean_text

STATUSES = ("nouveau", "traite")
MAX_PER_HOUR = 5
WINDOW = datetime.timedelta(hours=1)


def ip_hash(address, secret):
    """Keyed SHA-256 of an IP address (hex, 32 characters)."""
    key = secret.encode() if isinstance(secret, str) else bytes(secret or b"")
    digest = hmac.new(key, (address or "").encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def _stamp(moment):
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sent_since(db, table, address_hash, since):
    """Rows of `table` (reports, proposals) sent from this hash after `since`,
    a time in that table's stored form."""
    return db.execute(
        f"select count(*) from [{table}] where adresse_ip_hash = ? and cree_le > ?",
        [address_hash, since],
    ).fetchone()[0]


def recent_count(db, address_hash, now):
    """Number of reports from this hash during the hour before `now`."""
    return sent_since(db, "signalements", address_hash, _stamp(now - WINDOW))


def is_limited(db, address_hash, now, limit=MAX_PER_HOUR):
    """True when this hash already sent `limit` reports within the hour."""
    return recent_count(db, address_hash, now) >= limit


def store(db, service_id, message, courriel, address_hash, now):
    """Save a new report; returns its id."""
    table = db["signalements"]
    with db.atomic():
        table.insert(
            {
                "service_id": service_id,
                "message": clean_text(message).strip(),
                "courriel": (clean_text(courriel) or "").strip() or None,
                "statut": "nouveau",
                "cree_le": _stamp(now),
                "adresse_ip_hash": address_hash,
            }
        )
    return table.last_pk


def pending(db):
    """Reports not handled yet, oldest first (for the Département's team)."""
    return list(
        db.query(
            "select * from signalements where statut = 'nouveau' order by cree_le, id"
        )
    )


def mark_handled(db, report_id):
    """Set a report's status to 'traite'."""
    with db.atomic():
        db["signalements"].update(report_id, {"statut": "traite"})
