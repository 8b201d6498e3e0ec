"""Login rate limit: failed attempts counted per account and per address.

Each failure is one row of `connexions_echouees(cle, cree_le)`, under two keys:
the e-mail typed (known account or not, so the answer reveals nothing) and a
keyed hash of the client address (the address itself is never stored). While
a key holds `max_attempts` failures within the window, every attempt is refused,
even with the right password; refused attempts are not counted, so the lock
ends when the window has passed. No Flask imports.
"""

import datetime
import hashlib
import hmac
import math

from ..catalogue.times import stamp

DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_WINDOW_SECONDS = 15 * 60


def keys(email, address, secret):
    """The two keys of an attempt: the account and the address (keyed hash)."""
    key = secret.encode() if isinstance(secret, str) else bytes(secret or b"")
    digest = hmac.new(key, (address or "").encode(), hashlib.sha256).hexdigest()
    return [f"compte:{(email or '').strip().lower()}", f"adresse:{digest[:32]}"]


def retry_after(db, keys, now, *, max_attempts, window):
    """Seconds before a new attempt is allowed (0 = allowed now).

    :param window: datetime.timedelta over which failures are counted.
    """
    wait = 0.0
    for key in keys:
        times = [
            row["cree_le"]
            for row in db.query(
                "select cree_le from connexions_echouees where cle = ? and cree_le > ?"
                " order by cree_le desc limit ?",
                [key, stamp(now - window), max_attempts],
            )
        ]
        if len(times) >= max_attempts:
            # Allowed again when the oldest of the last `max_attempts` expires.
            oldest = datetime.datetime.fromisoformat(times[-1])
            wait = max(wait, (oldest + window - now).total_seconds())
    return wait


def record_failure(db, keys, now, *, window):
    """Count a failed attempt under every key, and forget expired ones."""
    with db.atomic():
        db.execute(
            "delete from connexions_echouees where cree_le <= ?",
            [stamp(now - window)],
        )
        db.conn.executemany(
            "insert into connexions_echouees (cle, cree_le) values (?, ?)",
            [(key, stamp(now)) for key in keys],
        )


def forget(db, key):
    """Clear the failures of one key (the account, after a successful login)."""
    db.execute("delete from connexions_echouees where cle = ?", [key])


def message(seconds):
    """The French refusal, with the wait rounded up to whole minutes."""
    minutes = max(1, math.ceil(seconds / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return f"Trop de tentatives de connexion : réessayez dans {minutes} {unit}."
