"""Options declared once: a dataclass per feature whose fields say how the command line, a fleet file and
keyword arguments (`EmbeddedServer(usb_key=True)`) give them, so that adding an option touches its feature.

    @dataclass(frozen=True)
    class BackupOptions:
        usb_key: bool = option(False, flag="--usb-key", help="start with a USB key inserted")

A field without `option(...)` is set by the program itself (e.g. whether the device is served over TLS).
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

OPTION = "option"  # the key of an option field's metadata


def _given(lower: Any, upper: Any) -> Any:
    """A fleet file entry's value over the command line's, when the entry gives one."""
    return lower if upper is None or upper == {} or upper == [] or upper == "" else upper


@dataclass(frozen=True)
class Option:
    """How one option is given.

    `flag`: on the command line (None: not there), with `help` and `metavar`; `parse` reads its text
    (ValueError: a usage error saying why); `store_true`: a flag without a value; `repeat`: the flag may
    be given again, and `collect` makes the field's value of the list. `fleet`: a fleet file's device
    entry may give it, `read` checks and converts that value (ValueError saying why), `path` makes it a
    path relative to the fleet file's folder, and `merge(command line's, entry's)` is the device's value.
    `spread(value, index)`: what a fleet's device of that index (in the whole fleet) takes when its entry
    gives none (a port counted up from the command line's, as the devices' HTTP ports are).
    """

    flag: str | None = None
    help: str = ""
    metavar: str | None = None
    parse: Callable[[str], Any] | None = None
    choices: tuple[str, ...] | None = None
    store_true: bool = False
    repeat: bool = False
    collect: Callable[[list[Any]], Any] | None = None
    fleet: bool = False
    read: Callable[[Any], Any] | None = None
    path: bool = False
    merge: Callable[[Any, Any], Any] = _given
    spread: Callable[[Any, int], Any] | None = None


def option(default: Any = None, *, factory: Callable[[], Any] | None = None, **how: Any) -> Any:
    """A dataclass field that is an option (see Option for `how`), with its default or default factory."""
    metadata = {OPTION: Option(**how)}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def declared(kind: type) -> list[tuple[dataclasses.Field[Any], Option]]:
    """The option fields of an options dataclass, with how each is given."""
    return [(f, f.metadata[OPTION]) for f in dataclasses.fields(kind) if OPTION in f.metadata]


def _argument_type(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """`parse` as argparse wants a type: a ValueError is a usage error with the parser's message."""

    def checked(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    checked.__name__ = getattr(parse, "__name__", "value")
    return checked


def add_arguments(parser: argparse.ArgumentParser, kind: type) -> None:
    """The command-line flags of an options dataclass."""
    for field, how in declared(kind):
        if how.flag is None:
            continue
        arguments: dict[str, Any] = {"dest": field.name, "help": how.help}
        if how.store_true:
            arguments["action"] = "store_true"
        else:
            if how.metavar:
                arguments["metavar"] = how.metavar
            if how.parse is not None:  # int and float as themselves: argparse names them in its message
                arguments["type"] = how.parse if how.parse in (int, float) else _argument_type(how.parse)
            if how.choices is not None:
                arguments["choices"] = how.choices
            arguments["default"] = field.default if field.default is not dataclasses.MISSING else None
        if how.repeat:
            arguments.update(action="append", default=[])
        parser.add_argument(how.flag, **arguments)


def from_arguments(kind: type, namespace: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of an options dataclass that parsed command-line arguments give."""
    given = {}
    for field, how in declared(kind):
        if how.flag is not None and hasattr(namespace, field.name):
            value = getattr(namespace, field.name)
            given[field.name] = how.collect(value) if how.collect is not None else value
    return given


def share_out(kinds: Iterable[type], keywords: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Keyword arguments shared out among options dataclasses by field name; TypeError naming a keyword
    that none of them declares (as a function's own signature would)."""
    kinds = list(kinds)
    shares = [{k: v for k, v in keywords.items() if k in names(kind)} for kind in kinds]
    unknown = sorted(set(keywords) - {name for kind in kinds for name in names(kind)})
    if unknown:
        raise TypeError(f"unexpected keyword argument(s): {', '.join(unknown)}")
    return shares


def names(kind: type) -> set[str]:
    """The field names of an options dataclass (those the program sets included)."""
    return {field.name for field in dataclasses.fields(kind)}


def seconds(text: str) -> float:
    """A number of seconds >= 0 (finite) from its text; ValueError otherwise."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise ValueError(f"not a number of seconds >= 0: {text!r}")
    return value


def positive(text: str) -> int:
    """A whole number >= 1 from its text; ValueError otherwise."""
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"not a whole number >= 1: {text!r}")
    return int(text)


def fleet_options(kinds: Iterable[type]) -> dict[str, Option]:
    """The keys a fleet file's device entry may give, and how each is read."""
    return {field.name: how for kind in kinds for field, how in declared(kind) if how.fleet}
