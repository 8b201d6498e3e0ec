"""The signed link sent to a service without partner account: it opens one
orientation, for its structure only, for ORIENTATION_LINK_DAYS days. No Flask.

The token is itsdangerous' URLSafeTimedSerializer(SECRET_KEY, salt
"orientation") over {"o": orientation id, "s": structure id}: both must match
the stored orientation. It carries no personal data. Time comes from the
caller, so that tests can freeze it.
"""

from itsdangerous import BadData, SignatureExpired, TimestampSigner
from itsdangerous.url_safe import URLSafeTimedSerializer

from . import records

SALT = "orientation"
MAX_TOKEN_LENGTH = 300  # ours are about 80 characters
DAY = 24 * 60 * 60


class LinkError(Exception):
    """A link that opens nothing: `status` (HTTP) and a French `message`."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


INVALID = (
    "Ce lien n'est pas valide : vérifiez qu'il a été copié en entier depuis le "
    "courriel reçu."
)
WRONG_STRUCTURE = (
    "Ce lien ne donne pas accès à cette orientation : elle est adressée à une "
    "autre structure."
)
GONE = (
    "Cette orientation n'est plus consultable : ses données personnelles ont été "
    "effacées, son délai de conservation étant passé."
)


def expired(days):
    return LinkError(
        410,
        f"Ce lien a expiré : il était valable {days} jours. Pour répondre, contactez "
        "la personne qui a orienté, ou demandez un compte partenaire à l'équipe du "
        "Département : les orientations arrivent alors dans votre espace.",
    )


class ClockSigner(TimestampSigner):
    """A TimestampSigner reading the caller's clock instead of time.time()."""

    def __init__(self, *args, now, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now

    def get_timestamp(self):
        return int(self.now.timestamp())


def serializer(secret_key, now):
    return URLSafeTimedSerializer(
        secret_key, salt=SALT, signer=ClockSigner, signer_kwargs={"now": now}
    )


def make(secret_key, orientation, *, now):
    """The token of an orientation row (bound to its id and its structure)."""
    payload = {"o": orientation["id"], "s": orientation["structure_id"]}
    return serializer(secret_key, now).dumps(payload)


def read(secret_key, token, *, max_days, now):
    """(orientation id, structure id) of a valid token; LinkError otherwise."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise LinkError(404, INVALID)
    try:
        payload = serializer(secret_key, now).loads(token, max_age=max_days * DAY)
    except SignatureExpired:
        raise expired(max_days) from None
    except (BadData, ValueError, TypeError):
        raise LinkError(404, INVALID) from None
    if (
        not isinstance(payload, dict)
        or type(payload.get("o")) is not int
        or not isinstance(payload.get("s"), str)
    ):
        raise LinkError(404, INVALID)
    return payload["o"], payload["s"]


def open_orientation(db, secret_key, token, *, max_days, now):
    """The orientation a token opens (records.get row); LinkError otherwise."""
    orientation_id, structure_id = read(secret_key, token, max_days=max_days, now=now)
    orientation = records.get(db, orientation_id)
    if orientation is None:
        raise LinkError(404, INVALID)
    if orientation["structure_id"] != structure_id:
        raise LinkError(403, WRONG_STRUCTURE)
    if orientation["anonymise_le"]:
        raise LinkError(410, GONE)
    return orientation
