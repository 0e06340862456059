"""The vendor's shared pages (and the seed) imported into a copy of the spec and served over HTTP.

`python -m codegen import` writes every page of ../shared/vendor-pages/ into a copy of spec/; the copy is
served by `python -m runtime --spec DIR` on both cores, once at the default revision and once below the
revisions the pages name. Each page's GET path answers with its example's JSON keys in the example's
order and its XML elements in the XML's order (what the served answer lacks, the import reported as a
difference from the hand-written spec); each page is hidden below its from-revision; each POST accepts a
body of the properties the page lists. The seed's resource answers byte for byte what the committed
spec answers. The pages written for the tests (tests/fixtures/pages) are served alongside; without ../shared
next to the checkout they alone are, and the seed's test is skipped with the reason.
"""

from __future__ import annotations

import json
import shutil
import uuid
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

from _support import ROOT, Answer, Cli, call
from codegen.importer import run, url_segments
from codegen.model import Object, Resource, Spec, load_spec
from runtime.core.deviceapi import parse_revision as revision_tuple
from codegen.importer.lenient import XmlElement
from codegen.importer.pages import Page, read_pages
from eclypse_emulator.runtime import EmbeddedServer

SHARED = ROOT.parent / "shared"
SHARED_PAGES = sorted((SHARED / "vendor-pages").glob("*.txt"))
SEED = SHARED / "seeds" / "000_6ccc24178df7d9fa.txt"
# The pages written for the tests import and serve as well as the vendor's (and without ../shared).
PAGE_FILES = sorted((ROOT / "tests" / "fixtures" / "pages").glob("*.txt")) + SHARED_PAGES
needs_shared = pytest.mark.skipif(
    not SHARED_PAGES or not SEED.is_file(),
    reason=f"{SHARED} (vendor pages and seed) is not next to the checkout",
)
JSON = {"Content-Type": "application/json"}
JOB_DURATION = 5  # seconds, on every server here
BACKUP_CREATE = "/system/backup/create"
BACKUP_FILES = "/system/backup/targets/Device/files"


@dataclass
class Imported:
    spec_dir: Path
    report: str  # what the import printed
    spec: Spec
    pages: list[Page]

    def resource(self, page: Page) -> Resource:
        return next(
            r
            for r in self.spec.resources
            if r.method == page.method and r.path.rstrip("/") == page.path.rstrip("/")
        )


@dataclass
class Servers:
    core: str
    url: str  # the default revision
    old_url: str  # just below the lowest revision above 1.0 that a page names
    old_revision: str


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> Imported:
    spec_dir = tmp_path_factory.mktemp("imported") / "spec"
    shutil.copytree(ROOT / "spec", spec_dir)
    out: list[str] = []
    code = run([*PAGE_FILES, *([SEED] if SEED.is_file() else [])], spec_dir, out=out.append, err=out.append)
    assert code == 0, "\n".join(out)
    pages = [page for file in PAGE_FILES for page in read_pages(file)]
    return Imported(spec_dir, "\n".join(out), load_spec(spec_dir), pages)


def _below(revisions: list[str]) -> str:
    """A revision just below the lowest of `revisions` above 1.0."""
    major, minor = min(revision_tuple(r) for r in revisions if revision_tuple(r) > (1, 0))
    return f"{major}.{minor - 1}" if minor else f"{major - 1}.9"


@pytest.fixture(scope="module", params=["asyncio", "threads"])
def servers(request, imported: Imported, tmp_path_factory) -> Iterator[Servers]:
    env = {"XDG_CACHE_HOME": str(tmp_path_factory.mktemp("cache"))}
    old = _below([imported.resource(page).from_revision for page in imported.pages])
    args = ["--spec", str(imported.spec_dir), "--port", "0", "--quiet", "--core", request.param]
    args += ["--clock", "manual", "--job-duration", str(JOB_DURATION)]
    with Cli(*args, env=env) as new:
        url = new.url(timeout=120)  # the first start generates the spec
        with Cli(*args, "--api-revision", old, env=env) as older:
            yield Servers(request.param, url, older.url(timeout=120), old)


def _start_job(base: str) -> str:
    answer = call("POST", base + BACKUP_CREATE, JSON, b"{}")
    assert answer.status == 200, answer.body
    return answer.json()["jobId"]


def _backup_file(base: str) -> str:
    """The name of a backup file that exists on `base`'s device: one made by a job the control API starts
    at once (a backup file's resource is a hook of the runtime, which answers only the files it has)."""
    control = base.replace("/api/rest/v1", "/_emulator")
    answer = call("POST", control + "/jobs", JSON, b'{"fileName": "sample", "duration": 0}')
    assert answer.status == 201, answer.body
    return call("GET", base + BACKUP_FILES).json()[-1]["name"]


def _url(base: str, page: Page, resource: Resource) -> str:
    """The page's path with its parameters filled: a job id (a new job on `base`, when given), a backup
    file's name (likewise), the value of its URL example, else a value of their kind."""
    given = url_segments(page)
    values = {}
    for parameter in resource.path_parameters:
        if parameter.format == "uuid":
            values[parameter.name] = _start_job(base) if base else str(uuid.uuid4())
        elif base and resource.path.startswith("/system/backup/targets/") and parameter.name == "fileName":
            values[parameter.name] = _backup_file(base)
        elif parameter.name in given:
            values[parameter.name] = given[parameter.name]
        elif parameter.kind.type == "integer":
            values[parameter.name] = str(parameter.kind.minimum or 1)
        else:
            values[parameter.name] = parameter.kind.values[0] if parameter.kind.values else "sample"
    path = page.path
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return base + path


def _first(page: Page, kind: str) -> Any:
    return next((e.value for e in page.examples if e.kind == kind and e.value is not None), None)


def _check_order(served: list[str], example: list[str], imported: Imported, where: str) -> None:
    """The served names hold the example's in its order; each it lacks, the import reported."""
    assert [n for n in served if n in example] == [n for n in example if n in served], where
    for name in (n for n in example if n not in served):
        difference = f".{name[:1].upper() + name[1:]}: on the page, not in the spec"
        assert difference in imported.report, f"{where}: {name!r} neither served nor reported"


def _check_json(served: Any, example: Any, imported: Imported, where: str) -> None:
    if isinstance(example, list):
        assert isinstance(served, list), f"{where}: the example is a list, the answer {served!r}"
        if served and example and isinstance(example[0], dict):
            _check_json(served[0], example[0], imported, where + "[0]")
    elif isinstance(example, dict):
        assert isinstance(served, dict), f"{where}: the example is an object, the answer {served!r}"
        _check_order(list(served), list(example), imported, where)
        for key, value in example.items():
            if isinstance(value, (dict, list)) and key in served:
                _check_json(served[key], value, imported, f"{where}.{key}")


def _check_xml(served: ET.Element, example: XmlElement, imported: Imported, where: str) -> None:
    assert served.tag == example.name, where
    names = {c.name for c in example.children}
    if len(names) == 1 and (len(example.children) > 1 or all(c.tag in names for c in served)):  # a list
        if len(served):
            _check_xml(served[0], example.children[0], imported, where + "[0]")
        return
    _check_order([child.tag for child in served], [c.name for c in example.children], imported, where)
    for child in example.children:
        found = served.find(child.name)
        if child.children and found is not None:
            _check_xml(found, child, imported, f"{where}/{child.name}")


def _check_table_order(keys: list[str], elements: list[str], page: Page, where: str) -> None:
    """Without examples, JSON keys and XML elements follow the rows of the table that lists them."""
    for served in (keys, elements):
        names = [name.lower() for name in served]
        table = max(page.tables, key=lambda t: len({r.name.lower() for r in t.rows} & set(names)))
        rows = [row.name.lower() for row in table.rows]
        assert [n for n in names if n in rows] == [r for r in rows if r in names], f"{where}: {served}"


def _pages(imported: Imported, method: str) -> list[Page]:
    return [page for page in imported.pages if page.method == method]


def test_every_page_answers_its_get_path_in_the_orders_of_its_examples(servers, imported):
    for page in _pages(imported, "GET"):
        url = _url(servers.url, page, imported.resource(page))
        where = f"{page.name} ({servers.core}): GET {url}"
        answer = call("GET", url)
        assert answer.status == 200, f"{where}: {answer.status} {answer.body!r}"
        assert answer.header("content-type").startswith("application/json"), where
        served = answer.json()
        collection = imported.resource(page).behaviour["kind"] == "collection"
        # A collection is seeded from its example's members: the checks below descend into the first.
        assert served or not collection or not _first(page, "json"), f"{where}: no member of the example"
        _check_json(served, _first(page, "json"), imported, where)
        answer = call("GET", url + "?encode=xml")
        assert answer.status == 200 and answer.header("content-type").startswith("application/xml"), where
        root = ET.fromstring(answer.body)
        assert len(root) or not collection or not _first(page, "json"), f"{where} (XML): no member"
        if _first(page, "xml") is not None:
            _check_xml(root, _first(page, "xml"), imported, where + " (XML)")
        if _first(page, "json") is None and isinstance(served, dict):  # no example: the table's order
            _check_table_order(list(served), [child.tag for child in root], page, where)


def test_every_page_is_hidden_below_its_revision(servers, imported):
    old = revision_tuple(servers.old_revision)
    hidden = 0
    for page in imported.pages:
        resource = imported.resource(page)
        url = _url("", page, resource)
        answer = call(page.method, servers.old_url + url, JSON, b"{}" if page.method == "POST" else None)
        where = f"{page.name} (from {resource.from_revision}) at {servers.old_revision}: {page.method} {url}"
        if revision_tuple(resource.from_revision) > old:
            hidden += 1
            # 405 when another method of the path is older
            assert (answer.status, answer.json()["code"]) in (
                (404, "NotFound"),
                (405, "MethodNotAllowed"),
            ), where
        elif page.method == "GET":
            assert answer.status == 200, f"{where}: {answer.status} {answer.body!r}"
    assert hidden, "some page names a revision to be hidden below"


def _value(prop: Any, objects: dict[str, Object], bound: str) -> Any:
    """A value the spec accepts for `prop`: its `bound` ("minimum" or "maximum") when it has a range, an
    array of one member for an array of objects, else its example or default."""
    kind = prop.kind
    if kind.type in ("integer", "number") and getattr(kind, bound) is not None:
        return getattr(kind, bound)
    if kind.type == "array" and kind.items.type == "object":
        return [_body(objects[kind.items.object], None, objects, bound)]
    return prop.example if prop.example is not None else prop.default


def _body(obj: Object, listed: set[str] | None, objects: dict[str, Object], bound: str) -> dict[str, Any]:
    """The writable properties of `obj` (only those in `listed`, when given) with accepted values."""
    return {
        p.json_key: _value(p, objects, bound)
        for p in obj.properties
        if p.writable and (listed is None or p.name.lower() in listed)
    }


def _xml(obj: Object, values: dict[str, Any], objects: dict[str, Object]) -> str:
    """`values` (by JSON key) as an XML body: the object's elements in XML order."""

    def element(name: str, kind: Any, value: Any) -> str:
        if kind.type == "object":
            inner = members(objects[kind.object], value)
        elif kind.type == "array":
            inner = "".join(element(kind.item_element, kind.items, item) for item in value)
        elif kind.type == "link":
            inner = f"<Href>{escape(value['href'])}</Href><Name>{escape(value['name'])}</Name>"
        else:
            inner = escape(str(value).lower() if isinstance(value, bool) else str(value))
        return f"<{name}>{inner}</{name}>"

    def members(of: Object, given: dict[str, Any]) -> str:
        return "".join(
            element(p.xml_element, p.kind, given[p.json_key])
            for p in of.xml_properties
            if p.json_key in given
        )

    return f'<?xml version="1.0" encoding="utf-8"?>\n<{obj.xml_element}>{members(obj, values)}</{obj.xml_element}>'


def test_every_post_page_accepts_the_body_it_describes(servers, imported):
    gets = {r.path.rstrip("/") for r in imported.spec.resources if r.method == "GET"}
    for page in _pages(imported, "POST"):
        resource = imported.resource(page)
        listed = {  # a row cut before its methods is one of the body's, as the importer infers
            row.name.lower()
            for table in page.tables
            for row in table.rows
            if "POST" in row.methods or not row.methods
        }
        url = _url(servers.url, page, resource)
        xml_from, served = resource.xml_body_from_revision, imported.spec.api["default_revision"]
        encodings = ["json"] + (
            ["xml"] if revision_tuple(xml_from or "1.0") <= revision_tuple(served) else []
        )
        for encoding, bound in zip(encodings, ("maximum", "minimum")):
            whole = _body(resource.request, listed, imported.spec.objects, bound)
            assert whole, f"{page.name}: the page lists no property to send"
            # A hook follows its page's prose, which may forbid some combinations (the clock's ISODateTime
            # goes with TimeZone only): there, each property is sent alone, as a partial update.
            bodies = [{k: v} for k, v in whole.items()] if resource.behaviour["kind"] == "hook" else [whole]
            for body in bodies:
                where = f"{page.name} ({servers.core}): POST {url} {body} in {encoding}"
                sent = (
                    json.dumps(body)
                    if encoding == "json"
                    else _xml(resource.request, body, imported.spec.objects)
                )
                answer = call("POST", url, {"Content-Type": f"application/{encoding}"}, sent)
                assert answer.status in (200, 201), f"{where}: {answer.status} {answer.body!r}"
            if resource.behaviour["kind"] == "job":
                uuid.UUID(next(iter(answer.json().values())))
            elif resource.behaviour["kind"] == "entity":
                assert {k: answer.json()[k] for k in body} == body, where
        if resource.behaviour["kind"] == "entity" and resource.path.rstrip("/") in gets:
            again = call("GET", url).json()
            assert {k: again[k] for k in body} == body, f"{where}: the GET after it"
            for get in (p for p in _pages(imported, "GET") if p.path == page.path):  # now with members
                _check_json(again, _first(get, "json"), imported, f"{where}: the GET after it")


def _answers(base: str, job_id: str) -> list[Answer]:
    job = f"{base}/system/backup/jobs/{job_id}/"
    return [
        call("GET", job + suffix) for suffix in ("", "?encode=xml", "?$select=progress", "progress/$value")
    ]


@needs_shared
def test_the_seed_page_changes_nothing_its_resource_serves(servers, imported):
    assert "checked Job against the spec" in imported.report
    with EmbeddedServer(port=0, clock="manual", job_duration=JOB_DURATION, core=servers.core) as committed:
        answers = []
        for base in (committed.url, servers.url):
            job_id = _start_job(base)
            origin = base.split("/api/rest/v1")[0]
            assert call("POST", origin + "/_emulator/clock/advance", JSON, b'{"seconds": 2}').status == 200
            answers.append(
                [
                    (a.status, a.header("content-type"), a.header("deprecation"), a.body)
                    for a in _answers(base, job_id)
                ]
            )
        assert answers[0] == answers[1]
        assert answers[0][0][0] == 200 and b'"progress":40' in answers[0][0][3]
