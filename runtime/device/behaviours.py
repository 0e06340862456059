"""The behaviour kinds a resource declares in the spec (`behaviour: {kind: ...}`), implemented once.

- entity: one stored object per concrete path, seeded from the object's defaults and the device data;
  GET answers it, POST or PUT on the same path updates the properties the body gives. With a `hook`, the
  feature's function completes the stored values with live ones (/info/device's uptime).
- collection: members stored per concrete collection path, addressed by the key property the spec
  names; the member routes end with the key's path parameter.
- job: starts a simulated job and answers its id.
- hook: a function a feature provides by the name the spec gives it, for behaviour that is truly special.

State is values by property name, kept in the device's StateStore; the generated handler renders them.
Every change is a `put` of the new value (made under the store's lock, so that concurrent changes of
one collection never lose one another): a state file has it before the request is answered.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from ...generated import handler as api
from ..core.deviceapi import Route
from .feature import Hook, HookCall
from .resources import MAX_MEMBERS, Resource, resource_of
from .store import StateStore

JobStarter = Callable[[Route, dict[str, Any]], dict[str, Any]]

MAX_ENTITIES = 1024  # of one route with path parameters (see Behaviours._check_room)


class Behaviours:
    """Answers each route by its declared kind: `hooks` are the features' functions by the name hook routes
    give, `start_job` starts the job of a `job` route."""

    def __init__(self, hooks: Mapping[str, Hook], store: StateStore, start_job: JobStarter) -> None:
        self.hooks, self.store, self.start_job = hooks, store, start_job
        missing = [
            f"{route.operation} (hook {route.behaviour['hook']!r})"
            for route in api.ROUTES
            if "hook" in route.behaviour and route.behaviour["hook"] not in hooks
        ]
        if missing:
            raise ValueError(f"the spec names hooks the runtime lacks: {', '.join(missing)}")

    def invoke(self, route: Route, kwargs: dict[str, Any], body: dict[str, Any] | None, binary: bool) -> Any:
        """The values answering `route` (None: no such entity or member)."""
        kind = route.behaviour["kind"]
        if kind == "hook":
            return self.hooks[route.behaviour["hook"]](HookCall(route, body, binary, kwargs))
        if kind == "job":
            return self.start_job(route, body or {})
        if kind == "entity":
            values = self.entity(route, kwargs, body)
            live = (
                self.hooks[route.behaviour["hook"]](HookCall(route, body, binary, kwargs))
                if "hook" in route.behaviour
                else None
            )
            return {**values, **live} if isinstance(live, dict) else values
        return self.collection(route, kwargs, body)

    def entity(self, route: Route, kwargs: dict[str, Any], body: dict[str, Any] | None) -> dict[str, Any]:
        resource = resource_of(route, kwargs)
        if body is None:
            return resource.read(self.store.get)
        with self.store.lock:
            self._check_room(route, resource)
            values = {**resource.read(self.store.get), **body}
            resource.write(self.store, values)
        return values

    def _check_room(self, route: Route, resource: Resource) -> None:
        """A route with path parameters (`mstp-ports/{id}/`) keeps at most MAX_ENTITIES entities: each id
        written is stored, and ids are many."""
        family = route.path.partition("{")[0]
        if family == route.path or self.store.holds(resource.path):
            return
        if len(self.store.paths(family)) >= MAX_ENTITIES:
            raise api.ApiError(
                "conflict", reason=f"the device keeps at most {MAX_ENTITIES} entities of {route.path}"
            )

    def collection(self, route: Route, kwargs: dict[str, Any], body: dict[str, Any] | None) -> Any:
        resource = resource_of(route, kwargs)
        if route.method == "GET":
            return resource.read(self.store.get)
        with self.store.lock:
            if resource.member is None:  # the collection itself: create a member
                return self._create(resource, body or {})
            found = resource.read(self.store.get)
            if found is None:
                return None
            if route.method == "DELETE":
                resource.remove(self.store)
                return {}
            found = {**found, **(body or {})}
            resource.write(self.store, found)
        return found

    def _create(self, collection: Resource, body: dict[str, Any]) -> dict[str, Any]:
        created, key = {**collection.codec.defaults(), **body}, collection.key or ""
        members = collection.read(self.store.get)
        if len(members) >= MAX_MEMBERS:
            raise api.ApiError("conflict", reason=f"a collection holds at most {MAX_MEMBERS} members")
        if any(m.get(key) == created.get(key) for m in members):
            raise api.ApiError("conflict", reason=f"a member with {key} {created.get(key)!r} exists already")
        collection.write(self.store, [*members, created])
        return created
