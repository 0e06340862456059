"""`python -m codegen import` on the forms real pages take, and on hostile text (issue 7/7, item 1).

The pages of tests/fixtures/pages/forms/ are written for these tests in the vendor's page format, one per
form that vendor pages take: a method and its path on two lines, a row without its type cell, one object name
for two shapes, a settings page documenting only its PUT, a complete example whose keys differ from the table,
object and parameter names that are Python keywords. They are imported into a copy of spec/ and served on
both cores. Hostile pages are made here: each is a page error naming file, line and why (exit 2), and the
pages beside it are imported all the same.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from _support import ROOT, Cli, call
from codegen.importer import page_file_name, run

FORMS = ROOT / "tests" / "fixtures" / "pages" / "forms"
FORM_PAGES = sorted(FORMS.glob("*.txt"))
JSON = {"Content-Type": "application/json"}
XML = {"Content-Type": "application/xml", "Accept": "application/xml"}
HEAD = "# source: written for the tests of the page importer (not a vendor page)\n# copy: complete\n"
TABLE = (
    "Object Name: Thing\nProperty Name | Type | Description | Method |\n---|---|---|---|\n"
    "Value | Integer | A value. | GET |\n"
)


def _import(files: list[Path], spec_dir: Path) -> tuple[int, str, str]:
    out: list[str] = []
    err: list[str] = []
    code = run(files, spec_dir, out=out.append, err=err.append)
    return code, "\n".join(out), "\n".join(err)


def _spec_copy(tmp_path: Path) -> Path:
    spec = tmp_path / "spec"
    shutil.copytree(ROOT / "spec", spec)
    return spec


def _doc(spec_dir: Path, path: str) -> dict:
    return yaml.safe_load((spec_dir / page_file_name(path)).read_text(encoding="utf-8"))


def _props(obj: dict) -> dict[str, dict]:
    return {p["name"]: p for p in obj["properties"]}


def _page(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(HEAD + text, encoding="utf-8")
    return path


# --- the forms, as written into the spec ---------------------------------------------------------------


def test_a_method_and_its_path_on_two_lines_and_a_row_without_its_type_cell(tmp_path: Path) -> None:
    code, out, err = _import([FORMS / "Hvac__Pumps__ID__GET-pump.txt"], tmp_path)
    assert code == 0, err
    doc = _doc(tmp_path, "/hvac/pumps/{pumpId}/")
    (resource,) = doc["resources"]
    assert (resource["method"], resource["path"], resource["from_revision"]) == (
        "GET",
        "/hvac/pumps/{pumpId}/",
        "6.2",
    )
    pump = _props(doc["objects"]["Pump"])
    # the description slid into the type column: the example's value 0 tells an integer, and the report says so
    assert pump["Starts"]["type"] == "integer" and pump["Starts"]["default"] == 0
    assert "Pump.Starts.type: the row has no type cell; integer from the example value 0" in out
    # no example shows Remark: untyped, taken as a string
    assert pump["Remark"]["type"] == "string"
    assert "Pump.Remark.type: the row has no type cell; no example shows it: a string" in out
    assert (pump["Speed"]["minimum"], pump["Speed"]["maximum"]) == (0, 100)


@pytest.mark.parametrize("together", [True, False], ids=["one-run", "two-runs"])
def test_an_object_name_two_pages_give_different_shapes_is_scoped(tmp_path: Path, together: bool) -> None:
    spec = _spec_copy(tmp_path)
    boilers, chillers = (
        FORMS / "Hvac__Boilers__Discover__POST-discover.txt",
        FORMS / "Hvac__Chillers__Discover__POST-discover.txt",
    )
    runs = [[boilers, chillers]] if together else [[boilers], [chillers]]
    outs = []
    for files in runs:
        code, out, err = _import(files, spec)
        assert code == 0, err
        outs.append(out)
    first = _doc(spec, "/hvac/boilers/discover")["objects"]
    second = _doc(spec, "/hvac/chillers/discover")["objects"]
    assert list(first) == ["DiscoveryRequest"] and list(second) == ["ChillersDiscoveryRequest"]
    # each keeps its page's wire names
    assert second["ChillersDiscoveryRequest"]["xml_element"] == "DiscoveryRequest"
    assert [p["json_key"] for p in second["ChillersDiscoveryRequest"]["properties"]] == [
        "firstAddress",
        "lastAddress",
    ]
    assert [p["json_key"] for p in first["DiscoveryRequest"]["properties"]] == ["timeout"]
    assert "object DiscoveryRequest is named ChillersDiscoveryRequest in the spec" in "\n".join(outs)


def test_a_settings_page_of_only_its_put_is_made_readable(tmp_path: Path) -> None:
    code, out, err = _import([FORMS / "Hvac__Ventilation__PUT-ventilation.txt"], tmp_path)
    assert code == 0, err
    get, put = _doc(tmp_path, "/hvac/ventilation")["resources"]
    assert (get["method"], get["response"], get["behaviour"]) == ("GET", "Ventilation", {"kind": "entity"})
    assert (put["method"], put["request"], put["from_revision"]) == ("PUT", "Ventilation", "6.0")
    assert "GET /hvac/ventilation made readable: the page documents only its PUT" in out


def test_a_later_get_page_replaces_the_get_a_settings_page_implied(tmp_path: Path) -> None:
    post, get = (
        ROOT / "tests" / "fixtures" / "pages" / f"Hvac__Zones__ID__{m}-zone.txt" for m in ("POST", "GET")
    )
    assert _import([post], tmp_path)[0] == 0
    code, out, _ = _import([get], tmp_path)
    assert code == 0 and "replaces the GET that a settings page implied" in out
    resources = _doc(tmp_path, "/hvac/zones/{zoneId}/")["resources"]
    assert [r["method"] for r in resources] == ["GET", "POST"]
    assert resources[0]["parameters"][0]["type"] == "integer"  # as the GET page's URL example says


def test_a_complete_example_of_other_keys_wins_for_the_wire(tmp_path: Path) -> None:
    code, out, err = _import([FORMS / "Hvac__Groups__GET-groups.txt"], tmp_path)
    assert code == 0, err
    groups = _props(_doc(tmp_path, "/hvac/groups")["objects"]["Groups"])
    assert list(groups) == ["ZoneGroups"]  # the table's Groups is left out of the wire, and reported
    assert "Groups.Groups: in the table, not in the complete example" in out and "left out" in out
    assert groups["ZoneGroups"]["default"] == [{"href": "/api/rest/v1/hvac/groups/north", "name": "north"}]


def test_python_keywords_become_valid_names_and_the_spec_generates(tmp_path: Path) -> None:
    spec = _spec_copy(tmp_path)
    code, out, err = _import([FORMS / "Hvac__Import__ID__GET-lambda.txt"], spec)
    assert code == 0, err
    objects = _doc(spec, "/hvac/import/{lambda}")["objects"]
    assert set(objects) == {"Class", "Import"}
    assert objects["Class"]["xml_element"] == "class" and objects["Import"]["xml_element"] == "import"
    assert "object class is named Class in the spec (a Python name); the wire keeps <class>" in out
    from codegen.generate import write_files

    out_dir = tmp_path / "generated"
    assert "client.py" in write_files(spec, out_dir)  # black accepts every generated file
    compile((out_dir / "client.py").read_text(), "client.py", "exec")


# --- many pages at once ----------------------------------------------------------------------------


def test_many_pages_import_all_that_can_be_and_name_each_that_cannot(tmp_path: Path) -> None:
    spec = _spec_copy(tmp_path)
    unreadable = _page(tmp_path, "unreadable.txt", "GET /hvac/thing\n" + TABLE.replace("Integer", "Float"))
    unloadable = _page(
        tmp_path,
        "unloadable.txt",
        "GET /hvac/odd\n" + TABLE.replace("A value.", "A value. Min : 9 Max : 1"),  # a range the spec refuses
    )
    before = {p.name for p in spec.iterdir()}
    code, out, err = _import([*FORM_PAGES, unreadable, unloadable], spec)
    assert code == 2
    assert f"page error: {unreadable}:7: unknown type 'Float' of property Value" in err
    assert f"page error: {unloadable}:3: with this page the spec would not load:" in err
    assert "is above the maximum 1" in err and "2 page(s) not imported; the other pages were imported" in err
    written = {p.name for p in spec.iterdir()} - before
    assert written == {
        page_file_name(p)
        for p in (
            "/hvac/pumps/{pumpId}/",
            "/hvac/boilers/discover",
            "/hvac/chillers/discover",
            "/hvac/ventilation",
            "/hvac/groups",
            "/hvac/import/{lambda}",
        )
    }
    from codegen.model import load_spec

    load_spec(spec)  # what was written loads


def test_a_failed_write_leaves_the_spec_folder_as_it_was(tmp_path: Path, monkeypatch) -> None:
    spec = _spec_copy(tmp_path)
    before = {p.name: p.read_bytes() for p in spec.iterdir()}
    written: list[Path] = []
    real = Path.write_text

    def full_disk(self: Path, *args, **kwargs):  # the second page file written into the folder does not fit
        if self.parent == spec:
            if len(written) == 1:
                raise OSError(28, "No space left on device")
            written.append(self)
        return real(self, *args, **kwargs)

    import codegen.importer.write as write

    monkeypatch.setattr(write.Path, "write_text", full_disk)
    code, _, err = _import(FORM_PAGES, spec)
    monkeypatch.undo()
    assert code == 2 and "No space left on device" in err and "nothing was written" in err
    assert {p.name: p.read_bytes() for p in spec.iterdir()} == before


# --- hostile text ----------------------------------------------------------------------------------

DEPTH = 100_000
HOSTILE = {
    "deep-json": (
        "GET /hvac/deep\n"
        + TABLE
        + "URL Example: https://h/api/rest/v1/hvac/deep\n"
        + '{"value": ' * DEPTH
        + "1"
        + "}" * DEPTH
        + "\n",
        9,
        "the JSON example nests deeper than 32 levels",
    ),
    "deep-xml": (
        "GET /hvac/deep\n"
        + TABLE
        + "URL Example: https://h/api/rest/v1/hvac/deep\n"
        + "<Thing>" * DEPTH
        + "</Thing>" * DEPTH
        + "\n",
        9,
        "the XML example nests deeper than 32 levels",
    ),
    "long-segment": (
        "GET /hvac/" + "a" * 300 + "\n" + TABLE,
        3,
        "a segment of the path is 300 characters long",
    ),
    "nul-in-path": ("GET /hvac/a\x00b\n" + TABLE, 3, "the path holds the control character '\\x00'"),
    "dot-segments": ("GET /../../x\n" + TABLE, 3, "the path '/../../x' has a dot segment '..'"),
    "huge-integer": (
        "GET /hvac/big\n"
        + TABLE
        + "URL Example: https://h/api/rest/v1/hvac/big\n"
        + '{"value": '
        + str(10**400)
        + "}\n",
        9,
        "has 401 digits (at most 18)",
    ),
    "huge-float": (
        "GET /hvac/big\n" + TABLE + 'URL Example: https://h/api/rest/v1/hvac/big\n{"value": 1e400}\n',
        9,
        "the number 1e400 is beyond a 64-bit float",
    ),
    "huge-xml-integer": (
        "GET /hvac/big\n"
        + TABLE
        + "URL Example: https://h/api/rest/v1/hvac/big\n"
        + "<Thing><Value>"
        + str(10**400)
        + "</Value></Thing>\n",
        9,
        "has 401 digits (at most 18)",
    ),
    "huge-minimum": (
        "GET /hvac/big\n" + TABLE.replace("A value.", "A value. Min : " + "9" * 5000 + " Max : 5"),
        7,
        "a Min or Max of 5000 digits for Value (at most 18)",
    ),
    "no-table": ("POST /hvac/reset\nResets the plant.\n", 3, "the page has no property table"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_text_is_a_page_error_naming_file_and_line(name: str, tmp_path: Path) -> None:
    text, line, why = HOSTILE[name]
    page = _page(tmp_path, f"{name}.txt", text)
    spec = tmp_path / "spec"
    spec.mkdir()
    good = FORMS / "Hvac__Groups__GET-groups.txt"
    code, _, err = _import([page, good], spec)
    assert code == 2
    assert f"page error: {page}:{line}: " in err and why in err, err
    assert [p.name for p in spec.iterdir()] == [page_file_name("/hvac/groups")]  # the other page is imported


def test_a_row_continued_over_sixty_thousand_lines_is_one_row(tmp_path: Path) -> None:
    lines = 60_000
    page = _page(
        tmp_path,
        "long-row.txt",
        "GET /hvac/long\nObject Name: Thing\nProperty Name | Type | Description | Method |\n---|---|---|---|\n"
        "Value | Integer | A value\n" + "that goes on\n" * lines + "| GET |\n",
    )
    from codegen.importer.pages import read_pages

    (parsed,) = read_pages(page)
    (row,) = parsed.tables[0].rows
    assert (row.name, row.type, row.methods, row.line) == ("Value", "Integer", ("GET",), 7)
    assert row.description.count("that goes on") == lines
    spec = tmp_path / "spec"
    spec.mkdir()
    assert _import([page], spec)[0] == 0


# --- served --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def forms_spec(tmp_path_factory) -> Path:
    spec = tmp_path_factory.mktemp("forms") / "spec"
    shutil.copytree(ROOT / "spec", spec)
    out: list[str] = []
    assert run(FORM_PAGES, spec, out=out.append, err=out.append) == 0, "\n".join(out)
    return spec


@pytest.fixture(scope="module", params=["asyncio", "threads"])
def served(request, forms_spec: Path, tmp_path_factory) -> Iterator[str]:
    env = {"XDG_CACHE_HOME": str(tmp_path_factory.mktemp("cache"))}
    args = ["--spec", str(forms_spec), "--port", "0", "--quiet", "--core", request.param]
    with Cli(*args, env=env) as server:
        yield server.url(timeout=120)


def test_served_a_put_sets_what_the_next_get_shows(served: str) -> None:
    assert call("GET", served + "/hvac/ventilation").json() == {"enabled": True, "flowRate": 60}
    answer = call("PUT", served + "/hvac/ventilation", JSON, b'{"enabled": false, "flowRate": 20}')
    assert answer.status == 200, answer.body
    assert call("GET", served + "/hvac/ventilation").json() == {"enabled": False, "flowRate": 20}


def test_served_the_complete_example_as_it_is(served: str) -> None:
    example = (FORMS / "Hvac__Groups__GET-groups.txt").read_text().split("/hvac/groups\n", 2)[-1]
    assert call("GET", served + "/hvac/groups").json() == json.loads(example)


def test_served_each_page_keeps_its_wire_names(served: str) -> None:
    body = b"<DiscoveryRequest><FirstAddress>2</FirstAddress><LastAddress>3</LastAddress></DiscoveryRequest>"
    answer = call("POST", served + "/hvac/chillers/discover", XML, body)
    assert answer.status == 200 and b"<DiscoveryRequest>\n<FirstAddress>2</FirstAddress>" in answer.body
    answer = call("POST", served + "/hvac/boilers/discover", JSON, b'{"timeout": 5}')
    assert answer.status == 200 and answer.json() == {"timeout": 5}
    assert call("GET", served + "/hvac/import/first").json() == {"import": 3, "lambda": []}
    assert call("GET", served + "/hvac/pumps/4/").json() == {
        "label": "Return pump",
        "speed": 40,
        "starts": 0,
        "remark": "",
    }
