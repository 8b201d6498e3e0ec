"""The access-gap analysis: commune × need → the nearest reachable service.

A service is reachable from a commune when it is open (not `ferme`), serves the
need, and its `zone_eligibilite` covers the commune (empty or `france`: every
commune; a département code: its communes; a commune code: that commune). An
in-person service is at its distance; a remote one (« à distance ») is at 0 km
from every commune of its zone. Distances are measured from the commune's point
(its chef-lieu, data/communes.csv): the great circle (geopy's radius) × a road
factor, an approximation of the road distance; the travel time is that distance
at a mean speed. Both are settings (`Settings`).

Nearest neighbours come from k-d trees over points on the unit sphere (the
chord is monotonic in the great-circle distance): one tree per need and zone
group, so a national territory (34 900 communes, 100 000 services) takes seconds.
"""

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

EARTH_RADIUS_KM = 6371.009  # geopy.distance.EARTH_RADIUS (great_circle)
EVERYWHERE = "france"


@dataclass(frozen=True)
class Settings:
    road_factor: float = 1.3  # road km per great-circle km (an approximation)
    speed_kmh: float = 50.0  # mean speed on the Cantal's roads, for minutes
    classes_km: tuple = (10, 20, 30)  # the map's distance classes
    threshold_km: float = 30  # « too far »: the communes listed beyond it

    @classmethod
    def from_config(cls, config):
        """COVERAGE_ROAD_FACTOR, COVERAGE_SPEED_KMH, COVERAGE_THRESHOLD_KM."""
        default = cls()
        return cls(
            road_factor=float(config.get("COVERAGE_ROAD_FACTOR", default.road_factor)),
            speed_kmh=float(config.get("COVERAGE_SPEED_KMH", default.speed_kmh)),
            threshold_km=float(
                config.get("COVERAGE_THRESHOLD_KM", default.threshold_km)
            ),
        )


@dataclass(frozen=True)
class Commune:
    code_insee: str
    nom: str
    departement: str
    latitude: float
    longitude: float
    population: int = 0


@dataclass(frozen=True)
class Service:
    id: str
    nom: str
    besoins: tuple
    latitude: float | None = None
    longitude: float | None = None
    zones: tuple = ()  # empty: every commune
    remote: bool = False  # « à distance »: reachable anywhere in its zone
    commune: str = ""


def unit_vectors(latitudes, longitudes):
    """Points on the unit sphere (n × 3) of degrees."""
    phi = np.radians(np.asarray(latitudes, dtype=float))
    lam = np.radians(np.asarray(longitudes, dtype=float))
    cos_phi = np.cos(phi)
    return np.column_stack((cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)))


def chord_to_km(chord):
    """Great-circle km of a chord between unit vectors."""
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.clip(np.asarray(chord) / 2, 0, 1))


def zone_key(code):
    """'*' for every commune, ('dep', code) or ('commune', code)."""
    code = (code or "").strip().lower()
    if not code or code == EVERYWHERE:
        return "*"
    if len(code) <= 3:
        return ("dep", code.upper())
    return ("commune", code.upper())


@dataclass
class Coverage:
    """The analysis of a territory: arrays over communes × needs."""

    communes: list
    needs: list  # need slugs, in order
    services: list
    settings: Settings
    km: np.ndarray  # road km to the nearest reachable service; inf: none
    nearest: np.ndarray  # index into `services`, -1: none
    labels: dict = field(default_factory=dict)  # need slug → French label

    @cached_property
    def population(self):
        """Inhabitants per commune (read by every share and summary)."""
        return np.array([c.population or 0 for c in self.communes], dtype=float)

    def minutes(self):
        """Travel time, in minutes, at the settings' mean speed."""
        return self.km / self.settings.speed_kmh * 60

    def need_index(self, need):
        return self.needs.index(need)

    def share_within(self, need, km):
        """Share (0–1) of the territory's inhabitants within `km` of the need."""
        population = self.population
        total = population.sum()
        if not total:
            return 0.0
        column = self.km[:, self.need_index(need)]
        return float(population[column <= km].sum() / total)

    def distance_class(self, value):
        """0, 1, 2… the index of the first class bound ≥ value; len(bounds)
        beyond the last; None without any reachable service."""
        if not math.isfinite(value):
            return None
        for position, bound in enumerate(self.settings.classes_km):
            if value <= bound:
                return position
        return len(self.settings.classes_km)

    def rows(self, need):
        """Every commune for one need: dicts sorted by distance (none last),
        then population (largest first)."""
        column = self.need_index(need)
        out = []
        for position, commune in enumerate(self.communes):
            km = float(self.km[position, column])
            index = int(self.nearest[position, column])
            service = self.services[index] if index >= 0 else None
            out.append(
                {
                    "code_insee": commune.code_insee,
                    "commune": commune.nom,
                    "population": commune.population or 0,
                    "km": round(km, 1) if math.isfinite(km) else None,
                    "minutes": round(km / self.settings.speed_kmh * 60)
                    if math.isfinite(km)
                    else None,
                    "classe": self.distance_class(km),
                    "service_id": service.id if service else None,
                    "service_nom": service.nom if service else None,
                    "service_commune": service.commune if service else None,
                    "a_distance": bool(service and service.remote),
                }
            )
        out.sort(
            key=lambda r: (
                r["km"] is None,
                -(r["km"] or 0),
                -r["population"],
                r["commune"],
            )
        )
        return out

    def beyond(self, need, km=None):
        """The communes whose nearest service of `need` is farther than `km`
        (default: the settings' threshold) or absent, by population."""
        km = self.settings.threshold_km if km is None else km
        rows = [r for r in self.rows(need) if r["km"] is None or r["km"] > km]
        return sorted(rows, key=lambda r: (-r["population"], r["commune"]))

    def summary(self):
        """Per need: the share of inhabitants within each class bound, and the
        communes and inhabitants beyond the threshold."""
        out = []
        population = self.population
        for need in self.needs:
            column = self.km[:, self.need_index(need)]
            far = ~(column <= self.settings.threshold_km)
            out.append(
                {
                    "besoin": need,
                    "libelle": self.labels.get(need, need),
                    "part_a": {
                        bound: self.share_within(need, bound)
                        for bound in self.settings.classes_km
                    },
                    "communes_au_dela": int(far.sum()),
                    "habitants_au_dela": int(population[far].sum()),
                    "sans_service": int((~np.isfinite(column)).sum()),
                }
            )
        return out


def _groups(services):
    """{zone key: [service positions]} of some services (a service in each of
    its zones)."""
    groups = {}
    for position, service in services:
        for key in {zone_key(z) for z in service.zones} or {"*"}:
            groups.setdefault(key, []).append(position)
    return groups


def analyse(communes, services, needs, settings=None, labels=None):
    """The Coverage of `communes` by `services` for `needs` (slugs)."""
    # Imported here: scipy weighs ~25 MB in every process that loads the app
    # (web workers, `flask import-csv`), and only this analysis needs it.
    from scipy.spatial import cKDTree

    settings = settings or Settings()
    communes, services, needs = list(communes), list(services), list(needs)
    n = len(communes)
    km = np.full((n, len(needs)), np.inf)
    nearest = np.full((n, len(needs)), -1, dtype=np.int64)
    if n:
        points = unit_vectors(
            [c.latitude for c in communes], [c.longitude for c in communes]
        )
    by_departement, by_code = {}, {}
    for position, commune in enumerate(communes):
        by_departement.setdefault(commune.departement.upper(), []).append(position)
        by_code.setdefault(commune.code_insee.upper(), []).append(position)
    placed = [s.latitude is not None and s.longitude is not None for s in services]
    service_points = (
        unit_vectors(
            [s.latitude if p else 0.0 for s, p in zip(services, placed, strict=True)],
            [s.longitude if p else 0.0 for s, p in zip(services, placed, strict=True)],
        )
        if services
        else np.zeros((0, 3))
    )
    all_communes = np.arange(n)
    for column, need in enumerate(needs):
        mine = [(i, s) for i, s in enumerate(services) if need in s.besoins]
        for key, positions in _groups(mine).items():
            if key == "*":
                targets = all_communes
            elif key[0] == "dep":
                targets = np.array(by_departement.get(key[1], []), dtype=np.int64)
            else:
                targets = np.array(by_code.get(key[1], []), dtype=np.int64)
            if not len(targets):
                continue
            remote = [p for p in positions if services[p].remote]
            if remote:  # reachable at 0 km from every commune of the zone
                km[targets, column] = 0.0
                nearest[targets, column] = remote[0]
            present = [p for p in positions if placed[p] and not services[p].remote]
            if not present:
                continue
            tree = cKDTree(service_points[present])
            chord, found = tree.query(points[targets], k=1)
            road = chord_to_km(chord) * settings.road_factor
            better = road < km[targets, column]
            km[targets[better], column] = road[better]
            nearest[targets[better], column] = np.asarray(present)[found[better]]
    return Coverage(communes, needs, services, settings, km, nearest, labels or {})
