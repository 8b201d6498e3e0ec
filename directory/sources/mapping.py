"""The data·inclusion → directory mapping tables (data/datainclusion/*.csv).

The tables are data: adding a line (a 0.x thématique, a producer's public, a new
source) needs no code change. Needs come from data/besoins.csv
(`thematiques_couvertes`) plus data/datainclusion/thematiques.csv.
"""

import csv
import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..catalogue.vocabulary import (
    FRAIS,
    MODALITES,
    MODES_ACCUEIL,
    PUBLICS,
    THEMATIQUES,
    fold,
    split_list,
)

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
TABLES = "datainclusion"


class MappingError(ValueError):
    """A mapping table names a value our vocabularies do not know (French)."""


@dataclass
class Tables:
    """Every mapping table, keyed by the value as data·inclusion sends it."""

    needs: dict = field(default_factory=dict)  # thématique → (need slugs)
    thematique: dict = field(default_factory=dict)  # 0.x slug → v1 slug
    publics: dict = field(default_factory=dict)  # value → (our publics)
    frais: dict = field(default_factory=dict)  # value → (frais, sentence)
    modes_accueil: dict = field(default_factory=dict)  # value → mode
    mobilisation: dict = field(default_factory=dict)  # value → (modalite, text)
    sources: dict = field(default_factory=dict)  # id → (label, site)

    def needs_of(self, thematiques):
        """(our need slugs, v1 sub-thématiques) for a list of DI thématiques."""
        needs, known = [], []
        for value in thematiques:
            for need in self.needs.get(value, ()):
                if need not in needs:
                    needs.append(need)
            v1 = value if value in THEMATIQUES else self.thematique.get(value)
            if v1 and v1 not in known:
                known.append(v1)
        return needs, known

    def publics_of(self, values):
        """Our publics (v1 slugs); `tous-publics` alone when it is among them."""
        found = []
        for value in values:
            mapped = self.publics.get(value)
            if mapped is None:
                mapped = (value,) if value in PUBLICS else ()
            found += [p for p in mapped if p not in found]
        return ["tous-publics"] if "tous-publics" in found else found

    def source_label(self, source):
        """« DORA » for `dora`; the id itself for a source the table lacks."""
        entry = self.sources.get(source)
        return entry[0] if entry else source


def _rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        return [
            {k: (v or "").strip() for k, v in row.items() if k}
            for row in csv.DictReader(f)
        ]


def _check(choices, values, table, line):
    for value in values:
        if value not in choices:
            raise MappingError(
                f"{table}, ligne {line} : « {value} » n'est pas une valeur connue "
                f"({choices.name})."
            )
    return tuple(values)


def load_tables(data_dir=DATA_DIR):
    """Read data/besoins.csv and data/datainclusion/*.csv into Tables."""
    data_dir = Path(data_dir)
    base = data_dir / TABLES
    tables = Tables()
    known_needs = set()
    for row in _rows(data_dir / "besoins.csv"):
        known_needs.add(row["slug"])
        for thematique in split_list(row.get("thematiques_couvertes")):
            tables.needs.setdefault(thematique, ())
            tables.needs[thematique] += (row["slug"],)
    for line, row in enumerate(_rows(base / "thematiques.csv"), start=2):
        needs = tuple(split_list(row["besoins"]))
        unknown = [n for n in needs if n not in known_needs]
        if unknown:
            raise MappingError(
                f"thematiques.csv, ligne {line} : besoin « {unknown[0]} » inconnu."
            )
        tables.needs[row["valeur"]] = needs
        if row.get("thematique"):
            _check(THEMATIQUES, [row["thematique"]], "thematiques.csv", line)
            tables.thematique[row["valeur"]] = row["thematique"]
    for line, row in enumerate(_rows(base / "publics.csv"), start=2):
        publics = split_list(row["publics"])
        tables.publics[row["valeur"]] = _check(PUBLICS, publics, "publics.csv", line)
    for line, row in enumerate(_rows(base / "frais.csv"), start=2):
        _check(FRAIS, [row["frais"]], "frais.csv", line)
        tables.frais[row["valeur"]] = (row["frais"], row.get("precision") or "")
    for line, row in enumerate(_rows(base / "modes_accueil.csv"), start=2):
        _check(MODES_ACCUEIL, [row["mode_accueil"]], "modes_accueil.csv", line)
        tables.modes_accueil[row["valeur"]] = row["mode_accueil"]
    for line, row in enumerate(_rows(base / "mobilisation.csv"), start=2):
        modalite = row.get("modalite") or ""
        if modalite:
            _check(MODALITES, [modalite], "mobilisation.csv", line)
        tables.mobilisation[row["valeur"]] = (modalite, row.get("texte") or "")
    for row in _rows(base / "sources.csv"):
        tables.sources[row["source"]] = (row["libelle"], row.get("site") or "")
    return tables


@lru_cache(maxsize=4)
def default_tables(data_dir=DATA_DIR):
    """The tables of the checkout's data/ folder, read once per process."""
    return load_tables(data_dir)


def source_label(source, data_dir=DATA_DIR):
    """The French label of a data·inclusion source (« Source : DORA »)."""
    return default_tables(Path(data_dir)).source_label(source)


# -- ids -------------------------------------------------------------------------


def _slug(text):
    return fold(text)


def _short_hash(text):
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


def _join(prefix, sep, text, original, limit=100):
    """prefix + sep + slug(text), with a hash of `original` when slugifying
    lost something (case, punctuation) or the id had to be shortened."""
    slug = _slug(text)
    lossless = slug == text and bool(slug)
    ident = f"{prefix}{sep}{slug}" if slug else prefix
    if lossless and len(ident) <= limit:
        return ident
    tail = _short_hash(original)
    return f"{ident[: limit - len(tail) - 1].rstrip('-')}-{tail}"


def split_id(raw_id, source):
    """(source, producer id) of a data·inclusion id: v1 ids are
    « <source>--<id> », 0.x ids are the bare producer id."""
    raw_id = str(raw_id)
    if source and raw_id.startswith(f"{source}--"):
        return source, raw_id[len(source) + 2 :]
    if not source and "--" in raw_id:
        head, _, tail = raw_id.partition("--")
        return head, tail
    return source, raw_id


def service_id(source, raw_id):
    """Our service id « <source>--<slug> », deterministic and collision-free."""
    source, producer = split_id(raw_id, source)
    prefix = _slug(source) or "source"
    return _join(prefix, "--", producer, f"{source}--{producer}")


def structure_id(source, raw_id):
    """Our structure id « <source>-<slug> » (no double hyphen allowed there)."""
    source, producer = split_id(raw_id, source)
    prefix = _slug(source) or "source"
    # A hyphen in the source makes « mes-aides » + « x » and « mes » + « aides-x »
    # the same text: the hash keeps them apart.
    original = f"{source}--{producer}"
    if "-" in prefix:
        slug = _slug(producer)
        tail = _short_hash(original)
        ident = f"{prefix}-{slug}" if slug else prefix
        return f"{ident[: 100 - len(tail) - 1].rstrip('-')}-{tail}"
    return _join(prefix, "-", producer, original)
