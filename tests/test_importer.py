"""`python -m codegen import`: vendor pages into spec YAML (codegen/importer/).

The pages of tests/fixtures/pages/ are written for these tests in the vendor's format; each imports alone
into an empty spec folder and must give its golden YAML (tests/fixtures/pages/golden/; UPDATE_GOLDEN=1
rewrites them). The loader is not asked to accept the YAML: the importer's output is checked itself.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from codegen import __main__ as cli
from codegen.importer import page_file_name, run
from codegen.importer.lenient import parse_json_lenient
from codegen.importer.pages import parse_text

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "tests" / "fixtures" / "pages"
GOLDEN = PAGES / "golden"
SHARED = ROOT.parent / "shared"
PAGE_FILES = sorted(PAGES.glob("*.txt"))


def _import(files, spec_dir: Path) -> tuple[int, str, str]:
    out, err = [], []
    code = run([Path(f) for f in files], spec_dir, out=out.append, err=err.append)
    return code, "\n".join(out), "\n".join(err)


def _written(spec_dir: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(spec_dir.glob("path.*.yaml"))}


def _objects(spec_dir: Path) -> dict:
    objects = {}
    for text in _written(spec_dir).values():
        objects.update(yaml.safe_load(text)["objects"])
    return objects


def _props(obj: dict) -> dict:
    return {p["name"]: p for p in obj["properties"]}


@pytest.mark.parametrize("page", PAGE_FILES, ids=[p.stem for p in PAGE_FILES])
def test_each_page_gives_its_golden_yaml(page: Path, tmp_path: Path) -> None:
    code, out, err = _import([page], tmp_path)
    assert code == 0, err
    written = _written(tmp_path)
    assert len(written) == 1
    (text,) = written.values()
    golden = GOLDEN / (page.stem + ".yaml")
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")
    yaml.safe_load(text)  # valid YAML


def test_table_variations(tmp_path: Path) -> None:
    code, out, _ = _import([PAGES / "Hvac__Zones__ID__GET-zone.txt"], tmp_path)
    assert code == 0
    (resource,) = yaml.safe_load(_written(tmp_path)[page_file_name("/hvac/zones/{zoneId}/")])["resources"]
    assert resource["from_revision"] == "5.1" and resource["deprecated"] is True
    assert resource["parameters"][0] == {
        "name": "zoneId",
        "type": "integer",
        "description": resource["parameters"][0]["description"],
        "in": "path",
    }
    zone = _props(_objects(tmp_path)["Zone"])
    # `propertyName | type | description | get |` header, `Setpoint required` broken across three lines
    assert zone["Setpoint"]["methods"] == ["GET", "POST"]
    assert (zone["Setpoint"]["minimum"], zone["Setpoint"]["maximum"]) == (5, 35)
    assert "marked required" in out
    assert zone["Health"]["type"] == "enum" and zone["Health"]["values"] == [
        "OK",
        "WARNING_COLD",
        "ALARM_HOT",
    ]
    # orders from both examples: JSON order and XML order differ
    assert zone["Setpoint"]["order"] == {"json": 2, "xml": 1}
    assert zone["Label"]["order"] == {"json": 1, "xml": 2}
    # Object with a link example, Array <String>, Array <X> of an undefined X, empty types
    assert zone["Controller"]["type"] == "link"
    assert zone["Tags"]["items"] == "string" and zone["Tags"]["example"] == ["quiet", "sunny"]
    assert zone["Sensors"]["items"] == {"type": "link"}
    assert zone["Since"]["type"] == "string" and zone["Since"]["format"] == "datetime"
    assert zone["Opened"]["format"] == "date"
    # a table type contradicted by the example: the example wins, and the report says so
    assert zone["Serial"]["type"] == "string"
    assert "the table says Integer, the example shows string: the example wins" in out
    text = _written(tmp_path)[page_file_name("/hvac/zones/{zoneId}/")]
    assert (
        "type: string  # inferred: the table says Integer, the example shows string: the example wins" in text
    )
    # descriptions are neutral placeholders, never the page's prose
    assert "Wanted temperature" not in text and "TODO: rewrite in our own words" in text


def test_get_and_post_of_one_path_share_a_file(tmp_path: Path) -> None:
    pages = [PAGES / "Hvac__Zones__ID__POST-zone.txt", PAGES / "Hvac__Zones__ID__GET-zone.txt"]
    code, out, _ = _import(pages, tmp_path)
    assert code == 0
    doc = yaml.safe_load(_written(tmp_path)[page_file_name("/hvac/zones/{zoneId}/")])
    assert [r["method"] for r in doc["resources"]] == ["GET", "POST"]
    post = doc["resources"][1]
    assert post["request"] == post["response"] == "Zone" and post["behaviour"] == {"kind": "entity"}
    zone = _props(doc["objects"]["Zone"])
    assert zone["Mode"]["methods"] == ["GET", "POST"]  # `... | method |` header, `Mode optional`
    assert "Health" in zone  # what the POST page does not say is kept


def test_job_starter_two_copies_and_cut_off_lists(tmp_path: Path) -> None:
    code, out, _ = _import([PAGES / "Hvac__Export__POST-export.txt"], tmp_path)
    assert code == 0
    doc = yaml.safe_load(_written(tmp_path)["path.hvac.export.yaml"])
    (resource,) = doc["resources"]
    assert resource["behaviour"] == {"kind": "job", "type": "EXPORT"}
    assert (resource["request"], resource["response"]) == ("Export", "ExportStart")
    assert resource["xml_body_from_revision"] == "6.4" and "XML bodies from revision 6.4" in out
    parts = _props(doc["objects"]["Export"])["Parts"]
    assert parts["items"] == {
        "type": "enum",
        "values": ["ZONES", "SENSORS", "SCHEDULES"],
    }  # copy B went further
    assert "2 copies merged" in out
    assert "json example at line" in out and "cut off" in out
    assert "examples" not in resource  # a cut-off example is not kept


def test_tables_without_object_name_and_a_cut_row(tmp_path: Path) -> None:
    code, out, _ = _import([PAGES / "Hvac__Archive__GET-archive.txt"], tmp_path)
    assert code == 0
    assert "has no Object Name" in out
    mood = _props(_objects(tmp_path)["Archive2"])["Mood"]
    assert mood["values"] == ["GOOD", "BAD"]
    assert "dropped the partial last value 'UGL'" in out
    assert (
        "# inferred: the page does not say (cut off or left out)"
        in _written(tmp_path)["path.hvac.archive.yaml"]
    )


def test_collection_and_runtime_owned_values(tmp_path: Path) -> None:
    code, out, _ = _import(
        [PAGES / "Hvac__Zones__GET-zones.txt", PAGES / "Hvac__About__GET-about.txt"], tmp_path
    )
    assert code == 0
    (zones,) = yaml.safe_load(_written(tmp_path)["path.hvac.zones.yaml"])["resources"]
    assert zones["response_shape"] == "array" and zones["behaviour"] == {"kind": "collection", "key": "Name"}
    revision = _props(_objects(tmp_path)["About"])["ApiRevision"]
    assert "example" not in revision and revision["default"] != "1.0"
    assert "not taken (the runtime serves --api-revision)" in out


def test_import_is_idempotent_and_deterministic(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    assert _import(PAGE_FILES, first)[0] == 0
    once = _written(first)
    code, out, _ = _import(PAGE_FILES, first)
    assert code == 0 and _written(first) == once and "wrote" not in out
    assert _import(list(reversed(PAGE_FILES)), second)[0] == 0
    assert _written(second) == once


def test_a_merge_keeps_what_a_person_wrote(tmp_path: Path) -> None:
    page = PAGES / "Hvac__Zones__ID__GET-zone.txt"
    assert _import([page], tmp_path)[0] == 0
    path = tmp_path / page_file_name("/hvac/zones/{zoneId}/")
    edited = path.read_text().replace(
        "type: string  # inferred: the table says Integer", "type: integer  # x"
    )
    edited = edited.replace("behaviour: {kind: entity}", "behaviour: {kind: hook, hook: zone}")
    path.write_text(edited)
    code, out, _ = _import([page], tmp_path)
    assert code == 0
    doc = yaml.safe_load(path.read_text())
    assert doc["resources"][0]["behaviour"] == {"kind": "hook", "hook": "zone"}
    assert _props(doc["objects"]["Zone"])["Serial"]["type"] == "integer"
    assert "Zone.Serial.type: the page gives 'string', the spec keeps 'integer'" in out


def test_the_seed_changes_nothing_in_the_spec(tmp_path: Path) -> None:
    spec = tmp_path / "spec"
    shutil.copytree(ROOT / "spec", spec)
    before = {p.name: p.read_bytes() for p in spec.iterdir()}
    page = SHARED / "seeds" / "000_6ccc24178df7d9fa.txt"
    if not page.exists():
        pytest.skip(f"{page} is absent (../shared is not next to the checkout)")
    code, out, _ = _import([page], spec)
    assert code == 0
    assert {p.name: p.read_bytes() for p in spec.iterdir()} == before
    assert "checked Job against the spec" in out and "differs" not in out


def test_a_name_used_on_another_path_is_qualified(tmp_path: Path) -> None:
    spec = tmp_path / "spec"
    shutil.copytree(ROOT / "spec", spec)
    code, out, _ = _import([PAGES / "Hvac__Backup__Jobs__GET-job.txt"], spec)
    assert code == 0
    objects = _objects(spec)
    assert "Job" not in objects  # the seed's stays Job (objects.yaml)
    (name,) = objects
    assert name != "Job" and name.endswith("Job") and objects[name]["xml_element"] == "Job"
    assert f"object Job is named {name} in the spec" in out and "the wire keeps <Job>" in out
    assert (
        yaml.safe_load((spec / "objects.yaml").read_text())["objects"]["Job"]["properties"][0]["name"]
        == "Progress"
    )


@pytest.mark.parametrize("bad", sorted((PAGES / "bad").glob("*.txt")), ids=lambda p: p.stem)
def test_an_unreadable_page_is_an_error_naming_file_and_line(bad: Path, tmp_path: Path) -> None:
    code, out, err = _import([PAGES / "Hvac__Zones__GET-zones.txt", bad], tmp_path)
    assert code == 2
    assert f"{bad}:" in err and any(f"{bad}:{n}:" in err for n in range(1, 20))
    assert "1 page(s) not imported" in err
    assert list(_written(tmp_path)) == ["path.hvac.zones.yaml"]  # the readable page is imported


def test_the_command_line(tmp_path: Path, capsys) -> None:
    assert cli.main(["import", str(PAGES / "bad" / "unknown-type.txt"), "--into", str(tmp_path)]) == 2
    assert "unknown-type.txt:8: unknown type 'Float'" in capsys.readouterr().err
    assert cli.main(["import", str(PAGES / "Hvac__Zones__GET-zones.txt"), "--into", str(tmp_path)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert cli.main(["--check"]) == 0  # the generator's own command line is unchanged


def test_lenient_json_keeps_what_precedes_the_cut() -> None:
    value, cut = parse_json_lenient('{"a": 1, "b": [{"c": "x"}, {"d": "y')
    assert cut and value == {"a": 1, "b": [{"c": "x"}, {}]}
    assert parse_json_lenient('{"a": 1}') == ({"a": 1}, False)


def test_a_row_left_without_methods_before_the_next_block() -> None:
    text = (PAGES / "Hvac__Export__POST-export.txt").read_text()
    (page,) = parse_text(text, "export.txt")
    job_id = page.tables[0].rows[0]
    assert job_id.name == "JobId" and job_id.methods == () and job_id.cut_off


@pytest.mark.skipif(not (SHARED / "vendor-pages").is_dir(), reason=f"{SHARED}/vendor-pages is absent")
def test_every_shared_page_imports_into_a_copy_of_the_spec(tmp_path: Path) -> None:
    spec = tmp_path / "spec"
    shutil.copytree(ROOT / "spec", spec)
    pages = sorted((SHARED / "vendor-pages").glob("*.txt"))
    code, out, err = _import(pages, spec)
    assert code == 0, err
    for text in _written(spec).values():
        doc = yaml.safe_load(text)
        assert doc["resources"] and isinstance(doc["objects"], dict)
    objects = _objects(spec)
    # /info/bacnet is written by hand in the spec (spec/info.yaml): the import checks it and writes nothing.
    assert "Bacnet" not in objects and "checked Bacnet against the spec" in out
    assert (
        "WritePropertyMultiplePropertyReference" in objects
    )  # PropertyReference is also read-property-multiple's
    again = _written(spec)
    assert _import(pages, spec)[0] == 0 and _written(spec) == again


def test_a_new_path_with_objects_and_tables_of_its_own(tmp_path: Path) -> None:
    get, post = (
        PAGES / "Hvac__Schedules__ID__GET-schedule.txt",
        PAGES / "Hvac__Schedules__ID__POST-schedule.txt",
    )
    code, out, _ = _import([post, get], tmp_path)
    assert code == 0
    doc = yaml.safe_load(_written(tmp_path)[page_file_name("/hvac/schedules/{scheduleName}/")])
    assert [(r["method"], r["from_revision"], r["behaviour"]) for r in doc["resources"]] == [
        ("GET", "7.5", {"kind": "entity"}),
        ("POST", "7.5", {"kind": "entity"}),
    ]
    slots = _props(doc["objects"]["Schedule"])["Slots"]
    assert slots["items"] == {"type": "object", "object": "Slot"} and slots["xml_item"] == "Slot"
    slot = _props(doc["objects"]["Slot"])
    assert slot["Day"]["values"] == ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
    assert slot["At"]["format"] == "time" and (slot["Level"]["minimum"], slot["Level"]["maximum"]) == (0, 3)
    assert [slot[n]["order"] for n in ("Day", "At", "Level")] == [
        {"json": 1, "xml": 2},
        {"json": 3, "xml": 1},
        {"json": 2, "xml": 3},
    ]  # the GET page's examples, which the POST page (tables only) does not contradict
    assert "differs" not in out


def test_a_later_import_replaces_what_an_earlier_one_inferred(tmp_path: Path) -> None:
    """The `# inferred:` marks are read back from the page file: a page that states the value wins."""
    get, post = (
        PAGES / "Hvac__Schedules__ID__GET-schedule.txt",
        PAGES / "Hvac__Schedules__ID__POST-schedule.txt",
    )
    assert _import([post], tmp_path)[0] == 0
    name = page_file_name("/hvac/schedules/{scheduleName}/")
    assert "order: {json: 1, xml: 1}  # inferred" in _written(tmp_path)[name]
    code, out, _ = _import([get], tmp_path)
    assert code == 0 and "replacing the inferred" in out
    together = tmp_path / "together"
    together.mkdir()
    assert _import([get, post], together)[0] == 0

    def slot(spec_dir: Path) -> list[dict]:  # the placeholder descriptions name the first page
        props = yaml.safe_load(_written(spec_dir)[name])["objects"]["Slot"]["properties"]
        return [{k: v for k, v in p.items() if k != "description"} for p in props]

    assert slot(tmp_path) == slot(together)


def test_a_page_without_a_revision_takes_that_of_its_path(tmp_path: Path) -> None:
    pages = [PAGES / "Hvac__Zones__ID__GET-zone.txt", PAGES / "Hvac__Zones__ID__POST-zone.txt"]
    code, out, _ = _import(pages, tmp_path)
    assert code == 0 and "the path's other methods have it" in out
    get, post = yaml.safe_load(_written(tmp_path)[page_file_name("/hvac/zones/{zoneId}/")])["resources"]
    assert post["from_revision"] == get["from_revision"] == "5.1"
    assert post["parameters"][0]["type"] == get["parameters"][0]["type"] == "integer"


def test_pages_the_spec_would_not_load_with_are_refused_and_nothing_is_written(tmp_path: Path) -> None:
    spec = tmp_path / "spec"
    shutil.copytree(ROOT / "spec", spec)
    # A hand-written resource already has the page's operation name.
    (holder,) = [p for p in spec.glob("*.yaml") if "operation: get_info\n" in p.read_text()]
    holder.write_text(holder.read_text().replace("operation: get_info\n", "operation: get_hvac_zones\n"))
    before = {p.name: p.read_bytes() for p in spec.iterdir()}
    code, _, err = _import([PAGES / "Hvac__Zones__GET-zones.txt"], spec)
    assert code == 2 and "nothing was written" in err
    assert "spec/path.hvac.zones.yaml:" in err and "duplicate operation 'get_hvac_zones'" in err
    assert {p.name: p.read_bytes() for p in spec.iterdir()} == before
