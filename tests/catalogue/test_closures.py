"""Temporary closures, the pure core (catalogue.closures): the checks of a
declaration, which period applies on a day, the French wording, and the
audited writes (imports log, undo) on a real database."""

import datetime

import pytest

from directory.catalogue import closure_writes, closures
from directory.catalogue.closures import Closure, ClosureError

D = datetime.date
TODAY = D(2026, 7, 20)
START, END = D(2026, 8, 4), D(2026, 8, 25)
SERVICE = {"id": "essai--accueil", "nom": "Accueil d'essai", "structure_id": "essai"}


def period(genre="fermeture", debut=START, fin=END, **more):
    return Closure(1, SERVICE["id"], genre, debut, fin, **more)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026-08-04", D(2026, 8, 4)),
        ("04/08/2026", D(2026, 8, 4)),
        ("4/8/2026", D(2026, 8, 4)),
        (" 4.8.2026 ", D(2026, 8, 4)),
        ("31/02/2026", None),
        ("04/08/26", None),
        ("٣/١٢/٢٠٢٦", None),
        ("２０２６-０８-０４", None),
        ("demain", None),
        ("", None),
        (None, None),
    ],
)
def test_dates_are_read_as_typed_or_as_a_date_field_sends_them(text, day):
    assert closures.parse_day(text) == day


@pytest.mark.parametrize(
    ("genre", "debut", "fin", "motif", "field", "message"),
    [
        ("ouverture", "2026-08-04", "2026-08-25", "", "genre", "Choisissez"),
        ("fermeture", "", "2026-08-25", "", "debut", "Date de début manquante"),
        ("fermeture", "2026-08-04", "25 août", "", "fin", "illisible"),
        ("fermeture", "2026-08-25", "2026-08-04", "", "fin", "le jour du début ou"),
        ("fermeture", "2026-07-01", "2026-07-19", "", "fin", "La date de fin est"),
        ("fermeture", "2026-08-01", "2027-08-02", "", "fin", "au plus 366 jours"),
        ("fermeture", "2062-08-01", "2062-08-02", "", "debut", "plus de deux ans"),
        ("complet", "2026-08-04", "2026-08-25", "x" * 201, "motif", "200 caractères"),
    ],
)
def test_a_bad_declaration_is_refused_in_french(
    genre, debut, fin, motif, field, message
):
    errors = closures.check(genre, debut, fin, motif, today=TODAY)
    assert message in errors[field]


@pytest.mark.parametrize(
    ("debut", "fin"),
    [
        ("2026-08-04", "2026-08-25"),
        ("2026-07-01", "2026-07-20"),  # started earlier, ends today: still useful
        ("2026-07-20", "2027-07-20"),  # 366 days
    ],
)
def test_a_good_declaration_passes(debut, fin):
    motif = "fermeture estivale " * 10  # 190 characters once folded
    assert closures.check("fermeture", debut, fin, motif, today=TODAY) == {}


def test_the_reason_is_kept_on_one_line():
    assert closures.clean_motif("  travaux\n\tde  peinture ") == "travaux de peinture"
    assert closures.clean_motif(" \n ") is None


@pytest.mark.parametrize(
    ("debut", "fin", "text"),
    [
        (D(2026, 8, 4), D(2026, 8, 25), "du 4 au 25 août"),
        (D(2026, 8, 4), D(2026, 8, 4), "le 4 août"),
        (D(2026, 7, 28), D(2026, 8, 1), "du 28 juillet au 1er août"),
        (D(2026, 12, 28), D(2027, 1, 3), "du 28 décembre 2026 au 3 janvier 2027"),
        (D(2027, 2, 1), D(2027, 2, 5), "du 1er au 5 février 2027"),
    ],
)
def test_periods_in_french(debut, fin, text):
    assert closures.period_fr(debut, fin, TODAY) == text


@pytest.mark.parametrize(
    ("closure", "today", "text"),
    [
        (period(), D(2026, 8, 10), "Fermé du 4 au 25 août"),
        (period(), TODAY, "Fermeture prévue du 4 au 25 août"),
        (
            period("complet"),
            D(2026, 8, 10),
            "Complet / liste d'attente jusqu'au 25 août",
        ),
        (period("complet"), TODAY, "Complet / liste d'attente du 4 au 25 août"),
        (period("horaires"), TODAY, "Horaires exceptionnels du 4 au 25 août"),
    ],
)
def test_labels(closure, today, text):
    assert closures.label(closure, today) == text


def test_exceptional_hours_are_said_after_the_period():
    text = closures.label(period("horaires"), TODAY, "lundi : 10 h – 12 h")
    assert text == "Horaires exceptionnels du 4 au 25 août : lundi : 10 h – 12 h"


def test_a_closure_beats_exceptional_hours_and_complet_changes_no_hours():
    closed, hours, full = period(), period("horaires"), period("complet")
    day = D(2026, 8, 10)
    assert closures.in_force([full, hours, closed], day) is closed
    assert closures.in_force([full, hours], day) is hours
    assert closures.in_force([full], day) is None
    assert closures.shown([full], day) is full
    assert closures.in_force([closed], D(2026, 8, 26)) is None  # ends by itself
    assert closures.in_force([closed], D(2026, 8, 25)) is closed  # `fin` included


def test_an_upcoming_period_is_announced_30_days_ahead():
    closed = period(debut=D(2026, 8, 4))
    assert closures.shown([closed], D(2026, 7, 5)) is closed  # 30 days before
    assert closures.shown([closed], D(2026, 7, 4)) is None  # 31 days before
    assert closures.visible([closed], D(2026, 7, 4)) == []


def test_suspension_date_is_the_first_closure_of_any_distance():
    items = [
        {"genre": "complet", "debut": "2026-07-01"},
        {"genre": "fermeture", "debut": "2026-12-20"},
        {"genre": "fermeture", "debut": "2026-08-04"},
    ]
    assert closures.suspension_date(items) == "2026-08-04"
    assert closures.suspension_date(items[:1]) is None
    assert closures.suspension_date(None) is None


# -- writes, on a real database -----------------------------------------------


@pytest.fixture
def service(db):
    db["services"].insert({**SERVICE, "statut": "actif", "structure_nom": "Essai"})
    return SERVICE


def declare(db, service, genre="fermeture", debut=START, fin=END):
    values = {"genre": genre, "debut": debut, "fin": fin, "motif": "travaux"}
    return closure_writes.declare(
        db, service, values, user="a@b.fr", user_id=7, today=TODAY
    )


def test_a_declaration_is_stored_and_logged_as_one_entry(db, service):
    closure, entry = declare(db, service)
    row = db["fermetures"].get(closure.id)
    assert (row["debut"], row["fin"], row["motif"], row["cree_par"]) == (
        "2026-08-04",
        "2026-08-25",
        "travaux",
        7,
    )
    assert row["horaires"] is None and row["annule_le"] is None
    log = db["imports"].get(entry)
    assert (log["genre"], log["statut"], log["utilisateur"]) == (
        "fermeture",
        "applique",
        "a@b.fr",
    )
    assert log["structure_id"] == "essai"
    assert "Fermeture temporaire déclarée : « Accueil d'essai »" in log["fichier"]
    change = next(db["changes"].rows_where("import_id = ?", [entry]))
    assert change["service_id"] == f"fermeture:{closure.id}"
    assert "Fermeture prévue du 4 au 25 août — travaux" in change["apres"]


def test_an_overlapping_period_of_the_same_genre_is_refused_and_nothing_written(
    db, service
):
    declare(db, service)
    before = db["fermetures"].count, db["imports"].count
    with pytest.raises(ClosureError, match="déjà une période"):
        declare(db, service, debut=D(2026, 8, 20), fin=D(2026, 9, 2))
    assert (db["fermetures"].count, db["imports"].count) == before
    declare(db, service, "complet", D(2026, 8, 20), D(2026, 9, 2))  # another genre


def test_withdraw_then_undo_in_reverse_order(db, service):
    closure, declared = declare(db, service)
    withdrawn = closure_writes.withdraw(
        db, service, closure, user="a@b.fr", today=TODAY
    )
    assert closures.of_service(db, service["id"], TODAY) == []
    with pytest.raises(ClosureError, match="déjà été retirée"):
        closure_writes.withdraw(db, service, closure, user="a@b.fr", today=TODAY)
    with pytest.raises(ClosureError, match=f"n°{withdrawn}"):
        closure_writes.undo(db, declared, today=TODAY)  # the withdrawal came later
    assert closure_writes.undo(db, withdrawn, today=TODAY) == 1
    assert [c.id for c in closures.of_service(db, service["id"], TODAY)] == [closure.id]
    assert db["imports"].get(withdrawn)["statut"] == "annule"
    with pytest.raises(ClosureError, match="déjà été annulée"):
        closure_writes.undo(db, withdrawn, today=TODAY)
    closure_writes.undo(db, declared, today=TODAY)
    assert closures.of_service(db, service["id"], TODAY) == []
    assert db["fermetures"].get(closure.id)["annule_le"]  # kept, marked withdrawn


def test_an_ended_period_no_longer_reads_but_stays(db, service):
    closure, _ = declare(db, service)
    assert closures.of_service(db, service["id"], D(2026, 8, 25)) == [closure]
    assert closures.of_service(db, service["id"], D(2026, 8, 26)) == []
    assert [c for _, c in closures.active_rows(db, D(2026, 8, 26))] == []
    assert db["fermetures"].count == 1


def test_undo_of_another_entry_is_not_ours(db, service):
    assert not closure_writes.is_entry(db, 999)
    with pytest.raises(ClosureError, match="introuvable"):
        closure_writes.undo(db, 999, today=TODAY)


def test_the_table_and_the_search_query_use_their_indexes(db):
    """m012: a search reads the periods not yet ended through the `fin` index
    (the table keeps every past period: nothing deletes them)."""
    indexes = {tuple(i.columns) for i in db["fermetures"].indexes}
    assert {("service_id", "fin"), ("fin",)} <= indexes
    plan = " ".join(
        str(row[-1])
        for row in db.execute("explain query plan " + closures.ACTIVE, ["2026-08-01"])
    )
    assert "idx_fermetures_fin" in plan, plan
