"""Fault injection and the request journal: how a test makes the device API misbehave (--fault, the
control API's /faults), and what it reads back of what a client sent (/requests)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from ...generated import handler as api
from ..core.options import option
from ..core.wire import Request, Response
from ..device.events import RESET
from ..device.feature import BodyField, Device, Feature, Operation, not_found, whole_number
from .faults import Fault, FaultInjector, RequestJournal

NUMBER = (int, float)
FAULT_KEYS = {field: kind for field, kind in Fault.__annotations__.items()}


def fault_text(text: str) -> dict[str, Any]:
    """`path=/info,error_rate=0.5` -> the keyword arguments of Fault, checked by building one; ValueError
    saying what is wrong."""
    arguments: dict[str, Any] = {}
    for item in filter(None, text.split(",")):
        key, equals, value = item.partition("=")
        key = key.strip()
        if not equals or key not in FAULT_KEYS:
            raise ValueError(f"expected KEY=VALUE with KEY one of {', '.join(FAULT_KEYS)}: {item!r}")
        kind = FAULT_KEYS[key]
        try:
            arguments[key] = int(value) if "int" in kind else float(value) if "float" in kind else value
        except (ValueError, OverflowError):
            raise ValueError(f"{key} needs a number, not {value!r}") from None
    try:
        Fault(**arguments)
    except OverflowError as error:
        raise ValueError(str(error)) from None
    return arguments


@dataclass(frozen=True)
class FaultsOptions:
    faults: Iterable[Mapping[str, Any]] = option(
        (),
        flag="--fault",
        parse=fault_text,
        repeat=True,
        collect=tuple,
        metavar="KEY=VALUE,...",
        help="inject a fault into the device API (repeatable), e.g. "
        "path=/system/backup/jobs/*,error_rate=0.2,status=503,retry_after=2 or latency=0.05,latency_max=0.2 "
        "or drop_rate=0.1; keys: " + ", ".join(FAULT_KEYS),
    )


class FaultsFeature(Feature):
    """`injector`: the faults a test injected; `journal`: the device API's requests, as sent."""

    options = FaultsOptions

    def __init__(self, device: Device, options: FaultsOptions) -> None:
        self.injector = FaultInjector(device.options.seed)
        self.journal = RequestJournal()
        for fault in options.faults:
            self.add_fault(**fault)
        device.events.subscribe(RESET, self.clear_faults)
        device.events.subscribe(RESET, self.clear_requests)

    def answer(
        self, request: Request, answer: Callable[[], Response], host: Any
    ) -> tuple[Response | None, float]:
        """The device API's answer after the faults a test injected (None: hang up), and their delay."""
        decision = self.injector.decide(request)
        if decision.drop:
            return None, decision.delay
        if decision.error is None:
            return answer(), decision.delay
        fault = decision.error
        retry = [("Retry-After", str(fault.retry_after))] if fault.retry_after is not None else []
        response = api.negotiated_error(
            request, host, "injected_fault", retry, reason=f"error rate {fault.error_rate}"
        )
        response.status = fault.status
        return response, decision.delay

    # Control operations

    def list_faults(self) -> list[dict[str, Any]]:
        """The active faults, as the control API shows them."""
        return self.injector.describe()

    def add_fault(self, **fault: Any) -> int:
        """Inject a fault: path (glob), method, latency, latency_max, error_rate, status, retry_after,
        drop_rate; answers its id."""
        return self.injector.add(Fault(**fault))

    def remove_fault(self, fault_id: int) -> bool:
        return self.injector.remove(fault_id)

    def clear_faults(self) -> None:
        self.injector.clear()

    def requests(self) -> list[dict[str, Any]]:
        """The journal of device-API requests, oldest first."""
        return self.journal.entries()

    def clear_requests(self) -> None:
        self.journal.clear()

    operations = (
        Operation("GET", "/faults", "list_faults", shows=lambda _, faults: {"faults": faults}),
        Operation(
            "POST",
            "/faults",
            "add_fault",
            body=(
                BodyField("path", "path", str),
                BodyField("method", "method", str),
                BodyField("latency", "latency", NUMBER),
                BodyField("latencyMax", "latency_max", NUMBER),
                BodyField("errorRate", "error_rate", NUMBER),
                BodyField("status", "status", int),
                BodyField("retryAfter", "retry_after", int),
                BodyField("dropRate", "drop_rate", NUMBER),
            ),
            what="fault",
            status=201,
            shows=lambda faults, fault_id: faults.fault_document(fault_id),
        ),
        Operation("DELETE", "/faults", "clear_faults"),
        Operation(
            "DELETE",
            "/faults/{fault_id}",
            "remove_fault",
            parameters={"fault_id": whole_number},
            missing=not_found,
        ),
        Operation("GET", "/requests", "requests", shows=lambda _, requests: {"requests": requests}),
        Operation("DELETE", "/requests", "clear_requests"),
    )

    def fault_document(self, fault_id: int) -> dict[str, Any] | None:
        """A fault as the control API shows it; None when it is gone."""
        return next((f for f in self.injector.describe() if f["id"] == fault_id), None)
