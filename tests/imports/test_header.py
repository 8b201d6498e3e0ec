"""Header line of a partner file (imports/header.py): misspelt titles."""

from make_corpus import COLUMNS, FS_MURAT, csv_bytes, restos

from directory.imports.report import format_lines

MISSPELT = "colonne « code_postale » : vouliez-vous dire « code_postal » ?"


def titles(**renamed):
    return [renamed.get(c, c) for c in COLUMNS]


def test_unique_misspelling_is_read_as_the_column(db, prepare, import_bytes):
    data = csv_bytes([FS_MURAT], header=titles(code_postal="code_postale"))
    report = prepare(data)
    assert report.ok, format_lines(report.errors)
    assert [w.text for w in report.warnings if "code_postale" in w.text] == [
        MISSPELT + " Ses valeurs sont lues comme « code_postal » ; corrigez le "
        "titre dans votre fichier."
    ]
    assert all("inconnue" not in w.text for w in report.warnings)
    import_bytes(data)
    assert db["services"].get(FS_MURAT["id"])["code_postal"] == "15300"


def test_misspelling_kept_apart_when_the_right_column_is_present(prepare):
    columns = [*COLUMNS, "code_postale"]
    service = {**FS_MURAT, "code_postale": "15000"}
    report = prepare(csv_bytes([service], columns=columns))
    assert report.ok
    assert (
        "ligne 1 · colonne code_postale · colonne « code_postale » inconnue : "
        "elle sera ignorée." in format_lines(report.warnings)
    )


def test_ambiguous_misspelling_is_refused(prepare):
    # Two titles both spelt like « code_postal »: neither is guessed.
    columns = [c for c in COLUMNS if c != "code_postal"] + [
        "code_postale",
        "codepostal",
    ]
    service = {**FS_MURAT, "code_postale": "15300", "codepostal": "15300"}
    report = prepare(csv_bytes([service], columns=columns))
    assert not report.ok
    texts = format_lines(report.issues)
    assert any("Colonne obligatoire absente : « code_postal »" in t for t in texts)
    assert (
        "ligne 1 · colonne code_postale · colonne « code_postale » inconnue : "
        "vouliez-vous dire « code_postal » ? elle sera ignorée." in texts
    )


def test_misspelling_close_to_two_columns_lists_both(prepare):
    columns = [c for c in COLUMNS if not c.startswith("age_")] + ["age_m"]
    service = {**restos("murat", "Murat", "15300"), "age_m": "18"}
    report = prepare(csv_bytes([service], columns=columns))
    assert report.ok
    assert (
        "ligne 1 · colonne age_m · colonne « age_m » inconnue : vouliez-vous dire "
        "« age_max » ou « age_min » ? elle sera ignorée."
        in format_lines(report.warnings)
        or "ligne 1 · colonne age_m · colonne « age_m » inconnue : vouliez-vous "
        "dire « age_min » ou « age_max » ? elle sera ignorée."
        in format_lines(report.warnings)
    )
