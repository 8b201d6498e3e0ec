"""A list of validated records that spills to disk past a threshold, so that
an import's memory stays bounded whatever the file's size. No Flask imports.

Below SPOOL_AT records a Spool is a plain in-memory list (web uploads, previews
and pending uploads never touch the disk); past it, the records go by batches
to a TEMP table of the database connection: SQLite keeps it in its own
temporary file (deleted when the connection closes, even after a crash), never
in the database, and the writer copies it into `services` in SQL, sorted by id
(module `inserts`), without making Python objects of the rows again.
"""

import contextlib
import itertools

SPOOL_AT = 10_000  # records held in memory; the tests lower it
_names = itertools.count(1)


@contextlib.contextmanager
def _temp_write(conn):
    """One transaction around a write to a TEMP table (its own, committed at
    once; or the caller's, when one is open). It never locks the database."""
    mine = not conn.in_transaction
    try:
        yield
    except BaseException:
        if mine and conn.in_transaction:
            conn.rollback()
        raise
    if mine and conn.in_transaction:
        conn.commit()


class Spool:
    """Append-only sequence of tuples of `columns` (Records): len()-able,
    iterable, sliced from its start, equal to the list of its items.

    :param wrap: turns a stored tuple back into an item (e.g. Record).
    :param db: the connection whose TEMP schema receives the spilled rows
        (None: always in memory).
    :param limit: records held in memory before a batch is spilled (default:
        the module's SPOOL_AT when the spool is made).
    """

    def __init__(self, wrap=tuple, *, columns=(), db=None, limit=None):
        self.wrap, self.columns, self.db = wrap, tuple(columns), db
        self.limit = limit or SPOOL_AT
        self.table = None  # temp.<name> once spilled
        self.ordered = True  # first items strictly ascending so far
        self._items, self._count, self._last = [], 0, None

    def append(self, item):
        key = item[0]
        if self.ordered and self._last is not None and not key > self._last:
            self.ordered = False
        self._last = key
        self._items.append(item)
        self._count += 1
        if len(self._items) >= self.limit and self.db is not None:
            self._spill()

    @property
    def spilled(self):
        """True once rows live in the TEMP table."""
        return self.table is not None

    def _spill(self):
        conn = self.db.conn
        with _temp_write(conn):
            if self.table is None:
                self.table = f"temp.import_spool_{next(_names)}"
                names = ", ".join(f"[{c}]" for c in self.columns)
                conn.execute(f"create table {self.table} ({names})")
            marks = ", ".join("?" * len(self.columns))
            # Plain tuples: sqlite3 would read a tuple subclass (Record) item
            # by item through its Python __getitem__.
            items = self._items
            if items and type(items[0]) is not tuple:
                items = [tuple(item) for item in items]
            conn.executemany(f"insert into {self.table} values ({marks})", items)
        self._items = []

    def flush(self):
        """Spill what is still in memory, when the spool is on disk already."""
        if self.table is not None and self._items:
            self._spill()

    def __iter__(self):
        wrap = self.wrap
        if self.table is not None:
            cursor = self.db.conn.execute(f"select * from {self.table} order by rowid")
            while rows := cursor.fetchmany(1000):
                yield from map(wrap, rows)
        yield from map(wrap, self._items)

    def __len__(self):
        return self._count

    def __bool__(self):
        return self._count > 0

    def __getitem__(self, index):
        if isinstance(index, slice):
            if index.start or index.step or index.stop is None or index.stop < 0:
                return list(self)[index]
            return list(itertools.islice(self, index.stop))
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError("spool index out of range")
        return next(itertools.islice(self, index, None))

    def __eq__(self, other):
        if isinstance(other, Spool | list):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None

    def __repr__(self):
        return f"<Spool of {self._count}{' (on disk)' if self.spilled else ''}>"

    def close(self):
        """Forget everything; the TEMP table is dropped."""
        if self.table is not None:
            with _temp_write(self.db.conn):
                self.db.conn.execute(f"drop table if exists {self.table}")
        self.table, self._items, self._count = None, [], 0
