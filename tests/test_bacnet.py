"""BACnet/IP (--bacnet): the emulator driven by bacpypes3's own client over loopback UDP, each test on its
own free ports, with what it does read back over REST (one database, one rule set)."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, Awaitable, Callable

import pytest

bacpypes3 = pytest.importorskip("bacpypes3")  # the bacnet extra, in the test extra

from bacpypes3.app import Application  # noqa: E402
from bacpypes3.argparse import SimpleArgumentParser  # noqa: E402
from bacpypes3.pdu import Address  # noqa: E402
from bacpypes3.primitivedata import Null, ObjectIdentifier  # noqa: E402

from eclypse_emulator.runtime import EmbeddedServer  # noqa: E402
from eclypse_emulator.runtime.fleet.fleet import DeviceConfig, Fleet  # noqa: E402

from conftest import request  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
AV = "/protocols/bacnet/local/objects/analog-value"


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def client_run(work: Callable[[Application], Awaitable[Any]]) -> Any:
    """`work(app)` with a bacpypes3 client on its own free port (never the device's: BACNET-FACTS.md 9)."""

    async def run() -> Any:
        arguments = ["--address", f"127.0.0.1/32:{free_udp_port()}", "--instance", "3999"]
        app = Application.from_args(SimpleArgumentParser().parse_args(arguments))
        try:
            return await asyncio.wait_for(work(app), 20)
        finally:
            app.close()

    return asyncio.run(run())


def rest(server: Any, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data is not None else {}
    status, _, answer = request(method, server.url + path, headers, data)
    return status, json.loads(answer) if answer else None


@pytest.fixture(scope="module", params=["asyncio", "threads"])
def device(request: pytest.FixtureRequest):
    with EmbeddedServer(port=0, core=request.param, bacnet=True, bacnet_port=free_udp_port()) as server:
        server.address = Address(
            f"127.0.0.1:{rest(server, 'GET', '/protocols/bacnet/communication/network/ip-ports/1')[1]['bacnetIpUdpPort']}"
        )
        yield server


@pytest.fixture
def bacnet(device: EmbeddedServer) -> EmbeddedServer:
    device.reset()
    return device


def error_of(failure: BaseException) -> str:
    return f"{failure.errorClass}: {failure.errorCode}"  # type: ignore[attr-defined]


async def failing(call: Awaitable[Any]) -> str:
    try:
        await call
    except BaseException as failure:  # bacpypes3 raises its Error PDUs
        return error_of(failure)
    raise AssertionError("the request succeeded")


def test_the_udp_port_is_the_ip_port_setting(bacnet):
    status, port = rest(bacnet, "GET", "/protocols/bacnet/communication/network/ip-ports/1")
    assert status == 200 and port["bacnetIpUdpPort"] == bacnet.address.addrTuple[1]


def test_who_is_and_who_has_find_the_device_of_info_bacnet(bacnet):
    instance = rest(bacnet, "GET", "/info/bacnet")[1]["deviceInstance"]

    async def work(app: Application) -> Any:
        found = await app.who_is(instance, instance, address=bacnet.address, timeout=3)
        elsewhere = await app.who_is(instance + 1, instance + 1, address=bacnet.address, timeout=1)
        named = await app.who_has(object_name="ZN1-SP", address=bacnet.address, timeout=3)
        by_id = await app.who_has(
            object_identifier=ObjectIdentifier("analog-value,2"), address=bacnet.address, timeout=3
        )
        return found, elsewhere, named, by_id

    found, elsewhere, named, by_id = client_run(work)
    assert [i_am.iAmDeviceIdentifier for i_am in found] == [ObjectIdentifier(f"device,{instance}")]
    assert found[0].vendorID == 364 and found[0].maxAPDULengthAccepted == 1476
    assert elsewhere == []
    assert [(h.objectIdentifier, h.objectName) for h in named] == [
        (ObjectIdentifier("analog-value,2"), "ZN1-SP")
    ]
    assert [h.deviceIdentifier for h in by_id] == [ObjectIdentifier(f"device,{instance}")]


def test_reads_of_the_device_object_and_of_any_property(bacnet):
    objects = rest(
        bacnet,
        "POST",
        "/protocols/bacnet/local/objects/read-property-multiple",
        {
            "encode": "text",
            "propertyReferences": [
                {"type": "device", "instance": -1, "property": "objectList", "arrayIndex": 0}
            ],
        },
    )[1]

    async def work(app: Application) -> Any:
        read = app.read_property
        device = "device,4194303"
        return (
            await read(bacnet.address, device, "vendor-identifier"),
            await read(bacnet.address, device, "model-name"),
            await read(bacnet.address, device, "object-list"),
            await read(bacnet.address, device, "object-list", 0),
            await read(bacnet.address, device, "object-list", 2),
            str(await read(bacnet.address, device, "protocol-services-supported")),
            await app.read_property_multiple(
                bacnet.address, ["analog-value,2", ["present-value", "units", "object-name"]]
            ),
        )

    vendor, model, whole, length, second, services, multiple = client_run(work)
    assert (
        vendor == 364
        and model
        == rest(bacnet, "GET", AV.replace("analog-value", "device/4194303") + "/properties/model-name")[1][
            "value"
        ]
    )
    assert length == len(whole) == int(objects[0]["value"]) and second == whole[1]
    assert "read-property-multiple" in services and "subscribe-cov" in services
    assert [value for *_, value in multiple][1:] == ["degrees-celsius", "ZN1-SP"] or str(
        multiple[1][-1]
    ) == "degrees-celsius"


def test_a_priority_sequence_ends_in_the_same_state_over_rest(bacnet):
    """BACNET-FACTS.md section 2's worked sequence, written over BACnet/IP, read over REST."""
    target = "analog-value,2"

    async def work(app: Application) -> list[Any]:
        write, read = app.write_property, app.read_property
        seen = []
        await write(bacnet.address, target, "relinquish-default", 20.0)
        await write(bacnet.address, target, "present-value", 22.0, None, 8)
        seen.append(await read(bacnet.address, target, "present-value"))
        await write(bacnet.address, target, "present-value", 25.0)  # no priority: slot 16
        seen.append(await read(bacnet.address, target, "present-value"))
        await write(bacnet.address, target, "present-value", Null(()), None, 8)
        seen.append(await read(bacnet.address, target, "present-value"))
        return seen

    assert client_run(work) == [22.0, 22.0, 25.0]
    value = rest(bacnet, "GET", AV + "/2/properties/present-value")[1]["value"]
    assert float(value) == 25.0
    assert rest(bacnet, "GET", AV + "/2/properties/current-command-priority")[1]["value"] == "16"


def test_the_rules_of_rest_hold_on_the_wire(bacnet):
    async def work(app: Application) -> list[str]:
        write, read = app.write_property, app.read_property
        return [
            await failing(write(bacnet.address, "analog-value,2", "present-value", 22.0, None, 6)),
            await failing(write(bacnet.address, "analog-input,1", "present-value", 1.0)),
            await failing(write(bacnet.address, "analog-value,1", "present-value", 99.0, None, 8)),
            await failing(write(bacnet.address, "analog-value,2", "object-type", "analog-input")),
            await failing(read(bacnet.address, "analog-value,999", "present-value")),
            await failing(read(bacnet.address, "analog-value,2", "state-text")),
        ]

    assert client_run(work) == [
        "property: write-access-denied",
        "property: write-access-denied",
        "property: value-out-of-range",
        "property: write-access-denied",
        "object: unknown-object",
        "property: unknown-property",
    ]
    assert rest(bacnet, "GET", AV + "/2/properties/priority-array")[1]["value"].count("null") == 16


def test_a_rest_write_reaches_a_cov_subscriber(bacnet):
    async def work(app: Application) -> list[Any]:
        values = []
        async with app.change_of_value(
            bacnet.address, ObjectIdentifier("analog-value,2"), 7, True, 60
        ) as subscription:
            values.append(await asyncio.wait_for(subscription.get_value(), 5))  # the initial notification
            await asyncio.to_thread(
                rest, bacnet, "POST", AV + "/2/properties/present-value?priority=8", {"value": "24.5"}
            )
            while True:
                name, value = await asyncio.wait_for(subscription.get_value(), 5)
                if str(name) == "present-value":
                    values.append(value)
                    return values

    initial, changed = client_run(work)
    assert changed == 24.5


def test_cov_only_where_the_point_list_allows_it(bacnet):
    async def work(app: Application) -> str:
        from bacpypes3.apdu import SubscribeCOVRequest

        ask = SubscribeCOVRequest(
            subscriberProcessIdentifier=1,
            monitoredObjectIdentifier=ObjectIdentifier("device,4194303"),
            issueConfirmedNotifications=False,
            lifetime=60,
            destination=bacnet.address,
        )
        return await failing(app.request(ask))

    assert client_run(work) == "services: cov-subscription-failed"


def test_write_property_multiple_stops_at_its_first_failure(bacnet):
    from bacpypes3.apdu import WritePropertyMultipleRequest
    from bacpypes3.basetypes import PropertyValue, WriteAccessSpecification
    from bacpypes3.constructeddata import Any as AnyValue
    from bacpypes3.primitivedata import Real

    def write(instance: int, value: float) -> Any:
        return WriteAccessSpecification(
            objectIdentifier=ObjectIdentifier(f"analog-value,{instance}"),
            listOfProperties=[
                PropertyValue(propertyIdentifier="present-value", value=AnyValue(Real(value)), priority=8)
            ],
        )

    async def work(app: Application) -> Any:
        ask = WritePropertyMultipleRequest(
            listOfWriteAccessSpecs=[write(2, 21.0), write(1, 99.0), write(3, 23.0)],
            destination=bacnet.address,
        )
        try:
            await app.request(ask)
        except BaseException as failure:
            return failure
        raise AssertionError("the request succeeded")

    failure = client_run(work)
    assert (str(failure.errorType.errorClass), str(failure.errorType.errorCode)) == (
        "property",
        "value-out-of-range",
    )
    assert failure.firstFailedWriteAttempt.objectIdentifier == ObjectIdentifier("analog-value,1")
    assert float(rest(bacnet, "GET", AV + "/2/properties/present-value")[1]["value"]) == 21.0  # applied
    assert float(rest(bacnet, "GET", AV + "/3/properties/present-value")[1]["value"]) != 23.0  # never reached


def test_time_synchronization_moves_the_device_clock(bacnet):
    from bacpypes3.apdu import TimeSynchronizationRequest
    from bacpypes3.basetypes import DateTime

    async def work(app: Application) -> None:
        app.request(
            TimeSynchronizationRequest(time=DateTime("2031-03-04 05:06:07"), destination=bacnet.address)
        )
        await asyncio.sleep(0.5)

    client_run(work)
    assert rest(bacnet, "GET", "/system/date-time")[1]["isoDateTime"].startswith("2031-03-04T05:06")


def test_a_port_in_use_is_refused_at_start():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match=f"BACnet/IP UDP port 127.0.0.1:{port} is taken"):
            EmbeddedServer(port=0, bacnet=True, bacnet_port=port).start()


def test_without_the_extra_bacnet_is_a_clear_error_exit_2():
    probe = (
        "import sys; sys.modules['bacpypes3'] = None\n"
        "from runtime.cli import main\n"
        "sys.exit(main(['--bacnet', '--port', '0']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "pip install 'eclypse-emulator[bacnet]'" in result.stderr and "Traceback" not in result.stderr


def test_a_fleet_is_one_bacnet_device_per_device_on_its_own_port():
    ports = [free_udp_port() for _ in range(3)]
    configs = [DeviceConfig(index, bacnet=True, bacnet_port=port) for index, port in enumerate(ports)]
    with Fleet(configs) as fleet:
        instances = [rest(device, "GET", "/info/bacnet")[1]["deviceInstance"] for device in fleet.devices]

        async def work(app: Application) -> list[Any]:
            found = []
            for port in ports:
                found.extend(await app.who_is(0, 4194303, address=Address(f"127.0.0.1:{port}"), timeout=3))
            return [i_am.iAmDeviceIdentifier[1] for i_am in found]

        assert client_run(work) == instances
    assert len(set(instances)) == 3


def test_offline_is_silent_and_a_reboot_ends_with_an_i_am():
    port = free_udp_port()
    with Fleet([DeviceConfig(0, bacnet=True, bacnet_port=port, reboot_seconds=0.5)]) as fleet:
        address = Address(f"127.0.0.1:{port}")

        async def work(app: Application) -> tuple[int, int, int]:
            before = len(await app.who_is(0, 4194303, address=address, timeout=2))
            await asyncio.to_thread(fleet.offline, 0)
            offline = len(await app.who_is(0, 4194303, address=address, timeout=1))
            await asyncio.to_thread(fleet.online, 0)
            heard: list[Any] = []
            original = app.do_IAmRequest

            async def i_am(apdu: Any) -> None:
                heard.append(apdu)
                await original(apdu)

            app.do_IAmRequest = i_am  # type: ignore[method-assign]
            await asyncio.sleep(0.3)
            heard.clear()
            await asyncio.to_thread(fleet.reboot, 0, 0.5)
            await asyncio.sleep(1.5)
            return before, offline, len(heard)

        before, offline, announced = client_run(work)
    assert (before, offline) == (1, 0)
    assert announced >= 1


def free_udp_ports(count: int) -> int:
    """The first of `count` consecutive free UDP ports."""
    for _ in range(50):
        first = free_udp_port()
        if first + count > 65535:
            continue
        probes = []
        try:
            for port in range(first, first + count):
                probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                probes.append(probe)
                probe.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for probe in probes:
                probe.close()
    pytest.skip("no consecutive free UDP ports")


def test_the_command_line_counts_a_fleets_ports_up_from_bacnet_port():
    first = free_udp_ports(2)
    command = [sys.executable, "-m", "runtime", "--devices", "2", "--port", "0", "--quiet", "--bacnet"]
    process = subprocess.Popen(
        [*command, "--bacnet-port", str(first)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        urls = [process.stdout.readline().split(" serving ")[1].split(" ")[0] for _ in range(2)]
        shown = [
            json.loads(request("GET", url + "/protocols/bacnet/communication/network/ip-ports/1")[2])[
                "bacnetIpUdpPort"
            ]
            for url in urls
        ]
        assert shown == [first, first + 1]

        async def work(app: Application) -> int:
            found = 0
            for port in shown:
                found += len(await app.who_is(0, 4194303, address=Address(f"127.0.0.1:{port}"), timeout=3))
            return found

        assert client_run(work) == 2
    finally:
        process.kill()
        process.wait(timeout=30)


def test_the_command_line_refuses_a_bacnet_port_in_use():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "runtime", "--port", "0", "--bacnet", "--bacnet-port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert (
        f"BACnet/IP UDP port 127.0.0.1:{port} is taken" in result.stderr and "Traceback" not in result.stderr
    )


def test_read_range_of_a_trend_log_and_of_anything_else(bacnet):
    trend_logs = rest(bacnet, "GET", "/protocols/bacnet/local/objects/trend-log")[1]
    instance = int(trend_logs[0]["name"].split("_")[1])

    async def work(app: Application) -> tuple[Any, str]:
        from bacpypes3.apdu import ReadRangeRequest

        asked = ReadRangeRequest(
            objectIdentifier=ObjectIdentifier(f"trend-log,{instance}"),
            propertyIdentifier="log-buffer",
            destination=bacnet.address,
        )
        answer = await app.request(asked)
        wrong = ReadRangeRequest(
            objectIdentifier=ObjectIdentifier("analog-value,2"),
            propertyIdentifier="present-value",
            destination=bacnet.address,
        )
        return answer, await failing(app.request(wrong))

    answer, error = client_run(work)
    assert answer.itemCount >= 1 and answer.firstSequenceNumber == 1  # the living building's records
    assert error == "services: property-is-not-alist"  # bacpypes3's spelling of property-is-not-a-list


def test_a_large_object_list_is_read_whole_segmented_and_by_index(tmp_path):
    points = {"objects": [{"type": "analogValue", "instance": n, "presentValue": n} for n in range(1, 2001)]}
    path = tmp_path / "points.json"
    path.write_text(json.dumps(points))
    with EmbeddedServer(port=0, points=str(path), bacnet=True, bacnet_port=0) as server:
        port = rest(server, "GET", "/protocols/bacnet/communication/network/ip-ports/1")[1]["bacnetIpUdpPort"]
        address = Address(f"127.0.0.1:{port}")

        async def work(app: Application) -> tuple[Any, Any, Any]:
            await app.who_is(0, 4194303, address=address, timeout=3)  # learns its APDU size and segmentation
            read = app.read_property
            return (
                await read(address, "device,4194303", "object-list", 0),
                await read(address, "device,4194303", "object-list", 2001),
                await read(address, "device,4194303", "object-list"),
            )

        length, last, whole = client_run(work)
    assert length == len(whole) == 2001
    assert last == ObjectIdentifier("analog-value,2000") == whole[-1]


def listening(app: Application) -> asyncio.Queue:
    """The COV notifications `app` receives (unconfirmed), as (object, {property: value})."""
    heard: asyncio.Queue = asyncio.Queue()

    async def notified(apdu: Any) -> None:
        values = {str(v.propertyIdentifier): v.value for v in apdu.listOfValues}
        heard.put_nowait((apdu.monitoredObjectIdentifier, apdu.timeRemaining, values))

    app.do_UnconfirmedCOVNotificationRequest = notified  # type: ignore[method-assign]
    return heard


def subscribe(app: Application, address: Address, target: str, lifetime: int | None, process: int = 5) -> Any:
    from bacpypes3.apdu import SubscribeCOVRequest

    ask = SubscribeCOVRequest(
        subscriberProcessIdentifier=process,
        monitoredObjectIdentifier=ObjectIdentifier(target),
        destination=address,
    )
    if lifetime is not None:
        ask.issueConfirmedNotifications, ask.lifetime = False, lifetime
    return app.request(ask)


async def quiet(heard: asyncio.Queue, seconds: float) -> bool:
    try:
        await asyncio.wait_for(heard.get(), seconds)
    except asyncio.TimeoutError:
        return True
    return False


def test_cov_follows_cov_increment_and_status_flags_of_forced_values(bacnet):
    """A sensor moved through the control API notifies when it moves by covIncrement (0.1 here) or its
    statusFlags change; a smaller move alone does not."""

    async def work(app: Application) -> list[Any]:
        heard = listening(app)
        await subscribe(app, bacnet.address, "analog-input,1", 300)
        seen = [(await asyncio.wait_for(heard.get(), 5))[2]]  # the initial notification
        await asyncio.to_thread(bacnet.set_point, "analogInput", 1, {"physicalValue": "30"})
        seen.append((await asyncio.wait_for(heard.get(), 5))[2])
        await asyncio.to_thread(bacnet.set_point, "analogInput", 1, {"physicalValue": "30.05"})
        small_move_was_quiet = await quiet(heard, 1.5)
        await asyncio.to_thread(bacnet.set_point, "analogInput", 1, {"outOfService": "true"})
        seen.append((await asyncio.wait_for(heard.get(), 5))[2])
        return [small_move_was_quiet, *seen]

    quiet_move, initial, moved, out_of_service = client_run(work)
    assert quiet_move
    assert moved["present-value"].cast_out(bacpypes3.primitivedata.Real) == 30.0
    flags = out_of_service["status-flags"].cast_out(bacpypes3.basetypes.StatusFlags)
    assert (
        flags[3] == 1
        and abs(out_of_service["present-value"].cast_out(bacpypes3.primitivedata.Real) - 30.05) < 1e-4
    )


def test_a_cov_subscription_ends_with_its_lifetime_or_its_cancellation(bacnet):
    async def work(app: Application) -> tuple[int, bool, bool]:
        heard = listening(app)
        await subscribe(app, bacnet.address, "analog-value,2", 2, process=1)
        _, remaining, _ = await asyncio.wait_for(heard.get(), 5)
        await subscribe(app, bacnet.address, "analog-value,3", 300, process=2)
        await asyncio.wait_for(heard.get(), 5)
        await subscribe(app, bacnet.address, "analog-value,3", None, process=2)  # cancels
        await asyncio.sleep(2.5)
        for instance in (2, 3):
            path = f"{AV}/{instance}/properties/present-value?priority=8"
            await asyncio.to_thread(rest, bacnet, "POST", path, {"value": "25"})
        return remaining, await quiet(heard, 1.5), True

    remaining, silent, _ = client_run(work)
    assert 0 < remaining <= 2
    assert silent


def test_reinitialize_device_is_a_reboot_silent_then_an_i_am():
    with EmbeddedServer(port=0, bacnet=True, bacnet_port=0, reboot_seconds=1) as server:
        port = rest(server, "GET", "/protocols/bacnet/communication/network/ip-ports/1")[1]["bacnetIpUdpPort"]
        address = Address(f"127.0.0.1:{port}")

        async def work(app: Application) -> tuple[int, int]:
            from bacpypes3.apdu import ReinitializeDeviceRequest

            heard: list[Any] = []
            original = app.do_IAmRequest

            async def i_am(apdu: Any) -> None:
                heard.append(apdu)
                await original(apdu)

            app.do_IAmRequest = i_am  # type: ignore[method-assign]
            await app.request(
                ReinitializeDeviceRequest(reinitializedStateOfDevice="warmstart", destination=address)
            )
            down = len(await app.who_is(0, 4194303, address=address, timeout=0.5))
            heard.clear()
            await asyncio.sleep(2)
            return down, len(heard)

        down, announced = client_run(work)
    assert down == 0 and announced >= 1


def test_bacnet_writes_persist_with_state(tmp_path):
    state = str(tmp_path / "device.db")

    async def write(app: Application, address: Address) -> None:
        await app.write_property(address, "analog-value,2", "present-value", 26.5, None, 9)

    with EmbeddedServer(port=0, state_file=state, bacnet=True, bacnet_port=0) as server:
        port = rest(server, "GET", "/protocols/bacnet/communication/network/ip-ports/1")[1]["bacnetIpUdpPort"]
        client_run(lambda app: write(app, Address(f"127.0.0.1:{port}")))
    with EmbeddedServer(port=0, state_file=state) as server:
        assert float(rest(server, "GET", AV + "/2/properties/present-value")[1]["value"]) == 26.5


@pytest.mark.parametrize("core", ["asyncio", "threads"])
def test_the_simulation_moving_a_value_notifies_cov_subscribers(core):
    """The outdoor air of the default building swings over the day: advancing the device's manual clock moves
    it, and a subscriber hears it without any write (the simulation's values are worked out when read)."""
    port = free_udp_port()
    with EmbeddedServer(
        port=0, core=core, clock="manual", device_time="2026-12-07T06:00:00Z", bacnet=True, bacnet_port=port
    ) as server:
        address = Address(f"127.0.0.1:{port}")

        async def work(app: Application) -> tuple[float, float, float]:
            heard = listening(app)
            await subscribe(app, address, "analog-input,3", 300)
            initial = (await asyncio.wait_for(heard.get(), 5))[2]["present-value"]
            await asyncio.to_thread(server.advance, 4 * 3600)
            moved = (await asyncio.wait_for(heard.get(), 5))[2]["present-value"]
            over_rest = (
                await asyncio.to_thread(
                    rest,
                    server,
                    "GET",
                    "/protocols/bacnet/local/objects/analog-input/3/properties/present-value",
                )
            )[1]["value"]
            real = bacpypes3.primitivedata.Real
            return initial.cast_out(real), moved.cast_out(real), float(over_rest)

        before, after, read_over_rest = client_run(work)
    assert after - before >= 3.0  # from 06:00 to 10:00, the morning's warming (mean 8 °C, swing 6 °C)
    assert abs(after - read_over_rest) < 1e-3  # the value notified is the value REST reads


def test_read_range_by_position_sequence_number_and_time():
    """A trend log of the default building on the manual clock (every 5 minutes from midnight): each form of
    ReadRange answers the records the standard says, with their first sequence number and flags."""
    port = free_udp_port()
    with EmbeddedServer(
        port=0, clock="manual", device_time="2026-12-07T00:00:00Z", bacnet=True, bacnet_port=port
    ) as server:
        server.advance(3600)  # 13 records, sequence numbers 1 to 13
        address = Address(f"127.0.0.1:{port}")

        async def work(app: Application) -> list[Any]:
            from bacpypes3.apdu import ReadRangeRequest
            from bacpypes3.basetypes import (
                DateTime,
                Range,
                RangeByPosition,
                RangeBySequenceNumber,
                RangeByTime,
            )
            from bacpypes3.primitivedata import Date, Time

            at_00_10 = DateTime(date=Date((126, 12, 7, 255)), time=Time((0, 10, 0, 0)))
            ranges = [
                Range(byPosition=RangeByPosition(referenceIndex=2, count=3)),
                Range(bySequenceNumber=RangeBySequenceNumber(referenceSequenceNumber=13, count=-2)),
                Range(byTime=RangeByTime(referenceTime=at_00_10, count=2)),  # after 00:10: 00:15, 00:20
                Range(byTime=RangeByTime(referenceTime=at_00_10, count=-2)),  # before 00:10: 00:00, 00:05
            ]
            answers = []
            for asked in ranges:
                request = ReadRangeRequest(
                    objectIdentifier=ObjectIdentifier("trend-log,1"),
                    propertyIdentifier="log-buffer",
                    range=asked,
                    destination=address,
                )
                answer = await app.request(request)
                answers.append((answer.firstSequenceNumber, answer.itemCount, list(answer.resultFlags)))
            return answers

        by_position, by_sequence, after, before = client_run(work)
    assert by_position == (2, 3, [0, 0, 0])
    assert by_sequence == (12, 2, [0, 1, 0])  # the last two: lastItem set
    assert after == (4, 2, [0, 0, 0])
    assert before == (1, 2, [1, 0, 0])  # the first two: firstItem set


def test_subscriptions_beyond_the_bound_are_refused_and_a_renewal_is_not_new(bacnet, monkeypatch):
    from eclypse_emulator.runtime.bacnet import cov

    monkeypatch.setattr(cov, "MAX_SUBSCRIPTIONS", 2)

    async def work(app: Application) -> tuple[str, str]:
        listening(app)
        await subscribe(app, bacnet.address, "analog-input,1", 300)
        await subscribe(app, bacnet.address, "analog-input,2", 300)
        await subscribe(app, bacnet.address, "analog-input,2", 600)  # a renewal: still two
        return await failing(subscribe(app, bacnet.address, "analog-input,3", 300)), "ok"

    refused, _ = client_run(work)
    assert refused == "resources: no-space-to-add-list-element"
