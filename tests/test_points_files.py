"""Point files: the facts' EDE example and a YABE 2.3 export load verbatim, the JSON and YAML point lists,
the default building, and bad files named by file, line and column (runtime/points/ede.py, pointfile.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.points.models import ObjectDatabase
from runtime.points.pointfile import PointFileError
from runtime.points.pointlists import default_building, load
from runtime.points.texts import to_text

FACTS_EXAMPLE = """\
# Proposal_Engineering-Data-Exchange - B.I.G.-EU;;;;;;;;;;;;;;;
PROJECT_NAME;EDEexample;;;;;;;;;;;;;;
VERSION_OF_REFERENCEFILE;1;;;;;;;;;;;;;;
TIMESTAMP_OF_LAST_CHANGE;19. Dez 05;;;;;;;;;;;;;;
AUTHOR_OF_LAST_CHANGE;G. Sampler;;;;;;;;;;;;;;
VERSION_OF_LAYOUT;2.2;;;;;;;;;;;;;;
#mandatory;mandatory;mandatory;mandatory;mandatory;optional;optional;optional;optional;optional;optional;optional;optional;optional;optional;optional
# keyname;device obj.-instance;object-name;object-type;object-instance;description;present-value-default;min-present-value;max-present-value;settable;supports COV;hi-limit;low-limit;state-text-reference;unit-code;vendor-specific-address
Building03Room15Temperature;10;RoomTemperature;0;4123;This is a Room Temperature;20;;;N;N;24;18;;62;T1.128.15
Building03Room15DamperPosition;10;Damper;1;1234;Damper in Duct 2;55;0;100;Y;Y;;;;98;D12.111.2345
"""

YABE_EXPORT = (
    "#Engineering-Data-Exchange - B.I.G.-EU\r\n"
    "PROJECT_NAME\r\n"
    "VERSION_OF_REFERENCEFILE\r\n"
    "TIMESTAMP_OF_LAST_CHANGE;06/12/2026\r\n"
    "AUTHOR_OF_LAST_CHANGE;YABE Yet Another Bacnet Explorer\r\n"
    "VERSION_OF_LAYOUT;2.3\r\n"
    "#mandatory;mandator;mandatory;mandatory;mandatory;optional;optional;optional;optional;optional;optional;"
    "optional;optional;optional;optional;optional\r\n"
    "# keyname;device obj.-instance;object-name;object-type;object-instance;description;present-value-default;"
    "min-present-value;max-present-value;settable;supports COV;hi-limit;low-limit;state-text-reference;"
    "unit-code;vendor-specific-addres\r\n"
    "OBJECT_DEVICE:3003;3003;Küche Regler;8;3003;Régulateur cuisine;;;;;;;;;\r\n"
    "OBJECT_ANALOG_VALUE:1;3003;Température consigne;2;1;Consigne °C;;;;;;;;;62\r\n"
    "OBJECT_BINARY_VALUE:2;3003;Ventilateur;5;2;;;;;;;;;0;\r\n"
    "OBJECT_MULTI_STATE_VALUE:3;3003;Mode;19;3;;;;;;;;;1;\r\n"
    "OBJECT_PROGRAM:1;3003;Prog;16;1;;;;;;;;;;\r\n"
)
YABE_STATE_TEXTS = (
    "#State Text Reference\r\n"
    "#Reference Number;Text 1 or Inactive-Text;Text 2 or Active-Text;Text 3\r\n"
    "0;Arrêt;Marche\r\n"
    "1;Confort;Réduit;Hors-gel\r\n"
)


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _text(db: ObjectDatabase, kind: str, instance: int, name: str) -> str:
    return to_text(*db.read(kind, instance, name))


def test_the_facts_ede_example_loads_verbatim(tmp_path):
    db = ObjectDatabase(load(_write(tmp_path / "EDE_2_2_example_EDE.csv", FACTS_EXAMPLE)))
    assert db.device_instance() == 10
    assert _text(db, "analogInput", 4123, "objectName") == "RoomTemperature"
    assert _text(db, "analogInput", 4123, "presentValue") == "20.0"
    assert _text(db, "analogInput", 4123, "highLimit") == "24.0"
    assert _text(db, "analogInput", 4123, "units") == "Degrees Celsius"
    assert _text(db, "analogOutput", 1234, "relinquishDefault") == "55.0"  # commandable: the default
    assert _text(db, "analogOutput", 1234, "maxPresValue") == "100.0"
    assert _text(db, "analogOutput", 1234, "units") == "Percent"
    db.write("analogOutput", 1234, "presentValue", "70", 8)
    with pytest.raises(Exception, match="value-out-of-range"):
        db.write("analogOutput", 1234, "presentValue", "101", 8)


def test_a_yabe_export_loads_with_latin1_crlf_and_its_state_texts(tmp_path):
    path = _write(tmp_path / "Device3003_EDE.csv", YABE_EXPORT, "latin-1")
    _write(tmp_path / "Device3003_StateTexts.csv", YABE_STATE_TEXTS, "latin-1")
    db = ObjectDatabase(load(path))
    assert db.device_instance() == 3003
    assert _text(db, "device", 3003, "objectName") == "Küche Regler"
    assert _text(db, "analogValue", 1, "objectName") == "Température consigne"
    assert _text(db, "binaryValue", 2, "activeText") == "Marche"
    assert _text(db, "multiStateValue", 3, "stateText") == "{Confort,Réduit,Hors-gel}"
    assert _text(db, "multiStateValue", 3, "numberOfStates") == "3"
    assert [p.kind.name for p in db.points.points] == ["analogValue", "binaryValue", "multiStateValue"]


def test_settable_n_makes_a_value_read_only_and_not_commandable(tmp_path):
    row = "K;1;SP;2;7;Setpoint;21;;;N;;;;;62"
    db = ObjectDatabase(load(_write(tmp_path / "p.csv", FACTS_EXAMPLE.splitlines()[7] + "\n" + row + "\n")))
    assert _text(db, "analogValue", 7, "presentValue") == "21.0"
    with pytest.raises(Exception, match="write-access-denied"):
        db.write("analogValue", 7, "presentValue", "22")
    with pytest.raises(Exception, match="unknown-property"):
        db.read("analogValue", 7, "priorityArray")


@pytest.mark.parametrize(
    "row,where,message",
    [
        ("X;11;Other;0;1;;;;;;;;;;62", ":11:3:", "one EDE file describes one device"),
        ("X;10;Bad;0;2;;warm;;;;;;;;", ":11:15:", "present-value-default: presentValue"),
        ("X;10;Bad;99999;2;;;;;;;;;;", ":11:10:", "not a BACnet object type"),
        ("X;10;Bad;0;2;;;;;Q;;;;;", ":11:18:", "settable"),
        ("X;10;Bad;5;2;;;;;;;;;7;", ":11:22:", "no state texts with reference '7'"),
        ("X;10;Dup;0;4123;;;;;;;;;;", ":11:12:", "defined twice"),
    ],
)
def test_a_bad_ede_row_is_named_by_file_line_and_column(tmp_path, row, where, message):
    path = _write(tmp_path / "bad.csv", FACTS_EXAMPLE + row + "\n")
    with pytest.raises(PointFileError) as caught:
        load(path)
    assert str(caught.value).startswith(f"{path}{where}"), str(caught.value)
    assert message in str(caught.value)


def test_json_and_yaml_point_lists(tmp_path):
    json_text = (
        '{"device": {"instance": 77, "objectName": "Lab"},\n'
        ' "objects": [\n'
        '  {"type": "analog-value", "instance": 1, "name": "SP", "units": "degrees-celsius",\n'
        '   "relinquishDefault": 21, "priorityArray": {"8": 23}},\n'
        '  {"type": "multistate-value", "instance": 2, "stateText": ["A", "B", "C"], "presentValue": 2,\n'
        '   "commandable": false}]}\n'
    )
    yaml_text = (
        "device:\n  instance: 77\n  objectName: Lab\nobjects:\n"
        "  - type: analogValue\n    instance: 1\n    name: SP\n    units: degreesCelsius\n"
        "    relinquishDefault: 21\n    priorityArray: {8: 23}\n"
        "  - type: multiStateValue\n    instance: 2\n    stateText: [A, B, C]\n    presentValue: 2\n"
        "    commandable: false\n"
    )
    for path in (_write(tmp_path / "p.json", json_text), _write(tmp_path / "p.yaml", yaml_text)):
        db = ObjectDatabase(load(path))
        assert db.device_instance() == 77
        assert _text(db, "analogValue", 1, "presentValue") == "23.0"
        assert _text(db, "analogValue", 1, "currentCommandPriority") == "8"
        assert _text(db, "multiStateValue", 2, "presentValue") == "2"


@pytest.mark.parametrize(
    "text,where,message",
    [
        (
            '{"objects": [\n  {"type": "analogValue", "instance": 1,\n   "units": "furlongs"}]}',
            ":3:13:",
            "units",
        ),
        ('{"objects": [\n  {"type": "pump", "instance": 1}]}', ":2:12:", "'pump' is not an object type"),
        (
            '{"objects": [\n  {"type": "analogValue", "instance": 1, "colour": 1}]}',
            ":2:52:",
            "no property 'colour'",
        ),
        ('{"objects": [\n  {"type": "analogValue",, "instance": 1}]}', ":2:26:", "not valid JSON"),
        ('{"objects": [\n  {"type": "analogValue", "instance": -4}]}', ":2:39:", "instance must be"),
        # NaN and Infinity are not JSON (Python's reader takes them): refused where they stand.
        (
            '{"objects": [\n  {"type": "analogValue", "instance": 1,\n   "relinquishDefault": NaN}]}',
            ":3:25:",
            "not valid JSON",
        ),
        (
            '{"objects": [\n  {"type": "analogValue", "instance": 1, "highLimit": -Infinity}]}',
            ":2:55:",
            "not valid JSON",
        ),
    ],
)
def test_a_bad_json_point_list_is_named_by_file_line_and_column(tmp_path, text, where, message):
    path = _write(tmp_path / "bad.json", text)
    with pytest.raises(PointFileError) as caught:
        load(path)
    assert str(caught.value).startswith(f"{path}{where}"), str(caught.value)
    assert message in str(caught.value)


def test_a_bad_yaml_point_list_names_the_line(tmp_path):
    path = _write(
        tmp_path / "bad.yaml", "objects:\n  - type: analogValue\n    instance: 1\n    units: furlongs\n"
    )
    with pytest.raises(PointFileError, match=r"bad.yaml:4:5: units"):
        load(path)


def test_the_default_building_has_every_kind_of_object_and_is_shared():
    points = default_building()
    kinds = {p.kind.name for p in points.points}
    for name in ("analogInput", "analogOutput", "analogValue", "binaryInput", "binaryOutput", "binaryValue"):
        assert name in kinds
    for name in (
        "multiStateInput",
        "multiStateOutput",
        "multiStateValue",
        "schedule",
        "calendar",
        "trendLog",
    ):
        assert name in kinds
    assert "notificationClass" in kinds
    assert default_building() is points  # one definition for every device using it
    db = ObjectDatabase(points)
    assert _text(db, "binaryOutput", 1, "presentValue") == "Active"
