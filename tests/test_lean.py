"""What the request path precomputes stays correct: the plan kept for a repeated GET never freezes an answer or
crosses revisions, the header blocks and the direct JSON of flat objects give what the general path gives, and
every kept table is bounded."""

from __future__ import annotations

import itertools
import json

import pytest

from eclypse_emulator.generated import handler
from eclypse_emulator.runtime.core import deviceapi, http1
from eclypse_emulator.runtime.core.codec import dump_json
from eclypse_emulator.generated.handler import BASE_PATH, Request
from eclypse_emulator.runtime.core.http1 import RequestReader
from eclypse_emulator.generated.serializers import CODECS
from eclypse_emulator.runtime import Emulator

from _support import call


def test_a_repeated_get_follows_the_state(server, job_duration):
    """The second and third polls reuse the first one's plan; the answers still follow the clock."""
    job_id = server.create_job()
    url = f"{server.url}/system/backup/jobs/{job_id}"
    seen = []
    for _ in range(3):
        seen.append(json.loads(call("GET", url).body)["progress"])
        server.advance(job_duration / 2)
    assert seen == [0, 50, 100]
    server.emulator.reset()
    assert call("GET", url).status == 404  # the job is gone: the kept plan does not answer for it


def test_a_kept_plan_is_per_revision():
    """Two controllers of a fleet share the generated API: a resource newer than one's revision stays
    missing for it after the other answered it."""
    new, old = Emulator(clock="manual", api_revision="8.0"), Emulator(clock="manual", api_revision="4.0")
    jobs = {new: new.create_job(), old: old.create_job()}
    for emulator, status in ((new, 200), (old, 404), (new, 200), (old, 404)):  # /jobs/{jobId} is from 6.0
        answer = handler.handle(Request("GET", f"{BASE_PATH}/jobs/{jobs[emulator]}", {}), emulator)
        assert answer.status == status


def test_the_plans_are_bounded():
    emulator = Emulator(clock="manual")
    for index in range(deviceapi.MAX_PLANS + 10):
        handler.handle(Request("GET", f"{BASE_PATH}/info?n={index}", {}), emulator)
    assert len(handler.API._plans) <= deviceapi.MAX_PLANS
    long_target = f"{BASE_PATH}/info?pad={'x' * deviceapi.MAX_PLANNED}"
    handler.handle(Request("GET", long_target, {}), emulator)
    assert all(len(key[0]) <= deviceapi.MAX_PLANNED for key in handler.API._plans)


@pytest.mark.parametrize("name", sorted(n for n, c in CODECS.items() if c._json_plan is not None))
def test_the_direct_json_of_a_flat_object_is_the_encoders(name):
    codec = CODECS[name]
    samples = [None, 0, -5, 10**30, True, False, "", "a/b", 'é\u2028"\\\n\x01', 1.5, float("nan"), "</x>"]
    for combination in itertools.product(samples, repeat=min(2, len(codec.fields))):
        values = {f.name: combination[i % len(combination)] for i, f in enumerate(codec.fields)}
        assert codec.to_json(values) == dump_json(codec.json_value(values))


def read(data: bytes):
    reader = RequestReader()
    reader.feed(data)
    return reader.next_event()


def test_a_known_header_block_reads_as_it_did_and_is_shared():
    block = "Host: a\r\nAccept: application/xml\r\nConnection: close\r\n\r\n"
    first = read(f"GET /x HTTP/1.1\r\n{block}".encode())
    second = read(f"HEAD /y HTTP/1.1\r\n{block}".encode())
    assert (second.method, second.target, second.close) == ("HEAD", "/y", True)
    assert second.headers is first.headers and second.headers.get("accept") == "application/xml"
    # The same block on HTTP/1.0 is another entry: its framing differs.
    assert read(f"GET /x HTTP/1.0\r\n{block}".encode()).keep_alive is False
    assert read(b"GET /x HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n").keep_alive is True


def test_a_block_with_a_body_is_kept_with_its_length_and_each_reader_still_bounds_it():
    data = b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}"
    first, second = read(data), read(data)
    assert (second.body, second.method) == (b"{}", "POST") and second.headers is first.headers
    small = RequestReader(max_body_size=1)  # the block is known; this reader's limit is not the last one's
    small.feed(data)
    refusal = small.next_event()
    assert isinstance(refusal, http1.Refusal) and refusal.key == "body_too_large"
    chunked = b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
    assert read(chunked).body == b"{}"
    assert not any("Transfer-Encoding" in block for _, block in http1._KNOWN_HEADS)


def test_a_known_block_whose_target_streams_is_framed_for_streaming():
    data = b"POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
    read(data)  # known now, read by a reader whose targets never stream
    reader = RequestReader(streams=lambda method, target: target == "/up")
    reader.feed(data)
    head = reader.next_event()
    assert head.streamed and head.body == b""
    assert isinstance(reader.next_event(), http1.BodyPart)


def test_the_known_blocks_are_bounded():
    for index in range(http1.MAX_KNOWN_HEADS + 10):
        read(f"GET /x HTTP/1.1\r\nHost: a\r\nX-N: {index}\r\n\r\n".encode())
    assert len(http1._KNOWN_HEADS) <= http1.MAX_KNOWN_HEADS


def test_the_journal_records_each_request_with_its_own_headers(server):
    server.clear_requests()
    for user in ("a", "b", "a"):
        call("GET", f"{server.url}/info", {"X-User": user})
    assert [entry["headers"]["X-User"] for entry in server.requests()] == ["a", "b", "a"]
