"""A value built on first use (the gazetteer of a search that names no place
is never loaded). No Flask imports."""


class Lazy:
    """Stands for `load()`'s result, calling it on the first attribute read."""

    def __init__(self, load):
        self._load, self._value = load, None

    def __getattr__(self, name):
        if self._value is None:
            self._value = self._load()
        return getattr(self._value, name)
