"""French rendering of opening hours (directory/hours_fr.py): fiche lines and badge.

Every expected string is exact; `status` runs at frozen datetimes in Paris (and
in UTC, to prove the conversion), around French public holidays of 2026.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest

from directory.search.hours_fr import days_fr, describe, status, time_fr

PARIS = ZoneInfo("Europe/Paris")
UTC = datetime.UTC


def paris(*args):
    return datetime.datetime(*args, tzinfo=PARIS)


DESCRIBED = [
    (
        "Mo-Fr 09:00-12:00,14:00-17:00; PH off",
        ["du lundi au vendredi : 9 h – 12 h et 14 h – 17 h", "fermé les jours fériés"],
    ),
    ("Tu,Th 09:00-12:00", ["mardi et jeudi : 9 h – 12 h"]),
    (
        "Mo-Fr 08:30-12:30; Sa 09:00-12:00",
        ["du lundi au vendredi : 8 h 30 – 12 h 30", "samedi : 9 h – 12 h"],
    ),
    ("Mo,We,Fr 09:00-12:00", ["lundi, mercredi et vendredi : 9 h – 12 h"]),
    ("Mo-We,Fr 09:00-12:00", ["du lundi au mercredi et le vendredi : 9 h – 12 h"]),
    ("Mo[1] 14:00-16:30", ["le 1er lundi du mois : 14 h – 16 h 30"]),
    ("Tu[2,4] 09:00-12:00", ["les 2e et 4e mardis du mois : 9 h – 12 h"]),
    ("Mo[-1] 10:00-12:00", ["le dernier lundi du mois : 10 h – 12 h"]),
    ("Tu[1-3] 10:00-12:00", ["les 1er, 2e et 3e mardis du mois : 10 h – 12 h"]),
    (
        "Tu-Fr 09:00-12:00; Mo[1] 14:00-16:30; PH off",
        [
            "du mardi au vendredi : 9 h – 12 h",
            "le 1er lundi du mois : 14 h – 16 h 30",
            "fermé les jours fériés",
        ],
    ),
    (
        "Mo-Fr 09:00-12:00, Tu[2] 14:00-16:00",
        [
            "du lundi au vendredi : 9 h – 12 h",
            "le 2e mardi du mois, en plus : 14 h – 16 h",
        ],
    ),
    (
        "We 14:00-17:00; Sa 09:00-12:00; Aug off",
        ["mercredi : 14 h – 17 h", "samedi : 9 h – 12 h", "fermé en août"],
    ),
    (
        "Mo-Fr 09:00-12:00; Jul-Aug off",
        ["du lundi au vendredi : 9 h – 12 h", "fermé en juillet et août"],
    ),
    (
        "Mo-Sa 09:00-12:00; Apr-Oct off",
        ["du lundi au samedi : 9 h – 12 h", "fermé d'avril à octobre"],
    ),
    (
        "Mo-Fr 08:30-12:00; PH off; 2026 Dec 24-2027 Jan 02 off",
        [
            "du lundi au vendredi : 8 h 30 – 12 h",
            "fermé les jours fériés",
            "fermé du 24 décembre 2026 au 2 janvier 2027",
        ],
    ),
    (
        'Mo-Fr 09:00-12:00; Dec 24-31 off "congés"',
        ["du lundi au vendredi : 9 h – 12 h", "fermé du 24 au 31 décembre (congés)"],
    ),
    (
        "Mo-Fr 09:00-12:00; 2026 Aug 01-15 off",
        ["du lundi au vendredi : 9 h – 12 h", "fermé du 1er au 15 août 2026"],
    ),
    (
        "Mo-Fr 08:00-12:00,13:30-17:30; Sa 08:00-12:00; Su,PH off",
        [
            "du lundi au vendredi : 8 h – 12 h et 13 h 30 – 17 h 30",
            "samedi : 8 h – 12 h",
            "fermé les jours fériés",
        ],
    ),
    (
        'Mo-Fr 09:00-12:00 "sur rendez-vous"',
        ["du lundi au vendredi : 9 h – 12 h (sur rendez-vous)"],
    ),
    (
        'Mo-Fr 09:00-12:00, Mo-Fr 14:00-17:00 "sur rendez-vous"',
        ["du lundi au vendredi : 9 h – 12 h ; 14 h – 17 h (sur rendez-vous)"],
    ),
    (
        'Mo-Fr 09:00-12:00; Sa off "permanence téléphonique"',
        [
            "du lundi au vendredi : 9 h – 12 h",
            "samedi : fermé (permanence téléphonique)",
        ],
    ),
    (  # `;` replaces Wednesday's hours, `,` adds to them
        "Mo-Fr 09:00-12:00; We 14:00-17:00",
        ["lundi, mardi, jeudi et vendredi : 9 h – 12 h", "mercredi : 14 h – 17 h"],
    ),
    (
        "Mo-Fr 09:00-12:00, We 14:00-17:00",
        [
            "lundi, mardi, jeudi et vendredi : 9 h – 12 h",
            "mercredi : 9 h – 12 h et 14 h – 17 h",
        ],
    ),
    ("24/7", ["ouvert 24 h/24, 7 j/7"]),
    ("Mo-Su 00:00-24:00; PH off", ["ouvert 24 h/24, 7 j/7", "fermé les jours fériés"]),
    ("Sa,Su", ["samedi et dimanche : 24 h/24"]),
    ("Mo-Su 20:00-08:00", ["tous les jours : 20 h – 8 h (le lendemain)"]),
    ("Mo-Fr 18:00-24:00", ["du lundi au vendredi : 18 h – minuit"]),
    ("off", ["fermé"]),
    ('off "fermé temporairement"', ["fermé (fermé temporairement)"]),
]


@pytest.mark.parametrize(("text", "expected"), DESCRIBED)
def test_describe(text, expected):
    assert describe(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Mo-Fr 09:00-12:00; Mo[1] 14:00-16:30",  # 1st Monday: afternoon only
        "Mo-Su 20:00-08:00; Aug off",  # the library opens 1 Sept 0 h – 8 h
        "PH off; Mo-Fr 09:00-12:00",  # the later rule reopens public holidays
        "Mo-Fr 09:00-12:00 || unknown",
        "Jul-Aug Mo-Fr 10:00-12:00",
        "Mo-Fr 10:00-12:00; SH off",
        "Mo-Fr 10:00-12:00+",
        "Mo-Fr 10:00-sunset",
        "week 1-53/2 Mo 10:00-12:00",
    ],
)
def test_describe_falls_back_to_the_string(text):
    assert describe(text) == [f"horaires détaillés : {text}"]


@pytest.mark.parametrize(
    "text", [None, "", "   ", "Lu-Ve 9h-12h", "Mo-Fr 09:00-12:00;"]
)
def test_describe_none_when_empty_or_invalid(text):
    assert describe(text) is None


def test_describe_returns_a_fresh_list():
    describe("Tu,Th 09:00-12:00").append("x")
    assert describe("Tu,Th 09:00-12:00") == ["mardi et jeudi : 9 h – 12 h"]


WEEKDAYS = "Mo-Fr 09:00-12:00; PH off"
LUNCH = "Mo-Fr 09:00-12:00,14:00-17:00"


@pytest.mark.parametrize(
    ("text", "now", "expected"),
    [
        (WEEKDAYS, paris(2026, 7, 14, 10), "Fermé · ouvre demain à 9 h"),  # Bastille
        (WEEKDAYS, paris(2026, 7, 15, 10), "Ouvert maintenant · ferme à 12 h"),
        (WEEKDAYS, paris(2026, 5, 1, 10), "Fermé · ouvre lundi à 9 h"),  # Fri 1 May
        (LUNCH, paris(2026, 3, 4, 12, 30), "Fermé · ouvre à 14 h"),
        (LUNCH, paris(2026, 3, 4, 18), "Fermé · ouvre demain à 9 h"),
        (LUNCH, paris(2026, 3, 6, 18), "Fermé · ouvre lundi à 9 h"),
        (LUNCH, paris(2026, 3, 4, 16, 59), "Ouvert maintenant · ferme à 17 h"),
        ("Mo[1] 09:00-12:00", paris(2026, 7, 25, 10), "Fermé · ouvre le 3 août à 9 h"),
        ("Mo[1] 09:00-12:00", paris(2026, 7, 7, 10), "Fermé"),  # 27 days ahead
        ("We 14:00-17:00; Aug off", paris(2026, 7, 31, 18), "Fermé"),
        ("off", paris(2026, 7, 7, 10), "Fermé"),
        ("24/7", paris(2026, 7, 7, 10), "Ouvert 24 h/24"),
        (
            "24/7; PH off",
            paris(2026, 7, 10, 18),
            "Ouvert maintenant · ferme lundi à minuit",
        ),
        (
            "Mo-Su 20:00-08:00",
            paris(2026, 7, 7, 23),
            "Ouvert maintenant · ferme demain à 8 h",
        ),
        (
            "Mo-Su 18:00-24:00",
            paris(2026, 7, 7, 20),
            "Ouvert maintenant · ferme à minuit",
        ),
        (
            'Mo-Fr 09:00-12:00, Mo-Fr 12:00-14:00 "permanence"',  # comment change only
            paris(2026, 7, 15, 10),
            "Ouvert maintenant · ferme à 14 h",
        ),
        # 07:30 UTC is 09:30 in Paris in summer (UTC+2): open; 10:30 UTC is 12:30
        (
            WEEKDAYS,
            datetime.datetime(2026, 7, 15, 7, 30, tzinfo=UTC),
            "Ouvert maintenant · ferme à 12 h",
        ),
        (
            WEEKDAYS,
            datetime.datetime(2026, 7, 15, 10, 30, tzinfo=UTC),
            "Fermé · ouvre demain à 9 h",
        ),
    ],
)
def test_status(text, now, expected):
    assert status(text, now) == expected


@pytest.mark.parametrize("text", [None, "", "Lu-Ve 9h-12h", "Mo-Fr unknown"])
def test_status_none_without_hours_or_state(text):
    assert status(text, paris(2026, 3, 2, 10)) is None


def test_time_fr():
    assert time_fr(datetime.time(9, 0)) == "9 h"
    assert time_fr(datetime.time(8, 30)) == "8 h 30"
    assert time_fr(datetime.datetime(2026, 3, 2, 17, 45)) == "17 h 45"
    assert time_fr(12 * 60 + 5) == "12 h 05"
    assert time_fr(0) == "0 h"


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ([0, 1, 2, 3, 4], "du lundi au vendredi"),
        ([1, 3], "mardi et jeudi"),
        ([0, 2, 4], "lundi, mercredi et vendredi"),
        ([5, 6], "samedi et dimanche"),
        ([0, 2, 3, 4], "le lundi et du mercredi au vendredi"),
        ([6, 0, 1, 2, 3, 4, 5], "tous les jours"),
        ([2], "mercredi"),
    ],
)
def test_days_fr(days, expected):
    assert days_fr(days) == expected
