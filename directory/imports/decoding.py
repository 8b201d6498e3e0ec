"""Bytes of a partner file → text: BOM, strict UTF-8, strict Windows-1252,
mixed lines, else charset-normalizer; and the test for files that are not text."""

import codecs

MIXED = "UTF-8 et Windows-1252 mélangés"


def _valid(data, codec):
    """True when `data` decodes strictly with `codec` (chunked: no full copy)."""
    decoder = codecs.getincrementaldecoder(codec)()
    try:
        for start in range(0, len(data), 1 << 20):
            decoder.decode(data[start : start + (1 << 20)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(data):
    """(codec, label, decoded text or None): BOM, strict UTF-8, strict cp1252,
    mixed UTF-8/cp1252 lines, else charset-normalizer. With a codec, the text
    is None and the file is decoded while it is read (large files)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", "UTF-8 (avec BOM)", None
    for bom, codec in ((b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return codec, "UTF-16", None
    if _valid(data, "utf-8"):
        return "utf-8", "UTF-8", None
    lenient = data[: 1 << 20].decode("utf-8", errors="replace")
    if any(ord(c) > 127 and c != "\ufffd" for c in lenient):
        # Real UTF-8 accents plus a few Windows-1252 bytes (text pasted from
        # another file): decode each line on its own rather than garble all.
        lines = []
        for line in data.split(b"\n"):
            try:
                lines.append(line.decode("utf-8"))
            except UnicodeDecodeError:
                lines.append(line.decode("cp1252", errors="replace"))
        return None, MIXED, "\n".join(lines)
    if _valid(data, "cp1252"):
        return "cp1252", "Windows-1252", None
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        return None, None, None
    return None, best.encoding, str(best)


def decode(data):
    """Decode bytes → (text, encoding label); (None, None) when hopeless."""
    codec, label, text = detect_encoding(data)
    if codec:
        text = data.decode(codec, errors="replace")
    return text, label


def looks_binary(data):
    """True for files that are not text: NUL bytes or many control characters."""
    sample = data[:4096]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls > len(sample) * 0.05
