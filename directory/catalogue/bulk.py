"""Bulk work over many rows: the cyclic garbage collector paused. No Flask."""

import gc
from contextlib import contextmanager


@contextmanager
def cycles_unchecked():
    """Pause the cyclic garbage collector around bulk work that creates many
    objects and no reference cycle (records, tuples, dicts of an import).

    Each collection walks every object alive, and an import keeps its records
    alive: on 100 000 rows the collector ran dozens of full passes for nothing.
    Reference counting still frees everything; the collector resumes after.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
