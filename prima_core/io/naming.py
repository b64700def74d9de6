"""The series name that Prima reads, built from DICOM text exactly as the released pipeline does.

Prima encodes each series name character by character (see ``prima_reference.md`` section 5,
"Name codes"), so the name must be spelled the same way the model saw it in training.
"""

from __future__ import annotations

import re

_OUTSIDE_ALNUM = re.compile(r"[^a-zA-Z0-9]")


def sanitize_name_part(text: str | None) -> str:
    """Spell a SeriesDescription or ProtocolName the way Prima's training names were spelled.

    ``+`` becomes ``_plus_``, ``*`` becomes ``_star_``, and then every character outside
    ``[a-zA-Z0-9]`` becomes ``_``. ``None`` and empty strings give ``""``.
    """
    if not text:
        return ""
    text = str(text).replace("+", "_plus_").replace("*", "_star_")
    return _OUTSIDE_ALNUM.sub("_", text)


def model_series_name(description: str | None, protocol: str | None, series_uid: str) -> str:
    """The model series name from SeriesDescription, ProtocolName and SeriesInstanceUID.

    Rules (on the sanitized texts): both present and equal -> that text; both present and
    different -> ``{desc}-{protocol}-Protocol``; only the description -> it; only the
    protocol -> ``{protocol}-Protocol``; neither -> ``UNK-{SeriesInstanceUID}``.
    """
    desc = sanitize_name_part(description)
    prot = sanitize_name_part(protocol)
    if desc and prot:
        return desc if desc == prot else f"{desc}-{prot}-Protocol"
    if desc:
        return desc
    if prot:
        return f"{prot}-Protocol"
    return f"UNK-{series_uid}"
