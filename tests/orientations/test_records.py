"""orientations.records against a real database: validation in French, consent,
the transitions (all or nothing) and the queries of each side."""

import datetime

import pytest

from directory.orientations import messages, records, tokens
from directory.orientations.records import CONSENT_NEEDED, OrientationError
from directory.search.hours import PARIS

NOW = datetime.datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)
SERVICE = {"id": "epicerie-solidaire-aurillac--epicerie", "structure_id": "epi"}
GOOD = {"prenom": "Marie", "initiale": "d", "motif": "Aide alimentaire urgente."}


def create(db, **values):
    return records.create(
        db,
        service=SERVICE,
        prescripteur_id=7,
        values={**GOOD, **values},
        now=NOW,
    )


def answer(db, orientation_id, statut, message=None, *, when=NOW, **by):
    """records.transition by the partner account 3 unless `par`/`user_id` say."""
    by = {"par": "partenaire", "user_id": 3, **by}
    return records.transition(
        db, orientation_id, statut, message=message, now=when, **by
    )


def test_a_valid_orientation_is_stored_with_its_first_event(db):
    orientation_id = create(db, contact="06.12.34.56.78", consentement="y")
    row = db["orientations"].get(orientation_id)
    assert row["prenom"] == "Marie" and row["initiale"] == "D"
    assert row["contact"] == "06 12 34 56 78"
    assert row["consentement_le"] == "2026-11-26T09:00:00+00:00"
    assert row["statut"] == "envoyee" and row["structure_id"] == "epi"
    assert row["cree_le"] == row["modifie_le"] == "2026-11-26T09:00:00+00:00"
    (event,) = records.events(db, orientation_id)
    assert (event["statut"], event["par"], event["user_id"]) == (
        "envoyee",
        "prescripteur",
        7,
    )


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"prenom": ""}, "prenom", "Indiquez le prénom de la personne."),
        ({"prenom": "x" * 51}, "prenom", "50 caractères au plus"),
        ({"initiale": "Du"}, "initiale", "une seule lettre"),
        ({"initiale": "4"}, "initiale", "une seule lettre"),
        ({"motif": " \r\n "}, "motif", "Indiquez le motif"),
        ({"motif": "m" * 1001}, "motif", "1000 caractères au plus (1001 saisis)"),
        ({"contact": "06 12 34 56 78"}, "contact", CONSENT_NEEDED),
        ({"contact": "12345", "consentement": "y"}, "contact", "Contact invalide"),
        ({"contact": "a@b", "consentement": "y"}, "contact", "Contact invalide"),
    ],
)
def test_bad_values_are_refused_in_french_and_nothing_is_stored(
    db, values, field, message
):
    with pytest.raises(OrientationError) as refused:
        create(db, **values)
    assert message in refused.value.errors[field]
    assert db["orientations"].count == 0
    assert db["orientation_evenements"].count == 0


def test_consent_message_is_the_one_the_issue_asks_for():
    assert CONSENT_NEEDED == (
        "Le contact n'est enregistré qu'avec l'accord de la personne : cochez la "
        "case ou laissez le contact vide."
    )


@pytest.mark.parametrize(
    ("contact", "stored"),
    [
        ("+33 4 71 46 20 20", "04 71 46 20 20"),
        ("0033612345678", "06 12 34 56 78"),
        ("Marie.D@Exemple.FR", "Marie.D@exemple.fr"),
    ],
)
def test_contacts_are_normalised(db, contact, stored):
    orientation_id = create(db, contact=contact, consentement="on")
    assert db["orientations"].get(orientation_id)["contact"] == stored


def test_control_characters_never_reach_the_database(db):
    orientation_id = create(
        db, prenom="Ma\x00rie\n\tX", motif="ligne 1\r\nligne\x1b 2\rfin"
    )
    row = db["orientations"].get(orientation_id)
    assert row["prenom"] == "Marie X"
    assert row["motif"] == "ligne 1\nligne 2\nfin"


def test_the_transitions_follow_the_statuses(db):
    orientation_id = create(db)
    later = NOW + datetime.timedelta(days=2)

    def move(statut, message=None):
        return answer(db, orientation_id, statut, message, when=later)

    with pytest.raises(OrientationError, match="déjà « envoyée »"):
        move("prise-en-charge")
    row = move("acceptee", "Rendez-vous lundi à 10 h.")
    assert row["statut"] == "acceptee" and row["reponse"] == "Rendez-vous lundi à 10 h."
    assert row["modifie_le"] == "2026-11-28T09:00:00+00:00"
    with pytest.raises(OrientationError):
        move("refusee", "trop tard")
    row = move("prise-en-charge")
    assert row["statut"] == "prise-en-charge"
    assert row["reponse"] == "Rendez-vous lundi à 10 h."  # kept
    assert [e["statut"] for e in records.events(db, orientation_id)] == [
        "envoyee",
        "acceptee",
        "prise-en-charge",
    ]
    with pytest.raises(OrientationError):
        move("acceptee")


def test_a_refusal_needs_a_message_and_writes_nothing_without(db):
    orientation_id = create(db)
    before = db["orientations"].get(orientation_id)
    for message in (None, "", "  \n "):
        with pytest.raises(OrientationError) as refused:
            answer(db, orientation_id, "refusee", message, par="lien", user_id=None)
        assert "Expliquez le refus" in refused.value.errors["message"]
    assert db["orientations"].get(orientation_id) == before
    assert db["orientation_evenements"].count == 1


def test_a_transition_is_all_or_nothing(db, monkeypatch):
    orientation_id = create(db)
    before = db["orientations"].get(orientation_id)

    def broken_insert(*args, **kwargs):
        raise RuntimeError("disque plein")

    table = db["orientation_evenements"]
    monkeypatch.setattr(type(table), "insert", broken_insert)
    with pytest.raises(RuntimeError):
        answer(db, orientation_id, "acceptee")
    monkeypatch.undo()
    assert db["orientations"].get(orientation_id) == before
    assert db["orientation_evenements"].count == 1


def test_an_anonymised_orientation_takes_no_answer(db):
    orientation_id = create(db)
    db["orientations"].update(orientation_id, {"anonymise_le": "2027-03-01"})
    with pytest.raises(OrientationError):
        answer(db, orientation_id, "acceptee")


def test_queries_of_each_side(db):
    first = create(db)
    second = records.create(
        db,
        service={"id": "x--y", "structure_id": "autre"},
        prescripteur_id=8,
        values=GOOD,
        now=NOW,
    )
    assert [r["id"] for r in records.sent_by(db, 7)] == [first]
    assert [r["id"] for r in records.received_by(db, {"epi", "autre"})] == [
        second,
        first,
    ]
    assert records.received_by(db, set()) == []
    assert records.pending_counts(db, ["epi"]) == {"epi": 1}
    answer(db, first, "acceptee", user_id=1)
    assert records.pending_counts(db, ["epi", "autre"]) == {"autre": 1}
    counts = records.admin_counts(db)
    assert counts["total"] == 2
    assert dict(counts["statuts"])["acceptée"] == 1
    assert [(m["mois"], m["n"]) for m in counts["mois"]] == [("2026-11", 2)]
    text = repr(counts)
    assert "Marie" not in text and "alimentaire" not in text


def test_subjects_name_the_person_by_first_name_and_initial_only():
    row = {
        "id": 1,
        "prenom": "Marie",
        "initiale": "D",
        "contact": "06 12 34 56 78",
        "motif": "Expulsion locative",
        "prescripteur_organisme": "CCAS d'Aurillac",
        "service_nom": "Épicerie solidaire",
        "structure_nom": "Épicerie\nsolidaire",
    }
    subject, body = messages.to_partner(
        row, "Épicerie solidaire", url="http://x/p", retention_days=90
    )
    assert subject == "Nouvelle orientation : Marie D. vers Épicerie solidaire"
    assert "CCAS d'Aurillac" in body and "http://x/p" in body
    subject, body = messages.to_prescripteur(row, "refusee", url="http://x/o/1")
    assert subject == "Orientation de Marie D. : refusée"
    for text in (subject, body):
        assert "06 12" not in text and "Expulsion" not in text
    long_name = messages.new_subject(row, "n\r\n" * 100)
    assert "\n" not in long_name and len(long_name) < 130


def test_a_token_opens_one_orientation_of_one_structure(db):
    orientation_id = create(db)
    row = records.get(db, orientation_id)
    token = tokens.make("secret", row, now=NOW)
    opened = tokens.open_orientation(db, "secret", token, max_days=14, now=NOW)
    assert opened["id"] == orientation_id
    for key, days in (("autre-secret", 0), ("secret", 15)):
        with pytest.raises(tokens.LinkError) as refused:
            tokens.open_orientation(
                db,
                key,
                token,
                max_days=14,
                now=NOW + datetime.timedelta(days=days),
            )
        assert refused.value.status == (404 if days == 0 else 410)
    moved = tokens.make("secret", {**row, "structure_id": "autre"}, now=NOW)
    with pytest.raises(tokens.LinkError) as refused:
        tokens.open_orientation(db, "secret", moved, max_days=14, now=NOW)
    assert refused.value.status == 403
