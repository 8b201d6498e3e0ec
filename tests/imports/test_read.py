"""Reading stage of the import (SPEC §3): bytes → text → rows with line numbers.

Each corpus file in tests/data/import/ (written by tests/make_corpus.py) is
imported with the real engine; the test asserts the exact outcome: clean or
blocked, how many new services, every issue (line, column, French text,
blocking), and — for valid but messy files — the values stored.
"""

import re
from dataclasses import dataclass, field

import make_corpus
import pytest
from conftest import TEST_DATA, snapshot

from directory.imports import engine as importer
from directory.imports.decoding import decode
from directory.imports.read import clean_cell, normalize_header, read_file
from directory.imports.report import format_lines

CORPUS = TEST_DATA / "import"
MB = 1024 * 1024
EMPTY = (
    "Le fichier est vide. Exportez votre tableau en CSV ou XLSX avec la ligne "
    "d'en-tête et au moins une ligne de service."
)
BINARY = (
    "Ce fichier n'est pas un fichier texte CSV ni un classeur XLSX (contenu "
    "binaire illisible). Exportez votre tableau en CSV (« CSV UTF-8 » ou « CSV "
    "séparateur point-virgule ») ou en XLSX."
)
NO_CONTACT = (
    "aucun moyen de contact (téléphone, courriel ou site web) : ajoutez-en au moins un."
)
NO_ZERO = "le zéro initial manquait (format du tableur) : il a été rétabli."


@dataclass
class Case:
    """Expected outcome of one corpus file."""

    file: str
    ok: bool
    new: int = 0
    issues: list = field(default_factory=list)  # (line, column, text, blocking)
    encoding: str | None = None
    delimiter: str | None = None


def error(text, line=None, column=None):
    return (line, column, text, True)


def warning(text, line=None, column=None):
    return (line, column, text, False)


CASES = [
    Case("cp1252_point_virgule.csv", True, 4, [], "Windows-1252", ";"),
    Case("utf8_bom_point_virgule.csv", True, 3, [], "UTF-8 (avec BOM)", ";"),
    Case("tabulation.tsv", True, 3, [], "UTF-8", "\t"),
    Case("utf16_texte_unicode.txt", True, 2, [], "UTF-16", "\t"),
    Case(
        "classeur.xlsx",
        True,
        3,
        [
            warning(f"« 471462047 » : {NO_ZERO}", 3, "telephone"),
            warning(NO_CONTACT, 5),
        ],
        "XLSX",
    ),
    # The sheet says it spans A1:A1; openpyxl's read-only mode believes it.
    Case("classeur_dimension_fausse.xlsx", True, 2, [], "XLSX"),
    Case(
        "ancien_excel.xls",
        False,
        issues=[
            error(
                "Ce fichier est au format Excel 97-2003 (.xls), non pris en "
                "charge. Enregistrez-le au format .xlsx ou CSV puis recommencez."
            )
        ],
    ),
    Case("vide.csv", False, issues=[error(EMPTY)]),
    Case("espaces.csv", False, issues=[error(EMPTY)]),
    # What Excel's « CSV UTF-8 » writes for an empty sheet: the BOM alone.
    Case(
        "bom_seul.csv",
        False,
        issues=[error(EMPTY)],
        encoding="UTF-8 (avec BOM)",
        delimiter=",",
    ),
    # An empty sheet with formatted cells: only separators.
    Case(
        "separateurs_seuls.csv",
        False,
        issues=[error(EMPTY)],
        encoding="UTF-8",
        delimiter=";",
    ),
    Case(
        "entete_seule.csv",
        False,
        issues=[
            error(
                "Le fichier ne contient que la ligne d'en-tête : aucune ligne "
                "de service à importer."
            )
        ],
        encoding="UTF-8",
        delimiter=";",
    ),
    Case("binaire.bin", False, issues=[error(BINARY)]),
    Case("image.png", False, issues=[error(BINARY)]),
    Case(
        "colonne_besoins_absente.csv",
        False,
        issues=[
            error(
                "Colonne obligatoire absente : « besoins ». La ligne 1 doit "
                "porter les noms de colonnes du modèle."
            )
        ],
        encoding="UTF-8",
        delimiter=";",
    ),
    Case(
        "separateur_barre.csv",
        False,
        issues=[
            error(
                "Colonnes obligatoires absentes : « id », « nom », « description », "
                "« structure_id », « structure_nom », « besoins », « frais », "
                "« modalites_acces », « code_postal », « commune », « date_maj ». "
                "La ligne 1 doit porter les noms de colonnes du modèle. Une seule "
                "colonne a été lue : le séparateur du fichier est-il bien la "
                "virgule, le point-virgule ou la tabulation ?"
            ),
        ],
        encoding="UTF-8",
        delimiter=",",
    ),
    Case(
        "cellules_en_trop.csv",
        False,
        issues=[
            error(
                "la ligne contient 23 cellules alors que l'en-tête compte 22 "
                "colonnes : une cellule contient sans doute un séparateur non "
                "protégé par des guillemets.",
                3,
            )
        ],
        encoding="UTF-8",
        delimiter=",",
    ),
    Case(
        "entetes_accentues.csv",
        True,
        2,
        [],
        "UTF-8",
        ";",
    ),
    Case(
        "colonne_inconnue.csv",
        True,
        2,
        [
            warning(
                "colonne « Référent interne » inconnue : elle sera ignorée.",
                1,
                "Référent interne",
            )
        ],
        "UTF-8",
        ";",
    ),
    Case("espaces_insecables.csv", True, 2, [], "UTF-8 (avec BOM)", ";"),
    Case(
        "saut_de_ligne_dans_cellule.csv",
        True,
        3,
        [warning(f"« 471462020 » : {NO_ZERO}", 3, "telephone")],
        "UTF-8",
        ";",
    ),
]


def as_tuples(issues):
    return [(i.line, i.column, i.text, i.blocking) for i in issues]


def assert_nothing_written(db, report):
    """A blocked report cannot be applied, and the database is untouched."""
    before = snapshot(db)
    with pytest.raises(importer.ImportRefused, match="erreurs bloquantes"):
        importer.apply(db, report, user="test")
    assert snapshot(db) == before
    assert db["imports"].count == 0
    assert db["services"].count == 0


def test_corpus_is_up_to_date():
    """The committed files are exactly what tests/make_corpus.py writes."""
    expected = make_corpus.corpus()
    assert len(expected) >= 20
    on_disk = {p.name: p.read_bytes() for p in CORPUS.iterdir() if p.is_file()}
    assert set(on_disk) == set(expected), "relancez tests/make_corpus.py"
    for name, data in expected.items():
        assert on_disk[name] == data, f"{name} : relancez tests/make_corpus.py"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.file)
def test_reading_outcome(case, db, prepare):
    report = prepare((CORPUS / case.file).read_bytes(), case.file)
    assert as_tuples(report.issues) == case.issues
    assert report.ok is case.ok
    assert len(report.new) == case.new
    assert (report.encoding, report.delimiter) == (case.encoding, case.delimiter)
    if not case.ok:
        assert_nothing_written(db, report)


@pytest.mark.parametrize("case", [c for c in CASES if c.ok], ids=lambda c: c.file)
def test_clean_files_import_and_reimport_changes_nothing(case, db, import_bytes):
    data = (CORPUS / case.file).read_bytes()
    report = import_bytes(data, case.file)
    assert db["services"].count == case.new
    assert db["imports"].count == 1
    again = import_bytes(data, case.file)
    assert (len(again.new), len(again.changed), len(again.unchanged)) == (
        0,
        0,
        case.new,
    )
    assert report.rows_read == case.new


# -- stored values of valid but messy files -----------------------------------


def test_cp1252_semicolon_keeps_accents(db, import_bytes):
    import_bytes((CORPUS / "cp1252_point_virgule.csv").read_bytes())
    murat = db["services"].get("restos-du-coeur-cantal--murat")
    assert murat["nom"] == "Restos du Cœur, centre de Murat"
    assert murat["description"] == (
        "Centre de distribution des Restos du Cœur du Cantal à Murat : aide "
        "alimentaire pendant les campagnes d'hiver et d'été, pour les personnes "
        "inscrites."
    )
    assert murat["structure_nom"] == "Les Restos du Cœur du Cantal"
    assert (murat["code_postal"], murat["commune"], murat["code_insee"]) == (
        "15300",
        "Murat",
        "15138",
    )
    assert db["structures"].get("restos-du-coeur-cantal")["nom"] == (
        "Les Restos du Cœur du Cantal"
    )


def test_bom_is_not_part_of_the_first_column(db, import_bytes):
    report = import_bytes((CORPUS / "utf8_bom_point_virgule.csv").read_bytes())
    assert [r["id"] for r in report.new] == [
        "france-services-maurs--accueil",
        "france-services-murat--accueil",
        "france-services-riom-es-montagnes--accueil",
    ]
    riom = db["services"].get("france-services-riom-es-montagnes--accueil")
    assert riom["horaires"] == "Mo-Th 09:00-12:00,14:00-17:00; Fr 09:00-12:00; PH off"
    assert riom["commune"] == "Riom-ès-Montagnes"
    assert riom["telephone"] == "+33471782950"
    assert riom["besoins"] == "acces-aux-droits, numerique"


def test_utf16_tab_text_from_excel(db, import_bytes):
    import_bytes((CORPUS / "utf16_texte_unicode.txt").read_bytes(), "services.txt")
    hotel = db["services"].get("departement-cantal--hotel-du-departement")
    assert hotel["nom"] == "Hôtel du Département du Cantal"
    assert hotel["telephone"] == "+33471462020"
    bus = db["services"].get("france-services-bus-cybercantal--accueil")
    assert bus["courriel"] == "cybercantal@france-services.gouv.fr"


def test_xlsx_sheet_services_help_row_dates_and_numbers(db, import_bytes):
    report = import_bytes((CORPUS / "classeur.xlsx").read_bytes(), "services.xlsx")
    # "Services" is read although "Mode d'emploi" is the first sheet; the help
    # row (line 2, `__ignore__` filled) is skipped.
    assert [r["id"] for r in report.new] == [
        "departement-cantal--pmi-prevention-prenatale-postnatale",
        "departement-cantal--hotel-du-departement",
        "mission-locale-aurillac--aurillac",
    ]
    pmi = db["services"].get("departement-cantal--pmi-prevention-prenatale-postnatale")
    assert pmi["date_maj"] == "2024-08-01"  # a date cell
    assert pmi["code_postal"] == "15000"  # a number cell
    assert pmi["telephone"] == "+33471462047"  # a number that lost its 0
    assert pmi["code_insee"] == "15014"
    hotel = db["services"].get("departement-cantal--hotel-du-departement")
    assert hotel["date_maj"] == "2015-10-01"
    mission = db["services"].get("mission-locale-aurillac--aurillac")
    assert (mission["age_min"], mission["age_max"]) == (16, 25)
    assert mission["publics"] == "jeunes"


def test_xlsx_leading_empty_row_keeps_spreadsheet_line_numbers(prepare):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append([None])
    sheet.append(make_corpus.COLUMNS)
    for row in make_corpus.rows_of(
        [make_corpus.FS_MAURS, make_corpus.with_(make_corpus.FS_MURAT, horaires="x")]
    ):
        sheet.append(row)
    report = prepare(make_corpus.xlsx_bytes(workbook), "services.xlsx")
    assert [(i.line, i.column) for i in report.issues] == [(4, "horaires")]


def test_accented_headers_are_recognised(db, import_bytes):
    import_bytes((CORPUS / "entetes_accentues.csv").read_bytes())
    maurs = db["services"].get("france-services-maurs--accueil")
    assert maurs["code_postal"] == "15600"
    assert maurs["telephone"] == "+33471468717"
    assert maurs["courriel"] == "msp.maurs@chataigneraie15.fr"
    assert maurs["modalites_acces"] == "acces-libre, sur-rendez-vous"
    assert maurs["horaires"] == "Mo-Fr 08:30-12:30,13:30-17:00; PH off"
    assert maurs["date_maj"] == "2024-08-01"
    assert maurs["structure_nom"] == "France services Maurs"


def test_unknown_column_is_ignored(db, import_bytes):
    import_bytes((CORPUS / "colonne_inconnue.csv").read_bytes())
    assert "Mme Delort" not in str(db["services"].get("france-services-maurs--accueil"))


def test_non_breaking_spaces_and_trailing_empty_cells(db, import_bytes):
    import_bytes((CORPUS / "espaces_insecables.csv").read_bytes())
    maurs = db["services"].get("restos-du-coeur-cantal--maurs")
    assert maurs["commune"] == "Maurs"
    assert maurs["besoins"] == "alimentation"
    assert maurs["nom"] == "Restos du Cœur : centre de Maurs"
    hotel = db["services"].get("departement-cantal--hotel-du-departement")
    assert hotel["telephone"] == "+33471462020"
    assert hotel["code_postal"] == "15000"
    assert hotel["date_maj"] == "2015-10-01"
    assert db["services"].count == 2


def test_line_break_inside_a_cell_keeps_spreadsheet_line_numbers(db, import_bytes):
    data = (CORPUS / "saut_de_ligne_dans_cellule.csv").read_bytes()
    physical = data.decode("utf-8").splitlines()
    # The Hôtel du Département record is on physical line 5 but spreadsheet row 3.
    assert physical[4].startswith("departement-cantal--hotel-du-departement;")
    report = import_bytes(data)
    assert [(i.line, i.column) for i in report.issues] == [(3, "telephone")]
    murat = db["services"].get("restos-du-coeur-cantal--murat")
    assert murat["description"] == (
        "Aide alimentaire.\nInscriptions le mardi matin.\n"
        "Apporter un justificatif de domicile."
    )
    pmi = db["services"].get("departement-cantal--pmi-prevention-prenatale-postnatale")
    assert pmi["description"] == "Consultations :\n- prénatales ;\n- postnatales."


def test_line_numbers_after_a_multiline_cell_on_errors(prepare):
    data = make_corpus.csv_bytes(
        [
            make_corpus.with_(make_corpus.FS_MAURS, description="Un.\nDeux.\nTrois."),
            make_corpus.with_(make_corpus.FS_MURAT, besoins="logment"),
        ],
        delimiter=";",
    )
    report = prepare(data)
    assert [(i.line, i.column) for i in report.errors] == [(3, "besoins")]


def test_blank_lines_count_as_spreadsheet_rows(prepare):
    head = make_corpus.csv_bytes([make_corpus.FS_MAURS])
    tail = make_corpus.csv_bytes(
        [make_corpus.with_(make_corpus.FS_MURAT, horaires="x")]
    )
    report = prepare(head + b"\r\n,,,\r\n" + tail.split(b"\r\n", 1)[1])
    assert [(i.line, i.column) for i in report.issues] == [(5, "horaires")]
    assert report.rows_read == 2


def test_duplicate_column_names_both_titles(db, prepare):
    report = prepare((CORPUS / "colonne_en_double.csv").read_bytes())
    assert not report.ok
    [issue] = report.issues
    assert (issue.line, issue.column, issue.blocking) == (1, "telephone", True)
    # « Téléphone » and « Tel » are two different titles for one column: saying
    # that « Tel » is "présente deux fois" misleads the partner.
    assert "« Téléphone »" in issue.text
    assert "« Tel »" in issue.text
    assert_nothing_written(db, report)


@pytest.mark.parametrize("name", ["classeur_corrompu.xlsx", "classeur_zip_de_csv.xlsx"])
def test_unreadable_workbook_has_a_plain_french_message(name, db, prepare):
    report = prepare((CORPUS / name).read_bytes(), name)
    [issue] = report.issues
    assert issue.blocking and issue.line is None
    assert issue.text.startswith("Le classeur XLSX est illisible ou endommagé")
    # No Python exception name (BadZipFile, KeyError…) in a partner's report.
    assert not re.search(r"\(\w*(Error|Zip\w*|Exception)\)", issue.text), issue.text
    assert_nothing_written(db, report)


def test_libreoffice_ods_is_named(db, prepare):
    report = prepare((CORPUS / "classeur_libreoffice.ods").read_bytes(), "a.ods")
    [issue] = report.issues
    assert issue.blocking
    # The partner sent an OpenDocument file: say so, and how to get an XLSX.
    assert ".ods" in issue.text or "OpenDocument" in issue.text, issue.text
    assert ".xlsx" in issue.text
    assert_nothing_written(db, report)


# -- caps ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("max_bytes", "expected"),
    [
        (
            5 * MB,
            "Le fichier pèse 10,1 Mo, au-delà de la limite de 5 Mo. Découpez-le "
            "en plusieurs fichiers (par structure, par exemple).",
        ),
        (
            None,  # the `prepare` fixture's default: 2 Mo
            "Le fichier pèse 10,1 Mo, au-delà de la limite de 2 Mo. Découpez-le "
            "en plusieurs fichiers (par structure, par exemple).",
        ),
    ],
)
def test_file_over_size_cap(max_bytes, expected, tmp_path, db, prepare):
    path = tmp_path / "gros.csv"
    path.write_bytes(make_corpus.big_file(int(10.07 * MB)))
    data = path.read_bytes()
    assert 10.07 * MB <= len(data) < 10.08 * MB  # "10,1 Mo" however it is rounded
    options = {"max_bytes": max_bytes} if max_bytes else {}
    report = prepare(data, "gros.csv", **options)
    assert as_tuples(report.issues) == [error(expected)]
    assert report.rows_read == 0
    assert_nothing_written(db, report)


def test_size_just_over_the_cap_is_not_shown_equal_to_the_cap(prepare):
    report = prepare(make_corpus.big_file(2 * MB + 10))
    [issue] = report.issues
    assert "au-delà de la limite de 2 Mo" in issue.text
    # "pèse 2,0 Mo, au-delà de la limite de 2 Mo" reads as a contradiction.
    assert not re.search(r"pèse 2[,.]0 Mo", issue.text), issue.text


def test_file_at_the_cap_is_read(prepare):
    data = make_corpus.csv_bytes([make_corpus.FS_MAURS])
    assert prepare(data, max_bytes=len(data)).ok


def test_row_cap(db, prepare):
    report = prepare((CORPUS / "cp1252_point_virgule.csv").read_bytes(), max_rows=3)
    assert as_tuples(report.issues) == [
        error(
            "Le fichier compte plus de 3 lignes de services, la limite d'un "
            "import. Découpez-le en plusieurs fichiers."
        )
    ]
    assert report.rows_read == 0
    assert_nothing_written(db, report)
    assert prepare((CORPUS / "cp1252_point_virgule.csv").read_bytes(), max_rows=4).ok


# -- building blocks -----------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "column"),
    [
        ("id", "id"),
        ("Code Postal", "code_postal"),
        ("CODE_POSTAL", "code_postal"),
        ("  code postal ", "code_postal"),
        ("CP", "code_postal"),
        ("Téléphone", "telephone"),
        ("Tél.", "telephone"),
        ("E-mail", "courriel"),
        ("Courriel", "courriel"),
        ("Nom de la structure", "structure_nom"),
        ("Modalités d'accès", "modalites_acces"),
        ("Date de mise à jour", "date_maj"),
        ("Horaires d'ouverture", "horaires"),
        ("Publics", "publics"),
        ("__ignore__", "__ignore__"),
        (" __IGNORE__ ", "__ignore__"),
        ("", ""),
    ],
)
def test_normalize_header(title, column):
    assert normalize_header(title) == column


@pytest.mark.parametrize(
    ("cell", "text"),
    [
        (None, ""),
        ("  Aurillac\u00a0", "Aurillac"),
        ("04\u00a071\u00a046\u00a020\u00a020", "04 71 46 20 20"),
        ("15\u202f000", "15 000"),
        ("\ufeffid", "id"),
        ("'=SOMME(A1)", "=SOMME(A1)"),  # our export's guard is removed
        ("'+33 4 71 46 20 20", "+33 4 71 46 20 20"),
        ("'Accueil'", "'Accueil'"),
    ],
)
def test_clean_cell(cell, text):
    assert clean_cell(cell) == text


@pytest.mark.parametrize(
    ("data", "text", "encoding"),
    [
        ("Cœur été".encode(), "Cœur été", "UTF-8"),
        (b"\xef\xbb\xbf" + "Cœur".encode(), "Cœur", "UTF-8 (avec BOM)"),
        ("Cœur été".encode("cp1252"), "Cœur été", "Windows-1252"),
        (b"\xff\xfe" + "Cœur\tété".encode("utf-16-le"), "Cœur\tété", "UTF-16"),
        (b"\xfe\xff" + "Cœur".encode("utf-16-be"), "Cœur", "UTF-16"),
    ],
)
def test_decode(data, text, encoding):
    assert decode(data) == (text, encoding)


def test_read_file_gives_canonical_columns_and_line_numbers():
    table = read_file(
        (CORPUS / "entetes_accentues.csv").read_bytes(), max_bytes=MB, max_rows=10
    )
    assert table.columns == [
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
    rows = list(table.rows)
    assert [line for line, _ in rows] == [2, 3]
    assert rows[1][1]["commune"] == "Neussargues-Moissac"


def test_blocked_report_text(prepare):
    report = prepare((CORPUS / "colonne_besoins_absente.csv").read_bytes(), "a.csv")
    assert importer.format_report(report, dry_run=True).splitlines() == [
        "Fichier « a.csv » : 0 ligne de services lue (encodage UTF-8).",
        "Erreurs bloquantes (1) :",
        "  - Colonne obligatoire absente : « besoins ». La ligne 1 doit porter "
        "les noms de colonnes du modèle.",
        "Aucune modification enregistrée : corrigez le fichier puis recommencez "
        "(l'import est tout ou rien).",
    ]
    assert format_lines(report.issues) == [
        "Colonne obligatoire absente : « besoins ». La ligne 1 doit porter les "
        "noms de colonnes du modèle."
    ]
