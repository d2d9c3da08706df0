"""The election definition: validation names the bad field; the fingerprint is stable and binding."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from actas.canonical import canonical_json
from actas.election import Election
from actas.errors import FormatError
from actas.files import load_election, save_election

VECTOR = json.loads((Path(__file__).parents[1] / "vectors" / "acta-v1.json").read_text(encoding="utf-8"))


def definition() -> dict[str, Any]:
    return copy.deepcopy(VECTOR["definition"])


def test_vector_definition_has_the_published_fingerprint() -> None:
    election = Election.from_json(definition())
    assert election.fingerprint == VECTOR["fingerprint"]
    assert election.registered == 12
    assert [u.name for u in election.path(election.stations[0])] == ["Capital", "School No. 1"]


def test_round_trip_through_json_keeps_the_fingerprint(tmp_path: Path) -> None:
    election = Election.from_json(definition())
    save_election(election, tmp_path)
    again = load_election(tmp_path)
    assert again == election and again.fingerprint == election.fingerprint


def test_any_change_changes_the_fingerprint() -> None:
    base = Election.from_json(definition()).fingerprint
    changed = definition()
    changed["stations"][1]["registered"] = 6
    assert Election.from_json(changed).fingerprint != base


def test_canonical_json_is_rfc8785_for_integers_strings_and_nesting() -> None:
    # RFC 8785 section 3.2.3: members sorted by key, no white space, non-ASCII as UTF-8.
    assert (
        canonical_json({"b": [1, {"z": None, "a": True}], "a": "é\n"})
        == '{"a":"é\\n","b":[1,{"a":true,"z":null}]}'.encode()
    )
    with pytest.raises(FormatError):
        canonical_json({"x": 1.5})


def _set(obj: dict[str, Any], path: list[Any], value: Any) -> None:
    for key in path[:-1]:
        obj = obj[key]
    obj[path[-1]] = value


BAD = [
    (["format"], "actas-election/0", "$.format"),
    (["id"], "has space", "$.id"),
    (["date"], "2030-13-01", "$.date"),
    (["date"], 20300601, "$.date"),
    (["levels"], [], "$.levels"),
    (["units", 1, "parent"], "99", "$.units[1].parent"),
    (["units", 0, "parent"], "01001", "$.units[0].parent"),
    (["units", 1, "level"], "province", "$.units[1].level"),
    (["contests", 0, "options", 0, "candidate"], "Z", "$.contests[0].options[0].candidate"),
    (["contests", 0, "options", 0, "id"], "NULL", "$.contests[0].options[0].id"),
    (["contests", 0, "options", 1, "id"], "AZUL", "$.contests[0].options[1]"),
    (["contests", 0, "candidates", 1, "name"], "", "$.contests[0].candidates[1].name"),
    (["stations", 1, "registered"], -1, "$.stations[1].registered"),
    (["stations", 1, "registered"], "5", "$.stations[1].registered"),
    (["stations", 1, "registered"], True, "$.stations[1].registered"),
    (["stations", 1, "unit"], "01", "$.stations[1].unit"),
    (["stations", 1, "code"], "01001.01", "$.stations[1]"),
    (["stations", 1, "code"], "a=b", "$.stations[1].code"),
    (["surprise"], 1, "$"),
]


@pytest.mark.parametrize(("path", "value", "named"), BAD)
def test_each_bad_field_is_refused_naming_it(path: list[Any], value: Any, named: str) -> None:
    bad = definition()
    _set(bad, path, value)
    with pytest.raises(FormatError) as caught:
        Election.from_json(bad)
    assert named in str(caught.value)


def test_a_candidate_without_a_ballot_option_is_refused() -> None:
    bad = definition()
    bad["contests"][0]["candidates"].append({"id": "C", "name": "Carla"})
    with pytest.raises(FormatError, match="every candidate"):
        Election.from_json(bad)


@pytest.mark.parametrize("text", ["{", "[]", '"x"', "null", "{}"])
def test_files_that_are_not_definitions_are_refused(tmp_path: Path, text: str) -> None:
    (tmp_path / "election.json").write_text(text, encoding="utf-8")
    with pytest.raises(FormatError):
        load_election(tmp_path)


def test_a_file_in_another_encoding_is_refused(tmp_path: Path) -> None:
    (tmp_path / "election.json").write_bytes(json.dumps(definition()).replace("Capital", "Capitál").encode("utf-16"))
    with pytest.raises(FormatError, match="UTF-8"):
        load_election(tmp_path)
