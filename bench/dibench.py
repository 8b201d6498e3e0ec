"""data·inclusion import benchmark (issue 11): the external import of 50 000
services, 20 % of them listed twice by two sources, against the CSV import of
the same rows.

The synthetic Cantal services of bench/synth.py (in-territory rows only) are
written twice:

- as a data·inclusion open-data dump: `structures.json` and `services.json`
  (schema v1 field names, JSON arrays as published). 80 % of the places come
  from « dora »; a fifth of the final rows are the same places listed again by
  « soliguide » (other ids; same SIRET, phone, e-mail, name and commune), so
  the deduplication has 10 000 pairs to find;
- as our `services.csv` with the same rows (a row per data·inclusion service).

Each phase runs in its own child process on a fresh init-db'd database and
reports its peak RSS (VmHWM):

- csv: `engine.prepare` + `engine.apply` of the CSV (what bench.importbench
  measures, but with the index built after the commit, as the external
  engine builds it: no child indexing while reading, module search.ahead);
- datainclusion: the real reader (`sources.datainclusion.load_files`), the
  external engine (`imports.external.prepare_external`) and `engine.apply`
  (one transaction with the duplicate clusters).

    python -m bench.dibench [--di-rows 50000] [--seed 0] [--repeat 3] [--keep DIR]
"""

import argparse
import csv
import hashlib
import json
import sys
import time
from pathlib import Path

from . import DATA, Result, fmt_int
from .importbench import (
    child_phase,
    fresh,
    init_database,
    median_run,
    peak_rss_mb,
    phase_engine,
)

NAME = "datainclusion"
TARGET_RATIO = 2.0
TARGET_PEAK_MB = 500
TERRITORY = "15"
DUPLICATE_SHARE = 0.2


def _siret(structure_id):
    return str(int(hashlib.sha1(structure_id.encode()).hexdigest(), 16))[:14]


def _list(value):
    return [v.strip() for v in value.split(",") if v.strip()]


def _thematiques(row, defaults):
    found = [defaults[n] for n in _list(row["besoins"]) if defaults.get(n)]
    found += _list(row["thematiques"])
    return sorted(set(found))


def _service(row, source, number, structure, defaults):
    """One data·inclusion v1 service (and the CSV row it stands for)."""
    zone = _list(row["zone_eligibilite"]) or [TERRITORY]
    service = {
        "id": f"{source}--{number}",
        "source": source,
        "structure_id": structure,
        "nom": row["nom"],
        "description": row["description"],
        "lien_source": f"https://{source}.example.org/services/{number}",
        "date_maj": row["date_maj"],
        "type": "accompagnement",
        "thematiques": _thematiques(row, defaults),
        "frais": row["frais"] or None,
        "frais_precisions": row["frais_precisions"] or None,
        "publics": _list(row["publics"]) or ["tous-publics"],
        "publics_precisions": None,
        "conditions_acces": row["conditions_acces"] or None,
        "commune": row["commune"],
        "code_postal": row["code_postal"],
        "code_insee": row["code_insee"] or None,
        "adresse": row["adresse"] or None,
        "complement_adresse": row["complement_adresse"] or None,
        "longitude": None,
        "latitude": None,
        "telephone": row["telephone"] or None,
        "courriel": row["courriel"] or None,
        "modes_accueil": _list(row["modes_accueil"]) or ["en-presentiel"],
        "zone_eligibilite": zone,
        "contact_nom_prenom": None,
        "lien_mobilisation": row["lien_mobilisation"] or None,
        "modes_mobilisation": ["telephoner", "se-presenter"],
        "mobilisable_par": ["usagers", "professionnels"],
        "mobilisation_precisions": None,
        "horaires_accueil": row["horaires"] or None,
        "score_qualite": 0.5 + (number % 50) / 100,
    }
    return service


def _structure(row, source, structure_id, original_id):
    return {
        "id": structure_id,
        "source": source,
        "nom": row["structure_nom"],
        "date_maj": row["date_maj"],
        "siret": _siret(original_id),
        "commune": row["commune"],
        "code_postal": row["code_postal"],
        "code_insee": row["code_insee"] or None,
        "adresse": row["adresse"] or None,
        "telephone": row["telephone"] or None,
        "courriel": row["courriel"] or None,
        "site_web": row["site_web"] or None,
        "horaires_accueil": None,
        "reseaux_porteurs": [],
    }


def generate(directory, total, seed=0):
    """Write structures.json, services.json and the equivalent services.csv."""
    from .synth import header, rows

    with open(DATA / "besoins.csv", encoding="utf-8", newline="") as f:
        defaults = {r["slug"]: r["thematique_defaut"] for r in csv.DictReader(f)}
    distinct = total - int(total * DUPLICATE_SHARE)
    base = []
    for row in rows(total * 2, seed):
        if row["code_postal"].startswith(TERRITORY) and (
            not row["code_insee"] or row["code_insee"].startswith(TERRITORY)
        ):
            row["statut"] = "actif"
            base.append(row)
            if len(base) == distinct:
                break
    services, structures, csv_rows = [], {}, []
    plan = [("dora", row) for row in base]
    plan += [("soliguide", row) for row in base[: total - distinct]]
    for number, (source, row) in enumerate(plan, start=1):
        structure = f"{source}--{row['structure_id']}"
        if structure not in structures:
            structures[structure] = _structure(
                row, source, structure, row["structure_id"]
            )
        services.append(_service(row, source, number, structure, defaults))
        csv_rows.append(
            {
                **row,
                "id": f"{source}--{number}",
                "structure_id": f"{source}-{row['structure_id']}"[:100],
            }
        )
    paths = {
        "structures": directory / "structures.json",
        "services": directory / "services.json",
        "csv": directory / f"di-services-{total}.csv",
    }
    paths["structures"].write_text(
        json.dumps(list(structures.values()), ensure_ascii=False), encoding="utf-8"
    )
    paths["services"].write_text(
        json.dumps(services, ensure_ascii=False), encoding="utf-8"
    )
    with open(paths["csv"], "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, header(), lineterminator="\n")
        writer.writeheader()
        writer.writerows(csv_rows)
    return paths, len(structures)


# -- the data·inclusion phase, in the child -------------------------------------


def phase_datainclusion(structures_path, services_path, db_path):
    """Reader + external engine + apply (with clusters) into an init-db'd base."""
    from directory.catalogue.vocabulary import besoins_choices
    from directory.db import connect
    from directory.geo.gazetteer import Gazetteer
    from directory.geo.geocoders import OfflineGeocoder
    from directory.imports import engine, external
    from directory.sources.datainclusion import load_files

    start = time.perf_counter()
    db = connect(db_path)
    gazetteer = Gazetteer.from_db(db, territory=TERRITORY)
    geocoder = OfflineGeocoder(gazetteer)
    besoins = besoins_choices(
        db.query("select slug, libelle from besoins order by ordre")
    )
    batch = load_files(
        [structures_path, services_path], territory=TERRITORY, gazetteer=gazetteer
    )
    if any(i.blocking for i in batch.issues):
        raise SystemExit(f"bench: the dump was refused: {batch.issues[:5]}")
    read = time.perf_counter() - start
    report = external.prepare_external(
        db,
        batch.take_rows(),
        origin=batch.origin,
        sources=batch.sources,
        seen_ids=batch.seen_ids,
        geocoder=geocoder,
        besoins=besoins,
        territory=TERRITORY,
    )
    prepared = time.perf_counter() - start
    engine.apply(db, report, user="bench")
    db.close()
    wall = time.perf_counter() - start
    peak = peak_rss_mb()
    db = connect(db_path)
    counts = {
        "services": db.execute("select count(*) from services").fetchone()[0],
        "shown": db.execute(
            "select count(*) from services where doublon_de is null"
        ).fetchone()[0],
        "warnings": len(report.warnings),
        "left_out": sum(batch.left_out.values()),
    }
    db.close()
    return {
        "wall": wall,
        "read": read,
        "prepare": prepared - read,
        "apply": wall - prepared,
        "peak_mb": peak,
        "counts": counts,
    }


# -- orchestrating, in the parent -----------------------------------------------


def run_phase(phase, db_path, out_path, paths):
    options = []
    for name in ("structures", "services", "csv"):
        options += [f"--{name}", str(paths[name])]
    return child_phase("bench.dibench", phase, db_path, out_path, *options)


def _fresh(path):
    """A new init-db'd database at `path` (nothing left of an earlier run)."""
    init_database(fresh(path))
    return path


def add_arguments(parser):
    parser.add_argument(
        "--di-rows",
        type=int,
        default=50_000,
        help="datainclusion: services of the synthetic dump (default 50000)",
    )


def run(args, directory, log=print):
    total = args.di_rows
    start = time.perf_counter()
    paths, structures = generate(Path(directory), total, args.seed)
    size = paths["services"].stat().st_size / 1e6
    log(
        f"[datainclusion] dump of {fmt_int(total)} services ({size:.0f} MB), "
        f"{fmt_int(structures)} structures, {time.perf_counter() - start:.1f} s"
    )
    dis, csvs = [], []
    for number in range(1, args.repeat + 1):
        log(f"[datainclusion] run {number}/{args.repeat}: data·inclusion import…")
        di = run_phase(
            "datainclusion",
            _fresh(directory / "di.db"),
            directory / "di.json",
            paths,
        )
        dis.append(di)
        log(f"[datainclusion]   {di['wall']:.1f} s, peak {di['peak_mb']:.0f} MB")
        log("[datainclusion]   CSV import of the same rows…")
        csv_run = run_phase(
            "csv", _fresh(directory / "csv.db"), directory / "csv.json", paths
        )
        csvs.append(csv_run)
        log(f"[datainclusion]   {csv_run['wall']:.1f} s")
    return results(total, dis, csvs)


def results(total, dis, csvs):
    di, csv_run = median_run(dis), median_run(csvs)
    peak = max(r["peak_mb"] for r in dis)
    ratio = di["wall"] / csv_run["wall"]
    counts = di["counts"]
    median = f" (median of {len(dis)})" if len(dis) > 1 else ""
    return [
        Result(
            NAME,
            "synthetic dump",
            f"{fmt_int(total)} services, {DUPLICATE_SHARE:.0%} listed twice",
        ),
        Result(
            NAME,
            f"data·inclusion import: wall time{median}",
            f"{di['wall']:.1f} s",
            f"read {di['read']:.1f} + prepare {di['prepare']:.1f} + apply "
            f"{di['apply']:.1f} s",
        ),
        Result(
            NAME,
            "services written / shown (one per cluster)",
            f"{fmt_int(counts['services'])} / {fmt_int(counts['shown'])}",
        ),
        Result(
            NAME,
            "data·inclusion import: peak RSS of its process",
            f"{peak:.0f} MB",
            f"< {TARGET_PEAK_MB} MB",
            peak < TARGET_PEAK_MB,
        ),
        Result(
            NAME, f"CSV import of the same rows{median}", f"{csv_run['wall']:.1f} s"
        ),
        Result(
            NAME,
            "data·inclusion ÷ CSV",
            f"{ratio:.2f}×",
            f"≤ {TARGET_RATIO:g}×",
            ratio <= TARGET_RATIO,
        ),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.dibench")
    parser.add_argument("--phase", choices=["datainclusion", "csv"])
    parser.add_argument("--db")
    parser.add_argument("--out")
    parser.add_argument("--structures")
    parser.add_argument("--services")
    parser.add_argument("--csv")
    parser.add_argument("--di-rows", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep")
    args = parser.parse_args(argv)
    if args.phase:
        if args.phase == "csv":
            # Like for like: the external engine builds the index after its
            # commit, as this CSV import then does (no child indexing ahead).
            measures = phase_engine(args.csv, args.db, index_ahead=False)
        else:
            measures = phase_datainclusion(args.structures, args.services, args.db)
        Path(args.out).write_text(json.dumps(measures))
        return 0
    from . import print_table, workdir

    with workdir(args.keep) as directory:
        print_table(run(args, directory))
    return 0


if __name__ == "__main__":
    sys.exit(main())
