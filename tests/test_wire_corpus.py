"""Every byte on the wire stays as it was: the recorded corpus (tests/corpus/wire.jsonl, made by
`python -m tests.corpus.record`) replayed on both serving cores, answer by answer, after the recorder's own
normalisation (job ids, session cookies, the Date header, the journal's host times; see the recorder).

A change that is meant to change the wire re-records the corpus and shows the difference in review."""

from __future__ import annotations

import difflib
import functools

import pytest

from corpus.record import CORES, Answer, Exchange, load, pack, record_requests, run

SESSIONS = load()
EXCHANGES = [exchange for session in SESSIONS for exchange in session.exchanges]


@functools.cache
def replayed(core: str) -> dict[tuple[str, int], list[Answer]]:
    """Each session of the corpus sent again on `core`, once per test run; answers by (session, number)."""
    answers = {}
    for session in SESSIONS:
        requests = [exchange.request for exchange in session.exchanges]
        for exchange, answer in zip(session.exchanges, run(session.options, requests, core)):
            answers[exchange.session, exchange.number] = answer
    return answers


def render(answers: list[Answer]) -> list[str]:
    """Answers as lines to compare: each one's status line, headers, a blank line and body."""
    lines = []
    for answer in answers:
        body = pack(answer.body)
        text = body if isinstance(body, str) else "base64:" + body["base64"]
        lines += [answer.status, *answer.headers, "", *text.split("\n")]
    return lines


@pytest.mark.parametrize("core", CORES)
@pytest.mark.parametrize(
    "exchange", EXCHANGES, ids=[f"{e.session}-{e.number:03d}-{e.note}" for e in EXCHANGES]
)
def test_answer_is_byte_identical(core: str, exchange: Exchange) -> None:
    recorded, now = exchange.answer(core), replayed(core)[exchange.session, exchange.number]
    if now != recorded:
        diff = difflib.unified_diff(render(recorded), render(now), "recorded", "now", lineterm="", n=2)
        request = exchange.request[:300].decode("latin-1")
        pytest.fail(
            f"{exchange.note!r} answers differently on {core}.\n{request}\n" + "\n".join(list(diff)[:60])
        )


def test_the_corpus_holds_the_recorders_requests() -> None:
    """The recorder's list and the stored corpus agree: a changed list was recorded again."""
    stored = {session.name: [(e.note, e.request) for e in session.exchanges] for session in SESSIONS}
    listed = {name: list(requests) for name, (_, requests) in record_requests().items()}
    assert stored == listed
    assert {session.name: session.options for session in SESSIONS} == {
        name: options for name, (options, _) in record_requests().items()
    }
