"""Issue 12: `engine.current(db)`, called by every text search, reads almost
nothing when nothing was committed, and still notices a commit made through
another connection (another process)."""

from directory.db import connect, get_db
from directory.imports import engine as importer
from directory.search import engine

from .test_engine import make_app


def test_current_reads_nothing_again_until_a_commit_elsewhere(db_path):
    app = make_app(db_path)
    reader = connect(db_path)
    first = engine.current(reader)
    statements = []
    reader.conn.set_trace_callback(statements.append)
    assert engine.current(reader) is first
    assert statements == ["pragma data_version"]
    with app.app_context():  # another connection writes (a fiche edit)
        importer.apply_edits(
            get_db(), {"escale": {"nom": "Abri de nuit"}}, user="t", label="fiche"
        )
    after = engine.current(reader)
    assert after.name != first.name
    assert after.name == (engine.folder(reader) / "CURRENT").read_text()
    statements.clear()
    assert engine.current(reader) is after
    assert statements == ["pragma data_version"]
