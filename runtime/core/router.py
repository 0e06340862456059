"""One router for the device API and the control API: a table keyed by literal path segments.

A route's path is a tuple of segments, each either a tuple of the literal spellings it accepts (the vendor's
kebab-case and the camelCase clients also send) or the name of a parameter (a string); a last parameter
named `*name` takes the rest of the path, slashes included (the control API's device paths), and one
written `prefix{name}suffix` a segment with those literals around it (`{fileName}.ecybackup`, `v{n}`).
The segments form a trie: a lookup walks the request's segments through dictionaries, trying a literal
child and the parameter child at each level, so that it costs the same whatever the number of routes, and
uses no regular expression. Every route a path matches is found (a literal does not hide a parameter), and
the caller's `rank` picks among them: the lowest rank found wins (the device API ranks an entity's
`{property}` below the routes of their own paths, as OpenAPI prefers a concrete path over a templated one);
among equal ranks, the match whose literals cover more of the path.

`resolve` also gives both APIs the same HEAD (answered as GET) and the same 405 with `Allow`.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from .wire import ApiError

Segments = tuple[tuple[str, ...] | str, ...]
# A route's entry in the table: (method, rank, parameter names in path order, target).
Entry = tuple[str, int, tuple[str, ...], Any]


def segments_of(template: str) -> Segments:
    """`/jobs/{id}` -> (("jobs",), "id"), `/state/{path*}` -> (("state",), "*path"): a path template."""
    return tuple(
        (
            ("*" + part[1:-2] if part.endswith("*}") else part[1:-1])
            if part.startswith("{") and part.endswith("}")
            else (part,)
        )
        for part in template.strip("/").split("/")
    )


class _Node:
    __slots__ = ("literals", "parameter", "affixed", "rest", "entries")

    def __init__(self) -> None:
        self.literals: dict[str, _Node] = {}
        self.parameter: _Node | None = None
        self.affixed: dict[tuple[str, str], _Node] = {}  # `prefix{name}suffix` parameters', by both
        self.rest: _Node | None = None  # a `*name` parameter's: the rest of the path
        self.entries: list[Entry] = []  # the routes ending here


class Router:
    """Routes by method and path; `add` them, then `resolve`."""

    def __init__(self) -> None:
        self._root = _Node()

    def add(self, method: str, segments: Segments, target: Any, rank: int = 0) -> None:
        node, names = self._root, []
        for number, segment in enumerate(segments, 1):
            if isinstance(segment, str) and segment.startswith("*"):
                if number != len(segments):
                    raise ValueError(f"{segment[1:]}: a rest-of-path parameter must come last")
                names.append(segment[1:])
                node.rest = node.rest or _Node()
                node = node.rest
                continue
            if isinstance(segment, str) and "{" in segment:
                prefix, rest = segment.split("{", 1)
                name, suffix = rest.split("}", 1)
                names.append(name)
                node = node.affixed.setdefault((prefix, suffix), _Node())
                continue
            if isinstance(segment, str):
                names.append(segment)
                if node.parameter is None:
                    node.parameter = _Node()
                node = node.parameter
                continue
            child = node.literals.get(segment[0]) or _Node()
            for spelling in segment:  # every spelling leads to the same child
                node.literals.setdefault(spelling, child)
            node = child
        node.entries.append((method, rank, tuple(names), target))

    def lookup(self, path: str) -> list[tuple[list[Entry], tuple[str, ...]]]:
        """The table entries of every route whose segments match `path` (`/a/b`, one trailing slash
        allowed), with the values of their parameters in path order. A level where both a literal and the
        parameter child match is explored both ways; elsewhere the walk goes straight down."""
        if path.endswith("/"):
            path = path[:-1]
        segments = path[1:].split("/") if path else []  # the root ("" or "/") has none
        last = len(segments)
        # Each match with the number of the path's characters its literals matched: the most specific
        # comes first, whatever the order the routes were added in (`v{n}.json` before `v{n}` and `{n}`).
        found: list[tuple[int, list[Entry], tuple[str, ...]]] = []
        pending: list[tuple[_Node, int, tuple[str, ...], int]] = []
        values: tuple[str, ...] = ()
        node, depth, literal = self._root, 0, 0
        while True:
            if node.rest is not None and depth < last:  # it takes the rest, at least one segment
                found.append((literal, node.rest.entries, values + ("/".join(segments[depth:]),)))
            if depth == last:
                if node.entries:
                    found.append((literal, node.entries, values))
            else:
                segment = segments[depth]
                for (prefix, suffix), affixed in node.affixed.items():
                    end = len(segment) - len(suffix)
                    if end > len(prefix) and segment.startswith(prefix) and segment.endswith(suffix):
                        value = segment[len(prefix) : end]
                        pending.append(
                            (affixed, depth + 1, values + (value,), literal + len(segment) - len(value))
                        )
                child = node.literals.get(segment)
                parameter = node.parameter if segment else None
                depth += 1
                if child is not None:
                    if parameter is not None:
                        pending.append((parameter, depth, values + (segment,), literal))
                    node, literal = child, literal + len(segment)
                    continue
                if parameter is not None:
                    node, values = parameter, values + (segment,)
                    continue
            if not pending:
                break
            node, depth, values, literal = pending.pop()
        if len(found) > 1:
            found.sort(key=lambda match: -match[0])  # stable: equally specific matches keep the walk's order
        return [(entries, values) for _, entries, values in found]

    def resolve(
        self, method: str, path: str, shown_path: str, visible: Callable[[Any], bool] | None = None
    ) -> tuple[Any, dict[str, str]]:
        """The target of the route `method` and `path` name, and its parameters by name; HEAD is answered
        as GET. ApiError `not_found` (naming `shown_path`) when no route matches the path, or no route
        `visible` admits; `method_not_allowed` with `Allow` when the path's routes take other methods."""
        wanted = "GET" if method == "HEAD" else method
        matched = self.lookup(path)
        if len(matched) == 1 and visible is None:  # one path matches (the usual case)
            entries, values = matched[0]
            for allowed, rank, names, target in entries:
                if allowed == wanted and rank == 0:  # no rank is lower: nothing can win over it
                    return target, dict(zip(names, values))
        found = [
            (entry, values)
            for entries, values in matched
            for entry in entries
            if visible is None or visible(entry[3])
        ]
        if not found:
            raise ApiError("not_found", path=shown_path)
        best = min(entry[1] for entry, _ in found)
        for (allowed, rank, names, target), values in found:
            if rank == best and allowed == wanted:
                return target, dict(zip(names, values))
        allow = ", ".join(allowed_methods(entry[0] for entry, _ in found if entry[1] == best))
        raise ApiError(
            "method_not_allowed", (("Allow", allow),), method=method, path=shown_path, allowed=allow
        )


def allowed_methods(methods: Iterable[str]) -> list[str]:
    """The methods a path allows, sorted: HEAD wherever GET is."""
    allowed = set(methods)
    return sorted(allowed | {"HEAD"} if "GET" in allowed else allowed)
