"""A partner's own services as a ready-to-edit template: CSV (Excel FR) or XLSX.

Both start with an `__ignore__` column: the help row under the header has a
value there, so the importer skips it, and re-uploading the file unchanged
changes nothing. The XLSX also carries a note on each column title and keeps
phones, postcodes and dates as text, so the spreadsheet does not eat the
leading zero. No Flask imports.
"""

import io

from ..imports.read import IGNORE_COLUMN
from ..schema import SERVICE_COLUMNS
from .csv_excel import escape_formula, export_rows, national_phone

COLUMNS = [IGNORE_COLUMN, *SERVICE_COLUMNS]
HELP_MARK = "AIDE (ligne ignorée à l'import)"
# column → (help row text, longer note on the column title)
HELP = {
    "id": (
        "Obligatoire, ne jamais modifier",
        "Identifiant stable du service : structure--service (minuscules, chiffres, "
        "tirets). Laissez-le tel quel ; pour un nouveau service, inventez-en un.",
    ),
    "statut": (
        "actif, ferme-temporairement ou ferme",
        "Une ligne absente du fichier n'est jamais supprimée : pour retirer un "
        "service, mettez « ferme ».",
    ),
    "nom": (
        "Obligatoire, 3 à 150 caractères",
        "Nom du service tel que le public le connaît.",
    ),
    "description": ("Obligatoire", "Ce que propose le service, en texte simple."),
    "structure_id": (
        "Obligatoire, identifiant de votre structure",
        "Seules les structures rattachées à votre compte sont acceptées.",
    ),
    "structure_nom": ("Obligatoire", "Même nom sur toutes les lignes d'une structure."),
    "besoins": (
        "Obligatoire, ex. : alimentation, logement",
        "Un ou plusieurs besoins séparés par des virgules (slug ou libellé : "
        "« Se nourrir », « Logement et hébergement »…).",
    ),
    "thematiques": (
        "Facultatif",
        "Sous-thématiques data·inclusion, séparées par des virgules.",
    ),
    "publics": (
        "tous-publics par défaut",
        "Publics data·inclusion, séparés par des virgules ; « tous-publics » seul.",
    ),
    "age_min": ("Facultatif, nombre 0 à 120", "Âge minimum."),
    "age_max": ("Facultatif, nombre 0 à 120", "Âge maximum (au moins l'âge minimum)."),
    "frais": ("Obligatoire : gratuit ou payant", "Le service est-il gratuit ?"),
    "frais_precisions": ("Si payant", "Montant ou conditions des frais."),
    "modalites_acces": (
        "Obligatoire, ex. : acces-libre, sur-rendez-vous",
        "acces-libre, sur-rendez-vous, sur-inscription, orientation-professionnel "
        "(acces-libre exclut orientation-professionnel).",
    ),
    "conditions_acces": ("Facultatif", "Documents à apporter, prérequis."),
    "modes_accueil": ("en-presentiel par défaut", "en-presentiel, a-distance."),
    "langues": ("fr par défaut", "Codes ISO 639-1 séparés par des virgules (fr, en…)."),
    "adresse": (
        "Numéro et rue, si accueil sur place",
        "Laissez vide si l'adresse est inconnue : le service sera placé à sa commune.",
    ),
    "complement_adresse": ("Facultatif", "Bâtiment, étage…"),
    "code_postal": ("Obligatoire, 5 chiffres", "Code postal, ex. 15000."),
    "commune": ("Obligatoire", "Commune du lieu d'accueil."),
    "code_insee": ("Automatique", "Calculé à partir de la commune ; laissez tel quel."),
    "latitude": (
        "Automatique",
        "Calculée depuis l'adresse si vide ; virgule ou point décimal.",
    ),
    "longitude": ("Automatique", "Calculée depuis l'adresse si vide."),
    "telephone": (
        "Téléphone, courriel ou site : au moins un",
        "Numéro français, ex. 04 71 46 20 20.",
    ),
    "courriel": ("Facultatif", "Adresse e-mail de contact du service."),
    "site_web": ("Facultatif, https://…", "Adresse du site web."),
    "lien_mobilisation": ("Facultatif, https://…", "Lien pour orienter une personne."),
    "horaires": (
        "Conseillé, ex. : Mo-Fr 09:00-12:00",
        "Syntaxe OpenStreetMap : Mo-Fr 09:00-12:00,14:00-17:00; PH off",
    ),
    "horaires_precisions": ("Facultatif", "Ce que la syntaxe ne sait pas dire."),
    "zone_eligibilite": ("15 par défaut", "Codes INSEE des communes, 15 ou france."),
    "date_maj": (
        "Obligatoire, AAAA-MM-JJ ou JJ/MM/AAAA",
        "Date de la dernière vérification des informations.",
    ),
    "source": ("Facultatif", "D'où vient l'information (lien ou texte court)."),
}
TEXT_COLUMNS = {
    "id",
    "telephone",
    "code_postal",
    "code_insee",
    "date_maj",
    "zone_eligibilite",
}
NUMBER_COLUMNS = {"age_min", "age_max", "latitude", "longitude"}


def help_row():
    """The row under the header: what each column expects, in French."""
    row = {column: text for column, (text, _) in HELP.items()}
    row[IGNORE_COLUMN] = HELP_MARK
    return row


def template_csv(rows):
    """Excel-FR CSV bytes: header, help row, then the services."""
    return export_rows([help_row(), *rows], columns=COLUMNS)


def template_xlsx(rows):
    """XLSX bytes: sheet « Services » with the help row and column notes."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Services"
    sheet.append(COLUMNS)
    sheet.append([help_row()[c] for c in COLUMNS])
    for row in rows:
        sheet.append([_cell(column, row.get(column)) for column in COLUMNS])
    bold, italic = Font(bold=True), Font(italic=True, color="555555")
    shade = PatternFill("solid", fgColor="FFF2CC")
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        title = sheet.cell(row=1, column=index)
        title.font = bold
        note = (
            "Colonne d'aide : toute ligne où elle est remplie est ignorée à l'import."
            if column == IGNORE_COLUMN
            else HELP[column][1]
        )
        title.comment = Comment(note, "Annuaire des solidarités du Cantal", 120, 300)
        help_cell = sheet.cell(row=2, column=index)
        help_cell.font, help_cell.fill = italic, shade
        help_cell.alignment = Alignment(wrap_text=True, vertical="top")
        if column in TEXT_COLUMNS:
            for cells in sheet.iter_rows(min_row=3, min_col=index, max_col=index):
                cells[0].number_format = "@"
        sheet.column_dimensions[letter].width = 40 if column == "description" else 22
    sheet.freeze_panes = "B3"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(column, value):
    if value is None or value == "":
        return None
    if column in NUMBER_COLUMNS:
        return value
    if column == "telephone":
        value = national_phone(value)
    return escape_formula(str(value))
