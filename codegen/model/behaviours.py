"""What answers a resource in the runtime (its `behaviour`), and a collection's initial members (`seed`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..loader import LocatedList
from ...runtime.core.codec import BodyError, Kind
from .checker import Checker, unique
from .kinds import check_value
from .names import OPERATION, PATH_PARAMETER
from .spec import Object, Resource, Seed

# The behaviour kinds the runtime implements, and the fields each takes besides `kind`.
BEHAVIOURS = {"entity": set(), "collection": {"key"}, "job": {"type"}, "hook": {"hook"}}
# Fields a kind may take: an entity's `hook` completes its stored values with live ones (an uptime).
OPTIONAL = {"entity": {"hook"}}


def read_behaviour(checker: Checker, response: Object | None) -> dict[str, Any]:
    """The runtime behaviour a resource declares; `hook` names a runtime function (checked at start-up)."""
    if "behaviour" not in checker.node:
        raise checker.fail(None, f"missing field 'behaviour' (one of {', '.join(BEHAVIOURS)})")
    bc = checker.child("behaviour")
    kind = bc.get("kind", str, choices=tuple(BEHAVIOURS))
    optional = OPTIONAL.get(kind, set())
    bc.only({"kind"} | BEHAVIOURS[kind] | optional)
    values = {"kind": kind, **{key: bc.get(key, str) for key in sorted(BEHAVIOURS[kind])}}
    values.update({key: bc.get(key, str) for key in sorted(optional) if key in bc.node})
    if "hook" in values and not OPERATION.match(values["hook"]):
        raise bc.fail("hook", f"{values['hook']!r} is not a snake_case name")
    if (
        kind == "collection"
        and response is not None
        and values["key"] not in {p.name for p in response.properties}
    ):
        raise bc.fail("key", f"{values['key']!r} is not a property of {response.name}")
    return values


def read_seed(
    checker: Checker, behaviour: dict[str, Any], member: Object | None, objects: dict[str, Object]
) -> Seed | None:
    """A collection's initial members, each a value of its member object (JSON keys) with its own key."""
    if "seed" not in checker.node:
        return None
    if behaviour["kind"] != "collection" or member is None:
        raise checker.fail(
            "seed", "only a collection (behaviour kind collection, with a member object) has a seed"
        )
    seed = checker.child("seed", LocatedList)
    key = next((p for p in member.properties if p.name == behaviour["key"]), None)
    if key is None:
        raise checker.fail(
            "seed", f"{member.name} has no property {behaviour['key']!r}, the collection's key"
        )
    for index, item in enumerate(seed.node):
        try:
            check_value(Kind("object", object=member.name), item, objects, "the member")
        except BodyError as error:
            raise seed.fail(index, str(error)) from None
    unique(
        seed, [(i, str(item.get(key.json_key, key.default))) for i, item in enumerate(seed.node)], key.name
    )
    return Seed(member, tuple(dict(item) for item in seed.node))


def collection_path(resource: Resource) -> str:
    """The path of the collection a collection route addresses (a member route's path ends with its key)."""
    path = resource.path.rstrip("/")
    return path.rsplit("/", 1)[0] if PATH_PARAMETER.fullmatch(path.rsplit("/", 1)[-1]) else path


def share_seeds(checker: Checker, resources: list[Resource]) -> list[Resource]:
    """Every route of a collection gets the seed one of them declares (two declaring it is an error)."""
    declared: dict[str, int] = {}
    for index, resource in enumerate(resources):
        if resource.seed is not None:
            where = collection_path(resource)
            if where in declared:
                raise checker.child(index).fail(
                    "seed", f"the seed of {where} is declared already (item {declared[where]})"
                )
            declared[where] = index
    return [
        (
            replace(r, seed=resources[declared[collection_path(r)]].seed)
            if r.behaviour["kind"] == "collection" and collection_path(r) in declared
            else r
        )
        for r in resources
    ]
