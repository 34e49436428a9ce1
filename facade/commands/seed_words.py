"""The seed's CommandResult words, read as OCPI (README, compatibility notes).

The seed's own example result is `{"result": "SUCCESS", "message": "Charging session started successfully", …}`
(and `"FAILED"` with a plain-text message): not OCPI, whose CommandResultType has no SUCCESS and whose message is a
list of DisplayText. CPOs built from the seed send exactly that; refusing it would leave the eMSP without the
outcome. The Hub relays the result in OCPI words instead and says which word it translated, so the translation can
be counted and the CPO asked to fix it. Every other field is kept as the CPO sent it (numbers digit for digit).
"""

from __future__ import annotations

from typing import Any

from facade.ocpi.proto_json import decode_json, encode_json

# The seed's word → the OCPI CommandResultType it means.
SEED_RESULTS = {"SUCCESS": "ACCEPTED", "FAILED": "FAILED"}
# A plain-text message gets a language: the seed's examples are English.
_MESSAGE_LANGUAGE = "en"


def in_ocpi_words(body: bytes) -> tuple[bytes, str]:
    """The body with the seed's words in OCPI's, and the CPO's own result word ("" when nothing was translated).

    Anything that is not the seed's shape comes back unchanged, for the OCPI checks to accept or refuse."""
    try:
        raw: Any = decode_json(body)
    except (ValueError, RecursionError):
        return body, ""
    if not isinstance(raw, dict):
        return body, ""
    word, message = raw.get("result"), raw.get("message")
    if not isinstance(word, str) or word not in SEED_RESULTS:
        return body, ""
    if SEED_RESULTS[word] == word and not isinstance(message, str):
        return body, ""  # FAILED with DisplayTexts (or none) is OCPI already
    translated = {**raw, "result": SEED_RESULTS[word]}
    if isinstance(message, str):
        translated["message"] = [{"language": _MESSAGE_LANGUAGE, "text": message}]
    return encode_json(translated), word
