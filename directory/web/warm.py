"""A worker's start: open what its requests read before it takes any.

gunicorn calls `warm` once per worker after it has loaded the application
(`gunicorn.conf.py`, hook `post_worker_init`): the text index version and its
memory-mapped columns are opened (not rebuilt, unless the index is behind the
database), the map's Z-order layout computed, the needs and the gazetteer
read. A fresh worker's first request then pays none of it. A failure is
logged and the worker serves anyway (each request loads what it lacks).
`return_freed_memory` keeps the worker's memory near what its requests use.
"""

import ctypes
import logging

from ..db import get_db
from ..search.clusters import layout_of
from ..search.index import get_index
from .context import get_besoins, get_gazetteer

logger = logging.getLogger(__name__)
M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
MMAP_THRESHOLD = 1 << 20  # blocks from 1 MiB are mapped, and unmapped when freed


def warm(app):
    """Open the search index, its columns and layout, the needs and the
    gazetteer of the app's database, in this process."""
    with app.app_context():
        try:
            db = get_db()
            besoins = get_besoins(db)
            layout_of(get_index(db, list(besoins.labels)))
            get_gazetteer(db)
        except Exception as exc:  # noqa: BLE001 - never keep a worker from serving
            logger.warning("Préchargement du processus incomplet : %s", exc)
            return False
    return True


def return_freed_memory():
    """Have glibc map large blocks (a request's numpy arrays over every
    service: megabytes at 1 000 000 services) and give them back when freed.
    Its default threshold rises to the largest block freed, after which such
    blocks stay in the heap, freed but counted in the worker's memory. True
    when set (False where the C library has no `mallopt`)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
