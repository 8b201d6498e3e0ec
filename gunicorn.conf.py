"""gunicorn settings read from the project folder (`make serve`)."""


def post_worker_init(worker):
    """Each worker opens the search index, its columns and the gazetteer
    before taking requests, and gives back the large blocks its requests
    free (directory/web/warm.py)."""
    from directory.web.warm import return_freed_memory, warm

    return_freed_memory()
    warm(worker.wsgi)
