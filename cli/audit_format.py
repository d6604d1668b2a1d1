"""The two ``audit export`` formats, written a batch of events at a time.

Both produce exactly what the first version did with the standard modules, event by event
(``json.dumps`` of each event as a dict with details parsed; ``csv.writer``), at several
times the speed: the text is put together directly wherever it provably comes out the same,
and a batch where that cannot be shown goes through the standard modules after all.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from json.encoder import encode_basestring

from storage.audit_chain import EventRow

COLUMNS = ("seq", "time", "actor", "request", "kind", "outcome", "details", "prev_hash", "hash")
JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)  # parsed JSON has no cycles
DECODER = json.JSONDecoder()


def details_json(texts: list[str]) -> list[str]:
    """Each details text as ``json.dumps(json.loads(text))`` (compact, non-ASCII kept) writes it.

    Stored details are canonical_details output, which that round trip leaves unchanged, so
    normally the texts themselves are the answer. That is checked, not assumed: each text
    must parse as exactly one JSON value, and the parsed batch, encoded in a single call, must
    give back the texts joined by commas. Two lists of complete JSON values that join into the
    same text are equal element by element, so each text is then its own re-encoding.
    """
    try:
        parsed = [DECODER.raw_decode(text) for text in texts]
    except (ValueError, TypeError):  # not JSON, or not text: json.loads below tells
        parsed = []
    if (len(parsed) == len(texts) and [end for _, end in parsed] == list(map(len, texts))
            and JSON.encode([value for value, _ in parsed]) == f"[{','.join(texts)}]"):
        return texts
    return [JSON.encode(json.loads(text)) for text in texts]


def jsonl(rows: Sequence[EventRow]) -> str:
    """One JSON object per event and line."""
    quote = encode_basestring
    return "".join([
        f'{{"seq":{seq},"time":{quote(time)},"actor":{"null" if actor is None else quote(actor)},'
        f'"request":{"null" if request is None else quote(request)},"kind":{quote(kind)},"outcome":{quote(outcome)},'
        f'"details":{details},"prev_hash":{quote(prev_hash)},"hash":{quote(digest)}}}\n'
        for (seq, time, actor, request, kind, outcome, _, prev_hash, digest), details
        in zip(rows, details_json([row[6] for row in rows]), strict=True)])


def csv_header() -> str:
    """The column names, as csv.writer writes them."""
    return _csv_writer_text([COLUMNS])


def csv_rows(rows: Sequence[EventRow]) -> str:
    """The rows as ``csv.writer(out, lineterminator="\\n")`` writes them.

    csv.writer quotes a field only if it holds a comma, a double quote or a line end ("\\r"
    too, in some Python versions), doubling the quotes inside. Details is JSON, so it mostly
    holds quotes and is quoted here the same way. Every other field, and details without a
    quote, must hold none of those characters, so that csv.writer would copy it as it is; that
    is checked once for the whole batch, and a batch that fails is left to csv.writer.
    """
    heads, quoted, tails, bare = [], [], [], []
    try:
        for seq, time, actor, request, kind, outcome, details, prev_hash, digest in rows:
            heads.append(f"{seq},{time},{'' if actor is None else actor},{'' if request is None else request},"
                         f"{kind},{outcome}")
            tails.append(f"{prev_hash},{digest}")
            if '"' in details:
                quoted.append('"' + details.replace('"', '""') + '"')
            else:
                quoted.append(details)
                bare.append(details)
    except TypeError:  # a value that is not text where text belongs (a BLOB in SQLite)
        return _csv_writer_text(rows)
    plain = "".join(heads) + "".join(tails) + "".join(bare)  # 5 + 1 commas a row are separators
    if plain.count(",") != 6 * len(rows) or '"' in plain or "\n" in plain or "\r" in plain:
        return _csv_writer_text(rows)
    return "".join(f"{head},{details},{tail}\n" for head, details, tail in zip(heads, quoted, tails, strict=True))


def _csv_writer_text(rows: Sequence[Sequence[object]]) -> str:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    return text.getvalue()
