"""Issue 10.1 and 10.6: needs carry synonyms; the load message agrees in French."""

from conftest import DATA

from directory.catalogue import seed
from directory.catalogue.vocabulary import load_besoins, split_list


def test_every_need_has_synonyms_and_known_related_needs():
    rows = load_besoins(DATA / "besoins.csv")
    slugs = {r["slug"] for r in rows}
    for row in rows:
        assert split_list(row["synonymes"]), row["slug"]
        related = split_list(row["besoins_proches"])
        assert related and set(related) <= slugs - {row["slug"]}


def test_needs_without_synonyms_are_reloaded(db):
    assert db["besoins"].count_where("synonymes is not null") == 16
    db.execute("update besoins set synonymes = null")
    counts = seed.load_reference_data(db, DATA)
    assert counts == {"besoins": 16}
    row = db["besoins"].get("alimentation")
    assert "colis" in split_list(row["synonymes"])


def test_loaded_message_agrees_and_separates_thousands():
    assert seed.loaded_message("communes", 34902) == "34\u202f902 communes chargées."
    assert seed.loaded_message("besoins", 16) == "16 besoins chargés."
    assert seed.loaded_message("communes", 1) == "1 commune chargée."
