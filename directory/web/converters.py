"""URL converters: `<int:…>` takes ASCII digits within SQLite's integer range.

Werkzeug's own `int` reads any Unicode digit (`\\d`) and any size; an id past
2**63 - 1 then overflows in SQLite (a 500). Out of range, the route does not
match: a French 404.
"""

from werkzeug.routing import IntegerConverter

SQLITE_LOW, SQLITE_HIGH = -(2**63), 2**63 - 1


class SQLiteIntegerConverter(IntegerConverter):
    """`<int:…>` bounded to SQLite's 64-bit integers, ASCII digits only."""

    regex = r"[0-9]{1,19}"  # [0-9], not \d: no « ٣ » or « ３ »

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        low = SQLITE_LOW if min is None else builtins_max(min, SQLITE_LOW)
        high = SQLITE_HIGH if max is None else builtins_min(max, SQLITE_HIGH)
        super().__init__(map, fixed_digits, low, high, signed)


builtins_min, builtins_max = min, max  # the arguments above shadow them


def init_app(app):
    """Replace `int` before any blueprint adds its rules."""
    app.url_map.converters["int"] = SQLiteIntegerConverter
