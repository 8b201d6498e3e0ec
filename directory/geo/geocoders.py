"""Geocoders on geopy's contract: offline commune gazetteer and BAN (data.geopf.fr).

The offline geocoder places a row at its commune's chef-lieu and explains in French
why a commune cannot be placed; BanGeocoder refines to the street address.
"""

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime

from geopy.adapters import BaseSyncAdapter
from geopy.exc import (
    GeocoderParseError,
    GeocoderQueryError,
    GeocoderUnavailable,
    GeopyError,
)
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import BANFrance
from geopy.geocoders.base import DEFAULT_SENTINEL, Geocoder
from geopy.location import Location
from geopy.point import Point

from .gazetteer import _CODE_IN_TEXT, normalize_name
from .places import AmbiguousCommune, CommuneError, Match, distance_km

log = logging.getLogger(__name__)

BAN_DOMAIN = "data.geopf.fr/geocodage"
DEFAULT_USER_AGENT = "annuaire-solidarites-cantal"
BAN_TYPES = ("housenumber", "street", "locality")
MAX_QUERY_LENGTH = 200
REVERSE_MAX_KM = 30.0


def parse_query(query):
    """Split a query (text or dict) into (adresse, code_postal, commune).

    Raises GeocoderQueryError for a query that is not text/dict, empty or too long.
    """
    if isinstance(query, Mapping):
        parts = [
            "" if query.get(k) is None else str(query.get(k)).strip()
            for k in ("adresse", "code_postal", "commune")
        ]
        text = " ".join(p for p in parts if p)
    elif isinstance(query, str):
        parts, text = None, " ".join(query.split())
    else:
        raise GeocoderQueryError(
            "Requête de géocodage invalide : texte ou "
            f"dictionnaire attendu ({type(query).__name__})."
        )
    if not text:
        raise GeocoderQueryError("Requête de géocodage vide.")
    if len(text) > MAX_QUERY_LENGTH:
        raise GeocoderQueryError(
            f"Requête de géocodage trop longue (plus de {MAX_QUERY_LENGTH} caractères)."
        )
    if parts and (parts[1] or parts[2]):
        return tuple(parts)
    text = re.sub(r"\s*,\s*france$", "", text, flags=re.IGNORECASE)
    codes = list(_CODE_IN_TEXT.finditer(text))
    code, before, after = "", text, ""
    if codes:  # French order is "12 rue X, 15000 Aurillac"; the last code wins
        m = codes[-1]
        code, before, after = m[0].upper(), text[: m.start()], text[m.end() :]
    before, after = before.strip(" ,;"), after.strip(" ,;")
    if after:
        return before, code, after
    head, _, commune = before.rpartition(",")
    return head.strip(" ,;"), code, commune.strip()


def _to_location(match, adresse=None):
    c = match.commune
    label = f"{match.code_postal} {c.nom}"
    if match.former_name:
        label = f"{match.former_name}, {label}"
    if adresse and match.precision == "adresse":
        label = f"{adresse}, {label}"
    raw = {
        "code_insee": c.code_insee,
        "nom": c.nom,
        "code_postal": match.code_postal,
        "precision": match.precision,
        "via": match.via,
    }
    return Location(label, (match.latitude, match.longitude), raw)


class _NoNetworkAdapter(BaseSyncAdapter):
    """The offline geocoder never does HTTP: any attempt is a bug, so refuse it."""

    def get_json(self, url, *, timeout, headers):
        raise GeocoderUnavailable("Géocodeur hors ligne : aucun accès réseau.")

    get_text = get_json


class OfflineGeocoder(Geocoder):
    """geopy geocoder backed by the gazetteer: precision `commune`, no network."""

    def __init__(self, gazetteer, *, territory=None):
        super().__init__(adapter_factory=_NoNetworkAdapter)
        self.gazetteer = gazetteer
        self.territory = gazetteer.territory if territory is None else str(territory)

    def locate(self, commune, code_postal=None, adresse=None):
        """Place an import row at its commune's chef-lieu, or raise CommuneError."""
        return self.gazetteer.resolve(commune, code_postal, territory=self.territory)

    def geocode(self, query, *, exactly_one=True, timeout=DEFAULT_SENTINEL):
        """Text or {commune, code_postal, adresse} -> Location, list, or None."""
        _, code_postal, commune = parse_query(query)
        try:
            matches = [self.locate(commune, code_postal)]
        except AmbiguousCommune as exc:
            # Never pick one homonym silently; a caller asking for a list gets them all.
            matches = [] if exactly_one else exc.candidates
        except CommuneError:
            matches = []
        if not matches:
            return None
        locations = [_to_location(m) for m in matches]
        return locations[0] if exactly_one else locations

    def reverse(self, query, *, exactly_one=True, timeout=DEFAULT_SENTINEL):
        """Nearest commune to "lat, lon", (lat, lon) or Point; None beyond 30 km."""
        try:
            if query is None or isinstance(query, Mapping):
                raise TypeError(query)
            point = Point(query)
        except (TypeError, ValueError) as exc:
            raise GeocoderQueryError(
                "Coordonnées invalides : « latitude, longitude » attendu."
            ) from exc
        commune = self.gazetteer.nearest(point.latitude, point.longitude)
        if commune is None:
            return None
        km = distance_km(
            point.latitude, point.longitude, commune.latitude, commune.longitude
        )
        if km > REVERSE_MAX_KM:
            return None
        match = Match(commune, via="position")
        location = _to_location(match)
        location.raw["distance_km"] = round(km, 3)
        return location if exactly_one else [location]


class _BANFrance(BANFrance):
    # geopy reads a payload without "features" as "no result"; we must not cache
    # an outage page as "this address does not exist", so make it an error.
    def _parse_json(self, response, exactly_one):
        features = response.get("features") if isinstance(response, dict) else None
        if not isinstance(features, list):
            raise GeocoderParseError("Réponse inattendue du service d'adresses.")
        return super()._parse_json(response, exactly_one)


class BanGeocoder:
    """Street-level geocoding through BAN; offline match as validation and fallback."""

    def __init__(
        self,
        offline,
        *,
        domain=BAN_DOMAIN,
        user_agent=DEFAULT_USER_AGENT,
        min_delay_seconds=0.2,
        min_score=0.6,
        adapter_factory=None,
        db=None,
        timeout=DEFAULT_SENTINEL,
    ):
        self.offline = offline
        self.min_score = min_score
        self.db = db
        self.ban = _BANFrance(
            domain=domain,
            user_agent=user_agent,
            timeout=timeout,
            adapter_factory=adapter_factory,
        )
        # No retries: the commune point is a fine answer, and RateLimiter would wait
        # error_wait_seconds per failing row of a large import.
        self._search = RateLimiter(
            self.ban.geocode,
            min_delay_seconds=min_delay_seconds,
            max_retries=0,
            error_wait_seconds=min_delay_seconds,
            swallow_exceptions=False,
        )
        if db is not None:
            db.table("geocode_cache").create(
                {"cle": str, "reponse": str, "cree_le": str},
                pk="cle",
                if_not_exists=True,
            )

    def locate(self, commune, code_postal=None, adresse=None):
        """Offline validation (CommuneError propagates), then BAN for the address."""
        match = self.offline.locate(commune, code_postal)
        adresse = " ".join(str(adresse or "").split())
        if not adresse:
            return match
        name = match.former_name or match.commune.nom
        features = self._features(f"{adresse}, {match.code_postal} {name}")
        point = self._pick(features or [], match.commune.code_insee)
        if point is None:
            return match
        return replace(
            match, precision="adresse", latitude=point[0], longitude=point[1]
        )

    def geocode(self, query, *, exactly_one=True, timeout=DEFAULT_SENTINEL):
        """Like OfflineGeocoder.geocode, refined to the address when there is one."""
        adresse, code_postal, commune = parse_query(query)
        if not adresse:
            return self.offline.geocode(query, exactly_one=exactly_one)
        try:
            match = self.locate(commune, code_postal, adresse)
        except CommuneError:
            return None
        location = _to_location(match, adresse)
        return location if exactly_one else [location]

    def reverse(self, query, *, exactly_one=True, timeout=DEFAULT_SENTINEL):
        """Commune-level reverse geocoding (offline: no request needed)."""
        return self.offline.reverse(query, exactly_one=exactly_one)

    def _features(self, query):
        key = normalize_name(query)
        sql = "select reponse from geocode_cache where cle = ?"
        for row in self.db.query(sql, [key]) if self.db is not None else ():
            return json.loads(row["reponse"])
        try:
            locations = self._search(query, exactly_one=False, limit=5)
            features = [location.raw for location in locations or []]
        except (GeopyError, AttributeError, LookupError, TypeError, ValueError) as exc:
            log.warning("BAN geocoding failed for %r (%s): commune used", query, exc)
            return None  # transient: not cached
        if self.db is not None:
            self.db.table("geocode_cache").upsert(
                {
                    "cle": key,
                    "reponse": json.dumps(features, ensure_ascii=False),
                    "cree_le": datetime.now(UTC).isoformat(timespec="seconds"),
                },
                pk="cle",
            )
        return features

    def _pick(self, features, code_insee):
        # BAN's best hit may be a homonym street in another commune: the INSEE code
        # ("citycode") is the reliable filter, as data·inclusion does.
        for feature in features:
            try:
                props = feature["properties"]
                if (
                    props.get("citycode") == code_insee
                    and float(props.get("score", 0)) >= self.min_score
                    and props.get("type") in BAN_TYPES
                ):
                    lon, lat = map(float, feature["geometry"]["coordinates"][:2])
                    return lat, lon
            except (LookupError, TypeError, ValueError, AttributeError):
                continue  # one malformed feature does not spoil the others
        return None


def make_geocoder(config, gazetteer, db=None):
    """Build the geocoder named by config["GEOCODER"] ("offline" or "ban")."""
    kind = str(config.get("GEOCODER", "offline")).strip().lower()
    offline = OfflineGeocoder(gazetteer, territory=config.get("TERRITOIRE", "15"))
    if kind == "offline":
        return offline
    if kind == "ban":
        return BanGeocoder(
            offline,
            domain=config.get("BAN_DOMAIN", BAN_DOMAIN),
            user_agent=config.get("GEOCODER_USER_AGENT", DEFAULT_USER_AGENT),
            min_delay_seconds=float(config.get("BAN_MIN_DELAY", 0.2)),
            min_score=float(config.get("BAN_MIN_SCORE", 0.6)),
            adapter_factory=config.get("BAN_ADAPTER_FACTORY"),
            db=db,
        )
    raise ValueError(
        f"Géocodeur inconnu : « {kind} » (valeurs possibles : offline, ban)."
    )
