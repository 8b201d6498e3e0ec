"""What a place is: a commune, a resolved match, distances, and the French
errors of a place that cannot be resolved. Pure data; no I/O."""

import math
from dataclasses import dataclass
from typing import NamedTuple

from geopy.distance import geodesic

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance on a sphere; within 0.5 % of geodesic in France."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


def distance_km(lat1, lon1, lat2, lon2):
    """Geodesic (WGS84 ellipsoid) distance in kilometres."""
    return geodesic((lat1, lon1), (lat2, lon2)).km


class Commune(NamedTuple):
    """A current commune and its chef-lieu point."""

    code_insee: str
    nom: str
    departement: str
    codes_postaux: tuple
    latitude: float
    longitude: float
    population: int | None


@dataclass(frozen=True)
class Match:
    """A resolved place; lat/lon/code_postal default to the commune's own."""

    commune: Commune
    precision: str = "commune"
    via: str = "nom"  # nom | ancien-nom | code-postal | code-insee | position
    latitude: float | None = None
    longitude: float | None = None
    code_postal: str | None = None
    former_name: str | None = None

    def __post_init__(self):
        # Unless told otherwise, a match is the chef-lieu and the main postcode.
        c, set_default = self.commune, object.__setattr__
        if self.latitude is None:
            set_default(self, "latitude", c.latitude)
            set_default(self, "longitude", c.longitude)
        if self.code_postal is None and c.codes_postaux:
            set_default(self, "code_postal", c.codes_postaux[0])

    @property
    def code_insee(self):
        return self.commune.code_insee


class CommuneError(ValueError):
    """A commune that cannot be placed; `message` is French, ready for the report."""

    def __init__(self, message, suggestion=None):
        super().__init__(message)
        self.message = message
        self.suggestion = suggestion


class UnknownCommune(CommuneError):
    """No such commune (or only outside the territory without a postcode)."""


class UnknownPostcode(UnknownCommune):
    """A postcode no commune has: often a CEDEX code."""


class PostcodeMismatch(CommuneError):
    """The commune exists, but not with this postcode."""


class AmbiguousCommune(CommuneError):
    """Several communes share this name; `candidates` lists their Matches."""

    def __init__(self, message, candidates=()):
        super().__init__(message)
        self.candidates = list(candidates)
