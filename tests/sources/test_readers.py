"""Reading data·inclusion files of every published shape into a SourceBatch."""

import datetime
import json

import pytest
from conftest import TEST_DATA

from directory.sources.datainclusion import load_files

DI = TEST_DATA / "datainclusion"
TODAY = datetime.date(2026, 11, 26)
API_FILES = [
    DI / "api" / "services-1.json",
    DI / "api" / "services-2.json",
    DI / "api" / "structures-1.json",  # structures may come after the services
    DI / "api" / "services-3.json",
]


def load(paths, **options):
    options.setdefault("territory", "15")
    options.setdefault("today", TODAY)
    return load_files(paths, **options)


@pytest.fixture
def read(gazetteer):
    def run(*names, **options):
        return load([DI / n for n in names], gazetteer=gazetteer, **options)

    return run


def rows_by_id(batch):
    return {raw["id"]: raw for _, raw in batch.rows}


def test_saved_api_pages_v1(gazetteer):
    batch = load(API_FILES, gazetteer=gazetteer)
    assert not batch.blocked
    rows = rows_by_id(batch)
    assert {raw["id"]: raw["besoins"] for raw in rows.values()} == {
        "dora--7d2e9f41-0c6b-4a85-b3e7-1f9a2c4d6e08": "logement, budget",
        # « _ » is not allowed in our ids: slugified, with a hash of the original
        "soliguide--4521-food-packages-34b030b1": "alimentation",
        "monenfant--6489213-accueil": "garde-enfants",
        "france-travail--15014-aide-permis": "mobilite",
        "soliguide--4600-clothing": "equipement-vetements",
        # the same food parcels as listed by Soliguide (a duplicate for matching)
        "dora--2b4d6f80-1a3c-4e5a-9c7e-0b2d4f6a8c1e": "alimentation",
    }
    assert batch.left_out == {
        "hors du territoire": 1,
        "ligne illisible": 1,
        "service incomplet": 1,
        "thématique sans besoin correspondant": 1,
    }
    assert batch.left_out_text() == (
        "4 services laissés de côté : hors du territoire (1), ligne illisible (1), "
        "service incomplet (1), thématique sans besoin correspondant (1)."
    )
    assert batch.sources == {"dora", "soliguide", "monenfant", "france-travail"}
    # every in-territory service is seen, even those left out, never Clermont's
    assert len(batch.seen_ids) == 8
    assert not any("1c8e4a27" in i for i in batch.seen_ids)
    assert [(i.line, i.blocking) for i in batch.issues] == [(7, False), (8, False)]
    assert batch.issues[0].text == (
        "services-2.json, service n° 3 : n'est pas un objet JSON ; service laissé "
        "de côté."
    )
    assert "pas de « nom »" in batch.issues[1].text
    assert [line for line, _ in batch.rows] == [1, 2, 3, 4, 5, 10]
    assert batch.origin == (
        "data·inclusion : services-1.json, services-2.json, structures-1.json, "
        "services-3.json"
    )


def test_v1_row_content(gazetteer):
    rows = rows_by_id(load(API_FILES, gazetteer=gazetteer))
    energy = rows["dora--7d2e9f41-0c6b-4a85-b3e7-1f9a2c4d6e08"]
    assert energy["structure_id"] == "dora-3f1b6c2e-8d4a-4b7e-9c1d-2a5e6f7b8c90"
    assert energy["structure_nom"] == "CCAS d'Aurillac"
    assert energy["telephone"] == "+33471455660"  # the structure's
    assert energy["horaires"] == "Mo-Fr 08:30-12:00,13:30-17:00; PH off"
    assert energy["siret"] == "26150014100013"
    assert energy["score_qualite"] == "0.82"
    assert energy["statut"] == "actif"
    closed = rows["soliguide--4600-clothing"]
    assert closed["statut"] == "ferme"  # date_suspension 2026-10-15
    food = rows["soliguide--4521-food-packages-34b030b1"]
    assert food["modalites_acces"] == "orientation-professionnel"
    assert food["id_source"] == "soliguide--4521-food_packages"


def test_0x_open_data_dumps(read):
    batch = read("structures-v0.json", "services-v0.json")
    rows = rows_by_id(batch)
    assert {r["besoins"] for r in rows.values()} == {
        "numerique, acces-aux-droits",
        "garde-enfants",
    }
    periscolaire = rows["dora--c5e7a9b1-3d4f-4a6b-8c2e-4a6b8c0e2a34"]
    assert periscolaire["commune"] == "Mauriac"  # the structure's place
    assert periscolaire["frais"] == "payant"
    assert periscolaire["justificatifs"] == (
        "Justificatif de domicile ; Attestation de quotient familial CAF"
    )
    assert batch.left_out == {"hors du territoire": 1}
    assert batch.sources == {"mediation-numerique", "dora"}


def test_search_answer_nests_service_and_structure(read):
    batch = read("search-services.json")
    rows = rows_by_id(batch)
    car = rows["mes-aides--reca8n3jv5rw7ys2-5d32e513"]
    assert car["structure_nom"] == "Mobilité Cantal Solidaire"
    assert car["site_web"] == "https://mobilite-cantal-solidaire.fr"
    assert car["besoins"] == "mobilite"
    rpe = rows["dora--f2a3b4c5-d6e7-4f8a-9b0c-1d2e3f4a5b6c"]
    assert rpe["besoins"] == "garde-enfants, famille"


def test_json_lines_with_a_broken_line(read):
    batch = read("services.jsonl", "structures.csv")
    assert not batch.blocked
    assert len(batch.rows) == 2
    assert batch.left_out == {"ligne illisible": 1}
    assert batch.issues[0].text == (
        "services.jsonl, service n° 2 : ligne 2 illisible (JSON invalide) ; "
        "service laissé de côté."
    )
    tutoring = next(r for _, r in batch.rows if "tutoring" in r["id"])
    assert tutoring["publics"] == "familles, jeunes"  # 0.x profils
    assert tutoring["structure_nom"] == "Secours populaire de Saint-Flour"


def test_csv_as_published(read):
    batch = read("structures.csv", "services.csv")
    rows = [raw for _, raw in batch.rows]
    assert [r["besoins"] for r in rows] == [
        "alimentation",
        "francais-savoirs-de-base, famille",
    ]
    assert rows[1]["modalites_acces"] == "acces-libre, sur-rendez-vous"
    assert rows[1]["zone_eligibilite"] == "15187"


def test_sources_filter(gazetteer):
    batch = load(API_FILES, gazetteer=gazetteer, sources={"soliguide"})
    assert {r["source"] for _, r in batch.rows} == {"soliguide"}
    assert batch.left_out["source non demandée"] == 7
    assert batch.sources == {"soliguide"}


def test_same_service_twice_is_kept_once(read, tmp_path):
    page = json.loads((DI / "api" / "services-1.json").read_text(encoding="utf-8"))
    copy = tmp_path / "encore.json"
    copy.write_text(json.dumps(page), encoding="utf-8")
    batch = load(
        [DI / "api" / "structures-1.json", DI / "api" / "services-1.json", copy],
    )
    assert len(batch.rows) == 4
    assert batch.left_out == {"service en double dans les données": 4}
    assert "déjà lu (service n° 1)" in batch.issues[0].text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'[{"id": "dora--a", "nom": "x"', "JSON incomplet, le fichier semble tronqué"),
        (b'[{"id": "a",, "nom": "x"}, {}]', "JSON invalide ligne 1, colonne 13"),
        (b'{"id": "a"}\n{"id": "b", "nom"', "dernière ligne incomplète"),
        (b'{"data": []}', "format inconnu"),
        (b"a;b\n1;2\n", "format inconnu"),
        (b"", "fichier vide"),
        (b"\xff\xfe[", "n'est pas en UTF-8"),
    ],
)
def test_unreadable_file_blocks_everything(tmp_path, content, message):
    good = DI / "api" / "services-1.json"
    bad = tmp_path / "services.json"
    bad.write_bytes(content)
    batch = load([DI / "api" / "structures-1.json", good, bad])
    assert batch.blocked
    assert batch.rows == []
    assert message in batch.issues[-1].text
    assert batch.issues[-1].text.startswith("services.json : ")


def test_truncated_and_invalid_fixtures_block(read):
    for name, message in (
        ("truncated.json", "tronqué"),
        ("invalid.json", "JSON invalide"),
    ):
        batch = read(name)
        assert batch.blocked and not batch.rows
        assert message in batch.issues[0].text


def test_only_structures_is_refused(read):
    batch = read("structures-v0.json")
    assert batch.blocked
    assert "Aucun fichier de services" in batch.issues[0].text


def test_csv_with_an_oversized_cell_is_refused(tmp_path):
    path = tmp_path / "services.csv"
    path.write_text('id,nom,structure_id\na,"' + "x" * 200_000 + '",s\n', "utf-8")
    batch = load([path])
    assert batch.blocked
    assert batch.issues[0].text.startswith("services.csv : CSV illisible ligne")


@pytest.mark.parametrize("chunk", [1, 7, 64, 1 << 20])
def test_a_dump_is_streamed_across_chunk_boundaries(monkeypatch, tmp_path, chunk):
    """A JSON array dump is read piece by piece: elements cut by a chunk's end,
    nested lists and strings holding « ] » or « , » come out as json.loads."""
    from directory.sources import files

    monkeypatch.setattr(files, "CHUNK_CHARS", chunk)
    path = DI / "services-v0.json"
    expected = json.loads(path.read_text("utf-8"))
    assert list(files.stream_json_array(path, "services-v0.json")) == expected
    tricky = [{"id": "a,]", "nom": "« [x] »", "n": 12345}, [1, [2]], 3.5, "z"]
    text = "\ufeff \n[\n" + ",\n  ".join(json.dumps(t) for t in tricky) + "\n]\n  "
    dump = tmp_path / "x.json"
    dump.write_text(text, "utf-8")
    assert list(files.stream_json_array(dump, "x.json")) == tricky


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[{"id": "a", "nom": "b"}, {"id": "c", "no', "tronqué"),
        ('[{"id": "a", "nom": "b"},', "tronqué"),
        ('[{"id": "a", "nom": "b"} {"id": "c"}]', "« , » ou « ] » attendu"),
        ('[{"id": "a"}]\n{"id": "b"}', "des données suivent la fin du tableau"),
        ('[{"id": "a"},\n{"id": 1x}]', "JSON invalide ligne 2"),
    ],
)
def test_a_faulty_dump_blocks_even_far_from_its_head(
    tmp_path, monkeypatch, content, message
):
    from directory.sources import files

    monkeypatch.setattr(files, "CHUNK_CHARS", 5)
    path = tmp_path / "services.json"
    path.write_text(content, "utf-8")
    batch = load([DI / "api" / "structures-1.json", path])
    assert batch.blocked and batch.rows == []
    assert message in batch.issues[-1].text, batch.issues[-1].text
