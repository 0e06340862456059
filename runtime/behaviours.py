"""The behaviour kinds a resource declares in the spec (`behaviour: {kind: ...}`), implemented once.

- entity: one stored object per concrete path, seeded from the object's defaults and the device data;
  GET answers it, POST or PUT on the same path updates the properties the body gives.
- collection: members stored per concrete collection path, addressed by the key property the spec
  names; the member routes end with the key's path parameter.
- job: starts a simulated job and answers its id.
- hook: a named function of the runtime (`DeviceBackend`), for behaviour that is truly special.

State is values by property name; the generated handler renders them.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Callable, Mapping

from ..generated import handler as api

from .simulator import JobSimulator

PARAMETER = re.compile(r"\{([^{}]*)\}")


def concrete_path(route: Any, kwargs: Mapping[str, Any]) -> str:
    """The route's path with its path parameters filled, without a trailing slash: a state key."""
    by_name = {p.name: kwargs.get(p.attr) for p in route.parameters if p.location == "path"}
    return PARAMETER.sub(lambda m: str(by_name[m.group(1)]), route.path).rstrip("/")


def member_parameter(route: Any) -> Any | None:
    """A collection route's member key parameter: the path's last segment when it is a parameter."""
    last = route.path.rstrip("/").rsplit("/", 1)[-1]
    found = PARAMETER.fullmatch(last)
    return next((p for p in route.parameters if found and p.name == found.group(1)), None)


class StateStore:
    """Every entity and collection of one device, by concrete path (in memory; reset restores seeds)."""

    def __init__(self, seeds: Mapping[str, Any] | None = None) -> None:
        self.seeds = dict(seeds or {})  # device data: initial values by device path
        self._values: dict[str, Any] = {}

    def get(self, path: str, seed: Callable[[], Any]) -> Any:
        if path not in self._values:
            value = seed()
            given = self.seeds.get(path)
            if isinstance(value, dict) and isinstance(given, dict):
                value.update(copy.deepcopy(given))
            elif given is not None:
                value = copy.deepcopy(given)
            self._values[path] = value
        return self._values[path]

    def put(self, path: str, value: Any) -> None:
        self._values[path] = value

    def forget(self, path: str) -> None:
        self._values.pop(path, None)

    def reset(self) -> None:
        self._values.clear()


class Behaviours:
    """Answers each route by its declared kind; `hooks` holds the functions hook routes name."""

    def __init__(self, simulator: JobSimulator, hooks: object, store: StateStore) -> None:
        self.simulator, self.hooks, self.store = simulator, hooks, store
        missing = [
            f"{route.operation} (hook {route.behaviour['hook']!r})"
            for route in api.ROUTES
            if route.behaviour.get("kind") == "hook"
            and not callable(getattr(hooks, route.behaviour["hook"], None))
        ]
        if missing:
            raise ValueError(f"the spec names hooks the runtime lacks: {', '.join(missing)}")

    def invoke(self, route: Any, kwargs: dict[str, Any], body: dict[str, Any] | None, binary: bool) -> Any:
        """The values answering `route` (None: no such entity or member)."""
        kind = route.behaviour["kind"]
        if kind == "hook":
            return getattr(self.hooks, route.behaviour["hook"])(
                route=route, body=body, binary=binary, **kwargs
            )
        if kind == "job":
            return self.start_job(route, body or {})
        if kind == "entity":
            return self.entity(route, kwargs, body)
        return self.collection(route, kwargs, body)

    def start_job(self, route: Any, body: dict[str, Any]) -> dict[str, Any]:
        job = self.simulator.create(
            data_types=tuple(body.get("DataTypes", ())), job_type=route.behaviour["type"]
        )
        id_field = next(f for f in route.response.fields if f.kind.format == "uuid")
        return {id_field.name: job.id}

    def entity(self, route: Any, kwargs: dict[str, Any], body: dict[str, Any] | None) -> dict[str, Any]:
        codec = route.response or route.request
        values = self.store.get(concrete_path(route, kwargs), codec.defaults)
        if body is not None:
            values.update(copy.deepcopy(body))
        return values

    def collection(self, route: Any, kwargs: dict[str, Any], body: dict[str, Any] | None) -> Any:
        member = member_parameter(route)
        if member is None:  # the collection itself: list, or create a member
            members = self.store.get(concrete_path(route, kwargs), list)
            if route.method == "GET":
                return members
            key = route.behaviour["key"]
            created = {**(route.response or route.request).defaults(), **copy.deepcopy(body or {})}
            if any(m.get(key) == created.get(key) for m in members):
                raise api.ApiError(
                    "conflict", reason=f"a member with {key} {created.get(key)!r} exists already"
                )
            members.append(created)
            return created
        path = concrete_path(route, kwargs).rsplit("/", 1)[0]
        members = self.store.get(path, list)
        key, wanted = route.behaviour["key"], kwargs[member.attr]
        found = next((m for m in members if str(m.get(key)) == str(wanted)), None)
        if found is None:
            return None
        if route.method == "DELETE":
            members.remove(found)
            return {}
        if body is not None:
            found.update(copy.deepcopy(body))
        return found
