"""A partner's own services as a ready-to-edit template: CSV (Excel FR) or XLSX.

Line 1 holds the column titles and every following line is a service: there is
no help row to edit by mistake. The help lives apart: in the XLSX, a second
sheet « Aide » (the importer reads only the sheet « Services ») and a note on
each column title; in the CSV, comment lines after the services, which start
with `#` — the importer skips any line whose first cell starts with `#`
(imports/read.is_comment). The XLSX keeps phones, postcodes and dates as text,
so the spreadsheet does not eat the leading zero. No Flask imports.
"""

import csv
import io

from ..schema import SERVICE_COLUMNS
from .csv_excel import escape_formula, export_rows, national_phone

COLUMNS = list(SERVICE_COLUMNS)
HELP_SHEET = "Aide"
COMMENT = "#"
RULES = (
    "Les lignes qui commencent par # sont ignorées à l'import (ce sont des "
    "commentaires).",
    "La ligne 1 porte les noms des colonnes : ne la modifiez pas. Chaque ligne "
    "suivante est un service.",
    "Une ligne absente du fichier n'est jamais supprimée ; à l'import, chaque "
    "ligne du fichier prend la date du jour comme date de mise à jour.",
)
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
    "frais": (
        "Recommandé : gratuit ou payant",
        "Le service est-il gratuit ? Vide si vous ne savez pas (avertissement).",
    ),
    "frais_precisions": ("Si payant", "Montant ou conditions des frais."),
    "modalites_acces": (
        "Recommandé, ex. : acces-libre, sur-rendez-vous",
        "acces-libre, sur-rendez-vous, sur-inscription, orientation-professionnel "
        "(acces-libre exclut orientation-professionnel).",
    ),
    "conditions_acces": ("Facultatif", "Prérequis, qui peut en bénéficier."),
    "justificatifs": (
        "Facultatif, séparés par ;",
        "Documents à apporter, ex. : Pièce d'identité ; Avis d'imposition. "
        "Colonne absente du fichier : la valeur enregistrée est gardée.",
    ),
    "modes_orientation_beneficiaire": (
        "Facultatif, ex. : telephoner, se-presenter",
        "Comment la personne fait sa demande : se-presenter, telephoner, "
        "envoyer-un-mail, completer-le-formulaire-dadhesion, "
        "utiliser-lien-mobilisation.",
    ),
    "modes_orientation_accompagnateur": (
        "Facultatif, ex. : envoyer-une-fiche-de-prescription",
        "Comment un professionnel oriente une personne : telephoner, "
        "envoyer-un-mail, envoyer-une-fiche-de-prescription, "
        "envoyer-un-mail-avec-une-fiche-de-prescription, "
        "completer-le-formulaire-dadhesion, utiliser-lien-mobilisation.",
    ),
    "mobilisation_precisions": (
        "Facultatif",
        "Comment faire une demande, en quelques phrases.",
    ),
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
    "lien_mobilisation": (
        "Facultatif, https://…",
        "Formulaire ou prise de rendez-vous en ligne.",
    ),
    "horaires": (
        "Conseillé, ex. : Mo-Fr 09:00-12:00",
        "Syntaxe OpenStreetMap : Mo-Fr 09:00-12:00,14:00-17:00; PH off",
    ),
    "horaires_precisions": ("Facultatif", "Ce que la syntaxe ne sait pas dire."),
    "zone_eligibilite": ("15 par défaut", "Codes INSEE des communes, 15 ou france."),
    "date_maj": (
        "Obligatoire, AAAA-MM-JJ ou JJ/MM/AAAA",
        "Date de la dernière vérification ; à l'import, chaque ligne envoyée "
        "prend la date du jour.",
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


def help_lines():
    """The help as text lines: the rules, then « colonne : attendu. Détail »."""
    lines = list(RULES)
    for column in COLUMNS:
        short, note = HELP[column]
        lines.append(f"{column} : {short}. {note}")
    return lines


def template_csv(rows):
    """Excel-FR CSV bytes: header, the services, then the help as `#` lines."""
    data = export_rows(rows, columns=COLUMNS)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for line in help_lines():
        writer.writerow([f"{COMMENT} {line}"])
    return data + buffer.getvalue().encode("utf-8")


def template_xlsx(rows):
    """XLSX bytes: sheet « Services » (notes on the titles), sheet « Aide »."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Services"
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append([_cell(column, row.get(column)) for column in COLUMNS])
    bold = Font(bold=True)
    for index, column in enumerate(COLUMNS, start=1):
        title = sheet.cell(row=1, column=index)
        title.font = bold
        note = f"{HELP[column][0]}. {HELP[column][1]} (Voir la feuille « Aide ».)"
        title.comment = Comment(note, "Annuaire des solidarités du Cantal", 120, 300)
        if column in TEXT_COLUMNS:
            for cells in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cells[0].number_format = "@"
        letter = title.column_letter
        sheet.column_dimensions[letter].width = 40 if column == "description" else 22
    sheet.freeze_panes = "B2"
    aide = workbook.create_sheet(HELP_SHEET)
    for rule in RULES:
        aide.append([rule])
    aide.append([])
    aide.append(["Colonne", "Ce qu'elle attend", "Précisions"])
    heading = aide.max_row
    for column in COLUMNS:
        aide.append([column, *HELP[column]])
    for cell in aide[heading]:
        cell.font = bold
    wrap = Alignment(wrap_text=True, vertical="top")
    for cells in aide.iter_rows(min_row=heading + 1):
        for cell in cells:
            cell.alignment = wrap
    for letter, width in (("A", 22), ("B", 45), ("C", 80)):
        aide.column_dimensions[letter].width = width
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
