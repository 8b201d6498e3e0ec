"""Pure helpers of the benchmarks (bench/): query sets, streaming, parsing.

Nothing here is timed; the benchmarks themselves run in `make bench` only.
"""

import datetime
import http.server
import io
import threading

from bench import importbench, load, scale, search, synth

TODAY = datetime.date(2026, 12, 1)


def test_query_key_ignores_case_accents_order_and_endings():
    assert search.query_key("Épicerie Logement") == search.query_key(
        "logements epicerie"
    )
    assert search.query_key("aide") != search.query_key("aide logement")


def test_novel_queries_are_distinct_for_any_cache_and_a_third_filter_a_need():
    queries = search.novel_queries(4_300, seed=3)
    assert len(queries) == 4_300
    assert search.all_distinct(queries)
    fixed = {search.query_key(t) for t in search.TEXTS}
    assert not fixed & {search.query_key(t) for t, _ in queries}
    sizes = {len(text.split()) for text, _ in queries}
    assert sizes == {1, 2, 3}
    with_need = [need for _, need in queries if need]
    assert len(with_need) == 4_300 // 3
    assert set(with_need) <= set(synth.KINDS)
    assert search.novel_queries(4_300, seed=3) == queries  # deterministic


def test_all_distinct_sees_a_repeat_whatever_the_need():
    assert not search.all_distinct([("aide logement", None), ("Logement aide", "x")])


def test_novel_sets_never_share_a_query():
    sets = search.novel_sets({"warm-up": 30, "measured": 400, "first": 4})
    assert [len(v) for v in sets.values()] == [30, 400, 4]
    assert search.all_distinct([q for v in sets.values() for q in v])


def test_novel_paths_send_the_same_query_to_both_servers():
    ours, theirs = (
        search.novel_paths([("épicerie colis", "alimentation")], database)
        for database in (None, "ds")
    )
    assert ours == [
        (
            "novel text + need",
            "/api/services?q=%C3%A9picerie+colis&besoin=alimentation",
        )
    ]
    assert theirs[0][1].startswith(
        "/ds/services.json?_search=%C3%A9picerie+colis&besoins__contains=alimentation&"
    )


def test_novel_checks_report_a_capped_run():
    sets = {"measured": [("aide", None), ("colis", None)]}
    ok, _ = search.novel_checks(sets, [{"sent": 2, "paths": 2}])
    capped, detail = search.novel_checks(sets, [{"sent": 1, "paths": 2}])
    assert ok and not capped and "CAPPED" in detail


def test_streamed_csv_is_the_generated_one(tmp_path):
    path = synth.write_file(tmp_path / "s.csv", 120, seed=4, today=TODAY)
    assert path.read_bytes() == synth.generate(120, seed=4, today=TODAY)
    assert not list(tmp_path.glob("*.part"))


def test_write_streams_to_a_text_stream():
    out = io.StringIO(newline="")
    synth.write(out, 5, seed=1, today=TODAY)
    assert out.getvalue().count("\n") == 6  # header + 5 rows


def test_parse_status_reads_the_kb_fields_in_mb():
    text = "Name:\tgunicorn\nVmHWM:\t  409600 kB\nVmRSS:\t  204800 kB\nThreads:\t5\n"
    assert scale.parse_status(text) == {"VmHWM": 400.0, "VmRSS": 200.0}


class _Paths(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen = []

    def do_GET(self):
        self.seen.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def test_load_once_sends_each_path_exactly_once():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Paths)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        _Paths.seen = []
        paths = [("k", f"/q{i}") for i in range(50)]
        measures = load.run(
            "127.0.0.1", server.server_port, paths, 4, seconds=60, once=10
        )
    finally:
        server.shutdown()
        server.server_close()
    assert sorted(_Paths.seen) == sorted(p for _, p in paths)
    assert measures["sent"] == 50
    assert measures["warmup_requests"] == 10
    assert measures["requests"] == 40


def test_fresh_removes_the_database_and_what_lives_beside_it(tmp_path):
    db = tmp_path / "scale.db"
    for name in ("scale.db", "scale.db-wal", "scale.db.index/seg/a", "other.db"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x" * 1000)
    assert importbench.beside_files(db) == [tmp_path / "scale.db.index"]
    assert importbench.tree_mb(importbench.beside_files(db)) == 0.001
    importbench.fresh(db)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]
