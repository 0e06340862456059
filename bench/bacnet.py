"""Benchmark of BACnet/IP (issue 6/7): ReadProperty and ReadPropertyMultiple over loopback UDP against the
emulator (`python -m runtime --bacnet`) and, for the library's own floor, against a bare bacpypes3 device
answering the same requests from its own objects; and the latency from a REST write to the arrival of its
COV notification.

    python bench/bacnet.py            # about 30 s
    python bench/bacnet.py --quick    # a smoke run

Prints a markdown report on stdout. Both servers run in processes of their own, started and stopped here;
their CPU comes from /proc/PID/stat. The client (bacpypes3, in this process) keeps IN_FLIGHT requests
outstanding; on a 2-core machine client and server share the cores, so requests/s is a floor of what the
server can do, while CPU per request is the server's own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from common import PYTHON, ROOT, progress
from points import cpu_seconds, free_ports

IN_FLIGHT = 8
RPM_PROPERTIES = 10  # presentValue of ten analog values per ReadPropertyMultiple
BARE_DEVICE = """
import asyncio, sys
from bacpypes3.argparse import SimpleArgumentParser
from bacpypes3.app import Application
from bacpypes3.local.analog import AnalogValueObject

async def main():
    args = SimpleArgumentParser().parse_args(["--address", f"127.0.0.1/32:{sys.argv[1]}", "--instance", "1"])
    app = Application.from_args(args)
    for n in range(1, 11):
        app.add_object(AnalogValueObject(objectIdentifier=("analog-value", n), objectName=f"AV{n}",
            presentValue=20.0, statusFlags=[0, 0, 0, 0], units="degrees-celsius", covIncrement=0.5))
    print("ready", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


def start_emulator(udp: int) -> tuple[subprocess.Popen, str]:
    command = [PYTHON, "-m", "runtime", "--port", "0", "--quiet", "--bacnet", "--bacnet-port", str(udp)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    url = process.stdout.readline().split(" serving ")[1].split(" ")[0]
    return process, url


def start_bare(udp: int) -> subprocess.Popen:
    process = subprocess.Popen([PYTHON, "-c", BARE_DEVICE, str(udp)], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return process


async def client(port: int):  # noqa: ANN201 (bacpypes3's Application)
    from bacpypes3.app import Application
    from bacpypes3.argparse import SimpleArgumentParser

    args = SimpleArgumentParser().parse_args(["--address", f"127.0.0.1/32:{port}", "--instance", "3999"])
    return Application.from_args(args)


async def load(app, address, kind: str, seconds: float) -> int:  # noqa: ANN001
    """Requests answered in `seconds` with IN_FLIGHT outstanding."""
    deadline = time.monotonic() + seconds
    done = 0
    references = [x for n in range(1, RPM_PROPERTIES + 1) for x in (f"analog-value,{n}", ["present-value"])]

    async def worker() -> None:
        nonlocal done
        while time.monotonic() < deadline:
            if kind == "RP":
                await app.read_property(address, "analog-value,2", "present-value")
            else:
                await app.read_property_multiple(address, references)
            done += 1

    await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
    return done


def measure(pid: int, address_text: str, kind: str, seconds: float, client_port: int) -> tuple[float, float]:
    from bacpypes3.pdu import Address

    async def run() -> tuple[int, float]:
        app = await client(client_port)
        try:
            await app.read_property(Address(address_text), "analog-value,2", "present-value")  # warm
            before = cpu_seconds(pid)
            count = await load(app, Address(address_text), kind, seconds)
            return count, cpu_seconds(pid) - before
        finally:
            app.close()

    count, cpu = asyncio.run(run())
    return count / seconds, cpu / max(count, 1) * 1e6


def cov_latency(url: str, address_text: str, samples: int, client_port: int) -> list[float]:
    from bacpypes3.pdu import Address
    from bacpypes3.primitivedata import ObjectIdentifier

    target = url + "/protocols/bacnet/local/objects/analog-value/2/properties/present-value?priority=8"

    def write(value: float) -> float:
        body = json.dumps({"value": str(value)}).encode()
        ask = urllib.request.Request(target, body, {"Content-Type": "application/json"}, method="POST")
        sent = time.perf_counter()
        urllib.request.urlopen(ask).read()
        return sent

    async def run() -> list[float]:
        app = await client(client_port)
        delays = []
        try:
            identifier = ObjectIdentifier("analog-value,2")
            async with app.change_of_value(Address(address_text), identifier, 9, False, 600) as subscription:
                await subscription.get_value()
                await subscription.get_value()  # the initial notification's two values
                for n in range(samples):
                    sent = await asyncio.to_thread(write, 20.0 + (n % 2) * 2)
                    while str((await asyncio.wait_for(subscription.get_value(), 5))[0]) != "present-value":
                        pass
                    delays.append((time.perf_counter() - sent) * 1000)
        finally:
            app.close()
        return delays

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    seconds = 2.0 if parser.parse_args().quick else 8.0
    samples = 50 if parser.parse_args().quick else 300
    base = free_ports(4)
    emulator, url = start_emulator(base)
    bare = start_bare(base + 1)
    rows = []
    try:
        for kind in ("RP", "RPM"):
            for name, process, port in (("emulator", emulator, base), ("bare bacpypes3", bare, base + 1)):
                progress(f"{kind} against the {name}")
                rate, cpu = measure(process.pid, f"127.0.0.1:{port}", kind, seconds, base + 2)
                rows.append(f"| {kind} | {name} | {rate:,.0f} | {cpu:,.0f} |")
        progress("REST write to COV notification")
        delays = sorted(cov_latency(url, f"127.0.0.1:{base}", samples, base + 3))
    finally:
        for process in (emulator, bare):
            process.kill()
            process.wait(timeout=30)
    print(f"BACnet/IP on loopback, {IN_FLIGHT} requests in flight, RPM of {RPM_PROPERTIES} presentValues\n")
    print("| service | server | requests/s | server CPU per request (µs) |\n|---|---|---|---|")
    print("\n".join(rows))
    p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
    print(
        f"\nREST write → COV notification ({len(delays)} writes): p50 {statistics.median(delays):.1f} ms, "
        f"p99 {p99:.1f} ms, max {delays[-1]:.1f} ms"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
