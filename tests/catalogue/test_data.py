"""The shipped data files: real seed services, needs taxonomy, gazetteer."""

import csv
import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest
from conftest import DATA, ROOT
from data_inclusion.schema.v1 import Thematique

from directory.schema import SERVICE_COLUMNS


def read(name):
    with open(DATA / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_seed_services_are_real_sourced_and_varied():
    rows = read("services.csv")
    assert list(rows[0]) == list(SERVICE_COLUMNS)
    assert len(rows) >= 35
    assert len({r["id"] for r in rows}) == len(rows)
    assert all(r["source"].strip() for r in rows), "every service names its source"
    needs = {n.strip() for r in rows for n in r["besoins"].split(",")}
    assert len(needs) >= 8
    france_services = [
        r
        for r in rows
        if r["nom"].lower().startswith(("france services", "bus france services"))
    ]
    assert len(france_services) == 19


def test_needs_taxonomy_covers_every_data_inclusion_thematique_once():
    rows = read("besoins.csv")
    assert [r["slug"] for r in rows][:3] == ["acces-aux-droits", "logement", "energie"]
    assert len(rows) == 16
    covered = [
        t.strip()
        for r in rows
        for t in r["thematiques_couvertes"].split(",")
        if t.strip()
    ]
    assert sorted(covered) == sorted(t.value for t in Thematique)
    assert all(r["thematique_defaut"] in {t.value for t in Thematique} for r in rows)


def test_gazetteer_has_every_commune_and_former_cantal_names():
    rows = read("communes.csv")
    current = [r for r in rows if r["statut"] == "actuelle"]
    assert len(current) == 34875
    assert sum(r["departement"] == "15" for r in current) == 250
    former = {
        r["nom"]: r["code_insee_actuel"] for r in rows if r["statut"] == "ancienne"
    }
    assert former["Neussargues en Pinatelle"] == "15141"
    assert former["Lavastrie"] == "15142"


def test_sources_keep_the_licence_attribution():
    text = (DATA / "SOURCES.md").read_text(encoding="utf-8")
    for needle in (
        "Licence Ouverte",
        "ADMIN EXPRESS",
        "ANCT",
        "decoupage-administratif",
    ):
        assert needle in text


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_make_run_serves_the_seed_data(tmp_path):
    """`make run` builds the database on first run and serves the home page."""
    port = free_port()
    env = dict(os.environ, FLASK_DATABASE=str(tmp_path / "run.db"))
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        body, deadline = None, time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/", timeout=2
                ) as r:
                    body = r.read().decode("utf-8")
                    break
            except OSError:
                time.sleep(0.3)
        assert body is not None, proc.stdout.read1().decode() if proc.poll() else ""
        assert "Annuaire des solidarités du Cantal" in body
        assert "services référencés" in body
        assert "Se nourrir" in body
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        proc.stdout.close()
