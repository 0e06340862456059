"""The device API's request path: routing, negotiation, parameters, bodies and errors, spec-independent.

The generated handler declares what the spec decides (routes, encodings, query options, the error
catalogue) and builds one `DeviceApi` of them. `DeviceApi.handle(request, host)` answers one request
without touching a socket, so any serving core can use it. The host provides:
- `backend`: `invoke(route, kwargs, body, binary)` answering the route's values by property name, or None
  when the entity does not exist;
- `revision`: the API revision served, as a (major, minor) tuple; newer resources do not exist;
- `negotiate(accept)`: the media type an Accept header prefers, or None.
"""

from __future__ import annotations

import marshal
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Protocol
from urllib.parse import parse_qsl, quote, unquote

from .codec import BodyError, Codec, Field, Kind, ascii_fold, parse_parameter
from .multipart import FileSink, FormReader, boundary_of
from .router import Router, Segments
from .stencil import FilledList
from .wire import ApiError, Request, Response, origin_form


def parse_revision(revision: str) -> tuple[int, int]:
    """`"8.0"` -> (8, 0); ValueError for anything else."""
    major, dot, minor = revision.partition(".")
    if not (dot and major.isascii() and major.isdigit() and minor.isascii() and minor.isdigit()):
        raise ValueError(f"not an API revision like 8.0: {revision!r}")
    return int(major), int(minor)


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    attr: str
    kind: Kind  # what a valid value is
    invalid_error: str
    location: str  # path or query


@dataclass(frozen=True, slots=True)
class Route:
    operation: str
    method: str
    path: str  # as the spec writes it, below the base path
    segments: Segments  # the path as the router's table holds it
    parameters: tuple[Parameter, ...]
    revision: tuple[int, int]
    response: Codec | None  # None: 204 No Content
    request: Codec | None
    not_found_error: str
    deprecated: bool
    # The Link to the successor, from the successor's revision on: a template over this route's parameters.
    successor_revision: tuple[int, int] | None
    successor_link: str | None
    entity: bool  # a GET of an object: also $select
    properties: bool  # also its properties and their $value below it (not at the API's root)
    xml_body_revision: tuple[int, int] | None  # from which revision an XML request body is accepted
    shape: str  # object, array (a bare list of the response object) or none
    status: int  # the success status
    binary: bool  # encode=bin answers the raw bytes
    xml_root: str | None  # the root element of an array answer
    behaviour: Mapping[str, str]  # what answers it in the runtime: {kind: ..., ...}
    seed: tuple[Mapping[str, Any], ...] = ()  # a collection's initial members, by property name
    exclusive: tuple[tuple[str, ...], ...] = ()  # groups of request properties a body gives one of at most
    # The multipart/form-data field whose file the route takes, streamed (None: the body is gathered).
    upload: str | None = None

    @property
    def answers(self) -> Codec:
        """The object the route answers (one that answers values has it: the spec's loader sees to it)."""
        if self.response is None:
            raise TypeError(f"{self.operation} answers no object")
        return self.response

    @property
    def reads(self) -> Codec:
        """The object of the route's request body (one that takes a body has it)."""
        if self.request is None:
            raise TypeError(f"{self.operation} takes no body")
        return self.request


class Host(Protocol):
    """What answers a device API's requests beside the request path: the emulator of one device."""

    revision: tuple[int, int]  # the API revision it serves

    def negotiate(self, accept: str | None) -> str | None:
        """The media type the Accept header asks for, None when none can be given."""
        ...

    def invoke(self, route: Route, kwargs: dict[str, Any], body: dict[str, Any] | None, binary: bool) -> Any:
        """The values answering `route` (by property name), the bytes asked for, or None: not found."""
        ...

    def shares_body(self, route: Route) -> bool:
        """Whether answering `route` only reads its body: a body read before is then given as it is."""
        ...


@dataclass(frozen=True, slots=True)
class _Plan:
    """What answering a request takes before the backend is asked: the same for every repeat of a GET."""

    route: Route
    asked: str  # OWN, PROPERTY or VALUE
    property_name: str | None
    field: Field | None  # the property asked for, None when there is none or no such property
    arguments: dict[str, str]  # the path parameters, as sent
    kwargs: dict[str, Any]  # the operation's keyword arguments
    binary: bool
    encoding: str
    content_type: str
    error_media_type: str
    headers: tuple[tuple[str, str], ...]
    selected: frozenset[str] | None
    path: str


# A request's plan is kept, for up to MAX_PLANS distinct (method, target, Accept, revision) whose target and
# Accept have at most MAX_PLANNED characters each (4 MiB of keys at most). The backend is asked every time:
# answers follow the state.
MAX_PLANS = 4096
MAX_PLANNED = 512
# A body read is kept too, for up to MAX_READ_BODIES distinct bodies of at most MAX_READ_BODY bytes: as
# marshal's bytes, loaded afresh for each request, or as the values themselves for a route whose hook only
# reads them (Host.shares_body). A supervisory system polls with the same read-property-multiple bodies
# again and again, and reading JSON was most of answering them.
MAX_READ_BODIES = 256
MAX_READ_BODY = 16 * 1024


class DeviceApi:
    """The device API of one spec: `encodings` maps an encoding to its default media type (what `encode=`
    asks for), `media_types` a media type to its encoding, `content_types` a media type to the Content-Type
    answered; `query` is the spec's query options; `errors` maps a key to (status, code, message template)."""

    def __init__(
        self,
        *,
        base_path: str,
        encodings: Mapping[str, str],
        media_types: Mapping[str, str],
        content_types: Mapping[str, str],
        query: Mapping[str, Mapping[str, str]],
        errors: Mapping[str, tuple[int, str, str]],
        error_codec: Codec,
        routes: tuple[Route, ...],
        deprecation: str,
    ) -> None:
        self.base_path = base_path
        self.base_prefix = base_path + "/"
        self.encodings, self.media_types, self.content_types = encodings, media_types, content_types
        self.json = encodings["json"]
        self.json_media_types = tuple(m for m, e in media_types.items() if e == "json")
        self.xml_media_types = tuple(m for m, e in media_types.items() if e == "xml")
        self.encode_option = query["encode"]["name"]
        self.binary_encoding = query["encode"]["binary_value"]
        self.binary_media_type = query["encode"]["binary_media_type"]
        self.select_option = query["select"]["name"]
        self.select_all = query["select"]["all"]
        self.select_separator = query["select"]["separator"]
        self.value_content_type = query["value"]["content_type"]
        self.errors, self.error_codec = errors, error_codec
        self.routes = routes
        self.router = Router()
        self.upload_router = Router()  # the routes whose body is streamed (see streams)
        self.upload_methods = frozenset(route.method for route in routes if route.upload is not None)
        value = (query["value"]["segment"],)
        for route in routes:
            self.router.add(route.method, route.segments, (route, OWN))
            if route.upload is not None:
                self.upload_router.add(route.method, route.segments, route)
            if route.properties:  # its properties, and their raw values, below it
                self.router.add(route.method, route.segments + (PROPERTY,), (route, PROPERTY), rank=1)
                self.router.add(route.method, route.segments + (PROPERTY, value), (route, VALUE), rank=1)
        # Routes newer than a revision do not exist for it; a host serving the newest revision filters none.
        self.newest = max((route.revision for route in routes), default=(0, 0))
        self.deprecation = deprecation
        self.expected_encodings = ", ".join(encodings)
        self._plans: dict[tuple[str, str, str | None, tuple[int, int]], _Plan] = {}  # bounded by MAX_PLANS
        # Bounded by MAX_READ_BODIES: marshal's bytes, or the values themselves for a route that shares them.
        self._bodies: dict[tuple[str, str, tuple[int, int], str, bool, bytes], Any] = {}
        self._streaming: dict[tuple[str, str], bool] = {}  # streams() by (method, target), as _plans

    def error_response(
        self,
        key: str,
        media_type: str | None = None,
        headers: list[tuple[str, str]] | None = None,
        **fields: Any,
    ) -> Response:
        """The spec's error `key` as a response of `media_type` (JSON by default), its message filled from
        `fields`."""
        media_type = media_type or self.json
        status, code, message = self.errors[key]
        document = {"Code": code, "Message": message.format(**fields)}
        body = self.error_codec.encode(self.media_types[media_type], document)
        return Response(status, body, self.content_types[media_type], list(headers or ()))

    def negotiated_error(
        self,
        request: Request,
        host: Host,
        key: str,
        headers: list[tuple[str, str]] | None = None,
        **fields: Any,
    ) -> Response:
        """The spec's error `key` in the encoding the request asks for (`encode`, else Accept, else JSON)."""
        try:
            media_type = self._media_type(_query_options(request.target.partition("?")[2]), request, host)[1]
        except ApiError:
            media_type = host.negotiate(request.headers.get("Accept")) or self.json
        return self.error_response(key, media_type, headers, **fields)

    def handle(self, request: Request, host: Host) -> Response:
        """Answer one device-API request (the target starts with the base path or is not found)."""
        key, plan = None, None
        accept = request.headers.get("Accept")
        if len(request.target) <= MAX_PLANNED and (accept is None or len(accept) <= MAX_PLANNED):
            # A client polling asks the same thing again and again: what is worked out before the backend
            # is asked (route, arguments, encoding, headers) depends on the method, target, Accept and the
            # revision.
            key = (request.method, request.target, accept, host.revision)
            plan = self._plans.get(key)
        if plan is None:
            planned = self._planned(request, host)
            if isinstance(planned, Response):
                return planned
            plan = planned
            if key is not None:
                if len(self._plans) >= MAX_PLANS:
                    self._plans.clear()  # many distinct targets: start again (the repeated ones come back)
                self._plans[key] = plan
        if plan.route.upload is not None:  # a body that was not streamed (none, or a caller's bytes)
            return self._upload_whole(request, host)
        try:
            body = (
                self._read_body(request, plan.route, host.revision, host.shares_body(plan.route))
                if plan.route.request is not None
                else None
            )
        except ApiError as error:
            return self.error_response(error.key, plan.error_media_type, error.headers, **error.fields)
        return self._answer(plan, lambda: host.invoke(plan.route, plan.kwargs, body, plan.binary))

    # Uploads: a route that takes a file of a multipart/form-data body, streamed to its hook's sink.

    def streams(self, method: str, target: str) -> bool:
        """Whether the request's body goes to an upload route's sink as it arrives (not gathered)."""
        if method not in self.upload_methods:
            return False
        if len(target) > MAX_PLANNED:
            return self._streams(method, target)
        key = (method, target)
        known = self._streaming.get(key)
        if known is None:
            if len(self._streaming) >= MAX_PLANS:
                self._streaming.clear()  # many distinct targets: start again
            known = self._streaming[key] = self._streams(method, target)
        return known

    def _streams(self, method: str, target: str) -> bool:
        raw_path = origin_form(target).partition("?")[0]
        path = unquote(raw_path, errors="replace") if "%" in raw_path else raw_path
        if not path.startswith(self.base_prefix):
            return False
        return any(
            entry[0] == method
            for entries, _ in self.upload_router.lookup(path[len(self.base_path) :])
            for entry in entries
        )

    def _upload_whole(self, request: Request, host: Host) -> Response:
        upload = self.open_upload(request, host)
        if isinstance(upload, Response):
            return upload
        return upload.write(request.body) or upload.finish()

    def open_upload(self, request: Request, host: Host) -> Response | Upload:
        """The answer to an upload's head when it is refused at once (its route, its query, its
        Content-Type, its Content-Length over the sink's limit), else the Upload its body is written to.
        The route's hook answers the sink (`multipart.FileSink`, with `finish()` answering the values and
        `abort()` undoing what it began)."""
        plan = self._planned(request, host)
        if isinstance(plan, Response):
            return plan
        route = plan.route
        try:
            content_type = request.headers.get("Content-Type") or ""
            boundary = boundary_of(content_type)
            if route.upload is None or boundary is None:
                raise ApiError(
                    "unsupported_media_type", content_type=content_type, supported="multipart/form-data"
                )
            sink = host.invoke(route, plan.kwargs, None, False)
            length = (request.headers.get("Content-Length") or "").strip()
            if length.isdigit() and int(length) > sink.limit + FORM_SLACK:
                sink.abort()
                raise ApiError("body_too_large", limit=sink.limit)
        except ApiError as error:
            return self.error_response(error.key, plan.error_media_type, error.headers, **error.fields)
        return Upload(self, plan, sink, FormReader(boundary, route.upload, sink))

    def _planned(self, request: Request, host: Host) -> _Plan | Response:
        """The request's plan, or the error answering a request that cannot be answered whatever the state."""
        raw_path, _, query = request.target.partition("?")
        options = _query_options(query) if query else NO_OPTIONS
        try:
            media_type, error_media_type = self._media_type(options, request, host)
        except ApiError as error:
            return self.negotiated_error(request, host, error.key, **error.fields)
        path = unquote(raw_path, errors="replace") if "%" in raw_path else raw_path
        try:
            return self._plan(request, host, path, options, media_type, error_media_type)
        except ApiError as error:
            return self.error_response(error.key, error_media_type, error.headers, **error.fields)

    def _media_type(
        self, options: dict[str, list[str]], request: Request, host: Host
    ) -> tuple[str | None, str]:
        """The media type to answer with (None: nothing acceptable) and the one errors use."""
        if options and self.encode_option in options:
            given = options[self.encode_option][-1]
            chosen = ascii_fold(given.strip())
            if (
                chosen == self.binary_encoding
            ):  # whether the resource has bytes to answer is known once routed
                return self.binary_media_type, self.json
            if chosen not in self.encodings:
                raise ApiError(
                    "invalid_query", option=self.encode_option, value=given, expected=self.expected_encodings
                )
            return self.encodings[chosen], self.encodings[chosen]
        accepted = host.negotiate(request.headers.get("Accept"))
        return accepted, accepted or self.json

    def _selection(self, options: dict[str, list[str]], codec: Codec) -> frozenset[str] | None:
        """The property names `$select` asks for; None means all (absent, empty or `*`)."""
        values = options.get(self.select_option) if options else None
        if not values:
            return None
        names = [n.strip() for value in values for n in value.split(self.select_separator)]
        names = [n for n in names if n]
        selected = set()
        for name in names:
            if name == self.select_all:
                continue
            found = codec.field(name)
            if found is None:
                raise ApiError("unknown_select", name=name, object=codec.name, known=codec.names)
            selected.add(found.name)
        return None if not selected or self.select_all in names else frozenset(selected)

    def _plan(
        self,
        request: Request,
        host: Host,
        path: str,
        options: dict[str, list[str]],
        media_type: str | None,
        error_media_type: str,
    ) -> _Plan:
        """What answering the request takes, as far as the backend's values are not needed; ApiError for a
        request that cannot be answered whatever the state."""
        if path != self.base_path and not path.startswith(self.base_prefix):  # the root is a route of "/"
            raise ApiError("not_found", path=path)
        # The route (served at the host's revision), what it is asked for (OWN, PROPERTY or VALUE) and its
        # path arguments. A route whose own path matches wins over an entity's `{property}` below it (as in
        # OpenAPI, a concrete path over a templated one): /jobs/{jobId}/cancel is not a property of the job.
        revision = host.revision
        visible = None if revision >= self.newest else (lambda target: target[0].revision <= revision)
        local = path[len(self.base_path) :]
        (route, asked), arguments = self.router.resolve(request.method, local, path, visible)
        property_name = arguments.pop(PROPERTY, None)
        headers: list[tuple[str, str]] = []
        if route.deprecated:
            headers.append(("Deprecation", self.deprecation))
            headers.extend(_successor_link(route, arguments, revision))
        try:
            kwargs = _arguments(route, arguments, options)
            binary = media_type == self.binary_media_type
            if binary and (not route.binary or property_name is not None):  # the bytes are the whole file's
                raise ApiError(
                    "invalid_query",
                    option=self.encode_option,
                    value=self.binary_encoding,
                    expected=self.expected_encodings,
                )
            if media_type is None and asked != VALUE and route.response is not None:
                available = ", ".join(self.media_types)
                raise ApiError("not_acceptable", accept=request.headers.get("Accept"), available=available)
            selected = None
            if route.entity and property_name is None:
                selected = self._selection(options, route.response)
        except ApiError as error:
            error.headers = headers + error.headers
            raise
        # Bytes are written as they are: the encoding matters only for the other answers.
        media_type = self.json if binary or media_type is None else media_type
        found = route.response.field(property_name) if property_name is not None else None
        return _Plan(
            route,
            asked,
            property_name,
            found,
            arguments,
            kwargs,
            binary,
            self.media_types[media_type],
            self.content_types[media_type],
            error_media_type,
            tuple(headers),
            selected if found is None else frozenset((found.name,)),
            path,
        )

    def _answer(self, plan: _Plan, values_of: Callable[[], Any]) -> Response:
        """The answer of a planned request, from the backend's values (`values_of()`)."""
        route = plan.route
        headers = list(plan.headers)
        try:
            values = values_of()
            if values is None:
                first = route.parameters[0].name if route.parameters else ""
                value = plan.arguments.get(first, "")
                raise ApiError(route.not_found_error, name=first, value=value, path=plan.path)
            if plan.binary:
                return Response(200, values, self.binary_media_type, headers)
            if route.shape == "none":
                return Response(204, b"", None, headers)
            codec = route.answers
            if route.status == 201:
                key = codec.field(route.behaviour["key"])
                name = key.name if key is not None else route.behaviour["key"]
                headers.append(("Location", f"{plan.path.rstrip('/')}/{_segment(str(values[name]))}"))
            if route.shape == "array":
                root = route.xml_root or codec.element
                encoded = (
                    values.encode(codec, plan.encoding, root)
                    if isinstance(values, FilledList)
                    else codec.encode_list(plan.encoding, values, root)
                )
                return Response(route.status, encoded, plan.content_type, headers)
            if plan.property_name is not None:
                if plan.field is None:
                    raise ApiError("property_not_found", object=codec.name, name=plan.property_name)
                if plan.asked == VALUE:
                    raw = codec.raw(plan.field, values)
                    return Response(200, raw, self.value_content_type, headers)
            encoded = codec.encode(plan.encoding, values, plan.selected)
            return Response(route.status, encoded, plan.content_type, headers)
        except ApiError as error:
            return self.error_response(
                error.key, plan.error_media_type, headers + error.headers, **error.fields
            )

    def _read_body(
        self, request: Request, route: Route, revision: tuple[int, int], shared: bool = False
    ) -> dict[str, Any]:
        """The request body as the route's request object, or the spec's 415 / 400. `shared`: the values
        may be those an earlier request with the same bytes was given (their reader changes nothing)."""
        codec = route.reads
        content_type = request.headers.get("Content-Type") or ""
        media_type = content_type.split(";")[0].strip().lower()
        xml_accepted = route.xml_body_revision is not None and revision >= route.xml_body_revision
        supported = self.json_media_types + (self.xml_media_types if xml_accepted else ())
        if media_type not in supported:
            raise ApiError(
                "unsupported_media_type", content_type=content_type, supported=", ".join(supported)
            )
        body = request.body
        key = (
            (route.method, route.path, route.revision, media_type, shared, body)
            if type(body) is bytes and len(body) <= MAX_READ_BODY
            else None
        )
        known = self._bodies.get(key) if key is not None else None
        if known is not None:
            # Else a fresh copy: the backend may keep or change what it is given.
            return known if shared else marshal.loads(known)
        try:
            values = (
                codec.from_json(request.body)
                if media_type in self.json_media_types
                else codec.from_xml(request.body)
            )
        except BodyError as error:
            raise ApiError("invalid_body", object=codec.name, reason=str(error)) from None
        for group in route.exclusive:
            given = [name for name in group if name in values]
            if len(given) > 1:
                reason = f"{' and '.join(given)} cannot be given together"
                raise ApiError("invalid_body", object=codec.name, reason=reason)
        if key is not None:
            if len(self._bodies) >= MAX_READ_BODIES:
                self._bodies.clear()  # many distinct bodies: start again (the repeated ones come back)
            try:
                self._bodies[key] = values if shared else marshal.dumps(values)
            except ValueError:  # a value marshal does not write (none a codec reads today): not kept
                pass
        return values


# Bytes of a form beyond its file's (its boundaries, part headers, other fields): a Content-Length above the
# file's limit and this is refused before the body is read.
FORM_SLACK = 1 << 20


class Upload:
    """The body of an upload request, `write`n as it arrives, parsed as a form whose file goes to the
    route's sink; `finish` answers as the route does, `abort` (the body did not come whole) lets the sink
    undo what it began. `write` answers None, or the error that refuses the body (the sink aborted)."""

    def __init__(self, api: DeviceApi, plan: _Plan, sink: FileSink, form: FormReader) -> None:
        self.api, self.plan, self.sink, self.form = api, plan, sink, form
        self.size = 0
        self.done = False

    def _refuse(self, error: ApiError) -> Response:
        self.abort()
        return self.api.error_response(
            error.key, self.plan.error_media_type, list(self.plan.headers) + error.headers, **error.fields
        )

    def write(self, data: bytes) -> Response | None:
        if self.done:
            return None
        self.size += len(data)
        try:
            if self.size > self.sink.limit + FORM_SLACK:
                raise ApiError("body_too_large", limit=self.sink.limit)
            self.form.write(data)
        except ApiError as error:
            return self._refuse(error)
        return None

    def finish(self) -> Response:
        try:
            self.form.close()
        except ApiError as error:
            return self._refuse(error)
        response = self.api._answer(self.plan, self.sink.finish)
        self.done = True  # (an exception leaves it to abort)
        return response

    def abort(self) -> None:
        if not self.done:
            self.done = True
            self.sink.abort()


# What a route's table entry answers: the route's own path, a property below an entity, or its raw value.
# PROPERTY is also the name of the path parameter holding the property's name.
OWN, PROPERTY, VALUE = "", "_property", "_value"


def _query_options(query: str) -> dict[str, list[str]]:
    """Query options by name, ASCII letters lower-cased; repeated options keep every value."""
    options: dict[str, list[str]] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        options.setdefault(ascii_fold(name), []).append(value)
    return options


NO_OPTIONS: dict[str, list[str]] = {}  # a request without a query (read, never written)
# Characters a path segment carries as they are (RFC 3986 unreserved): a job id needs no quoting.
UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _segment(value: str) -> str:
    """`value` quoted as one path segment."""
    return value if UNRESERVED.issuperset(value) else quote(value, safe="")


def _successor_link(
    route: Route, arguments: dict[str, str], revision: tuple[int, int]
) -> list[tuple[str, str]]:
    if (
        route.successor_link is None
        or route.successor_revision is None
        or revision < route.successor_revision
    ):
        return []
    if len(arguments) == 1:  # the usual case: one parameter, no mapping to build
        ((name, value),) = arguments.items()
        return [("Link", route.successor_link.replace("{" + name + "}", _segment(value)))]
    quoted = {name: _segment(value) for name, value in arguments.items()}
    return [("Link", route.successor_link.format(**quoted))]


def _arguments(route: Route, arguments: dict[str, str], options: dict[str, list[str]]) -> dict[str, Any]:
    """The operation's keyword arguments: path and query parameters as values of their kinds."""
    kwargs: dict[str, Any] = {}
    for p in route.parameters:
        if p.location == "query":
            if ascii_fold(p.name) not in options:
                continue
            text = options[ascii_fold(p.name)][-1]
        else:
            text = arguments[p.name]
        try:
            kwargs[p.attr] = parse_parameter(p.kind, text)
        except ValueError:
            raise ApiError(p.invalid_error, name=p.name, value=text) from None
    return kwargs
