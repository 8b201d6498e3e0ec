"""A list of validated records that spills to disk past a threshold, so that
an import's memory stays bounded whatever the file's size. No Flask imports.

Below SPOOL_AT records a Spool is a plain in-memory list (web uploads, previews
and pending uploads never touch the disk); past it, every full batch is
marshal'ed to an anonymous temporary file (unlinked at creation: nothing is
left behind, even after a crash) and read back batch by batch.
"""

import itertools
import marshal
import tempfile
import weakref

SPOOL_AT = 10_000  # records held in memory; the tests lower it


class Spool:
    """Append-only sequence of tuples (Records): len()-able, iterable, sliced
    from its start, equal to the list of its items.

    :param wrap: turns a stored tuple back into an item (e.g. Record).
    :param limit: records kept in memory before a batch goes to disk
        (default: the module's SPOOL_AT when the spool is made).
    """

    def __init__(self, wrap=tuple, limit=None, directory=None):
        self.wrap = wrap
        self.limit = limit or SPOOL_AT
        self.directory = directory
        self.ordered = True  # first items strictly ascending so far
        self._items, self._batches, self._count = [], [], 0
        self._file, self._last = None, None

    def append(self, item):
        key = item[0]
        if self.ordered and self._last is not None and not key > self._last:
            self.ordered = False
        self._last = key
        self._items.append(item)
        self._count += 1
        if len(self._items) >= self.limit:
            self._spill()

    @property
    def spilled(self):
        """True once some batches live on disk."""
        return bool(self._batches)

    def _spill(self):
        if self._file is None:
            self._file = tempfile.TemporaryFile(dir=self.directory)
            weakref.finalize(self, self._file.close)  # a spool dropped unclosed
        data = marshal.dumps([tuple(item) for item in self._items])
        self._file.seek(0, 2)
        self._batches.append((self._file.tell(), len(data)))
        self._file.write(data)
        self._items = []

    def batches(self):
        """Lists of plain tuples, in the order of appending."""
        for offset, length in self._batches:
            self._file.seek(offset)
            yield marshal.loads(self._file.read(length))
        if self._items:
            yield [tuple(item) for item in self._items]

    def __iter__(self):
        wrap = self.wrap
        for offset, length in self._batches:
            self._file.seek(offset)
            yield from map(wrap, marshal.loads(self._file.read(length)))
        yield from self._items

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
        """Forget everything and remove the temporary file."""
        if self._file is not None:
            self._file.close()
        self._file, self._items, self._batches, self._count = None, [], [], 0
