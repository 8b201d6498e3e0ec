"""Build data/communes.csv from the shared gazetteer files (see data/SOURCES.md).

Usage: python data/build_communes.py ../shared/data
Current communes keep their own INSEE code; former Cantal communes (and the
2016-2024 name « Neussargues en Pinatelle ») point to the current commune.
"""

import csv
import sys
from pathlib import Path

COLUMNS = [
    "code_insee", "nom", "departement", "codes_postaux", "latitude", "longitude",
    "population", "statut", "code_insee_actuel",
]
# Name of 15141 from 2016-12-01 to 2024-12-31; addresses still use it.
ALIASES = [("15141", "Neussargues en Pinatelle", "15141")]


def main(src):
    src = Path(src)
    with open(src / "france_communes.csv", encoding="utf-8") as f:
        current = list(csv.DictReader(f))
    by_code = {row["insee_code"]: row for row in current}
    rows = [
        {
            "code_insee": r["insee_code"], "nom": r["name"],
            "departement": r["departement"], "codes_postaux": r["postal_codes"],
            "latitude": r["latitude"], "longitude": r["longitude"],
            "population": r["population"], "statut": "actuelle",
            "code_insee_actuel": r["insee_code"],
        }
        for r in current
    ]
    with open(src / "cantal_former_communes.csv", encoding="utf-8") as f:
        former = [(r["insee_code"], r["name"], r["current_insee_code"], r)
                  for r in csv.DictReader(f)]
    for code, name, current_code in ALIASES:
        former.append((code, name, current_code, by_code[current_code]))
    for code, name, current_code, point in former:
        parent = by_code[current_code]
        rows.append({
            "code_insee": code, "nom": name, "departement": parent["departement"],
            "codes_postaux": parent["postal_codes"],
            "latitude": point["latitude"], "longitude": point["longitude"],
            "population": "", "statut": "ancienne",
            "code_insee_actuel": current_code,
        })
    out = Path(__file__).with_name("communes.csv")
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{out}: {len(rows)} lignes")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
