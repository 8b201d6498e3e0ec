"""(Re)generate the import test corpus in tests/data/import/, byte for byte.

    .venv/bin/python tests/make_corpus.py

Each file is a small partner file of the Cantal, as a spreadsheet exports it:
cp1252 with `;`, UTF-8 with a BOM, tabs, UTF-16, XLSX, and broken ones. The
services are copied from data/services.csv. Output is deterministic (fixed
random seed, fixed ZIP timestamps), so `test_corpus_is_up_to_date` can check
that the committed files are exactly what this script writes. The 10 MB file
over the size cap is not committed: tests build it with `big_file()`.
"""

import csv
import datetime
import io
import random
import re
import sys
import zipfile
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "data" / "import"

# The columns a partner's model spreadsheet usually carries (SPEC §2.1 names).
COLUMNS = [
    "id",
    "nom",
    "description",
    "structure_id",
    "structure_nom",
    "besoins",
    "publics",
    "age_min",
    "age_max",
    "frais",
    "frais_precisions",
    "modalites_acces",
    "conditions_acces",
    "adresse",
    "code_postal",
    "commune",
    "telephone",
    "courriel",
    "site_web",
    "horaires",
    "date_maj",
    "source",
]

FS_DESCRIPTION = (
    "Accueil, information et accompagnement dans les démarches administratives "
    "du quotidien auprès des services publics partenaires (CAF, Assurance "
    "maladie, MSA, assurance retraite, France Travail, impôts…), et aide à "
    "l'utilisation des services en ligne."
)
FS_SOURCE = "https://www.data.gouv.fr/fr/datasets/liste-des-structures-france-services/"
MDS_DESCRIPTION = (
    "Service d'action sociale du Conseil départemental : des professionnels de "
    "l'action sociale écoutent, informent, orientent et accompagnent dans les "
    "démarches."
)
MDS_HOURS = "Mo-Th 08:30-12:00,13:30-17:30; Fr 08:30-12:00,13:30-16:30; PH off"


def restos(slug, commune, code_postal, **extra):
    """A Restos du Cœur distribution centre (data/services.csv)."""
    return {
        "id": f"restos-du-coeur-cantal--{slug}",
        "nom": f"Restos du Cœur, centre de {commune}",
        "description": (
            f"Centre de distribution des Restos du Cœur du Cantal à {commune} : "
            "aide alimentaire pendant les campagnes d'hiver et d'été, pour les "
            "personnes inscrites."
        ),
        "structure_id": "restos-du-coeur-cantal",
        "structure_nom": "Les Restos du Cœur du Cantal",
        "besoins": "alimentation",
        "publics": "tous-publics",
        "frais": "gratuit",
        "modalites_acces": "sur-inscription",
        "code_postal": code_postal,
        "commune": commune,
        "site_web": "https://ad15.restosducoeur.org",
        "date_maj": "2018-11-27",
        "source": "https://ad15.restosducoeur.org",
        **extra,
    }


def france_services(slug, nom, adresse, code_postal, commune, tel, mail, hours):
    """A France services office (data/services.csv)."""
    return {
        "id": f"france-services-{slug}--accueil",
        "nom": nom,
        "description": FS_DESCRIPTION,
        "structure_id": f"france-services-{slug}",
        "structure_nom": nom,
        "besoins": "acces-aux-droits, numerique",
        "publics": "tous-publics",
        "frais": "gratuit",
        "modalites_acces": "acces-libre, sur-rendez-vous",
        "adresse": adresse,
        "code_postal": code_postal,
        "commune": commune,
        "telephone": tel,
        "courriel": mail,
        "horaires": hours,
        "date_maj": "2024-08-01",
        "source": FS_SOURCE,
    }


def mds(slug, commune, code_postal):
    """A Maison de la solidarité départementale (data/services.csv)."""
    return {
        "id": f"departement-cantal--mds-{slug}",
        "nom": f"Maison de la solidarité départementale, antenne de {commune}",
        "description": MDS_DESCRIPTION,
        "structure_id": "departement-cantal",
        "structure_nom": "Conseil départemental du Cantal",
        "besoins": "acces-aux-droits, budget, famille, autonomie-handicap",
        "publics": "tous-publics",
        "frais": "gratuit",
        "modalites_acces": "acces-libre",
        "code_postal": code_postal,
        "commune": commune,
        "site_web": "https://www.cantal.fr/services-et-proximite/services/solidarite",
        "horaires": MDS_HOURS,
        "date_maj": "2026-11-26",
    }


FS_MAURS = france_services(
    "maurs",
    "France services Maurs",
    "3 Place du 11 Novembre",
    "15600",
    "Maurs",
    "04 71 46 87 17",
    "msp.maurs@chataigneraie15.fr",
    "Mo-Fr 08:30-12:30,13:30-17:00; PH off",
)
FS_MURAT = france_services(
    "murat",
    "France services de Murat",
    "4 Rue du Faubourg Notre-dame",
    "15300",
    "Murat",
    "04 71 20 28 88",
    "mdsmurat@hautesterres.fr",
    "Mo-We 09:00-12:00,13:30-17:30; Th 13:30-17:30; Fr 09:00-12:00,13:30-17:30; PH off",
)
FS_RIOM = france_services(
    "riom-es-montagnes",
    "France services du Pays Gentiane",
    "Place de la Gare",
    "15400",
    "Riom-ès-Montagnes",
    "04 71 78 29 50",
    "eps@pays-gentiane.com",
    "Mo-Th 09:00-12:00,14:00-17:00; Fr 09:00-12:00; PH off",
)
FS_NEUSSARGUES = france_services(
    "neussargues-moissac",
    "France services Neussargues en Pinatelle",
    "25 Rue de la gare",
    "15170",
    "Neussargues-Moissac",
    "04 71 23 13 62",
    "mdstneussargues@hautesterres.fr",
    "Mo 09:00-12:00; Tu,We 09:00-12:00,13:30-17:00; Th,Fr 13:30-17:30; PH off",
)
FS_CYBERCANTAL = france_services(
    "bus-cybercantal",
    "Bus France services CyberCantal",
    "28 Avenue Gambetta",
    "15000",
    "Aurillac",
    "04 71 46 59 81",
    "cybercantal@france-services.gouv.fr",
    "Mo-Fr 10:00-12:30,13:00-16:00; PH off",
)
HOTEL_DEPARTEMENT = {
    "id": "departement-cantal--hotel-du-departement",
    "nom": "Hôtel du Département du Cantal",
    "description": (
        "Siège du Conseil départemental du Cantal, qui conduit la politique "
        "départementale d'action sociale."
    ),
    "structure_id": "departement-cantal",
    "structure_nom": "Conseil départemental du Cantal",
    "besoins": "acces-aux-droits",
    "publics": "tous-publics",
    "frais": "gratuit",
    "modalites_acces": "acces-libre",
    "adresse": "28 avenue Gambetta",
    "code_postal": "15000",
    "commune": "Aurillac",
    "telephone": "04 71 46 20 20",
    "site_web": "https://www.cantal.fr",
    "date_maj": "2015-10-01",
}
PMI = {
    "id": "departement-cantal--pmi-prevention-prenatale-postnatale",
    "nom": (
        "PMI : suivi de grossesse par une sage-femme et consultations pour les "
        "jeunes enfants"
    ),
    "description": (
        "Pendant la grossesse, une sage-femme propose l'entretien prénatal "
        "précoce, informe et conseille."
    ),
    "structure_id": "departement-cantal",
    "structure_nom": "Conseil départemental du Cantal",
    "besoins": "famille, sante",
    "publics": "femmes, familles",
    "frais": "gratuit",
    "modalites_acces": "sur-rendez-vous",
    "code_postal": "15000",
    "commune": "Aurillac",
    "telephone": "04 71 46 20 47",
    "site_web": "https://www.cantal.fr/services-et-proximite/services/enfance-famille",
    "date_maj": "2026-11-26",
}
MISSION_LOCALE = {
    "id": "mission-locale-aurillac--aurillac",
    "nom": "Mission Locale de l'arrondissement d'Aurillac",
    "description": (
        "Accompagnement des jeunes vers l'emploi et l'autonomie, notamment avec "
        "le Contrat d'engagement jeune."
    ),
    "structure_id": "mission-locale-aurillac",
    "structure_nom": "Mission Locale de l'arrondissement d'Aurillac",
    "besoins": "emploi-formation",
    "publics": "jeunes",
    "age_min": "16",
    "age_max": "25",
    "frais": "gratuit",
    "modalites_acces": "acces-libre",
    "code_postal": "15000",
    "commune": "Aurillac",
    "date_maj": "2022-03-01",
}


def halte(slug, commune, code_postal, adresse, places):
    """An ANEF night shelter (data/services.csv)."""
    return {
        "id": f"anef-cantal--halte-de-nuit-{slug}",
        "nom": f"Halte de nuit de {commune}".replace("de Aurillac", "d'Aurillac"),
        "description": (
            "Hébergement d'urgence pour la nuit : accueil en urgence de toute "
            f"personne orientée par le 115. {places} places à {commune}."
        ),
        "structure_id": "anef-cantal",
        "structure_nom": "ANEF du Cantal",
        "besoins": "logement",
        "publics": "personnes-en-situation-durgence",
        "age_min": "18",
        "frais": "gratuit",
        "modalites_acces": "orientation-professionnel",
        "conditions_acces": "Personnes adultes sans domicile, orientées par le 115.",
        "adresse": adresse,
        "code_postal": code_postal,
        "commune": commune,
        "telephone": "115",
        "date_maj": "2021-09-06",
    }


HALTE_AURILLAC = halte("aurillac", "Aurillac", "15000", "46, rue du Cayla", 16)
HALTE_SAINT_FLOUR = halte(
    "saint-flour", "Saint-Flour", "15100", "3, avenue du 11 novembre", 3
)
EPICERIE_SAINT_FLOUR = {
    "id": "ville-saint-flour--epicerie-sociale-les-quatre-vents",
    "nom": "Épicerie sociale Les Quatre-Vents",
    "description": (
        "Denrées alimentaires et produits d'hygiène et d'entretien à moindre "
        "coût, avec un accompagnement par une conseillère en économie sociale "
        "et familiale."
    ),
    "structure_id": "ville-saint-flour",
    "structure_nom": "Ville de Saint-Flour",
    "besoins": "alimentation, hygiene-accueil-de-jour, budget",
    "publics": "tous-publics",
    "frais": "payant",
    "frais_precisions": "Le bénéficiaire paie 10 à 30 % du prix des produits.",
    "modalites_acces": "sur-inscription",
    "code_postal": "15100",
    "commune": "Saint-Flour",
    "date_maj": "2010-10-01",
}


def rows_of(services, columns=COLUMNS):
    """Services (dicts) as lists of cells in column order."""
    return [[service.get(c, "") for c in columns] for service in services]


def text_table(header, rows, delimiter=",", lineterminator="\r\n"):
    """A CSV text as a spreadsheet writes it (minimal quoting)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=lineterminator)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def csv_bytes(services, *, columns=COLUMNS, header=None, delimiter=",", **kw):
    """UTF-8 CSV bytes of services (`header`: the titles written in line 1)."""
    rows = rows_of(services, columns)
    return text_table(header or columns, rows, delimiter, **kw).encode("utf-8")


def with_(service, **changes):
    """A copy of a service with some cells changed."""
    return {**service, **changes}


FIXED_ZIP_TIME = (2024, 8, 1, 9, 0, 0)


def deterministic_zip(data):
    """Rewrite a ZIP with fixed timestamps (and fixed document dates)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*",
                    rb"\g<1>2024-08-01T09:00:00Z",
                    content,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, content)
    return out.getvalue()


def xlsx_workbook():
    """The partner model: a help sheet, then "Services" with a help row."""
    from openpyxl import Workbook

    workbook = Workbook()
    help_sheet = workbook.active
    help_sheet.title = "Mode d'emploi"
    help_sheet["A1"] = "Remplissez l'onglet « Services » : une ligne par service."
    help_sheet["A2"] = "Ne modifiez pas la ligne d'en-tête."
    sheet = workbook.create_sheet("Services")
    columns = ["__ignore__"] + COLUMNS
    sheet.append(columns)
    sheet.append(
        [
            "Aide : cette ligne n'est pas importée",
            "identifiant unique, par exemple ccas-aurillac--aide-energie",
            "nom du service",
            "ce que le service propose",
            "identifiant de la structure",
            "nom de la structure",
            "besoins, séparés par des virgules",
        ]
        + [""] * (len(columns) - 7)
    )
    pmi = with_(
        PMI,
        telephone=471462047,  # Excel turned "04 71 46 20 47" into a number
        code_postal=15000,  # number-typed postcode cell
        date_maj=datetime.datetime(2024, 8, 1),  # a real date cell
    )
    hotel = with_(
        HOTEL_DEPARTEMENT, code_postal=15000, date_maj=datetime.date(2015, 10, 1)
    )
    mission = with_(MISSION_LOCALE, age_min=16, age_max=25, code_postal="15000")
    for service in (pmi, hotel, mission):
        values = [None] + [service.get(c, None) for c in COLUMNS]
        sheet.append([None if v == "" else v for v in values])
    for row in (3, 4):
        sheet.cell(
            row=row, column=columns.index("date_maj") + 1
        ).number_format = "DD/MM/YYYY"
    return workbook


def xlsx_bytes(workbook):
    out = io.BytesIO()
    workbook.save(out)
    return deterministic_zip(out.getvalue())


def xlsx_with_wrong_dimension():
    """An XLSX whose sheet claims to span A1:A1 (some exporters write that)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Services"
    sheet.append(COLUMNS)
    for row in rows_of([FS_MAURS, FS_MURAT]):
        sheet.append(row)
    data = xlsx_bytes(workbook)
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                content = re.sub(
                    rb'<dimension ref="[^"]*"', b'<dimension ref="A1"', content
                )
            target.writestr(info, content)
    return out.getvalue()


def zip_of(name, content):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        target.writestr(zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME), content)
    return out.getvalue()


def ods_bytes():
    """The start of a LibreOffice Calc file: a ZIP, but OpenDocument, not XLSX."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        mimetype = zipfile.ZipInfo("mimetype", date_time=FIXED_ZIP_TIME)
        target.writestr(
            mimetype,
            "application/vnd.oasis.opendocument.spreadsheet",
            compress_type=zipfile.ZIP_STORED,
        )
        content = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:'
            'xmlns:office:1.0" office:version="1.3"><office:body><office:spreadsheet/>'
            "</office:body></office:document-content>"
        )
        for name, text in (
            ("content.xml", content),
            ("META-INF/manifest.xml", '<?xml version="1.0" encoding="UTF-8"?>'),
        ):
            target.writestr(zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME), text)
    return out.getvalue()


def corpus():
    """{file name: bytes} of the whole corpus."""
    files = {}

    # -- reading stage: encodings, separators, formats ---------------------------
    files["cp1252_point_virgule.csv"] = text_table(
        COLUMNS,
        rows_of(
            [
                restos("murat", "Murat", "15300"),
                restos("maurs", "Maurs", "15600"),
                restos("saint-flour", "Saint-Flour", "15100"),
                restos("mauriac", "Mauriac", "15200"),
            ]
        ),
        ";",
    ).encode("cp1252")
    files["utf8_bom_point_virgule.csv"] = b"\xef\xbb\xbf" + csv_bytes(
        [FS_MAURS, FS_MURAT, FS_RIOM], delimiter=";"
    )
    files["tabulation.tsv"] = csv_bytes(
        [
            mds("aurillac", "Aurillac", "15000"),
            mds("mauriac", "Mauriac", "15200"),
            mds("saint-flour", "Saint-Flour", "15100"),
        ],
        delimiter="\t",
        lineterminator="\n",
    )
    files["utf16_texte_unicode.txt"] = b"\xff\xfe" + text_table(
        COLUMNS, rows_of([FS_CYBERCANTAL, HOTEL_DEPARTEMENT]), "\t"
    ).encode("utf-16-le")
    files["classeur.xlsx"] = xlsx_bytes(xlsx_workbook())
    files["classeur_dimension_fausse.xlsx"] = xlsx_with_wrong_dimension()
    files["classeur_corrompu.xlsx"] = files["classeur.xlsx"][:1500]
    files["classeur_zip_de_csv.xlsx"] = zip_of(
        "services.csv", csv_bytes([FS_MAURS, FS_MURAT])
    )
    files["classeur_libreoffice.ods"] = ods_bytes()
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(24) + b"\x3e\x00\x03\x00"
    files["ancien_excel.xls"] = ole + bytes(512 - len(ole)) + b"Workbook" + bytes(100)

    files["vide.csv"] = b""
    files["espaces.csv"] = b"  \r\n\t\r\n \r\n"
    files["bom_seul.csv"] = b"\xef\xbb\xbf"
    files["separateurs_seuls.csv"] = b";;;;;;\r\n;;;;;;\r\n;;;;;;\r\n"
    files["entete_seule.csv"] = text_table(COLUMNS, [], ";").encode("utf-8")

    rng = random.Random(15)
    garbage = bytes(rng.randrange(256) for _ in range(3000))
    files["binaire.bin"] = b"\x07\x00" + garbage
    files["image.png"] = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10"
        b"\x08\x06\x00\x00\x00\x1f\xf3\xffa"
        + bytes(rng.randrange(256) for _ in range(200))
    )

    without_besoins = [c for c in COLUMNS if c != "besoins"]
    files["colonne_besoins_absente.csv"] = csv_bytes(
        [FS_MAURS, FS_MURAT], columns=without_besoins, delimiter=";"
    )
    files["separateur_barre.csv"] = csv_bytes([FS_MAURS, FS_MURAT], delimiter="|")

    # A description with an unprotected comma: line 3 has one cell too many.
    text = text_table(COLUMNS, rows_of([FS_MAURS, FS_MURAT, FS_RIOM]))
    lines = text.split("\r\n")
    unquoted = MDS_DESCRIPTION.replace(",", "")
    lines[2] = lines[2].replace(f'"{FS_DESCRIPTION}"', unquoted + ", Cantal", 1)
    files["cellules_en_trop.csv"] = "\r\n".join(lines).encode("utf-8")

    header = [
        "Identifiant",
        "Nom du service",
        "Description",
        "Structure_ID",
        "Nom de la structure",
        "Besoins",
        "Public",
        "Frais",
        "Modalités d'accès",
        "Adresse",
        "Code Postal",
        "Commune",
        "Téléphone",
        "E-mail",
        "Site internet",
        "Horaires d'ouverture",
        "Date de mise à jour",
    ]
    canonical = [
        "id",
        "nom",
        "description",
        "structure_id",
        "structure_nom",
        "besoins",
        "publics",
        "frais",
        "modalites_acces",
        "adresse",
        "code_postal",
        "commune",
        "telephone",
        "courriel",
        "site_web",
        "horaires",
        "date_maj",
    ]
    files["entetes_accentues.csv"] = csv_bytes(
        [FS_MAURS, FS_NEUSSARGUES], columns=canonical, header=header, delimiter=";"
    )
    files["colonne_inconnue.csv"] = csv_bytes(
        [
            with_(FS_MAURS, referent="Mme Delort"),
            with_(FS_MURAT, referent="M. Bouygues"),
        ],
        columns=COLUMNS + ["referent"],
        header=COLUMNS + ["Référent interne"],
        delimiter=";",
    )
    files["colonne_en_double.csv"] = csv_bytes(
        [
            with_(FS_MAURS, tel2="04 71 46 87 17"),
            with_(FS_MURAT, tel2="04 71 20 28 88"),
        ],
        columns=COLUMNS + ["tel2"],
        header=[*COLUMNS[:16], "Téléphone", *COLUMNS[17:], "Tel"],
        delimiter=";",
    )

    # Non-breaking spaces (French typography, Excel's number format), trailing
    # empty columns and rows.
    nbsp, nnbsp = "\u00a0", "\u202f"
    messy = [
        with_(
            restos("maurs", "Maurs", "15600"),
            commune=f"Maurs{nbsp}",
            besoins=f"{nbsp}alimentation",
            nom=f"Restos du Cœur{nbsp}: centre de Maurs",
        ),
        with_(
            HOTEL_DEPARTEMENT,
            telephone=nbsp.join(["04", "71", "46", "20", "20"]),
            code_postal=f"15000{nnbsp}",
            date_maj=f"{nbsp}2015-10-01",
        ),
    ]
    rows = [row + ["", "", ""] for row in rows_of(messy)]
    rows += [[""] * (len(COLUMNS) + 3)] * 3
    files["espaces_insecables.csv"] = b"\xef\xbb\xbf" + text_table(
        COLUMNS + ["", "", ""], rows, ";"
    ).encode("utf-8")

    # A cell with line breaks: the record after it starts on spreadsheet line 3.
    multiline = with_(
        restos("murat", "Murat", "15300"),
        description="Aide alimentaire.\nInscriptions le mardi matin.\n"
        "Apporter un justificatif de domicile.",
    )
    files["saut_de_ligne_dans_cellule.csv"] = csv_bytes(
        [
            multiline,
            with_(HOTEL_DEPARTEMENT, telephone="471462020"),
            with_(PMI, description="Consultations :\n- prénatales ;\n- postnatales."),
        ],
        delimiter=";",
    )

    # -- row stage: values ------------------------------------------------------
    files["dates_jj_mm_aaaa.csv"] = csv_bytes(
        [
            with_(HALTE_AURILLAC, date_maj="06/09/2021"),
            with_(HALTE_SAINT_FLOUR, date_maj="6/9/2021"),
            with_(EPICERIE_SAINT_FLOUR, date_maj="01/10/2010"),
        ],
        delimiter=";",
    )
    files["telephones_sans_zero.csv"] = csv_bytes(
        [
            with_(HOTEL_DEPARTEMENT, telephone="471462020"),
            with_(PMI, telephone="471462047"),
            with_(FS_CYBERCANTAL, telephone="04.71.46.59.81"),
            with_(FS_MAURS, telephone="+33 4 71 46 87 17"),
        ],
        delimiter=";",
    )
    files["besoin_inconnu.csv"] = csv_bytes(
        [HALTE_AURILLAC, with_(HALTE_SAINT_FLOUR, besoins="logment")], delimiter=";"
    )
    files["tous_publics_et_jeunes.csv"] = csv_bytes(
        [FS_MAURS, with_(MISSION_LOCALE, publics="tous-publics, jeunes")], delimiter=";"
    )
    files["code_postal_invalide.csv"] = csv_bytes(
        [
            with_(FS_MAURS, code_postal="15 60A"),
            FS_MURAT,
            with_(mds("saint-flour", "Saint-Flour", "15100"), code_postal="151000"),
        ],
        delimiter=";",
    )
    files["commune_code_postal.csv"] = csv_bytes(
        [FS_MAURS, with_(HOTEL_DEPARTEMENT, code_postal="15100")], delimiter=";"
    )
    files["commune_inconnue.csv"] = csv_bytes(
        [with_(FS_MAURS, commune="Xyzzyville"), FS_MURAT], delimiter=";"
    )
    files["commune_mal_orthographiee.csv"] = csv_bytes(
        [FS_MURAT, with_(HOTEL_DEPARTEMENT, commune="Aurilac")], delimiter=";"
    )
    files["horaires_illisibles.csv"] = csv_bytes(
        [FS_MAURS, with_(FS_MURAT, horaires="Lu-Ve 9h-12h")], delimiter=";"
    )
    files["identifiants_en_double.csv"] = csv_bytes(
        [
            restos("murat", "Murat", "15300"),
            restos("maurs", "Maurs", "15600"),
            with_(
                restos("saint-flour", "Saint-Flour", "15100"),
                id="restos-du-coeur-cantal--murat",
            ),
        ],
        delimiter=";",
    )
    files["formules.csv"] = csv_bytes(
        [
            with_(
                restos("murat", "Murat", "15300"),
                nom='=HYPERLINK("http://x","clic")',
            ),
            with_(
                FS_CYBERCANTAL,
                telephone="+33 4 71 46 59 81",
                description="- démarches en ligne\n- accès à internet",
            ),
            with_(HOTEL_DEPARTEMENT, description="@SUM(A1)"),
        ],
        delimiter=";",
    )
    files["libelles.csv"] = csv_bytes(
        [
            with_(
                restos("maurs", "Maurs", "15600"),
                besoins="Se nourrir; Vêtements, meubles et équipement",
                modalites_acces="Sur inscription",
                frais="Gratuit",
            ),
            with_(
                HALTE_AURILLAC,
                besoins="Logement et hébergement",
                modalites_acces="Orientation par un professionnel",
                frais="GRATUIT",
            ),
            with_(
                FS_MURAT,
                besoins="Accès aux droits et démarches, NUMÉRIQUE",
                modalites_acces="Accès libre, Sur rendez-vous",
                frais="gratuit",
            ),
        ],
        delimiter=";",
    )
    files["communes_variantes.csv"] = csv_bytes(
        [
            with_(HALTE_SAINT_FLOUR, commune="St Flour"),
            with_(FS_NEUSSARGUES, commune="Neussargues en Pinatelle"),
            with_(FS_RIOM, commune="RIOM ES MONTAGNES"),
            with_(FS_MAURS, code_postal="15600", commune="maurs"),
        ],
        delimiter=";",
    )
    return files


def big_file(size=10 * 1024 * 1024):
    """A valid UTF-8 CSV of at least `size` bytes (many Restos rows)."""
    header = text_table(COLUMNS, []).encode("utf-8")
    row = text_table(COLUMNS, rows_of([restos("murat", "Murat", "15300")]))
    row = row.split("\r\n", 1)[1].encode("utf-8")
    return header + row * (size // len(row) + 1)


def main(directory=CORPUS):
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in corpus().items():
        (directory / name).write_bytes(data)
    print(f"{len(corpus())} fichiers écrits dans {directory}", file=sys.stderr)


if __name__ == "__main__":
    main()
