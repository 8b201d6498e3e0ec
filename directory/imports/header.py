"""The header line of a partner file: column titles → canonical columns, with
French issues (untitled, doubled, unknown, missing, misspelt). No Flask imports.

A misspelt title (« code_postale ») is read as the column it is closest to when
that match is unique and the right column is absent; otherwise it is reported
with its suggestions and ignored.
"""

import difflib
import re
import unicodedata

from ..schema import SERVICE_COLUMNS
from .report import Issue

REQUIRED_COLUMNS = [
    "id",
    "nom",
    "description",
    "structure_id",
    "structure_nom",
    "besoins",
    "frais",
    "modalites_acces",
    "code_postal",
    "commune",
    "date_maj",
]
IGNORE_COLUMN = "__ignore__"

# Header spellings seen in partner spreadsheets → canonical column.
HEADER_ALIASES = {
    "identifiant": "id",
    "nom_du_service": "nom",
    "service": "nom",
    "structure": "structure_nom",
    "nom_de_la_structure": "structure_nom",
    "besoin": "besoins",
    "thematique": "thematiques",
    "public": "publics",
    "modalites": "modalites_acces",
    "modalite_d_acces": "modalites_acces",
    "modalites_d_acces": "modalites_acces",
    "conditions": "conditions_acces",
    "mode_d_accueil": "modes_accueil",
    "modes_d_accueil": "modes_accueil",
    "langue": "langues",
    "cp": "code_postal",
    "code_commune": "code_insee",
    "ville": "commune",
    "lat": "latitude",
    "lon": "longitude",
    "lng": "longitude",
    "tel": "telephone",
    "telephone_fixe": "telephone",
    "numero_de_telephone": "telephone",
    "email": "courriel",
    "e_mail": "courriel",
    "mail": "courriel",
    "adresse_electronique": "courriel",
    "site": "site_web",
    "site_internet": "site_web",
    "horaires_d_ouverture": "horaires",
    "date_de_mise_a_jour": "date_maj",
    "mise_a_jour": "date_maj",
}
CLOSE_ENOUGH = 0.8  # difflib ratio: « code_postale » ~ « code_postal » is 0.96


def normalize_header(text):
    """Canonical column key: no accents, lower case, `_` between words."""
    text = unicodedata.normalize("NFKD", str(text or ""))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    if text.strip() == IGNORE_COLUMN:
        return IGNORE_COLUMN
    text = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    return HEADER_ALIASES.get(text, text)


def close_columns(column, candidates):
    """Canonical columns spelt like `column` (at most 3, best first)."""
    return difflib.get_close_matches(column, candidates, n=3, cutoff=CLOSE_ENOUGH)


def quoted(names):
    """['a', 'b'] → '« a » ou « b »'."""
    return " ou ".join(f"« {n} »" for n in names)


def check_header(header, header_line, table):
    """Canonical columns of the header titles; issues are added to `table`."""
    columns = [normalize_header(h) for h in header]
    known = set(SERVICE_COLUMNS) | {IGNORE_COLUMN}
    present = set(columns) & known
    absent = [c for c in SERVICE_COLUMNS if c not in present]
    guesses = {
        position: close_columns(column, absent)
        for position, column in enumerate(columns)
        if column and column not in known
    }
    claimed = {}
    for position, names in guesses.items():
        if len(names) == 1:
            claimed.setdefault(names[0], []).append(position)
    for name, positions in claimed.items():
        if len(positions) == 1:  # unique both ways: read it as that column
            position = positions[0]
            title = header[position]
            table.issues.append(
                Issue(
                    line=header_line,
                    column=title,
                    message=f"colonne « {title} » : vouliez-vous dire « {name} » ? "
                    f"Ses valeurs sont lues comme « {name} » ; corrigez le titre "
                    "dans votre fichier.",
                    blocking=False,
                )
            )
            columns[position] = name
            del guesses[position]
    seen, titles = {}, {}
    for position, (title, column) in enumerate(zip(header, columns, strict=True)):
        if not column:
            table.issues.append(
                Issue(
                    line=header_line,
                    message=f"la colonne n°{position + 1} n'a pas de titre : "
                    "ses valeurs seront ignorées.",
                    blocking=False,
                )
            )
        elif column in seen:
            table.issues.append(
                Issue(
                    line=header_line,
                    column=column,
                    message=f"les colonnes « {titles[column]} » (n°{seen[column] + 1}) "
                    f"et « {title} » (n°{position + 1}) désignent toutes deux "
                    f"« {column} » : supprimez l'une des deux.",
                )
            )
        elif column not in known and len(columns) > 1:
            names = guesses.get(position)
            guess = f"vouliez-vous dire {quoted(names)} ? " if names else ""
            table.issues.append(
                Issue(
                    line=header_line,
                    column=title,
                    message=f"colonne « {title} » inconnue : {guess}elle sera ignorée.",
                    blocking=False,
                )
            )
        seen.setdefault(column, position)
        titles.setdefault(column, title)
    missing = [c for c in REQUIRED_COLUMNS if c not in seen]
    if missing:
        names = ", ".join(f"« {c} »" for c in missing)
        hint = ""
        if len(columns) == 1 and table.delimiter:
            hint = (
                " Une seule colonne a été lue : le séparateur du fichier "
                "est-il bien la virgule, le point-virgule ou la tabulation ?"
            )
        table.issues.append(
            Issue.file(
                f"Colonne{'s' if len(missing) > 1 else ''} obligatoire"
                f"{'s' if len(missing) > 1 else ''} absente"
                f"{'s' if len(missing) > 1 else ''} : {names}. "
                f"La ligne 1 doit porter les noms de colonnes du modèle.{hint}"
            )
        )
    return columns
