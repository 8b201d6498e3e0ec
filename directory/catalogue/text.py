"""Text as it may be stored: no control characters (NUL, ESC, DEL, C1…).

Used wherever text enters: the public report form and every imported cell.
Tab and line feed stay; CR LF and lone CR become LF, as a browser sends a
textarea as CR LF and old Mac spreadsheets end lines with CR.
"""

import re

# C0 controls except tab and line feed, DEL, and the C1 controls (Unicode Cc).
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(value):
    """`value` with CR LF and CR as LF and other control characters removed
    (None stays None)."""
    if value is None:
        return None
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return CONTROL.sub("", text)
