"""Bulk work over many rows: the cyclic garbage collector paused, the scratch
files of processes that died. No Flask."""

import gc
import os
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


def left_by_dead(folder, prefix):
    """Paths in `folder` named `<prefix><pid>-…` whose process has died (never
    this process's, nor a live one's, whoever owns it)."""
    for path in folder.glob(f"{prefix}*"):
        pid = path.name[len(prefix) :].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            yield path
        except OSError:
            pass  # alive, another user's
