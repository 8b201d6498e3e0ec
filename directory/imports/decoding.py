"""Bytes of a partner file → text: BOM, strict UTF-8, strict Windows-1252,
mixed lines, else charset-normalizer; and the test for files that are not text.

A file is given as bytes (web upload), a path or a binary file object (bulk
import): `Source` reads it in chunks, never whole. `scan` makes one pass over
those chunks (size, sha256, strict UTF-8 and cp1252 validity); `choose` picks
the codec; `text_stream` decodes while the reader goes.
"""

import codecs
import hashlib
import io
import os
from dataclasses import dataclass

MIXED = "UTF-8 et Windows-1252 mélangés"
CHUNK = 1 << 20  # bytes read at a time
HEAD = 1 << 20  # the first bytes kept by `scan` (mixed encodings, magic numbers)
DETECTOR_SAMPLE = 4 << 20  # what charset-normalizer sees of a large file
# Bytes Windows-1252 leaves undefined: a file holding one is not cp1252.
CP1252_HOLES = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")
UTF8_SPACES = (b"\xc2\xa0", b"\xe2\x80\xaf")  # U+00A0, U+202F


class _Shield(io.RawIOBase):
    """A caller's binary file object, read from its start in bounded chunks;
    closing the text stream over it leaves the caller's object open."""

    def __init__(self, raw):
        self._raw = raw
        raw.seek(0)

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self._raw.read(min(len(buffer), CHUNK))
        buffer[: len(data)] = data
        return len(data)


class Source:
    """A partner file: bytes, a path (str or os.PathLike) or a seekable binary
    file object, opened from its start as many times as needed."""

    def __init__(self, data):
        self.data = data
        self.bytes = isinstance(data, bytes | bytearray | memoryview)
        self.path = isinstance(data, str | os.PathLike)

    def open(self):
        """A buffered binary stream from the first byte."""
        if self.bytes:
            return io.BytesIO(self.data)  # shares the buffer: no copy
        if self.path:
            return open(self.data, "rb")  # noqa: SIM115 - the caller closes it
        return io.BufferedReader(_Shield(self.data), CHUNK)

    def chunks(self, size=CHUNK):
        """The bytes in pieces of `size` at most."""
        if self.bytes:
            view = memoryview(self.data)
            for start in range(0, len(view), size):
                yield bytes(view[start : start + size])
            return
        with self.open() as stream:
            while chunk := stream.read(size):
                yield chunk


@dataclass
class Scan:
    """What one pass over a file found."""

    size: int = 0
    sha256: str = ""
    head: bytes = b""
    blank: bool = True  # nothing but whitespace (or nothing)
    utf8: bool = True  # decodes as strict UTF-8
    cp1252: bool = True  # holds none of Windows-1252's undefined bytes
    odd_spaces: bool = False  # non-breaking or narrow spaces may occur
    odd_spaces_utf8: bool = False  # the same, in UTF-8: no false alarm on « à »


def scan(source):
    """One pass over the chunks of `source`: size, sha256, head and validity."""
    found, digest = Scan(), hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    head, tail = [], b""
    for chunk in source.chunks():
        digest.update(chunk)
        if found.size < HEAD:
            head.append(chunk[: HEAD - found.size])
        found.size += len(chunk)
        if found.blank and not chunk.isspace():
            found.blank = False
        if found.utf8:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                found.utf8 = False
        if found.cp1252 and any(hole in chunk for hole in CP1252_HOLES):
            found.cp1252 = False
        if not found.odd_spaces:  # any A0 byte: U+00A0 in cp1252, or in UTF-8
            found.odd_spaces = b"\xa0" in chunk
        if not found.odd_spaces_utf8:  # C2 A0, E2 80 AF (maybe split)
            edge = tail + chunk[:2]
            found.odd_spaces_utf8 = any(
                space in chunk or space in edge for space in UTF8_SPACES
            )
        tail = chunk[-2:]
    if found.utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            found.utf8 = False
    found.sha256, found.head = digest.hexdigest(), b"".join(head)
    return found


def choose(source, found):
    """(codec, label) of a scanned file: codec None with the label MIXED for
    mixed UTF-8/cp1252 lines, (None, None) when hopeless."""
    head = found.head
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", "UTF-8 (avec BOM)"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", "UTF-16"
    if found.utf8:
        return "utf-8", "UTF-8"
    lenient = head.decode("utf-8", errors="replace")
    if any(ord(c) > 127 and c != "\ufffd" for c in lenient):
        # Real UTF-8 accents plus a few Windows-1252 bytes (text pasted from
        # another file): decode each line on its own rather than garble all.
        return None, MIXED
    if found.cp1252:
        return "cp1252", "Windows-1252"
    from charset_normalizer import from_bytes

    with source.open() as stream:
        sample = stream.read(DETECTOR_SAMPLE)
    best = from_bytes(sample).best()
    if best is None:
        return None, None
    return best.encoding, best.encoding


def text_stream(source, codec):
    """The file as text lines (LF kept, CR LF left to the CSV reader); codec
    None decodes each line on its own (mixed UTF-8/cp1252)."""
    if codec:
        return io.TextIOWrapper(
            source.open(), encoding=codec, errors="replace", newline=""
        )
    return _mixed_lines(source)


def _mixed_lines(source):
    with source.open() as stream:
        for line in stream:
            try:
                yield line.decode("utf-8")
            except UnicodeDecodeError:
                yield line.decode("cp1252", errors="replace")


def decode(data):
    """Decode bytes → (text, encoding label); (None, None) when hopeless."""
    source = Source(data)
    codec, label = choose(source, scan(source))
    if label is None:
        return None, None
    if codec is None:
        return "".join(_mixed_lines(source)), label
    return bytes(data).decode(codec, errors="replace"), label


def looks_binary(data):
    """True for files that are not text: NUL bytes or many control characters."""
    sample = data[:4096]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls > len(sample) * 0.05
