"""Issue 12.D: the search benchmark's in-process phase also times novel
queries through GET /api/services (Flask's test client), with its CPU."""

import json
import os
import shutil

from bench.search import phase_inprocess


def test_the_in_process_phase_times_the_api_on_novel_queries(
    seeded_db_path, tmp_path, monkeypatch
):
    database = tmp_path / "bench.db"  # the phase may build its index beside it
    shutil.copy(seeded_db_path, database)
    monkeypatch.setenv("FLASK_DATABASE", os.fspath(database))
    paths = tmp_path / "paths.json"
    given = {
        "mix": [["text", "/api/services?q=aide"]],
        "new": [["novel text", "/api/services?q=logement"]],
        "api": [
            ["novel text", "/api/services?q=epicerie"],
            ["novel text + need", "/api/services?q=colis&besoin=alimentation"],
        ],
    }
    paths.write_text(json.dumps(given))
    out = phase_inprocess(database, paths, 1)
    assert len(out["new_text"]) == 1
    assert len(out["api_new"]) == 2
    assert out["api_cpu"] > 0
