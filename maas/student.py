"""The student: a small memory service that remembers what users say and answers from it.

Per user it keeps memories extracted from the user's declarative turns, indexes them with
BM25 (bm25s), and answers a question from the memories it retrieves:

1. fetch the ``top_k`` most relevant memories (BM25 blended with a little recency);
2. keep those whose relevance is at least ``score_cutoff`` times the best one's;
3. pack them, best first, into ``context_budget`` tokens (an entry that does not fit is left out);
4. abstain ("I don't know") when the context is empty or its best relevance is below
   ``abstain_threshold``; otherwise the reader answers from one memory of the context.

Relevance is mostly the BM25 score divided by the score an ideal memory would get (one that
holds every query term once, at average length), capped at 1: a question whose words the
user never used scores low even when its best match is the best there is. A small recency
term, as chat memories commonly use, ranks the rest, so every memory is a candidate.
Latency, faults and reader distraction follow the declared model in ``student_model``.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections import Counter, deque
from dataclasses import dataclass

import bm25s
import numpy as np

from maas.student_model import StudentModel
from maas.text import count_tokens, terms

# bm25s logs every index build at DEBUG: thousands per cycle would drown a debug log.
logging.getLogger("bm25s").setLevel(logging.INFO)

ABSTAIN_ANSWER = "I don't know - you have not told me that."
WINDOW_TURNS = 3  # turns before a statement kept with it as evidence for the reader


_REQUEST = re.compile(r"^\W*(tell me|remind me|please|could you|can you|would you)\b", re.IGNORECASE)


def is_statement(text: str) -> bool:
    """A declarative turn: not a question and not a request to the assistant."""
    return not text.rstrip().endswith("?") and not _REQUEST.match(text)


@dataclass(frozen=True)
class Memory:
    id: str
    text: str
    session: int
    entry: str  # what goes into the context: metadata, evidence window, the statement
    tokens: int
    terms: tuple[str, ...]


@dataclass(frozen=True)
class TurnNoise:
    """The seeded randomness of one question turn (common to every configuration)."""

    jitter: float  # latency multiplier
    fault: bool  # the backend fails this turn
    reader: np.ndarray  # one standard normal per memory index

    @classmethod
    def draw(cls, rng: np.random.Generator, model: StudentModel, n_memories: int) -> "TurnNoise":
        jitter = float(math.exp(rng.normal(0.0, model.latency.jitter_sigma)))
        fault = bool(rng.random() < model.faults.error_per_turn)
        return cls(jitter=jitter, fault=fault, reader=rng.standard_normal(max(1, n_memories)))


@dataclass(frozen=True)
class StudentAnswer:
    answer: str
    abstained: bool
    retrieved_ids: list[str]
    used_ids: list[str]
    context_tokens: int
    top_relevance: float
    latency_s: float
    error: str | None
    compute_s: float  # measured wall time of retrieval and reading


class UserMemory:
    """One user's memories and their BM25 index. Not shared between threads."""

    def __init__(self, user_id: str, model: StudentModel) -> None:
        self.user_id = user_id
        self.model = model
        self.memories: list[Memory] = []
        self._recent: deque[str] = deque(maxlen=WINDOW_TURNS)
        self._df: Counter[str] = Counter()
        self._index: bm25s.BM25 | None = None
        self._recency = np.zeros(0)

    def observe(self, turn_id: str, role: str, text: str, session: int) -> Memory | None:
        """See one turn of the conversation; remember it if it is a user statement worth keeping."""
        memory = None
        found = terms(text) if role == "user" and is_statement(text) else ()
        if len(set(found)) >= self.model.retrieval.min_terms:
            header = f"- memory {turn_id} (user {self.user_id}, session {session}, source: conversation)"
            lines = [*self._recent, f"user: {text}"]
            entry = header + "".join(f"\n  {line}" for line in lines)
            tokens = count_tokens(header) + sum(count_tokens(line) for line in lines)
            memory = Memory(turn_id, text, session, entry, tokens, found)
            self.memories.append(memory)
            self._df.update(set(found))
            self._index = None
        self._recent.append(f"{role}: {text}")
        return memory

    def _ensure_index(self) -> bm25s.BM25:
        if self._index is None:
            cfg = self.model.retrieval
            index = bm25s.BM25(k1=cfg.k1, b=cfg.b)
            index.index([list(m.terms) for m in self.memories], show_progress=False)
            self._index = index
            ages = np.arange(len(self.memories) - 1, -1, -1, dtype=float)
            self._recency = cfg.recency_weight * np.power(0.5, ages / cfg.recency_half_life)
        return self._index

    def _idf(self, term: str) -> float:
        """BM25 (Lucene) idf of ``term`` in this user's memories; unseen terms get the highest."""
        n, df = len(self.memories), self._df[term]
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def relevance(self, question: str) -> list[tuple[int, float]]:
        """(memory index, relevance in [0, 1]) of every memory, best first.

        relevance = (1 - w) * min(1, bm25 / ideal) + w * 0.5 ** (age / half_life), where
        ``ideal`` is the BM25 score of a memory holding each query term once at average
        length, ``age`` counts the memories stored since, and w = recency_weight.
        """
        if not self.memories:
            return []
        cfg = self.model.retrieval
        index = self._ensure_index()
        rel = self._recency.copy()
        query = list(dict.fromkeys(terms(question)))
        if query:
            ideal = sum(self._idf(t) for t in query) / (1 + cfg.k1)
            rel += (1 - cfg.recency_weight) * np.minimum(1.0, index.get_scores(query) / ideal)
        order = np.argsort(-rel, kind="stable")
        return [(int(i), float(rel[i])) for i in order]

    def answer(self, question: str, params: dict[str, float], noise: TurnNoise) -> StudentAnswer:
        started = time.perf_counter()
        return self.respond(self.relevance(question), params, noise, started)

    def respond(self, ranking: list[tuple[int, float]], params: dict[str, float], noise: TurnNoise,
                started: float | None = None) -> StudentAnswer:
        """Steps 1-4 of the module docstring, from the full relevance ranking of a question."""
        started = time.perf_counter() if started is None else started
        ranked = ranking[:int(params["top_k"])]
        context: list[tuple[int, float]] = []
        used_tokens = 0
        if ranked:
            floor = params["score_cutoff"] * ranked[0][1]
            for idx, rel in ranked:
                tokens = self.memories[idx].tokens
                if rel >= floor and used_tokens + tokens <= params["context_budget"]:
                    context.append((idx, rel))
                    used_tokens += tokens
        top = context[0][1] if context else 0.0
        abstained = not context or top < params["abstain_threshold"]

        lat = self.model.latency
        latency = lat.base_s + lat.per_candidate_s * len(ranked)
        if abstained:
            latency += lat.abstain_s  # the context is never read
        else:
            latency += lat.per_context_token_s * used_tokens + lat.generation_s
        latency *= noise.jitter
        retrieved = [self.memories[i].id for i, _ in context]
        error = None
        if noise.fault:
            error = "backend_error"
        elif latency > lat.timeout_s:
            error, latency = "timeout", lat.timeout_s
        if error:
            return StudentAnswer("", False, retrieved, [], used_tokens, top, latency, error,
                                 time.perf_counter() - started)
        if abstained:
            return StudentAnswer(ABSTAIN_ANSWER, True, retrieved, [], used_tokens, top, latency, None,
                                 time.perf_counter() - started)
        sigma = self.model.reader.noise_per_sqrt_ktoken * math.sqrt(used_tokens / 1000)
        pick = max(context, key=lambda c: c[1] + sigma * float(noise.reader[c[0]]))[0]
        memory = self.memories[pick]
        return StudentAnswer(f'You told me: "{memory.text}"', False, retrieved, [memory.id], used_tokens,
                             top, latency, None, time.perf_counter() - started)


class Student:
    """The memory service. Users' memories are independent, so users may be served concurrently."""

    max_concurrency = 4

    def __init__(self, model: StudentModel) -> None:
        self.model = model

    def new_user(self, user_id: str) -> UserMemory:
        return UserMemory(user_id, self.model)
