"""Closures on top of opening hours (search.closures): a closure closes a
service whatever its hours, exceptional hours replace the regular ones on their
dates only, « complet » changes no hours; the live status and the checks of
exceptional hours. Frozen clock: every `now` is given."""

import datetime

import pytest

from directory.catalogue import closure_writes
from directory.catalogue.closures import Closure
from directory.search import closures
from directory.search.hours import PARIS

D = datetime.date
REGULAR = "Mo-Fr 09:00-12:00,14:00-17:00; PH off"
SUMMER = Closure(1, "s", "fermeture", D(2026, 8, 3), D(2026, 8, 7), "travaux")
WEDNESDAYS = Closure(
    2, "s", "horaires", D(2026, 8, 3), D(2026, 8, 7), None, "We 10:00-12:00"
)
LONG = Closure(4, "s", "fermeture", D(2026, 8, 3), D(2026, 8, 28))
FULL = Closure(3, "s", "complet", D(2026, 8, 3), D(2026, 8, 7))


def at(day, hour, minute=0):
    return datetime.datetime(2026, 8, day, hour, minute, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("moment", "regular", "expected"),
    [
        (at(3, 10), True, False),  # Monday, first day: closed though hours say open
        (at(7, 15), True, False),  # Friday, last day (`fin` included)
        (at(10, 10), True, True),  # the Monday after: open again by itself
        (at(1, 10), False, False),  # Saturday before: its hours say closed
    ],
)
def test_a_closure_closes_whatever_the_hours_then_ends(moment, regular, expected):
    from directory.search import hours

    assert hours.is_open(REGULAR, moment) is regular
    assert closures.open_now(REGULAR, [SUMMER], moment) is expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(4, 10), False),  # Tuesday in the period: only Wednesday mornings
        (at(5, 10, 30), True),  # Wednesday 10:30
        (at(5, 15), False),  # Wednesday afternoon, open by the regular hours
        (at(10, 15), True),  # after the period: the regular hours again
        (at(2, 10), False),  # the Sunday before: closed by the regular hours
    ],
)
def test_exceptional_hours_apply_on_their_dates_only(moment, expected):
    assert closures.open_now(REGULAR, [WEDNESDAYS], moment) is expected


def test_complet_changes_no_hours_and_a_closure_beats_exceptional_hours():
    assert closures.open_now(REGULAR, [FULL], at(4, 10)) is True
    assert (
        closures.open_now(REGULAR, [FULL, WEDNESDAYS, SUMMER], at(5, 10, 30)) is False
    )
    assert closures.open_now(None, [SUMMER], at(4, 10)) is False  # known closed
    assert closures.open_now(None, [FULL], at(4, 10)) is None


@pytest.mark.parametrize(
    ("moment", "found", "text"),
    [
        (at(4, 10), [SUMMER], "Fermé · ouvre lundi à 9 h"),  # reopens Aug 10
        (at(4, 10), [LONG], "Fermé jusqu'au 28 août inclus"),  # beyond 14 days
        (at(7, 18), [SUMMER], "Fermé · ouvre lundi à 9 h"),
        # Friday evening before: the regular hours would say « ouvre lundi ».
        (at(1, 18) - datetime.timedelta(days=1), [SUMMER], "Fermé · ouvre le 10 août"),
        (at(4, 10), [WEDNESDAYS], "Fermé · ouvre demain à 10 h"),
        (at(5, 11), [WEDNESDAYS], "Ouvert maintenant · ferme à 12 h"),
        (at(4, 10), [FULL], "Ouvert maintenant · ferme à 12 h"),
        (at(4, 10), [], "Ouvert maintenant · ferme à 12 h"),
    ],
)
def test_the_live_status_knows_the_periods(moment, found, text):
    assert closures.status(REGULAR, found, moment).startswith(text)


def test_status_without_regular_hours():
    assert closures.status(None, [SUMMER], at(4, 10)) == "Fermé jusqu'au 7 août inclus"
    assert closures.status(None, [SUMMER], at(1, 10)) is None  # not yet: unknown
    assert closures.status(None, [], at(4, 10)) is None


def test_periods_are_written_over_the_regular_hours():
    text = closures.effective_hours(REGULAR, [FULL, SUMMER, WEDNESDAYS])
    assert text == (
        f"{REGULAR}; 2026 Aug 03-2026 Aug 07 off; 2026 Aug 03-2026 Aug 07 "
        "We 10:00-12:00; 2026 Aug 03-2026 Aug 07 off"
    )


@pytest.mark.parametrize(
    "text", ["Mo-Fr 10:00-12:00; Sa 09:00-12:00", "10:00-12:00,14:00-16:00", "off"]
)
def test_simple_exceptional_hours_are_accepted(text):
    assert closures.hours_problem(text) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Indiquez les horaires"),
        ("  ", "Indiquez les horaires"),
        ("lundi 10h-12h", "Horaires illisibles"),
        ("Mo 10:00-12:00, We 14:00-16:00", "Horaires illisibles"),  # additional rule
        ("Aug 10:00-12:00", "Horaires illisibles"),  # dates: the period says them
        ('Mo 10:00-12:00 "sur rendez-vous"', "Horaires illisibles"),
        ("Mo 10:00-12:00 || off", "Horaires illisibles"),
        ("Mo-Fr 10:00-12:00; " * 40, "500 caractères"),
    ],
)
def test_other_exceptional_hours_are_refused_in_french(text, message):
    assert message in closures.hours_problem(text)


def test_validate_gathers_every_french_message_and_cleans_the_values():
    today = D(2026, 7, 20)
    values, errors = closures.validate(
        {"genre": "horaires", "debut": "03/08/2026", "fin": "2026-08-01"},
        today=today,
    )
    assert set(errors) == {"fin", "horaires"}
    values, errors = closures.validate(
        {
            "genre": "horaires",
            "debut": "2026-08-03",
            "fin": "2026-08-07",
            "motif": " permanence\nréduite ",
            "horaires": " We 10:00-12:00 ;  ",
        },
        today=today,
    )
    assert errors == {}
    assert values == {
        "genre": "horaires",
        "debut": D(2026, 8, 3),
        "fin": D(2026, 8, 7),
        "motif": "permanence réduite",
        "horaires": "We 10:00-12:00",
    }
    form = {"genre": "fermeture", "debut": "2026-08-03", "fin": "2026-08-07"}
    values, errors = closures.validate({**form, "horaires": "x"}, today=today)
    assert errors == {} and values["horaires"] is None


def test_labels_say_the_exceptional_hours_in_french():
    assert closures.label(WEDNESDAYS, D(2026, 7, 20)) == (
        "Horaires exceptionnels du 3 au 7 août : mercredi : 10 h – 12 h"
    )


def test_public_object_and_banners():
    found = closures.public(SUMMER, D(2026, 8, 4))
    assert found == {
        "genre": "fermeture",
        "debut": "2026-08-03",
        "fin": "2026-08-07",
        "en_cours": True,
        "motif": "travaux",
        "horaires": None,
        "libelle": "Fermé du 3 au 7 août",
    }
    assert closures.public(None, D(2026, 8, 4)) is None
    early = datetime.datetime(2026, 7, 1, 10, tzinfo=PARIS)
    assert closures.banners([SUMMER], early) == []  # 33 days ahead: not yet
    shown = closures.banners([FULL, SUMMER], at(1, 10))
    assert [b["libelle"] for b in shown] == [
        "Fermeture prévue du 3 au 7 août",
        "Complet / liste d'attente du 3 au 7 août",
    ]


def test_layer_reads_once_and_overrides_by_rowid(db):
    db["services"].insert_all(
        [
            {"id": "a", "nom": "A", "statut": "actif", "structure_id": "s"},
            {"id": "b", "nom": "B", "statut": "actif", "structure_id": "s"},
        ]
    )
    service = {"id": "b", "nom": "B", "structure_id": "s"}
    values = {"genre": "horaires", "debut": D(2026, 8, 3), "fin": D(2026, 8, 7)}
    values["horaires"] = "We 10:00-12:00"
    closure_writes.declare(
        db, service, values, user="x", user_id=1, today=D(2026, 8, 1)
    )
    rowid = db.execute("select rowid from services where id = 'b'").fetchone()[0]
    statements = []
    db.conn.set_trace_callback(statements.append)
    layer = closures.Layer(db, at(5, 10, 30))
    assert layer.overrides() == {rowid: True}
    row = layer.annotate({"id": "b", "horaires": REGULAR})
    other = layer.annotate({"id": "a", "horaires": REGULAR})
    db.conn.set_trace_callback(None)
    assert len(statements) == 1 and "from fermetures" in statements[0]
    assert row["ouvert_maintenant"] is True and row["fermeture"]["genre"] == "horaires"
    assert other["fermeture"] is None and other["fermetures"] == []
    assert closures.Layer(db, at(5, 15)).overrides() == {rowid: False}
    assert closures.Layer(db, at(10, 15)).overrides() == {}
