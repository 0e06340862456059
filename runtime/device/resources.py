"""A device path as a stored resource: what the state API, the device data file and the embedded
server's `state` / `set_state` address.

Entities and collections (the behaviour kinds that keep values, behaviours.py) have state; a collection's
member is addressed by its own path (the collection's path and the member's key). Values are read and
written here as the spec's codecs check them: by property name, while the JSON documents going in and
out have the device's wire keys. Hooks and jobs are the runtime's own (the API revision, job ids, the
clock): they have no state to set.
"""

from __future__ import annotations

import copy
from collections import Counter
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from ...generated import handler as api
from ..core.codec import BodyError, Codec, parse_parameter
from ..core.deviceapi import OWN, Parameter, Route

from .store import StateStore, normal_path

KINDS = ("entity", "collection")  # the behaviour kinds that keep state
MAX_MEMBERS = 1024  # of one collection: each change stores the whole list
PARAMETER = re.compile(r"\{([^{}]*)\}")


def concrete_path(route: Route, kwargs: Mapping[str, Any]) -> str:
    """The route's path with its path parameters filled, without a trailing slash: a state key."""
    by_name = {p.name: kwargs.get(p.attr) for p in route.parameters if p.location == "path"}
    return PARAMETER.sub(lambda m: str(by_name[m.group(1)]), route.path).rstrip("/")


def member_parameter(route: Route) -> Parameter | None:
    """A collection route's member key parameter: the path's last segment when it is a parameter."""
    last = route.path.rstrip("/").rsplit("/", 1)[-1]
    found = PARAMETER.fullmatch(last)
    return next((p for p in route.parameters if found and p.name == found.group(1)), None)


@dataclass(frozen=True, slots=True)
class Resource:
    """One stored resource: an entity, a collection (a list of members), or one member of a collection."""

    path: str  # the state key: an entity's or a collection's device path
    # The generated Codec of the object (of each member, for a collection); None: a route that names none
    # (a member's DELETE), which only addresses.
    object_codec: Codec | None
    key: str | None = None  # a collection's key property (None: an entity)
    member: Any = None  # a member's key value (None: the entity, or the whole collection)
    seed: tuple[Mapping[str, Any], ...] = ()  # a collection's initial members (the spec's `seed:`)

    @property
    def codec(self) -> Codec:
        if self.object_codec is None:
            raise TypeError(f"the resource at {self.path} names no object")
        return self.object_codec

    def read(self, get: Callable[[str, Callable[[], Any]], Any]) -> Any:
        """The values, read with a StateStore's `get` (or `seed`); None: no such member."""
        if self.key is None:
            return get(self.path, self.codec.defaults)
        members = get(self.path, self._seeded)
        return members if self.member is None else next(filter(self._is_member, members), None)

    def _seeded(self) -> list[dict[str, Any]]:
        """A fresh copy of the spec's seed: what a collection holds before the device data or a change."""
        return [copy.deepcopy(dict(member)) for member in self.seed]

    def _is_member(self, values: dict[str, Any]) -> bool:
        return self.key is not None and str(values.get(self.key)) == str(self.member)

    def document(self, values: Any) -> Any:
        """The values as the device's JSON shows them (wire keys)."""
        if self.key is not None and self.member is None:
            return [self.codec.json_value(member) for member in values]
        return self.codec.json_value(values)

    def parse(self, document: Any) -> Any:
        """A JSON document (wire keys, matched case-insensitively) as complete values; BodyError saying what
        the device would refuse (read-only properties may be given: this is the device's own state)."""
        if self.key is None:
            return self._values(document, "")
        if self.member is not None:
            values = self._values(document, "", {self.key: self.member})
            if not self._is_member(values):
                raise BodyError(f"{self.key} must be {self.member!r}, the key of the member at this path")
            return values
        if not isinstance(document, list):
            raise BodyError("a collection's state must be a JSON array of its members")
        if len(document) > MAX_MEMBERS:
            raise BodyError(f"a collection holds at most {MAX_MEMBERS} members, not {len(document)}")
        members = [self._values(item, f"[{index}]") for index, item in enumerate(document)]
        keys = [str(member.get(self.key)) for member in members]
        repeated = sorted(key for key, count in Counter(keys).items() if count > 1)
        if repeated:
            raise BodyError(f"two members have the same {self.key}: {', '.join(repeated)}")
        return members

    def parse_seed(self, document: Any) -> Any:
        """Device data for this path: an entity's given values only, so that the spec's defaults, which a
        reload may change, fill in the rest when it is read; a collection's complete members."""
        if self.key is None:
            return self.codec.read_json(document, "", read_only=True)
        return self.parse(document)

    def _values(self, document: Any, place: str, implied: dict[str, Any] | None = None) -> dict[str, Any]:
        given = self.codec.read_json(document, place, read_only=True)
        return {**self.codec.defaults(), **(implied or {}), **given}

    def write(self, store: StateStore, values: Any) -> None:
        """Replace the stored values (a member: in its collection, added at its end if it is new)."""
        if self.member is None:
            store.put(self.path, values)
            return
        with store.lock:
            members = store.get(self.path, self._seeded)
            at = next((i for i, m in enumerate(members) if self._is_member(m)), len(members))
            store.put(self.path, members[:at] + [values] + members[at + 1 :])

    def remove(self, store: StateStore) -> None:
        """Take a member out of its collection."""
        with store.lock:
            store.put(self.path, [m for m in store.get(self.path, self._seeded) if not self._is_member(m)])

    def restore(self, store: StateStore) -> None:
        """Back to the seed (a member: as the collection's seed has it, or gone if the seed has none)."""
        if self.member is None:
            store.forget(self.path)
            return
        seeded = self.read(store.seed)
        if seeded is None:
            self.remove(store)
        else:
            self.write(store, seeded)


def resource_of(route: Route, kwargs: Mapping[str, Any]) -> Resource:
    """What an entity or collection route with these path arguments addresses."""
    codec = route.response or route.request
    if route.behaviour["kind"] == "entity":
        return Resource(concrete_path(route, kwargs), codec)
    member, key = member_parameter(route), route.behaviour["key"]
    if member is None:
        return Resource(concrete_path(route, kwargs), codec, key, seed=route.seed)
    path = concrete_path(route, kwargs).rsplit("/", 1)[0]
    return Resource(path, codec, key, kwargs[member.attr], route.seed)


def _arguments(route: Route, values: Mapping[str, str]) -> dict[str, Any] | None:
    """The route's keyword arguments from its path parameters' text, None when one is not of its kind."""
    kwargs = {}
    for p in route.parameters:
        if p.location == "path":
            try:
                kwargs[p.attr] = parse_parameter(p.kind, values[p.name])
            except ValueError:
                return None
    return kwargs


def resolve(path: str, revision: tuple[int, int] | None = None) -> Resource | None:
    """The stored resource at a device path (below the base path; a trailing slash makes no difference),
    among the resources served at `revision` (None: any); None when no entity or collection is there."""
    # The device API's own router: the routes whose own path (not a property below it) this is.
    for entries, values in api.API.router.lookup(normal_path(path)):
        for method, _, names, (route, asked) in entries:
            if method != "GET" or asked != OWN or route.response is None:
                continue
            if route.behaviour.get("kind") not in KINDS or revision is not None and route.revision > revision:
                continue
            kwargs = _arguments(route, dict(zip(names, values)))
            if kwargs is not None:
                return resource_of(route, kwargs)
    return None
