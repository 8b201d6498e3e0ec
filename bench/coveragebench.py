"""Coverage benchmark (issue 15): the whole access-gap analysis, read from the
database, for the Cantal (250 communes × 16 needs, the real services of
data/services.csv) and for a national territory (34 875 communes × 16 needs,
--coverage-rows synthetic services, 100 000 by default, placed at random
communes of France with 1–3 needs, a tenth remote, a fifth limited to their
département and a tenth to their commune). Each is timed cold (a fresh
process: imports, reading, analysis, the summary and every need's table of
communes beyond 30 km) over --coverage-runs runs.
"""

import json
import random
import statistics
import subprocess
import sys
import time

from . import ROOT, Result, fmt_int

NAME = "coverage"
TARGET_CANTAL_S = 1.0
TARGET_FRANCE_S = 30.0

# Run in a child: a cold process, the way `flask couverture` runs.
CHILD = """
import json, sys, time
start = time.perf_counter()
from directory.coverage.load import load
from directory.db import connect
imported = time.perf_counter()
db = connect(sys.argv[1])
coverage = load(db, sys.argv[2])
summary = coverage.summary()
tables = {need: coverage.beyond(need) for need in coverage.needs}
elapsed = time.perf_counter() - start
print(json.dumps({
    "seconds": elapsed,
    "analysis": elapsed - (imported - start),
    "communes": len(coverage.communes),
    "needs": len(coverage.needs),
    "services": len(coverage.services),
    "beyond": sum(len(t) for t in tables.values()),
}))
"""


def add_arguments(parser):
    group = parser.add_argument_group("coverage")
    group.add_argument(
        "--coverage-rows",
        type=int,
        default=100_000,
        help="synthetic services of the national run (default 100 000)",
    )
    group.add_argument(
        "--coverage-runs", type=int, default=3, help="cold runs of each (median)"
    )


def _database(path, rows, seed):
    """Schema, reference data, the seed services (Cantal run) or `rows`
    synthetic services across France (national run)."""
    from directory import create_app
    from directory.cli import init_db
    from directory.db import get_db

    app = create_app({"TESTING": True, "DATABASE": str(path)})
    with app.app_context():
        db = get_db()
        init_db(db)
        if rows:
            _synthetic(db, rows, seed)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _synthetic(db, rows, seed):
    rng = random.Random(seed)
    communes = list(
        db.query(
            "select code_insee, nom, departement, latitude, longitude from communes"
            " where statut = 'actuelle' and latitude is not null"
        )
    )
    needs = [r["slug"] for r in db.query("select slug from besoins")]
    records = []
    for number in range(rows):
        commune = rng.choice(communes)
        zone = rng.random()
        if zone < 0.2:
            zones = commune["departement"]
        elif zone < 0.3:
            zones = commune["code_insee"]
        else:
            zones = rng.choice(["", "france"])
        records.append(
            {
                "id": f"synth--{number}",
                "statut": "actif",
                "nom": f"Service {number}",
                "structure_id": "synth",
                "besoins": ", ".join(rng.sample(needs, rng.randint(1, 3))),
                "modes_accueil": "a-distance"
                if rng.random() < 0.1
                else "en-presentiel",
                "commune": commune["nom"],
                "code_insee": commune["code_insee"],
                "latitude": commune["latitude"] + rng.uniform(-0.02, 0.02),
                "longitude": commune["longitude"] + rng.uniform(-0.02, 0.02),
                "zone_eligibilite": zones,
            }
        )
    with db.atomic():
        db["services"].delete_where()
        db["services"].insert_all(records, batch_size=5000)


def _timed(path, territory, runs):
    out = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(path), territory],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        out.append(json.loads(done.stdout))
    return out


def run(args, directory):
    results = []
    for label, territory, rows, target in (
        ("Cantal", "15", 0, TARGET_CANTAL_S),
        ("France", "france", args.coverage_rows, TARGET_FRANCE_S),
    ):
        path = directory / f"coverage-{territory}.db"
        print(f"[coverage] {label}: database…", flush=True)
        start = time.perf_counter()
        _database(path, rows, args.seed)
        print(f"[coverage]   ready in {time.perf_counter() - start:.1f} s", flush=True)
        timings = _timed(path, territory, args.coverage_runs)
        seconds = statistics.median(t["seconds"] for t in timings)
        analysis = statistics.median(t["analysis"] for t in timings)
        first = timings[0]
        print(f"[coverage]   {seconds:.2f} s ({analysis:.2f} s after imports)")
        results.append(
            Result(
                NAME,
                f"{label}: whole analysis in a fresh process (median)",
                f"{analysis:.2f} s",
                f"< {target:g} s; reading, analysis, summary and the tables; "
                f"{fmt_int(first['communes'])} communes × {first['needs']} needs, "
                f"{fmt_int(first['services'])} services, {fmt_int(first['beyond'])} "
                "commune-needs beyond 30 km; runs "
                + " ".join(f"{t['analysis']:.2f}" for t in timings),
                analysis < target,
            )
        )
        results.append(
            Result(
                NAME,
                f"{label}: the same, Python's start and imports included",
                f"{seconds:.2f} s",
                "runs " + " ".join(f"{t['seconds']:.2f}" for t in timings),
            )
        )
    return results
