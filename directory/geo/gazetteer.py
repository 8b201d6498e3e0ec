"""The commune gazetteer: fuzzy name/postcode matching, French diagnoses, nearest.

In memory and O(1) per lookup, built once per process from data/communes.csv
(or the `communes` table); used by the geocoders, the importer and the search.
"""

import csv
import difflib
import math
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections import defaultdict
from typing import NamedTuple

from .places import (
    AmbiguousCommune,
    Commune,
    CommuneError,
    Match,
    PostcodeMismatch,
    UnknownCommune,
    UnknownPostcode,
    haversine_km,
)

_CODE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
_CODE_IN_TEXT = re.compile(r"\b(\d{5}|2[AB]\d{3})\b", re.IGNORECASE)
_CEDEX = re.compile(r"\bcedex\b.*$")
_ABBREVIATIONS = {"st": "saint", "ste": "sainte"}


_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_COMBINING = re.compile(r"[\u0300-\u036f]")


def normalize_name(s):
    """Key for fuzzy commune matching: no accents, case, punctuation nor St/Ste."""
    s = str(s or "").lower().replace("œ", "oe").replace("æ", "ae")
    # NFKD splits "é" into "e" + accent, and the accent goes.
    s = _COMBINING.sub("", unicodedata.normalize("NFKD", s))
    words = _NOT_ALNUM.sub(" ", s).split()
    return " ".join(_ABBREVIATIONS.get(w, w) for w in words)


def _clean_code(value):
    """Postcode/INSEE code as text; restores the leading zero Excel drops."""
    if isinstance(value, str) and len(value) == 5 and value.isalnum():
        return value.upper()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = re.sub(r"\s+", "", "" if value is None else str(value)).upper()
    return "0" + s if len(s) == 4 and s.isdigit() else s


def _postcodes(value):
    return tuple(
        _clean_code(p) for p in re.split(r"[;,]", str(value or "")) if p.strip()
    )


def _commune(row):
    dep = str(row["departement"]).strip()
    try:
        population = int(float(row.get("population")))
    except (TypeError, ValueError):
        population = None
    lat, lon = float(row["latitude"]), float(row["longitude"])
    pcs = _postcodes(row["codes_postaux"])
    code, nom = _clean_code(row["code_insee"]), str(row["nom"]).strip()
    dep = dep.zfill(2) if dep.isdigit() else dep
    return Commune(code, nom, dep, pcs, lat, lon, population)


class _Entry(NamedTuple):
    key: str
    name: str  # the name as written in the gazetteer (current or former)
    commune: Commune
    postcodes: tuple
    latitude: float
    longitude: float
    former: bool

    def match(self, code_postal=None):
        via = "ancien-nom" if self.former else "nom"
        return Match(
            self.commune,
            via=via,
            latitude=self.latitude,
            longitude=self.longitude,
            code_postal=code_postal or (self.postcodes or (None,))[0],
            former_name=self.name if self.former else None,
        )


def _codes(entries):
    return ", ".join(sorted({pc for e in entries for pc in e.postcodes}))


class Gazetteer:
    """In-memory commune index: every lookup is a dict hit."""

    def __init__(self, rows=(), *, territory="15"):
        self.territory = str(territory or "")
        self._communes = {}
        self._entries = []  # current names first, so they win over former names
        self._by_name = defaultdict(list)
        self._by_postcode = defaultdict(list)
        self._by_postcode_name = defaultdict(list)
        self._keys_by_postcode = defaultdict(list)
        self._suggestions = {}
        self._territory_keys = {}
        former = []
        for row in rows:
            code = _clean_code(row["code_insee"])
            if (row.get("statut") or "actuelle") != "actuelle":
                former.append(row)
                continue
            commune = self._communes[code] = _commune(row)
            point = commune.latitude, commune.longitude
            self._add(commune.nom, commune, commune.codes_postaux, point, False)
            for pc in commune.codes_postaux:
                self._by_postcode[pc].append(commune)
        for row in former:
            commune = self._communes.get(_clean_code(row.get("code_insee_actuel")))
            if commune is None:  # a former name must point to a current commune
                continue
            pcs = _postcodes(row.get("codes_postaux")) or commune.codes_postaux
            point = commune.latitude, commune.longitude
            if row.get("latitude") not in (None, ""):  # a former commune's own point
                point = float(row["latitude"]), float(row["longitude"])
            self._add(str(row["nom"]).strip(), commune, pcs, point, True)
        self._by_lat = sorted(self._communes.values(), key=lambda c: c.latitude)
        self._lats = [c.latitude for c in self._by_lat]

    def _add(self, name, commune, postcodes, point, former):
        entry = _Entry(normalize_name(name), name, commune, postcodes, *point, former)
        self._entries.append(entry)
        self._by_name[entry.key].append(entry)
        for pc in postcodes:
            self._by_postcode_name[pc, entry.key].append(entry)
            self._keys_by_postcode[pc].append(entry.key)

    @classmethod
    def from_rows(cls, rows, *, territory="15"):
        """Build from dicts shaped like data/communes.csv rows."""
        return cls(rows, territory=territory)

    @classmethod
    def from_csv(cls, path, *, territory="15"):
        """Build from data/communes.csv."""
        with open(path, encoding="utf-8-sig", newline="") as f:
            return cls(csv.DictReader(f), territory=territory)

    @classmethod
    def from_db(cls, db, *, territory="15"):
        """Build from the `communes` table of a sqlite_utils.Database."""
        cursor = db.conn.execute("select * from communes")
        columns = [d[0] for d in cursor.description]
        rows = (dict(zip(columns, row, strict=True)) for row in cursor)
        return cls(rows, territory=territory)

    def get(self, code_insee):
        """Current commune by INSEE code, or None."""
        return self._communes.get(_clean_code(code_insee))

    def resolve(self, commune, code_postal=None, *, territory=None):
        """Match a (commune, code_postal) pair, or raise a CommuneError in French."""
        territory = self.territory if territory is None else str(territory)
        name = " ".join(str(commune or "").split())
        pc = _clean_code(code_postal)
        if not name and not pc:
            raise CommuneError("Commune et code postal manquants.")
        if pc and not _CODE.match(pc):
            raise UnknownPostcode(
                f"Code postal « {code_postal} » invalide : il doit avoir 5 chiffres."
            )
        # A lone code, or the postcode typed in both columns.
        if not name or name.upper() == pc or (not pc and _CODE.match(name.upper())):
            return self._resolve_code(pc or name.upper())
        key = _CEDEX.sub("", normalize_name(name)).strip()
        if pc:
            return self._resolve_with_postcode(name, key, pc, territory)
        entries = self._by_name.get(key, [])
        local = [
            e for e in entries if not territory or e.commune.departement == territory
        ]
        if local:
            return self._pick(local, name)
        where = f" du département {territory}" if territory else ""
        if entries:  # only reachable with a territory: elsewhere, a postcode decides
            raise UnknownCommune(
                f"« {name} » n'est pas une commune{where} : pour une commune d'un "
                "autre département, indiquez son code postal."
            )
        raise self._unknown(name, key, None, territory, where)

    def _resolve_code(self, code):
        # A postcode wins over an INSEE code: 15100 is Saint-Flour's postcode and
        # also Laveissenet's INSEE code.
        if communes := self._by_postcode.get(code):
            best = max(communes, key=lambda c: c.population or 0)
            return Match(best, via="code-postal", code_postal=code)
        if commune := self._communes.get(code):
            return Match(commune, via="code-insee")
        raise UnknownPostcode(
            f"Code {code} inconnu : ni code postal ni code INSEE "
            "(code CEDEX ?). Indiquez le code postal de la commune."
        )

    def _resolve_with_postcode(self, name, key, pc, territory):
        if entries := self._by_postcode_name.get((pc, key)):
            return self._pick(entries, name, pc)
        commune = self._communes.get(name.upper())  # an INSEE code given as the name
        if commune and pc in commune.codes_postaux:
            return Match(commune, via="code-insee", code_postal=pc)
        known = self._by_name.get(key, [])
        if commune:
            known = [e for e in self._entries if e.commune is commune]
        local = [e for e in known if e.commune.departement == territory] or known
        if len({e.commune.code_insee for e in local}) == 1:
            shown = local[0]
            suggestion = shown.postcodes[0] if len(shown.postcodes) == 1 else None
            if pc not in self._by_postcode:
                raise UnknownPostcode(
                    f"Le code postal {pc} n'existe pas (code CEDEX ?) : utilisez celui "
                    f"de la commune {shown.name} ({_codes([shown])}).",
                    suggestion,
                )
            raise PostcodeMismatch(
                f"Le code postal {pc} ne correspond pas à la commune {shown.name} "
                f"(codes postaux : {_codes([shown])}).",
                suggestion,
            )
        if known:
            raise PostcodeMismatch(
                f"Aucune commune « {name} » n'a le code postal {pc}."
            )
        if pc not in self._by_postcode:
            raise UnknownPostcode(
                f"Code postal {pc} inconnu (code CEDEX ?) et commune "
                f"« {name} » inconnue."
            )
        raise self._unknown(name, key, pc, territory, f" (code postal {pc})")

    def _pick(self, entries, name, pc=None):
        # Current names first; a former name only counts when no current one matches.
        pool = [e for e in entries if not e.former] or entries
        distinct = {}
        for e in pool:
            distinct.setdefault(e.commune.code_insee, e)
        if len(distinct) > 1:
            raise AmbiguousCommune(
                f"Plusieurs communes s'appellent « {name} » : précisez le code postal "
                f"({_codes(distinct.values())}).",
                [e.match(pc) for e in distinct.values()],
            )
        return pool[0].match(pc)

    def _unknown(self, name, key, pc, territory, context):
        # Only local suggestions: "Wœrth" for a Cantal typo would be noise.
        found = self.suggest(key, territory=territory, postcode=pc, everywhere=False)
        return UnknownCommune(
            f"Commune « {name} » inconnue{context}.", found[0] if found else None
        )

    def suggest(self, name, n=1, *, territory=None, postcode=None, everywhere=True):
        """Closest names by difflib: postcode's, then territory's, then all; cached."""
        territory = self.territory if territory is None else territory
        cache_key = (normalize_name(name), n, territory, postcode, everywhere)
        if cache_key not in self._suggestions:
            if territory not in self._territory_keys:
                self._territory_keys[territory] = [
                    e.key
                    for e in self._entries
                    if not territory or e.commune.departement == territory
                ]
            pools = [
                self._keys_by_postcode.get(postcode, []),
                self._territory_keys[territory],
            ]
            found = []
            for pool in pools + [self._by_name] * everywhere:
                for key in difflib.get_close_matches(cache_key[0], pool, n=n):
                    if (display := self._by_name[key][0].name) not in found:
                        found.append(display)
                if len(found) >= n:
                    break
            self._suggestions[cache_key] = found[:n]
        return list(self._suggestions[cache_key])

    def nearest(self, latitude, longitude):
        """Nearest current commune chef-lieu: bounding-box prefilter, then haversine."""

        def km(c):
            return haversine_km(latitude, longitude, c.latitude, c.longitude)

        for delta in (0.1, 0.4, 1.6):  # degrees of latitude: about 11, 44, 178 km
            lo = bisect_left(self._lats, latitude - delta)
            hi = bisect_right(self._lats, latitude + delta)
            dlon = delta / max(math.cos(math.radians(latitude)), 0.01)
            box = [
                c for c in self._by_lat[lo:hi] if abs(c.longitude - longitude) <= dlon
            ]
            # A chef-lieu outside the box is at least ~111 km per degree of delta
            # away; 100 km keeps a margin for the sphere.
            if box and km(best := min(box, key=km)) <= delta * 100:
                return best
        return min(self._by_lat, key=km, default=None)  # far out at sea: full scan

    def search(self, query, limit=10, *, territory=None):
        """Autocomplete: names starting with/containing `query`, or postcode prefix."""
        territory = self.territory if territory is None else territory
        q = normalize_name(query)
        if not q:
            return []
        digits = q.replace(" ", "") if q.replace(" ", "").isdigit() else None
        ranked = []
        for e in self._entries:
            if digits:
                rank = 0 if any(pc.startswith(digits) for pc in e.postcodes) else None
            else:
                rank = 0 if e.key.startswith(q) else 1 if q in e.key else None
            if rank is not None:
                outside = bool(territory) and e.commune.departement != territory
                ranked.append(
                    (outside, rank, -(e.commune.population or 0), e.key, e.commune)
                )
        seen = {}
        for *_, commune in sorted(ranked, key=lambda r: r[:4]):
            seen.setdefault(commune.code_insee, commune)
            if len(seen) >= limit:
                break
        return list(seen.values())

    def starting_with(self, name, *, territory=None):
        """Current communes of the territory whose name (or former name) starts
        with `name`, most populated first: « riom » → Riom-ès-Montagnes."""
        territory = self.territory if territory is None else territory
        key = normalize_name(name)
        found = {}
        for e in self._entries if key else ():
            if e.key.startswith(key) and e.commune.departement in (
                territory or e.commune.departement,
            ):
                found.setdefault(e.commune.code_insee, e.commune)
        return sorted(found.values(), key=lambda c: (-(c.population or 0), c.nom))
