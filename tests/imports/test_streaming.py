"""Large imports in bounded memory: the file read by chunks (path or file
object), encodings detected over a streamed file, new services spooled to disk
and written batch by batch — with the same rows and audit as in memory."""

import io
import os
import sqlite3
import subprocess
import sys
import tempfile

import make_corpus
import pytest
from conftest import TODAY, snapshot

from bench import synth
from directory.catalogue.transactions import writing
from directory.db import connect
from directory.imports import decoding, spool
from directory.imports import engine as importer
from directory.imports.decoding import MIXED
from directory.imports.read import read_file

MB = 1024 * 1024
BIG = {"max_rows": 10_000, "max_bytes": 50 * MB}


@pytest.fixture(scope="module")
def synthetic():
    """3 000 generated services (not in id order), as CSV bytes."""
    return synth.generate(3000, seed=3, today=TODAY)


def written(db):
    """Services, need rows and structures, plus the audit of the imports,
    without the moments of writing (two runs differ only by those)."""
    state = snapshot(db)
    for table in ("services", "structures"):
        state[table] = [
            tuple(kv for kv in row if kv[0] not in ("cree_le", "modifie_le"))
            for row in state[table]
        ]
    state["changes"] = sorted(
        db.execute(
            "select service_id, action, champ, avant, apres from changes"
            " where import_id = (select max(id) from imports)"
        ).fetchall()
    )
    return state


def test_spooled_import_writes_what_the_in_memory_import_writes(
    db, prepare, synthetic, monkeypatch
):
    before = snapshot(db)
    report = prepare(synthetic, **BIG)
    assert report.ok and len(report.new) == 3000 and not report.new.spilled
    import_id = importer.apply(db, report, user="test")
    in_memory = written(db)
    importer.undo(db, import_id)
    assert snapshot(db) == before

    monkeypatch.setattr(spool, "SPOOL_AT", 400)
    report = prepare(synthetic, **BIG)
    assert report.ok and len(report.new) == 3000
    assert report.new.spilled and not report.new.ordered  # synth is unsorted
    assert report.counts["nouveaux"] == 3000
    assert [r["id"] for r in report.new[:3]] == [r["id"] for r in list(report.new)[:3]]
    import_id = importer.apply(db, report, user="test")
    assert written(db) == in_memory
    assert db["services"].count == 3000
    # The spooled import is undone like any other.
    importer.undo(db, import_id)
    assert snapshot(db) == before


def test_sorted_file_is_spooled_in_order(prepare, monkeypatch):
    services = [
        make_corpus.restos(f"centre-{n:04d}", "Murat", "15300") for n in range(900)
    ]
    monkeypatch.setattr(spool, "SPOOL_AT", 100)
    report = prepare(make_corpus.csv_bytes(services))
    assert report.ok and report.new.spilled and report.new.ordered
    assert [r["id"] for r in report.new] == [s["id"] for s in services]


def test_error_on_the_last_line_writes_nothing_with_the_spool(
    db, prepare, synthetic, monkeypatch
):
    monkeypatch.setattr(spool, "SPOOL_AT", 400)
    before = snapshot(db)
    bad = synthetic.rstrip(b"\n").rsplit(b"\n", 1)[0] + b"\n"
    last = synthetic.rstrip(b"\n").rsplit(b"\n", 1)[1].split(b",")
    last[0] = b"Identifiant Invalide"
    report = prepare(bad + b",".join(last) + b"\n", **BIG)
    assert not report.ok
    [error] = report.errors
    assert error.line == 3001 and error.column == "id"
    assert len(report.new) == 0 and not report.new.spilled
    with pytest.raises(importer.ImportRefused):
        importer.apply(db, report, user="test")
    assert snapshot(db) == before
    assert db["imports"].count == 0


def test_failure_while_writing_the_spooled_rows_writes_nothing(
    db, prepare, synthetic, monkeypatch
):
    monkeypatch.setattr(spool, "SPOOL_AT", 400)
    report = prepare(synthetic, **BIG)
    assert report.ok and report.new.spilled
    # Another writer created one of the new services since the preview: the
    # copy of the spooled rows fails on it, after thousands of rows written.
    last = list(report.new)[-1].as_dict()
    db["services"].insert(
        {c: last[c] for c in ("id", "statut", "nom")}
        | {"structure_id": last["structure_id"]}
    )
    before = snapshot(db)
    with pytest.raises(sqlite3.IntegrityError):
        importer.apply(db, report, user="test")
    assert snapshot(db) == before
    assert db["imports"].count == 0 and db["changes"].count == 0


class Recording(io.RawIOBase):
    """A binary file object that records the size of every read."""

    def __init__(self, data):
        self._inner, self.sizes = io.BytesIO(data), []

    def readable(self):
        return True

    def seekable(self):
        return True

    def seek(self, offset, whence=0):
        return self._inner.seek(offset, whence)

    def read(self, size=-1):
        self.sizes.append(size)
        return self._inner.read(size)

    def readinto(self, buffer):
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def test_a_file_object_is_never_read_whole(synthetic):
    assert len(synthetic) > 2 * MB
    recording = Recording(synthetic)
    table = read_file(recording, max_bytes=50 * MB, max_rows=10_000)
    assert not table.blocked
    assert sum(1 for _ in table.rows) == 3000
    assert table.size == len(synthetic)
    assert recording.sizes and all(0 < s <= decoding.CHUNK for s in recording.sizes)
    assert not recording.closed  # the caller's object stays theirs


def test_a_path_imports_like_its_bytes(tmp_path, prepare, synthetic):
    path = tmp_path / "services.csv"
    path.write_bytes(synthetic)
    by_path, by_bytes = prepare(path, **BIG), prepare(synthetic, **BIG)
    assert by_path.ok and by_path.counts == by_bytes.counts
    assert (by_path.sha256, by_path.size) == (by_bytes.sha256, by_bytes.size)
    assert list(by_path.new) == list(by_bytes.new)


# -- encodings of a streamed file ------------------------------------------------


def padded(count, accents=True):
    """Services with long descriptions, enough for several chunks."""
    text = "Épicerie solidaire n°{} : légumes, été comme hiver. "
    if not accents:
        text = "Epicerie solidaire {} : legumes, toute l'annee. "
    return [
        make_corpus.restos(
            f"centre-{n}",
            "Murat",
            "15300",
            description=text.format(n) + "x" * 500,
        )
        for n in range(count)
    ]


def as_text(services):
    return make_corpus.text_table(make_corpus.COLUMNS, make_corpus.rows_of(services))


@pytest.mark.parametrize(
    ("encode", "label"),
    [
        (lambda text: text.encode("utf-8"), "UTF-8"),
        (lambda text: text.encode("utf-8-sig"), "UTF-8 (avec BOM)"),
        (lambda text: text.encode("cp1252"), "Windows-1252"),
        (lambda text: text.encode("utf-16"), "UTF-16"),
    ],
    ids=["utf-8", "bom", "cp1252", "utf-16"],
)
def test_encoding_of_a_streamed_file(encode, label, tmp_path, prepare):
    services = padded(4000)  # over 2 MB: chunk boundaries fall inside accents
    path = tmp_path / "services.csv"
    path.write_bytes(encode(as_text(services)))
    assert path.stat().st_size > 2 * MB
    report = prepare(path, max_rows=10_000, max_bytes=50 * MB)
    assert report.ok, [i.text for i in report.errors]
    assert report.encoding == label
    assert [r["description"] for r in report.new] == [
        s["description"] for s in services
    ]


def test_cp1252_after_the_first_chunk(tmp_path, prepare):
    """ASCII for more than a chunk, then one cp1252 accent: Windows-1252."""
    services = padded(3000, accents=False)
    services[-1]["nom"] = "Épicerie d'été"
    text = as_text(services).replace("Cœur", "Coeur")
    assert text[: 2 * MB].isascii()
    path = tmp_path / "services.csv"
    path.write_bytes(text.encode("cp1252"))
    report = prepare(path, max_rows=10_000, max_bytes=50 * MB)
    assert report.ok and report.encoding == "Windows-1252"
    assert list(report.new)[-1]["nom"] == "Épicerie d'été"


def test_mixed_encodings_in_a_streamed_file(tmp_path, prepare):
    """UTF-8 accents, then one line pasted in cp1252 far past the first chunk."""
    services = padded(3000)
    lines = as_text(services).split("\r\n")
    data = "\r\n".join(lines[:-2]).encode("utf-8") + b"\r\n"
    data += lines[-2].encode("cp1252") + b"\r\n"
    assert len(data) > 2 * MB
    path = tmp_path / "services.csv"
    path.write_bytes(data)
    report = prepare(path, max_rows=10_000, max_bytes=50 * MB)
    assert report.ok and report.encoding == MIXED
    assert [w.text.startswith("le fichier mélange") for w in report.warnings] == [True]
    assert [r["description"] for r in report.new] == [
        s["description"] for s in services
    ]


def test_cells_without_a_file_stay_bytes_compatible():
    """The web upload gives bytes: decode() still answers for them."""
    assert decoding.decode("Cœur été".encode("cp1252")) == ("Cœur été", "Windows-1252")
    mixed = "Été\n".encode() + "Cœur\n".encode("cp1252")
    assert decoding.decode(mixed) == ("Été\nCœur\n", MIXED)


def test_narrow_space_split_between_two_chunks_is_cleaned(tmp_path, prepare):
    """U+202F (E2 80 AF) across the first chunk's end is still seen: the
    partner's narrow space becomes a plain space."""
    data = as_text(padded(3000, accents=False)).replace("Cœur", "Coeur").encode()
    cut = decoding.CHUNK - 1
    assert data[cut - 20 : cut + 20] == b"x" * 40  # inside a description
    data = data[:cut] + "\u202f".encode() + data[cut + 1 :]
    path = tmp_path / "services.csv"
    path.write_bytes(data)
    report = prepare(path, max_rows=10_000, max_bytes=50 * MB)
    assert report.ok and report.encoding == "UTF-8"
    spaced = [r["description"] for r in report.new if " x" in r["description"][60:]]
    assert len(spaced) == 1 and "\u202f" not in spaced[0]


def test_spool_applied_by_another_connection_or_within_a_transaction(
    db, db_path, prepare, synthetic, monkeypatch
):
    """The spool is a file of its own: another connection applies it (the
    preparing one may be closed); within a caller's open transaction, where
    it cannot be attached, it is written batch by batch: the same rows."""
    before = snapshot(db)
    import_id = importer.apply(db, prepare(synthetic, **BIG), user="test")
    expected = written(db)
    importer.undo(db, import_id)
    monkeypatch.setattr(spool, "SPOOL_AT", 400)
    report = prepare(synthetic, **BIG)
    assert report.new.spilled
    other = connect(db_path)
    try:
        import_id = importer.apply(other, report, user="test")
    finally:
        other.close()
    assert written(db) == expected
    importer.undo(db, import_id)
    assert snapshot(db) == before
    report = prepare(synthetic, **BIG)
    with writing(db):  # e.g. a confirmation that also closes its upload
        importer.apply(db, report, user="test")
    assert written(db) == expected
    path = report.new.path
    report.new.close()
    assert not os.path.exists(path)  # the scratch file is removed


def test_scratch_files_of_killed_imports_are_swept(tmp_path, monkeypatch):
    """A killed import leaves its scratch file; the next spool removes it,
    never the file of a process still running."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = tmp_path / f"{spool.PREFIX}{finished.stdout.strip()}-abc.db"
    alive = tmp_path / f"{spool.PREFIX}{os.getppid()}-abc.db"
    dead.write_bytes(b"x")
    alive.write_bytes(b"x")
    spooled = spool.Spool(tuple, columns=("id",), limit=2)
    for n in range(5):
        spooled.append((f"s{n}",))
    assert spooled.spilled and os.path.dirname(spooled.path) == str(tmp_path)
    assert not dead.exists() and alive.exists()
    assert list(spooled) == [(f"s{n}",) for n in range(5)]
    path = spooled.path
    spooled.close()
    assert not os.path.exists(path)
