"""What the text index holds: its schema (one document per shown service)
and the documents made from the services' rows — the texts as JSON made by
SQLite, the multi-valued cells as lists. No Flask imports."""

import json

import tantivy

from ..catalogue.services import MULTI
from .analysis import EXACT, STEM
from .columns import SELECT

# Text fields analysed with the French stemmer, and their ranking weight. The
# words of a service's needs (labels, synonyms) are not copied into every
# document: a word found in them matches the need's services (`needs_of`).
BOOSTS = {
    "nom": 10.0,
    "structure": 4.0,
    "commune": 3.0,
    "description": 1.0,
}
EXACT_FIELD = "mots"  # every text, folded but not stemmed: prefixes, typos
NAME_FIELD = "nom_mots"  # the name, folded but not stemmed: the exact word ranks first
RAW_FIELDS = ("besoin", "public", "frais", "modalite", "zone", "accueil")
NO_ZONE = "*"  # zone term of a service without eligibility zone
SHOWN = "statut is not 'ferme' and doublon_de is null"
TEXTS = {  # text field -> its column
    "nom": "nom",
    "structure": "structure_nom",
    "commune": "commune",
    "description": "description",
}
# A row to index: the columns' row (module `columns`, so that one pass feeds
# both), then the document's texts as JSON made by SQLite (C, no Python per
# field); Python adds the cells as lists (a few hundred distinct values each).
_TEXTS = [f"coalesce({column}, '')" for column in TEXTS.values()]
COLUMNS = (
    f"{SELECT}, json_object('rowid', rowid, 'id', id, "
    + ", ".join(f"'{field}', {text}" for field, text in zip(TEXTS, _TEXTS, strict=True))
    + f", '{EXACT_FIELD}', "
    + " || ' ' || ".join(_TEXTS)
    + f", '{NAME_FIELD}', coalesce(nom, '')"
    + ")"
)


def schema():
    """The index schema (one document per shown service)."""
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("rowid", stored=True, indexed=True, fast=True)
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    for name in BOOSTS:
        builder.add_text_field(name, stored=True, tokenizer_name=STEM)
    builder.add_text_field(EXACT_FIELD, tokenizer_name=EXACT, index_option="freq")
    builder.add_text_field(NAME_FIELD, tokenizer_name=EXACT, index_option="freq")
    for name in RAW_FIELDS:
        builder.add_text_field(name, tokenizer_name="raw", index_option="basic")
    builder.add_float_field("lat", indexed=True, fast=True)
    builder.add_float_field("lon", indexed=True, fast=True)
    return builder.build()


def need_slugs(db):
    """The needs' slugs in their order (the bits of the needs column)."""
    return [r[0] for r in db.conn.execute("select slug from besoins order by ordre")]


def need_texts(db):
    """Need slug → its label and synonyms (indexed with the service's text)."""
    return {
        row["slug"]: f"{row['libelle']} {row['synonymes'] or ''}".strip()
        for row in db.query("select slug, libelle, synonymes from besoins")
    }


def _split(cell):
    return [v for v in (cell or "").split(MULTI) if v]


class _Cells(dict):
    """The JSON member of a multi-valued cell, made once per distinct cell."""

    def __init__(self, field, single=False, empty=()):
        super().__init__()
        self.field, self.single, self.empty = field, single, list(empty)

    def __missing__(self, cell):
        values = ([cell] if cell else []) if self.single else _split(cell)
        member = f'"{self.field}":{json.dumps(values or self.empty)}'
        self[cell] = member
        return member


class Documents:
    """Rows selected as COLUMNS -> JSON documents: the texts come as JSON
    from SQLite, the multi-valued cells' JSON is made once per distinct cell."""

    def __init__(self):
        self.besoin, self.public = _Cells("besoin"), _Cells("public")
        self.frais = _Cells("frais", single=True)
        self.modalite, self.zone = _Cells("modalite"), _Cells("zone", empty=[NO_ZONE])
        self.accueil = _Cells("accueil")

    def __call__(self, row):
        """The JSON document of a row selected as COLUMNS."""
        (_, _, lat, lon, besoins, publics, frais, modalites, accueil, zone) = row[:10]
        place = ""
        if lat is not None and lon is not None:
            place = f',"lat":{float(lat)!r},"lon":{float(lon)!r}'
        return (
            f"{row[11][:-1]},{self.besoin[besoins]},{self.public[publics]},"
            f"{self.frais[frais]},{self.modalite[modalites]},{self.zone[zone]},"
            f"{self.accueil[accueil]}{place}}}"
        )
