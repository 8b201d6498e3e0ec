"""The table-driven mapping of data·inclusion values (v1 and 0.x) to our rows."""

import datetime
import shutil

import pytest
from conftest import DATA

from directory.imports.validate import ID_RE, SLUG_RE
from directory.sources.convert import (
    NO_NEED,
    NO_STRUCTURE,
    OUT_OF_TERRITORY,
    Converter,
    as_list,
)
from directory.sources.mapping import (
    MappingError,
    load_tables,
    service_id,
    source_label,
    structure_id,
)

TODAY = datetime.date(2026, 11, 26)
STRUCTURE = {
    "source": "dora",
    "id": "dora--ccas-murat",
    "nom": "CCAS de Murat",
    "siret": "26150138700011",
    "commune": "Murat",
    "code_postal": "15300",
    "code_insee": "15138",
    "adresse": "Place de l'Hôtel de ville",
    "telephone": "0471200380",
    "courriel": "ccas@murat.fr",
    "site_web": "https://www.murat.fr",
    "horaires_accueil": "Mo-Fr 09:00-12:00",
    "date_maj": "2026-01-05",
}


@pytest.fixture(scope="module")
def tables():
    return load_tables(DATA)


@pytest.fixture(scope="module")
def convert(tables, gazetteer):
    converter = Converter(tables, territory="15", gazetteer=gazetteer, today=TODAY)
    return converter.convert


def service(**fields):
    base = {
        "source": "dora",
        "id": "dora--svc-1",
        "structure_id": "dora--ccas-murat",
        "nom": "Aide alimentaire",
        "description": "Colis chaque semaine.",
        "date_maj": "2026-10-02",
        "thematiques": ["equipement-et-alimentation--alimentation"],
    }
    base.update(fields)
    return base


def test_v1_thematiques_map_to_needs_and_are_kept(convert):
    result = convert(
        service(
            thematiques=[
                "famille--garde-denfants",
                "mobilite--preparer-un-permis",
                "numerique--acceder-a-une-connexion-internet",
            ]
        ),
        STRUCTURE,
    )
    assert result.row["besoins"] == "garde-enfants, mobilite, numerique"
    assert result.row["thematiques"] == (
        "famille--garde-denfants, mobilite--preparer-un-permis, "
        "numerique--acceder-a-une-connexion-internet"
    )


def test_0x_thematiques_and_categories_map_through_the_table(convert):
    row = convert(
        service(
            thematiques=[
                "gestion-financiere--accompagnement-aux-impayes-denergie",
                "acces-aux-droits-et-citoyennete--acceder-a-ses-droits",
            ]
        ),
        STRUCTURE,
    ).row
    assert row["besoins"] == "energie, budget, acces-aux-droits"
    # 0.x slugs are replaced by their v1 sub-thématique
    assert row["thematiques"] == (
        "difficultes-financieres--prevenir-une-degradation-de-la-situation-"
        "financiere, difficultes-administratives-ou-juridiques--accompagnement-"
        "pour-lacces-aux-droits"
    )
    assert convert(service(thematiques=["mobilite"]), STRUCTURE).row["besoins"] == (
        "mobilite"
    )


def test_a_service_without_a_need_is_left_out(convert):
    result = convert(service(thematiques=["inconnue--x"]), STRUCTURE)
    assert (result.row, result.reason, result.in_territory) == (None, NO_NEED, True)
    assert convert(service(thematiques=[]), STRUCTURE).reason == NO_NEED


def test_publics_v1_and_0x_profils(convert):
    v1 = convert(service(publics=["familles", "jeunes"]), STRUCTURE).row
    assert v1["publics"] == "familles, jeunes"
    v0 = convert(
        service(profils=["beneficiaires-rsa", "retraites", "locataires"]), STRUCTURE
    ).row
    assert v0["publics"] == "beneficiaires-des-minimas-sociaux, seniors"
    mixed = convert(service(publics=["tous-publics", "femmes"]), STRUCTURE).row
    assert mixed["publics"] == "tous-publics"


@pytest.mark.parametrize(
    ("frais", "extra", "expected", "precisions"),
    [
        ("gratuit", {}, "gratuit", ""),
        ("payant", {"frais_precisions": "5 € par an"}, "payant", "5 € par an."),
        (["gratuit-sous-conditions"], {}, "gratuit", "Gratuit sous conditions."),
        (
            ["payant", "adhesion"],
            {"frais_autres": "selon le quotient familial"},
            "payant",
            "Adhésion demandée. Selon le quotient familial.",
        ),
        (["pass-numerique"], {}, "payant", "Pass numérique accepté."),
        (None, {}, "", ""),
    ],
)
def test_frais(convert, frais, extra, expected, precisions):
    row = convert(service(frais=frais, **extra), STRUCTURE).row
    assert (row["frais"], row["frais_precisions"]) == (expected, precisions)


def test_v1_mobilisation_becomes_access_modes_and_a_sentence(convert):
    row = convert(
        service(
            modes_mobilisation=["se-presenter", "telephoner"],
            mobilisable_par=["usagers", "professionnels"],
            mobilisation_precisions="le mardi matin",
        ),
        STRUCTURE,
    ).row
    assert row["modalites_acces"] == "acces-libre, sur-rendez-vous"
    assert row["modes_orientation_beneficiaire"] == "se-presenter, telephoner"
    assert row["modes_orientation_accompagnateur"] == "telephoner"
    assert row["mobilisation_precisions"] == "Le mardi matin."
    pros = convert(
        service(modes_mobilisation=["telephoner"], mobilisable_par=["professionnels"]),
        STRUCTURE,
    ).row
    assert pros["modalites_acces"] == "orientation-professionnel"
    assert pros["modes_orientation_beneficiaire"] == ""
    assert pros["modes_orientation_accompagnateur"] == "telephoner"


def test_0x_orientation_modes(convert):
    row = convert(
        service(
            modes_orientation_beneficiaire=["completer-le-formulaire-dadhesion"],
            modes_orientation_accompagnateur=["envoyer-une-fiche-de-prescription"],
            modes_orientation_accompagnateur_autres="Par le référent RSA",
        ),
        STRUCTURE,
    ).row
    assert row["modalites_acces"] == "sur-inscription"
    assert row["modes_orientation_beneficiaire"] == "completer-le-formulaire-dadhesion"
    assert row["modes_orientation_accompagnateur"] == (
        "envoyer-une-fiche-de-prescription"
    )
    assert row["mobilisation_precisions"] == (
        "Pour les professionnels : Par le référent RSA."
    )
    only_pros = convert(
        service(modes_orientation_accompagnateur=["envoyer-un-mail"]), STRUCTURE
    ).row
    assert only_pros["modalites_acces"] == "orientation-professionnel"


def test_structure_fills_hours_contact_and_place(convert):
    row = convert(service(), STRUCTURE).row
    assert row["horaires"] == "Mo-Fr 09:00-12:00"
    assert (row["telephone"], row["courriel"], row["site_web"]) == (
        "0471200380",
        "ccas@murat.fr",
        "https://www.murat.fr",
    )
    assert (row["commune"], row["code_insee"], row["adresse"]) == (
        "Murat",
        "15138",
        "Place de l'Hôtel de ville",
    )
    assert row["siret"] == "26150138700011"
    assert row["structure_nom"] == "CCAS de Murat"
    own = convert(
        service(
            telephone="0471000000",
            horaires_accueil="Tu 14:00-17:00",
            commune="Saint-Flour",
            code_postal="15100",
        ),
        STRUCTURE,
    ).row
    assert (own["telephone"], own["horaires"]) == ("0471000000", "Tu 14:00-17:00")
    # the service's own place wins, its code found by the gazetteer
    assert (own["commune"], own["code_insee"], own["adresse"]) == (
        "Saint-Flour",
        "15187",
        "",
    )


def test_0x_hours_and_private_contact(convert):
    structure = dict(STRUCTURE, horaires_accueil=None)
    structure["horaires_ouverture"] = "Mo,We 14:00-17:00"
    row = convert(
        service(
            telephone="0600000000",
            contact_public=False,
            recurrence="Les jours d'école",
        ),
        structure,
    ).row
    assert row["horaires"] == "Mo,We 14:00-17:00"
    assert row["horaires_precisions"] == "Les jours d'école."
    assert row["telephone"] == "0471200380"  # the private number is not published


def test_hours_not_in_osm_syntax_become_a_note(convert):
    row = convert(service(horaires_accueil="le lundi matin"), STRUCTURE).row
    assert (row["horaires"], row["horaires_precisions"]) == ("", "Le lundi matin.")


def test_conditions_justificatifs_and_provenance(convert):
    row = convert(
        service(
            id="dora--svc-1",
            pre_requis=["Habiter le Cantal", "Avoir plus de 18 ans"],
            justificatifs=["Pièce d'identité", "Justificatif de domicile"],
            score_qualite=0.8,
            lien_source="https://dora.inclusion.beta.gouv.fr/services/x",
            date_maj="2026-10-02T10:11:12+00:00",
        ),
        STRUCTURE,
    ).row
    assert row["conditions_acces"] == (
        "Prérequis : Habiter le Cantal ; Avoir plus de 18 ans."
    )
    assert row["justificatifs"] == "Pièce d'identité ; Justificatif de domicile"
    assert (row["score_qualite"], row["date_maj"]) == ("0.8", "2026-10-02")
    assert (row["source"], row["id_source"], row["id"]) == (
        "dora",
        "dora--svc-1",
        "dora--svc-1",
    )
    assert row["lien_source"] == "https://dora.inclusion.beta.gouv.fr/services/x"
    v1 = convert(service(conditions_acces="Sur orientation"), STRUCTURE).row
    assert v1["conditions_acces"] == "Sur orientation."


@pytest.mark.parametrize(
    ("suspension", "statut"),
    [("2026-11-26", "ferme"), ("2026-01-01", "ferme"), ("2027-01-01", "actif")],
)
def test_suspended_service_is_closed(convert, suspension, statut):
    row = convert(service(date_suspension=suspension), STRUCTURE).row
    assert row["statut"] == statut


@pytest.mark.parametrize(
    ("fields", "inside"),
    [
        ({"code_insee": "63113", "commune": "Clermont-Ferrand"}, False),
        ({"code_insee": "15014"}, True),
        ({"commune": "Aurillac", "code_postal": "15000"}, True),
        ({"commune": "Clermont-Ferrand", "code_postal": "63000"}, False),
    ],
)
def test_territory_by_commune(convert, fields, inside):
    result = convert(service(**fields), STRUCTURE)
    assert result.in_territory is inside
    assert (result.reason == OUT_OF_TERRITORY) is not inside


@pytest.mark.parametrize(
    ("fields", "inside", "zone"),
    [
        ({"zone_eligibilite": ["15"]}, True, "15"),
        ({"zone_eligibilite": ["france"]}, True, "france"),
        ({"zone_eligibilite": ["99100"]}, True, "france"),
        ({"zone_eligibilite": ["15187", "200066637"]}, True, "15187"),
        ({"zone_eligibilite": ["63"]}, False, None),
        (
            {"zone_diffusion_type": "departement", "zone_diffusion_code": "15"},
            True,
            "15",
        ),
        ({"zone_diffusion_type": "pays"}, True, "france"),
        (
            {"zone_diffusion_type": "commune", "zone_diffusion_code": "63113"},
            False,
            None,
        ),
    ],
)
def test_territory_by_zone_when_there_is_no_commune(
    convert, gazetteer, fields, inside, zone
):
    far = dict(STRUCTURE, commune="", code_postal="", code_insee="", adresse="")
    result = convert(service(**fields), far)
    assert result.in_territory is inside
    if inside:
        assert result.row["zone_eligibilite"] == zone
        assert result.row["commune"] == ""


def test_corsica_territory_by_prefix(tables, gazetteer):
    converter = Converter(tables, territory="2A", gazetteer=gazetteer, today=TODAY)
    inside = converter.convert(service(code_insee="2A004"), STRUCTURE)
    outside = converter.convert(service(code_insee="2B033"), STRUCTURE)
    assert (inside.in_territory, outside.in_territory) == (True, False)


def test_missing_structure_is_left_out(convert):
    result = convert(service(code_insee="15014"), None)
    assert (result.row, result.reason, result.in_territory) == (
        None,
        NO_STRUCTURE,
        True,
    )


def test_ids_are_valid_deterministic_and_distinct():
    ids = {
        service_id("dora", "dora--AidantsConnect:2024-47BXY"),
        service_id("dora", "dora--aidantsconnect-2024-47bxy"),
        service_id("dora", "dora--aidantsconnect:2024-47bxy"),
        service_id("soliguide", "12345"),
        service_id("", "soliguide--12345"),
        service_id("dora", "dora--" + "x" * 150),
        service_id("dora", "dora--" + "x" * 149 + "y"),
    }
    assert len(ids) == 6  # the bare 0.x id and the v1 id are the same service
    for ident in ids:
        assert ID_RE.match(ident) and len(ident) <= 100, ident
    assert service_id("soliguide", "12345") == "soliguide--12345"
    assert service_id("dora", "dora--AidantsConnect:2024-47BXY") == service_id(
        "dora", "dora--AidantsConnect:2024-47BXY"
    )
    structures = {
        structure_id("dora", "dora--a-b"),
        structure_id("dora", "dora--A-b"),
        structure_id("mes-aides", "mes-aides--x"),
        structure_id("mes", "aides-x"),
        structure_id("dora", "dora--a--b"),
        structure_id("dora", "dora--a-b-"),
    }
    assert len(structures) == 6
    for ident in structures:
        assert SLUG_RE.match(ident) and len(ident) <= 100, ident


def test_multi_valued_cells_as_published():
    assert as_list('["a", "b"]') == ["a", "b"]
    assert as_list("['a', 'b']") == ["a", "b"]
    assert as_list("{a,b}") == ["a", "b"]
    assert as_list("a, b") == ["a", "b"]
    assert as_list(["a", None, ""]) == ["a"]
    assert as_list(None) == [] and as_list("") == []


def test_source_labels():
    assert source_label("dora") == "DORA"
    assert source_label("monenfant") == "mon-enfant.fr"
    assert source_label("france-travail") == "France Travail"
    assert source_label("inconnue") == "inconnue"


def copy_data(tmp_path):
    target = tmp_path / "data"
    (target / "datainclusion").mkdir(parents=True)
    shutil.copy(DATA / "besoins.csv", target / "besoins.csv")
    for path in (DATA / "datainclusion").glob("*.csv"):
        shutil.copy(path, target / "datainclusion" / path.name)
    return target


def test_a_new_mapping_line_needs_no_code_change(tmp_path, gazetteer):
    data = copy_data(tmp_path)
    before = Converter(load_tables(data), gazetteer=gazetteer, today=TODAY)
    odd = service(thematiques=["habitat--renover-son-logement"], profils=["aidants"])
    assert before.convert(odd, STRUCTURE).reason == NO_NEED
    with open(data / "datainclusion" / "thematiques.csv", "a", encoding="utf-8") as f:
        f.write("habitat--renover-son-logement,energie,,ajout de test\n")
    with open(data / "datainclusion" / "publics.csv", "a", encoding="utf-8") as f:
        f.write("aidants,familles,ajout de test\n")
    with open(data / "datainclusion" / "sources.csv", "a", encoding="utf-8") as f:
        f.write("soliha,SOLIHA Cantal,https://soliha.fr\n")
    tables = load_tables(data)
    row = (
        Converter(tables, gazetteer=gazetteer, today=TODAY).convert(odd, STRUCTURE).row
    )
    assert (row["besoins"], row["publics"]) == ("energie", "familles")
    assert tables.source_label("soliha") == "SOLIHA Cantal"


def test_a_table_naming_an_unknown_value_is_refused(tmp_path):
    data = copy_data(tmp_path)
    with open(data / "datainclusion" / "publics.csv", "a", encoding="utf-8") as f:
        f.write("aidants,aidants-familiaux,\n")
    with pytest.raises(MappingError, match="aidants-familiaux"):
        load_tables(data)


def test_every_v1_sub_thematique_reaches_a_need(tables):
    from data_inclusion.schema.v1 import Categorie, Thematique

    assert [t.value for t in Thematique if not tables.needs.get(t.value)] == []
    # categories too, except the one split between food and equipment
    unmapped = [c.value for c in Categorie if not tables.needs.get(c.value)]
    assert unmapped == ["equipement-et-alimentation"]
