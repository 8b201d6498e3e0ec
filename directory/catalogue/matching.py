"""Matching duplicates across sources, on plain rows (no database): the same
place listed by several sources is shown once, through its best service
(`services.doublon_de` = the id shown instead; written by `duplicates`).

Deterministic keys first, as data·inclusion does: SIRET, phone (E.164), e-mail,
website host (same commune, not a host shared by many communes), then similar
names less than 150 m apart. Every key also requires overlapping needs, two
different sources (a source never lists a place twice; a CCAS's services share
its phone) and, when both are known, the same commune. A key that matches a
service with several services of another source is ambiguous and is ignored.
These rules PREFER A MISSED DUPLICATE TO A FALSE MERGE: a missed one shows twice,
a false one hides a real service. Pairs in `doublons_refuses` never share a
cluster, and a cluster never holds two services of one source.

Manual merges (admin « Fusionner », imports.genre 'fusion') persist: a service
whose LAST applied change of `doublon_de` is a 'fusion' change stays attached to
the service kept by the merge, and that service ranks first in its cluster.

Pure core: standard library, phonenumbers, `schema` and `catalogue` only.
"""

import math
import re
import unicodedata
from collections import defaultdict

import phonenumbers

from .services import split

EXTERNAL = "data·inclusion"  # in `origine` of every row a data·inclusion import wrote
LOCAL = ""  # the directory's own rows (seed, partners) count as one source
FUSION = "fusion"  # imports.genre and changes.action of a manual merge
MAX_METRES = 150.0
GROUP_LIMIT = 50  # a key value held by more services is generic (a hotline…)
HOST_COMMUNES = 3  # a host seen in more communes is generic (facebook.com…)
# Grid cells at least 150 m wide up to 60° of latitude: a pair closer than
# 150 m lies in the same or in neighbouring cells.
CELL_LAT, CELL_LON = 0.00135, 0.0027
KINDS = ("siret", "telephone", "courriel", "site", "nom")  # strongest first
COLUMNS = (
    "id, statut, source, origine, besoins, siret, telephone, courriel, site_web,"
    " nom, latitude, longitude, precision_geo, code_insee, score_qualite,"
    " date_maj, doublon_de"
)
STOP_WORDS = frozenset(
    "a au aux d de des du en et l la le les pour sur un une the of".split()
)
# Long forms folded to the acronym people also use (after accent folding).
ACRONYMS = (
    ("centre communal d action sociale", "ccas"),
    ("centre intercommunal d action sociale", "cias"),
    ("caisse d allocations familiales", "caf"),
    ("caisse primaire d assurance maladie", "cpam"),
    ("mutualite sociale agricole", "msa"),
    ("maison departementale des personnes handicapees", "mdph"),
    ("centre medico psychologique", "cmp"),
)
NATIONAL = re.compile(r"0[1-9]\d{8}")
E164_FR = re.compile(r"\+33[1-9]\d{8}")
PHONE_PUNCTUATION = re.compile(r"[\s.\-/()]")
NOT_ALNUM = re.compile(r"[^a-z0-9]+")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# The host of a URL, with or without its scheme (userinfo and port left out).
HOST = re.compile(r"(?:[a-z][a-z0-9+.-]*://)?(?:[^/?#@\s]*@)?([^/?#:\s]+)")
NOT_DIGIT = re.compile(r"\D")


# -- keys ------------------------------------------------------------------------


def is_external(row):
    """True for a row written by a data·inclusion import (origine says so)."""
    return EXTERNAL in (row.get("origine") or "")


def source_of(row):
    """The source a row counts for: its data·inclusion source, else LOCAL."""
    if not is_external(row):
        return LOCAL
    return (row.get("source") or "").strip().lower() or EXTERNAL


def fold(text):
    """Lower case, accents removed, anything but letters and digits a space."""
    text = text or ""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(NOT_ALNUM.sub(" ", text.lower()).split())


def name_tokens(name):
    """The significant words of a name (accents folded, acronyms, no stop words)."""
    text = f" {fold(name)} "
    for long, short in ACRONYMS:
        text = text.replace(f" {long} ", f" {short} ")
    return frozenset(w for w in text.split() if w not in STOP_WORDS)


def similar_names(a, b):
    """Same significant words, or at least two shared making 60 % of them."""
    if a == b:
        return bool(a)
    common = len(a & b)
    return common >= 2 and common / len(a | b) >= 0.6


def phone_key(value):
    """E.164 form of a French phone number, or None (short numbers, junk)."""
    value = (value or "").strip()
    if not value:
        return None
    if E164_FR.fullmatch(value):
        return value
    digits = PHONE_PUNCTUATION.sub("", value)
    if NATIONAL.fullmatch(digits):
        return "+33" + digits[1:]
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email_key(value):
    value = (value or "").strip().lower()
    return value if EMAIL.fullmatch(value) else None


def host_key(value):
    """The host of a website without `www.` (a bare `exemple.fr` is read too)."""
    match = HOST.match((value or "").strip().lower())
    host = match.group(1).rstrip(".").removeprefix("www.") if match else ""
    return host if "." in host else None


def siret_key(value):
    digits = NOT_DIGIT.sub("", value or "")
    return digits if len(digits) == 14 else None


def metres(a, b):
    """Great-circle distance in metres between two (lat, lon) points (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371008.8 * math.asin(min(1.0, math.sqrt(h)))


def _date_rank(value):
    digits = NOT_DIGIT.sub("", (value or "")[:10])
    return int(digits) if len(digits) == 8 else 0


# -- clustering --------------------------------------------------------------------


class Node:
    """What clustering needs of one service row."""

    __slots__ = ("id", "source", "needs", "commune", "point", "row")

    def __init__(self, row):
        self.id = row["id"]
        self.row = row
        self.source = source_of(row)
        self.needs = frozenset(split(row.get("besoins")))
        self.commune = (row.get("code_insee") or "").strip()
        lat, lon = row.get("latitude"), row.get("longitude")
        precise = row.get("precision_geo") != "commune"
        self.point = (lat, lon) if precise and None not in (lat, lon) else None

    def may_match(self, other):
        """Necessary for any key: two sources, a common need, no other commune."""
        return (
            self.source != other.source
            and bool(self.needs & other.needs)
            and not (self.commune and other.commune and self.commune != other.commune)
        )


def _key_groups(nodes):
    """kind -> {key value: [nodes]} for the deterministic keys."""
    groups = {kind: defaultdict(list) for kind in KINDS[:4]}
    host_communes = defaultdict(set)
    for node in nodes:
        row = node.row
        for kind, key in (
            ("siret", siret_key(row.get("siret"))),
            ("telephone", phone_key(row.get("telephone"))),
            ("courriel", email_key(row.get("courriel"))),
        ):
            if key:
                groups[kind][key].append(node)
        host = host_key(row.get("site_web"))
        if host and node.commune:
            groups["site"][(host, node.commune)].append(node)
            host_communes[host].add(node.commune)
    generic = {
        h for h, communes in host_communes.items() if len(communes) > HOST_COMMUNES
    }
    groups["site"] = {k: v for k, v in groups["site"].items() if k[0] not in generic}
    return groups


def _group_pairs(group):
    if len(group) < 2 or len(group) > GROUP_LIMIT:
        return []
    return [
        (a, b) for i, a in enumerate(group) for b in group[i + 1 :] if a.may_match(b)
    ]


def _name_pairs(nodes):
    """Pairs of similar names less than MAX_METRES apart, via grid cells."""
    cells = defaultdict(list)
    tokens = {}
    for node in nodes:
        if node.point is not None:
            lat, lon = node.point
            cells[(math.floor(lat / CELL_LAT), math.floor(lon / CELL_LON))].append(node)
            tokens[node.id] = name_tokens(node.row.get("nom"))
    pairs = []
    for (y, x), here in cells.items():
        for dy, dx in ((0, 0), (0, 1), (1, -1), (1, 0), (1, 1)):  # each pair once
            there = here if (dy, dx) == (0, 0) else cells.get((y + dy, x + dx), ())
            for i, a in enumerate(here):
                for b in here[i + 1 :] if there is here else there:
                    if (
                        a.may_match(b)
                        and similar_names(tokens[a.id], tokens[b.id])
                        and metres(a.point, b.point) < MAX_METRES
                    ):
                        pairs.append((a, b))
    return pairs


def _unambiguous(pairs):
    """Drop pairs where one side has several candidates in the other's source."""
    count = defaultdict(int)
    for a, b in pairs:
        count[(a.id, b.source)] += 1
        count[(b.id, a.source)] += 1
    return [
        (a, b)
        for a, b in pairs
        if count[(a.id, b.source)] == 1 and count[(b.id, a.source)] == 1
    ]


def candidate_pairs(nodes):
    """[(kind, id a, id b)] with a < b, strongest kind first, sorted."""
    found = []
    groups = _key_groups(nodes)
    for rank, kind in enumerate(KINDS):
        if kind == "nom":
            pairs = _name_pairs(nodes)
        else:
            pairs = [p for g in groups[kind].values() for p in _group_pairs(g)]
        for a, b in _unambiguous(pairs):
            found.append((rank, *sorted((a.id, b.id)), kind))
    found.sort()
    return [(kind, a, b) for _, a, b, kind in found]


class _Clusters:
    """Union-find whose unions keep one service per source and no refused pair."""

    def __init__(self, nodes, refused):
        self.parent = {n.id: n.id for n in nodes}
        self.members = {n.id: {n.id} for n in nodes}
        self.sources = {n.id: {n.source} for n in nodes}
        self.refused = refused  # id -> set of ids

    def find(self, x):
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def join(self, a, b, *, forced=False):
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if not forced:
            if self.sources[ra] & self.sources[rb]:
                return
            if any(
                self.refused.get(m, set()) & self.members[rb] for m in self.members[ra]
            ):
                return
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra] |= self.members.pop(rb)
        self.sources[ra] |= self.sources.pop(rb)

    def groups(self):
        return [m for m in self.members.values() if len(m) > 1]


def rank(node, kept=frozenset()):
    """Sort key of the representative: kept by a merge, partner-maintained
    (not a data·inclusion row), higher score_qualite, freshest date_maj, id."""
    row = node.row
    return (
        node.id not in kept,
        is_external(row),
        -(row.get("score_qualite") or 0.0),
        -_date_rank(row.get("date_maj")),
        node.id,
    )


def clusters(rows, refused=(), pins=None):
    """Clusters of service rows: [(representative id, [other ids])].

    :param refused: pairs (a, b) never clustered.
    :param pins: {merged id: kept id} of manual merges (joined whatever the keys).
    """
    nodes = [Node(r) for r in rows if r.get("statut") != "ferme"]
    by_id = {n.id: n for n in nodes}
    refused_map = defaultdict(set)
    for a, b in refused:
        refused_map[a].add(b)
        refused_map[b].add(a)
    union = _Clusters(nodes, refused_map)
    pins = {
        x: k
        for x, k in (pins or {}).items()
        if x in by_id and k in by_id and k not in refused_map.get(x, ())
    }
    for merged, kept in sorted(pins.items()):
        union.join(merged, kept, forced=True)
    for _, a, b in candidate_pairs(nodes):
        union.join(a, b)
    kept = frozenset(pins.values())
    result = []
    for members in union.groups():
        ordered = sorted((by_id[m] for m in members), key=lambda n: rank(n, kept))
        result.append((ordered[0].id, sorted(n.id for n in ordered[1:])))
    result.sort()
    return result


def targets(rows, refused=(), pins=None):
    """{id: doublon_de} for every row: the representative, or None when shown."""
    out = {r["id"]: None for r in rows}
    for representative, others in clusters(rows, refused, pins):
        for other in others:
            out[other] = representative
    return out
