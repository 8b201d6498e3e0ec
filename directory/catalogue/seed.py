"""Load the reference data of data/ (gazetteer, needs) into the database."""

import csv
from pathlib import Path

from .vocabulary import load_besoins


def load_communes(db, path):
    """Replace the communes table with data/communes.csv (in one transaction)."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = [
            {
                **row,
                "latitude": float(row["latitude"]),
                "longitude": float(row["longitude"]),
                "population": int(row["population"]) if row["population"] else None,
            }
            for row in csv.DictReader(f)
        ]
    with db.atomic():
        db.execute("delete from communes")
        db["communes"].insert_all(rows, batch_size=2000)
    return len(rows)


def load_besoins_table(db, path):
    """Upsert the needs of data/besoins.csv."""
    rows = load_besoins(path)
    with db.atomic():
        db["besoins"].upsert_all(rows, pk="slug")
    return len(rows)


def load_reference_data(db, data_dir):
    """Load gazetteer and needs when their tables are empty (needs also when
    they predate their synonyms); returns counts."""
    data_dir = Path(data_dir)
    counts = {}
    if not db["communes"].count:
        counts["communes"] = load_communes(db, data_dir / "communes.csv")
    if not db["besoins"].count or db["besoins"].count_where("synonymes is null"):
        counts["besoins"] = load_besoins_table(db, data_dir / "besoins.csv")
    return counts


# French nouns of the reference tables: (singular, plural, feminine).
NOUNS = {
    "communes": ("commune", "communes", True),
    "besoins": ("besoin", "besoins", False),
}


def thousands(number):
    """34902 → '34 902' (French thousands separator, a narrow no-break space)."""
    return f"{number:,}".replace(",", "\u202f")


def loaded_message(name, count):
    """« 34 902 communes chargées », « 1 besoin chargé »: agreement and separator."""
    singular, plural, feminine = NOUNS.get(name, (name, name, False))
    many = count > 1
    participle = "chargé" + ("e" if feminine else "") + ("s" if many else "")
    return f"{thousands(count)} {plural if many else singular} {participle}."
