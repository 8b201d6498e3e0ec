"""French rendering of OSM `opening_hours` (SPEC §6): `describe` for a fiche, `status`
for the live badge. A description is returned only if it matches opening-hours-py
over 2026-2027; otherwise a true « horaires détaillés : … » line is given."""

import datetime
import itertools
import re
from functools import lru_cache

import opening_hours

from . import hours

DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
MONTHS = [
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet",
    "août", "septembre", "octobre", "novembre", "décembre",
]  # fmt: skip
WD, WDS = "Mo|Tu|We|Th|Fr|Sa|Su", "Mo Tu We Th Fr Sa Su".split()
MON = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
MONS = MON.split("|")
OPEN, CLOSED = opening_hours.State.OPEN, opening_hours.State.CLOSED
DAY, MINUTE = datetime.timedelta(days=1), datetime.timedelta(minutes=1)
REF_SUNDAY = datetime.datetime(2026, 3, 1)  # then an ordinary week, no holiday
REF_WINDOW = (REF_SUNDAY, REF_SUNDAY + 9 * DAY)
HORIZON = (datetime.datetime(2026, 1, 1), datetime.datetime(2028, 1, 1))
BADGE_HORIZON = datetime.timedelta(days=14)

_RULE = re.compile(r'(.*?)\s*((?:\d+:\d\d|off\b|closed\b|open\b|unknown\b|").*)?', re.S)
_DAYS = re.compile(rf"(?:{WD})(?:-(?:{WD}))?(?:,(?:{WD})(?:-(?:{WD}))?)*")
_NTH = re.compile(rf"({WD})\[((?:-1|[1-5](?:-[1-5])?)(?:,(?:-1|[1-5](?:-[1-5])?))*)\]")
_OFF = re.compile(r'(?:off|closed)\s*(?:"([^"]*)")?')
_MONTHS = re.compile(rf"(?:{MON})(?:-(?:{MON}))?(?:,(?:{MON})(?:-(?:{MON}))?)*")
_DATES = re.compile(rf"(\d{{4}} )?({MON}) (\d\d?)(?:-(\d{{4}} )?((?:{MON}) )?(\d\d?))?")


def time_fr(t):
    """`9 h`, `8 h 30`, from a time/datetime or from minutes since midnight."""
    minutes = t if isinstance(t, int) else t.hour * 60 + t.minute
    h, m = divmod(minutes % 1440, 60)
    return f"{h} h {m:02d}" if m else f"{h} h"


def join_fr(items):
    """`a`, `a et b`, `a, b et c`."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " et " + items[-1]


def days_fr(days):
    """Weekday indexes (0 = lundi) in French; runs of 3+ days read « du … au … »."""
    days, parts = sorted(set(days)), []
    if len(days) == 7:
        return "tous les jours"
    for _, group in itertools.groupby(enumerate(days), lambda pair: pair[1] - pair[0]):
        run = [DAYS[d] for _, d in group]
        parts += [f"du {run[0]} au {run[-1]}"] if len(run) >= 3 else run
    if any(part.startswith("du ") for part in parts):  # « … et le vendredi »
        parts = [p if p.startswith("du ") else f"le {p}" for p in parts]
    return join_fr(parts)


def _range_fr(start, end):
    if (start, end) == (0, 1440):
        return "24 h/24"
    nxt = " (le lendemain)" * (end > 1440)
    return f"{time_fr(start)} – {'minuit' if end == 1440 else time_fr(end)}{nxt}"


def _ranges_fr(ranges):
    """Ranges of one day; a comment shared by all ranges is said once, at the end."""
    if len({c for _, _, c in ranges}) == 1:
        text = join_fr(_range_fr(s, e) for s, e, _ in ranges)
        return text + f" ({ranges[0][2]})" * bool(ranges[0][2])
    return " ; ".join(_range_fr(s, e) + f" ({c})" * bool(c) for s, e, c in ranges)


def _date_fr(day, year=None, month=True):
    text = "1er" if day.day == 1 else str(day.day)
    return text + f" {MONTHS[day.month - 1]}" * month + f" {year}" * bool(year)


def _split(text):
    """(separator, rule) pairs for `;` rules and `,` additional rules."""
    rules, sep, buf, quoted = [], ";", "", False
    for i, ch in enumerate(text):
        quoted ^= ch == '"'
        if not quoted and ch in ";," and "[" not in buf.rsplit("]", 1)[-1]:
            ends = re.search(r'(\d|"|\b(off|closed|open|unknown))$', buf.rstrip())
            if ch == ";" or (ends and re.match(r"\s*[A-Za-z]", text[i + 1 :])):
                rules.append((sep, buf.strip()))
                sep, buf = ch, ""
                continue
        buf += ch
    return rules + [(sep, buf.strip())]


def _week(expression):
    """Per weekday of a reference week: (open ranges in minutes, ending after 1440
    when overnight; comments of closed days)."""
    days = [([], set()) for _ in range(9)]  # Sunday before, Mon … Sun, Monday after
    if (parsed := hours.parse(expression or "off")) is None:
        raise ValueError(expression)
    for start, end, state, comment in parsed.intervals(*REF_WINDOW):
        if state not in (OPEN, CLOSED):
            raise ValueError(expression)
        for i, (opens, closed) in enumerate(days):
            midnight = REF_SUNDAY + i * DAY
            lo, hi = ((t - midnight) // MINUTE for t in (max(start, midnight), end))
            if lo < min(hi, 1440) and state == OPEN:
                opens.append((lo, min(hi, 1440), comment))
            elif lo < min(hi, 1440) and comment:
                closed.add(comment)
    for (today, _), (tomorrow, _) in zip(days, days[1:], strict=False):
        if today and tomorrow and 0 < today[-1][0] and today[-1][1] == 1440:
            first = tomorrow[0]
            if first[0] == 0 and first[1] < 1440 and first[2] == today[-1][2]:
                today[-1] = (today[-1][0], 1440 + tomorrow.pop(0)[1], first[2])
    return days[1:8]


def _closure(sel, comment):
    """(is-closed predicate on dates, French line) for `PH`, `Aug`, `Jul-Aug`,
    `Dec 25`, `2026 Dec 24-2027 Jan 02`…"""
    suffix = f" ({comment})" if comment else ""
    if sel == "PH":
        return _holidays().__contains__, "fermé les jours fériés" + suffix
    if _MONTHS.fullmatch(sel):
        months = []
        for item in sel.split(","):
            a, _, b = item.partition("-")
            a, b = MONS.index(a), MONS.index(b or a)
            months += [(a + k) % 12 + 1 for k in range((b - a) % 12 + 1)]
        words = [MONTHS[m - 1] for m in months]
        text = "fermé en " + join_fr(words)
        if "," not in sel and len(months) >= 3:
            de = "d'" if words[0][0] in "ao" else "de "
            text = f"fermé {de}{words[0]} à {words[-1]}"
        return (lambda day: day.month in months), text + suffix
    if not (match := _DATES.fullmatch(sel)) or (match[4] and not match[1]):
        raise ValueError(sel)
    y1, m1, d1, y2, m2, d2 = (g.strip() if g else g for g in match.groups())
    m1, m2 = MONS.index(m1) + 1, MONS.index(m2 or m1) + 1
    d1, d2, y1 = int(d1), int(d2 or d1), int(y1) if y1 else None
    y2 = int(y2) if y2 else (y1 + ((m2, d2) < (m1, d1)) if y1 else None)
    start, end = datetime.date(y1 or 2000, m1, d1), datetime.date(y2 or 2000, m2, d2)
    if y1 and start > end:
        raise ValueError(sel)
    if start == end:
        text = f"fermé le {_date_fr(start, y1)}"
    elif y1 == y2:
        text = f"fermé du {_date_fr(start, month=start.month != end.month)}"
        text += f" au {_date_fr(end, y2)}"
    else:
        text = f"fermé du {_date_fr(start, y1)} au {_date_fr(end, y2)}"
    if y1:
        return (lambda day: start <= day <= end), text + suffix
    a, b = (m1, d1), (m2, d2)  # every year, maybe across New Year
    if a <= b:
        return (lambda day: a <= (day.month, day.day) <= b), text + suffix
    return (lambda day: not b < (day.month, day.day) < a), text + suffix


@lru_cache(maxsize=1)
def _holidays():
    intervals = opening_hours.OpeningHours("PH", country="FR").intervals(*HORIZON)
    return {start.date() for start, _, state, _ in intervals if state == OPEN}


def _merged(intervals):
    out = []
    for s, e, c in sorted(intervals):
        if out and s <= out[-1][1] and c == out[-1][2]:
            out[-1] = (out[-1][0], max(e, out[-1][1]), c)
        else:
            out.append((s, e, c))
    return out


def _check(text, week, nths, closures):
    """Raise ValueError unless our reading opens exactly when the library does."""
    lo, hi = HORIZON
    model = []
    for i in range((hi - lo).days + 1):
        day = lo + (i - 1) * DAY
        if any(closed(day.date()) for closed, _ in closures):
            continue
        nth = {(day.day - 1) // 7 + 1, -1 if (day + 7 * DAY).month != day.month else 0}
        ranges = list(week[day.weekday()][0])
        for wd, ns, rs in nths:
            ranges += rs if wd == day.weekday() and nth & set(ns) else []
        model += [(day + s * MINUTE, day + e * MINUTE, c) for s, e, c in ranges]
    model = [(max(s, lo), min(e, hi), c) for s, e, c in model if s < hi and e > lo]
    real = hours.parse(text).intervals(lo, hi)
    if _merged(model) != _merged((s, e, c) for s, e, st, c in real if st == OPEN):
        raise ValueError(text)


def _parse(text):
    """(reference week, `Mo[1]`-style rules, closures), checked; ValueError if the
    string is beyond this renderer."""
    weekly, nths, closures = [], [], []
    if re.search(r"\|\||\d\+|:\d\d/|sun|dusk|dawn", text):  # fallback, open end…
        raise ValueError(text)
    for sep, rule in _split(text):
        sel, rest = _RULE.fullmatch(rule).groups()
        sel, rest = sel.replace(" ", "") if "," in sel else sel, rest or ""
        if (not sel or sel == "24/7" or _DAYS.fullmatch(sel)) and not closures:
            weekly.append(f"{sep} {rule}" if weekly else rule)
        elif (match := _NTH.fullmatch(sel)) and not closures and rest[:1].isdigit():
            pairs = re.findall(r"(-?\d)-?(\d?)", match[2])
            ns = {n for a, b in pairs for n in range(int(a), int(b or a) + 1)}
            wd = WDS.index(match[1])
            ranges = _week(f"{match[1]} {rest}")[wd][0]
            nths.append((wd, sorted(ns, key=lambda n: n % 6), ranges))
        elif off := _OFF.fullmatch(rest):
            parts = sel.split(",")
            if days := [p for p in parts if _DAYS.fullmatch(p)]:  # `Su,PH off`
                weekly.append(f"{'; ' * bool(weekly)}{','.join(days)} {rest}")
            if others := ",".join(p for p in parts if p not in days):
                closures.append(_closure(others, off[1]))
        else:
            raise ValueError(text)
    week = _week("".join(weekly))
    if any(not ranges for _, _, ranges in nths) or any(o and c for o, c in week):
        raise ValueError(text)
    _check(text, week, nths, closures)
    return week, nths, closures


@lru_cache(maxsize=4096)
def _describe(text):
    try:
        week, nths, closures = _parse(text)
    except (ValueError, OverflowError):
        return (f"horaires détaillés : {text}",)
    groups, lines = {}, []
    for wd, (opens, comments) in enumerate(week):
        if key := tuple(opens) or " ; ".join(sorted(comments)):
            groups.setdefault(key, []).append(wd)
    for key, wds in groups.items():
        if isinstance(key, str):
            lines.append(f"{days_fr(wds)} : fermé ({key})")
        elif len(wds) == 7 and key == ((0, 1440, key[0][2]),):
            lines.append("ouvert 24 h/24, 7 j/7" + f" ({key[0][2]})" * bool(key[0][2]))
        else:
            lines.append(f"{days_fr(wds)} : {_ranges_fr(key)}")
    for wd, ns, ranges in nths:
        ords = join_fr({1: "1er", -1: "dernier"}.get(n, f"{n}e") for n in ns)
        day = f"les {ords} {DAYS[wd]}s" if len(ns) > 1 else f"le {ords} {DAYS[wd]}"
        extra = ", en plus" * bool(week[wd][0])
        lines.append(f"{day} du mois{extra} : {_ranges_fr(ranges)}")
    if not any(opens for opens, _ in week) and not nths:  # never open
        if len(groups) == 1 and len(next(iter(groups.values()))) == 7:
            return (f"fermé ({next(iter(groups))})",)
        return ("fermé", *lines)
    return tuple(lines + [line for _, line in closures])


def describe(text):
    """French lines for a fiche: weekly hours, then closures; None if invalid/empty."""
    text = (text or "").strip()
    return list(_describe(text)) if text and hours.parse(text) else None


def _when(local, t, closing=False):
    """`à 9 h`, `demain à 9 h`, `lundi à 9 h`, `le 3 août à 9 h` (or `à minuit`)."""
    day, at = t, f"à {time_fr(t)}"
    if closing and t.time() == datetime.time():
        day, at = t - DAY, "à minuit"
    delta = (day.date() - local.date()).days
    if delta <= 1:
        return "demain " * delta + at
    return f"{DAYS[day.weekday()]} {at}" if delta <= 6 else f"le {_date_fr(day)} {at}"


def status(text, now):
    """Live badge, e.g. « Ouvert maintenant · ferme à 17 h »; None if unknown."""
    parsed = hours.parse(text) if text else None
    local = t = hours.local_minute(now)
    state = new = parsed.state(local)[0] if parsed else None
    if state not in (OPEN, CLOSED):
        return None
    for _ in range(16):  # skip the changes of comment only
        try:
            t = parsed.next_change(t)
        except (ValueError, OverflowError):
            t = None
        if t is None or t - local > BADGE_HORIZON:
            break
        if (new := parsed.state(t)[0]) != state:
            break
    if state == CLOSED:
        return f"Fermé · ouvre {_when(local, t)}" if new == OPEN else "Fermé"
    if new == CLOSED:
        return f"Ouvert maintenant · ferme {_when(local, t, closing=True)}"
    return "Ouvert 24 h/24" if t is None else "Ouvert maintenant"
