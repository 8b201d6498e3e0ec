"""gunicorn settings read from the project folder (`make serve`)."""


def post_worker_init(worker):
    """Each worker opens the search index, its columns and the gazetteer
    before taking requests (directory/web/warm.py)."""
    from directory.web.warm import warm

    warm(worker.wsgi)
