"""Finding the action someone means from their own words: ``/selfserve I need a new laptop``.

Runs offline, in process. Each action the person may request is scored two ways and the
scores are blended:

- **fuzzy** (rapidfuzz): how much of the query its words explain (title, description,
  ``keywords`` and id), and how completely one of its phrases (title, a keyword) appears in
  the query, both forgiving typos (``pasword``, ``laptpo``);
- **semantic**: cosine similarity between the query and the action's texts in a small word
  embedding model (wordllama's 256-dimension ``l2_supercat``, whose weights and tokenizer ship
  inside its wheel and are read from there: nothing is downloaded, ever), which knows that a
  *notebook* is a *laptop* and *locked out* is about a *password*.

Below ``THRESHOLD`` nothing is suggested. The model is loaded once per process, in a thread
(``SharedModel``), and a catalog's texts are embedded once per catalog fingerprint
(``CatalogIndex``); a query then costs well under a millisecond of embedding.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz, process

from domain.catalog import Action, Catalog
from domain.desk import ActionDesk
from domain.ports import AuditSink
from domain.rbac import requestable_actions
from domain.records import AuditEntry

logger = logging.getLogger(__name__)

Vectors = NDArray[np.float32]
Defer = Callable[[Coroutine[Any, Any, None]], None]

MAX_SUGGESTIONS = 3
THRESHOLD = 0.30  # a blended score below this is no match
RELATIVE_FLOOR = 0.6  # ... and so is one below this share of the best score (no padding to three)
AGREEMENT = 0.2  # blended = (1 - AGREEMENT) * the stronger signal + AGREEMENT * the weaker one
SEMANTIC_FLOOR, SEMANTIC_FULL = 0.2, 0.7  # cosine similarities mapped onto 0..1 (below the floor: noise)
QUERY_LIMIT = 300  # characters of the query that are matched (the rest is ignored)
TOKEN_CUTOFF = 75.0  # rapidfuzz ratio below which two words are different words
SHORT_TOKEN = 3  # words this short (vpn, aws, db) must match exactly
PREFIX_CREDIT = 0.9  # what an abbreviation (a word that starts another) counts for
ID_TYPO_RATIO = 80.0  # a single word at least this close to an action id is a mistyped id

# Words that say nothing about *what* is wanted. Kept small on purpose: "new", "access" or
# "order" mean something here.
STOPWORDS = frozenset({
    "a", "about", "am", "an", "and", "any", "are", "as", "at", "be", "been", "can", "could", "do", "does", "for",
    "from", "get", "give", "got", "have", "having", "he", "her", "hers", "him", "his", "how", "i", "id", "im",
    "ive", "is", "it", "its", "just", "let", "like", "me", "mine", "my", "myself", "need", "needs", "of", "on", "or",
    "our", "please", "pls", "she", "some", "someone", "something", "that", "the", "their", "them", "there",
    "these", "they", "this", "those", "to", "too", "us", "want", "wants", "was", "we", "what", "when", "where",
    "which", "who", "why", "will", "with", "would", "you", "your", "yours", "hi", "hello", "hey", "thanks",
    "thank",
})

_APOSTROPHE = re.compile(r"['’`]")
_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """Lowercase content words of ``text``: punctuation, apostrophes and stopwords dropped."""
    return [w for w in _WORD.findall(_APOSTROPHE.sub("", text.lower())) if w not in STOPWORDS]


# --- the embedding model ------------------------------------------------------------------


class Embedder(Protocol):
    def embed(self, texts: Sequence[str]) -> Vectors:
        """One unit-length row per text (a text with no known token gives a zero row)."""


class WordLlamaEmbedder:
    """wordllama's ``l2_supercat`` model at 256 dimensions, from the files in its wheel.

    ``WordLlama.load`` is not used: it looks for the tokenizer where the wheel does not put it
    and would then download it. Building the inference object from the packaged weights and
    tokenizer file leaves no road to the network.
    """

    WEIGHTS = ("weights", "l2_supercat_256.safetensors")
    TOKENIZER = ("tokenizers", "l2_supercat_tokenizer_config.json")

    def __init__(self) -> None:
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        try:
            import wordllama  # its __init__ calls logging.basicConfig(); undone below
            from safetensors import safe_open
            from tokenizers import Tokenizer
        finally:
            root.handlers[:] = handlers
            root.setLevel(level)
        package = Path(wordllama.__file__).parent
        with safe_open(str(package.joinpath(*self.WEIGHTS)), framework="np", device="cpu") as weights:
            matrix = weights.get_tensor("embedding.weight")
        tokenizer = Tokenizer.from_file(str(package.joinpath(*self.TOKENIZER)))
        self._model = wordllama.WordLlamaInference(matrix, tokenizer)

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, 256), dtype=np.float32)
        vectors = np.asarray(self._model.embed(list(texts), norm=False), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit: Vectors = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
        return unit


class SharedModel:
    """One embedding model per process, loaded once in a thread so no request waits on disk.

    A model that fails to load is logged once and matching goes on with the fuzzy score alone.
    """

    def __init__(self, loader: Callable[[], Embedder]) -> None:
        self._loader = loader
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._started = False
        self._model: Embedder | None = None
        self.load_seconds: float | None = None

    def start(self) -> None:
        """Begin loading in a background thread (once; later calls do nothing)."""
        with self._lock:
            if self._started:
                return
            self._started = True
        # Not a daemon: Python ends daemon threads at exit by unwinding them wherever they are, and
        # one still inside the model's native loading code then aborts the process ("FATAL:
        # exception not rethrown") instead of exiting. Exit waits for the load (about a second).
        threading.Thread(target=self._load, name="matching-model").start()

    def _load(self) -> None:
        started = time.perf_counter()
        try:
            self._model = self._loader()
            self.load_seconds = time.perf_counter() - started
            logger.info("matching model loaded in %.0f ms", self.load_seconds * 1000)
        except Exception:
            logger.exception("matching model failed to load; suggestions use fuzzy matching only")
        finally:
            self._ready.set()

    def now(self) -> Embedder | None:
        """The model, loading it on this thread if nobody has started to (scripts, tests)."""
        self.start()
        self._ready.wait()
        return self._model

    def now_if_ready(self) -> Embedder | None:
        """The model if it has loaded (None while loading, or if it failed)."""
        return self._model if self._ready.is_set() else None

    async def get(self) -> Embedder | None:
        """The model, waiting for the loading thread without blocking the event loop."""
        if not self._ready.is_set():
            self.start()
            await asyncio.to_thread(self._ready.wait)
        return self._model


MODEL = SharedModel(WordLlamaEmbedder)


# --- scoring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    action: Action
    score: float
    fuzzy: float
    semantic: float


@dataclass(frozen=True)
class _Entry:
    action: Action
    phrases: tuple[tuple[str, ...], ...]  # title, each keyword and the id, as content words
    vocabulary: tuple[str, ...]  # every content word of title, description, keywords and id
    rows: slice  # this action's rows in the index's vectors


def _texts(action: Action) -> list[str]:
    """What the model embeds for an action: its title, each keyword, its description."""
    return [action.title, *action.keywords, *([action.description] if action.description else [])]


class CatalogIndex:
    """A catalog's actions prepared for matching: content words, and embedded texts."""

    def __init__(self, catalog: Catalog, model: Embedder | None) -> None:
        self.fingerprint = catalog.fingerprint
        self._model = model
        self._entries: dict[str, _Entry] = {}
        texts: list[str] = []
        for action in catalog.actions.values():
            phrases = [tuple(words(p)) for p in (action.title, *action.keywords, action.id.replace("-", " "))]
            vocabulary = {w for phrase in phrases for w in phrase} | set(words(action.description or ""))
            start = len(texts)
            texts.extend(_texts(action))
            self._entries[action.id] = _Entry(action, tuple(p for p in phrases if p), tuple(sorted(vocabulary)),
                                              slice(start, len(texts)))
        self._vectors = model.embed(texts) if model is not None else None
        document_frequency: dict[str, int] = {}
        for entry in self._entries.values():
            for word in entry.vocabulary:
                document_frequency[word] = document_frequency.get(word, 0) + 1
        count = len(self._entries)
        self._idf = {w: 1.0 + math.log((1 + count) / (1 + df)) for w, df in document_frequency.items()}
        self._unknown_weight = 1.0 + math.log(1 + count)  # a word no action uses tells the most

    def rank(self, query: str, actions: Iterable[Action]) -> list[Match]:
        """``actions`` scored against ``query``, best first, with scores below the bar dropped."""
        query = query[:QUERY_LIMIT]
        terms = words(query)
        entries = [self._entries[a.id] for a in actions if a.id in self._entries]
        if not terms or not entries:
            return []
        semantic = self._semantic(" ".join(terms), entries)
        scored = []
        for entry, meaning in zip(entries, semantic, strict=True):
            lexical = self._fuzzy(terms, entry)
            if self._vectors is None:
                score = lexical
            else:
                score = (1 - AGREEMENT) * max(lexical, meaning) + AGREEMENT * min(lexical, meaning)
            scored.append(Match(entry.action, round(score, 4), round(lexical, 4), round(meaning, 4)))
        scored.sort(key=lambda m: m.score, reverse=True)
        best = scored[0].score
        return [m for m in scored[:MAX_SUGGESTIONS] if m.score >= THRESHOLD and m.score >= RELATIVE_FLOOR * best]

    def _semantic(self, text: str, entries: list[_Entry]) -> list[float]:
        """How close in meaning the query is to each action's closest texts: mostly the closest
        one, partly the runner-up (one short keyword alone is a noisy witness), rescaled."""
        if self._model is None or self._vectors is None:
            return [0.0] * len(entries)
        similarity = self._vectors @ self._model.embed([text])[0]
        scores = []
        for entry in entries:
            ranked = np.sort(similarity[entry.rows])[::-1]
            closest = 0.7 * float(ranked[0]) + 0.3 * float(ranked[min(1, len(ranked) - 1)])
            scores.append(min(1.0, max(0.0, (closest - SEMANTIC_FLOOR) / (SEMANTIC_FULL - SEMANTIC_FLOOR))))
        return scores

    def _fuzzy(self, terms: list[str], entry: _Entry) -> float:
        """Half how much of the query the action's words explain (each word weighted by how
        telling it is), half how completely its best phrase appears in the query."""
        best = [_closeness(term, entry.vocabulary) for term in terms]
        weights = [self._idf[word] if word else self._unknown_weight for word, _ in best]
        coverage = sum(w * s for w, (_, s) in zip(weights, best, strict=True)) / sum(weights)
        contained = max((sum(_closeness(w, terms)[1] for w in phrase) / len(phrase) for phrase in entry.phrases),
                        default=0.0)
        return (coverage + contained) / 2


def _closeness(term: str, candidates: Sequence[str]) -> tuple[str, float]:
    """The candidate closest to ``term`` and how close (0..1); ("", 0) if none is close.

    A typo (rapidfuzz ratio from ``TOKEN_CUTOFF``) earns partial credit, from 0.5 up; a word
    that starts another (``prod``, ``db`` excepted: too short) counts as an abbreviation.
    """
    if len(term) <= SHORT_TOKEN:
        return (term, 1.0) if term in candidates else ("", 0.0)
    found = process.extractOne(term, candidates, scorer=fuzz.ratio, score_cutoff=TOKEN_CUTOFF)
    if found is not None and found[1] >= 100:
        return found[0], 1.0
    prefixed = next((c for c in candidates if len(c) > len(term) and c.startswith(term)), None)
    if prefixed is not None:
        return prefixed, PREFIX_CREDIT
    if found is None:
        return "", 0.0
    return found[0], (found[1] - 50.0) / 50.0


# --- the command ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestions:
    """The answer to words that name no action: the best matches among what the person may
    request (empty when nothing is close enough), and everything they may request."""

    query: str
    matches: tuple[Match, ...]
    requestable: tuple[Action, ...]


class ActionFinder:
    """``/selfserve <words>``: an action named by its id (or a typo of one) is resolved as
    before; any other words are matched. Both are audited here."""

    def __init__(self, desk: ActionDesk, catalog: Callable[[], Catalog], audit: AuditSink, defer: Defer,
                 model: SharedModel = MODEL) -> None:
        self._desk = desk
        self._catalog = catalog
        self._audit = audit
        self._defer = defer
        self._model = model
        self._index: CatalogIndex | None = None

    async def lookup(self, actor: str, text: str, details: dict[str, Any]) -> Action | Suggestions:
        """The action ``text`` names, or suggestions for it. Refusals (an action ``actor`` may
        not request, a mistyped id) are raised as typed, audited ``DomainError``s."""
        catalog = self._catalog()
        first, *rest = text.split() or [""]
        if first.lower() in catalog.actions or (not rest and _mistyped_id(catalog, actor, first)):
            return self._desk.resolve(actor, first, "command", details)
        suggestions = await self.suggest(catalog, actor, text)
        facts: dict[str, Any] = {"suggested": [{"action": m.action.id, "score": round(m.score, 2)}
                                               for m in suggestions.matches]}
        if self._model.now_if_ready() is None:
            facts["fuzzy_only"] = True
        self._defer(self._audit(AuditEntry("command", "matched" if suggestions.matches else "no_match", actor,
                                           None, {**details, **facts})))
        return suggestions

    async def suggest(self, catalog: Catalog, actor: str, text: str) -> Suggestions:
        """The actions ``actor`` may request that best match ``text`` (not audited)."""
        requestable = tuple(requestable_actions(catalog, actor))
        index = await self._index_for(catalog)
        return Suggestions(text[:QUERY_LIMIT], tuple(index.rank(text, requestable)), requestable)

    def help_requested(self, actor: str, query: str) -> str | None:
        """Someone found nothing that fits: audited, and the support channel to point them to."""
        channel = self._catalog().settings.support_channel
        self._defer(self._audit(AuditEntry("help_requested", "ok", actor, None,
                                           {"query": query[:200], "support_channel": channel})))
        return channel

    async def _index_for(self, catalog: Catalog) -> CatalogIndex:
        """The catalog's index, built once per catalog fingerprint (off the event loop)."""
        model = await self._model.get()
        index = self._index
        if index is None or index.fingerprint != catalog.fingerprint:
            index = self._index = await asyncio.to_thread(CatalogIndex, catalog, model)
        return index


def _mistyped_id(catalog: Catalog, actor: str, word: str) -> bool:
    """A single word this close to the id of an action ``actor`` may request is a typo of it
    (``new-employe``), answered with "did you mean"; other words (``laptop``) are matched."""
    allowed = [a.id for a in requestable_actions(catalog, actor)]
    return process.extractOne(word.lower(), allowed, scorer=fuzz.ratio, score_cutoff=ID_TYPO_RATIO) is not None
