"""The markdown report and the chart of one run's results."""

from __future__ import annotations

from typing import Any

from common import CONNECTIONS, VARIANTS


def fmt_ms(value: float) -> str:
    if value != value:  # NaN
        return "n/a"
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:.0f}"


def fmt_us(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


def fmt_cores(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def fmt_ratio(value: float | None) -> str:
    return "n/a" if value is None or value != value else f"{value:.2f}×"


def ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def report(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        "## Benchmark",
        "",
        f"- Command: `{results['command']}`",
        f"- Machine: {m['nproc']} CPU(s), {m['cpu_model']}, {m['memory_mb']} MB; "
        f"{m['python_implementation']} {m['python']}; {m['platform']}",
        f"- Load generator: {results['loadgen']}",
        f"- Code under test: commit {results.get('commit') or 'unknown'}",
        f"- {results['duration_per_cell_s']} s per cell; emulator: `{results['emulator_command']}` "
        "(a separate process); reference: bench/reference_server.py (ThreadingHTTPServer, HTTP/1.1 keep-alive, "
        f"TCP_NODELAY, backlog 1024, no logging, one write of a constant {results.get('json_body_size', '?')}-byte body)",
        f"- {results['started']}; machine busy before the run: {fmt_cores(results.get('background_cores_before'))} "
        f"core(s); a cell during which other processes used more than {results['noise_threshold_cores']} core "
        "is run again (twice at most), the quietest attempt kept",
        "",
    ]
    cells = results.get("cells", [])
    if cells:
        lines += [
            "### GET /api/rest/v1/system/backup/jobs/{id}",
            "",
            "| answer | conns | req/s | × ref | p50 ms | p99 ms | p50 × ref | p99 × ref | socket errors | non-2xx "
            "| server CPU µs/req | server CPU | other CPU |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for connections in CONNECTIONS:
            ref = next(
                (c for c in cells if c["target"] == "reference" and c["connections"] == connections), None
            )
            for cell in (c for c in cells if c["connections"] == connections):
                is_ref = cell["target"] == "reference"
                name = "reference (constant body)" if is_ref else cell["target"]
                r_rps = "1.00×" if is_ref else fmt_ratio(ratio(cell["rps"], ref["rps"]) if ref else None)
                r_p50 = (
                    "1.00×" if is_ref else fmt_ratio(ratio(cell["p50_ms"], ref["p50_ms"]) if ref else None)
                )
                r_p99 = (
                    "1.00×" if is_ref else fmt_ratio(ratio(cell["p99_ms"], ref["p99_ms"]) if ref else None)
                )
                lines.append(
                    f"| {name} | {connections} | {cell['rps']:,.0f} | {r_rps} | {fmt_ms(cell['p50_ms'])} | "
                    f"{fmt_ms(cell['p99_ms'])} | {r_p50} | {r_p99} | {cell['socket_errors']} | {cell['non_2xx']} | "
                    f"{fmt_us(cell.get('server_us_per_request'))} | {fmt_cores(cell.get('server_cpu'))} | "
                    f"{fmt_cores(cell.get('other_cpu'))} |"
                )
        lines += [
            "",
            "Server CPU µs/req: CPU time (user + system, all threads) the server process spent per answered "
            "request, the figure least disturbed by other load. The other two CPU columns are in cores (of the "
            f"machine's {m['nproc']}): the server process, and every process that is neither the server nor the "
            "load generator (noise).",
            "",
        ]
    other = ["### Other figures", "", "| measure | value |", "|---|---|"]
    for create in results.get("creates", []):
        other.append(
            f"| creates/s, POST /system/backup/create, {create['connections']} conn(s) | {create['rps']:,.0f} "
            f"(p50 {fmt_ms(create['p50_ms'])} ms, p99 {fmt_ms(create['p99_ms'])} ms, "
            f"errors {create['socket_errors']}, non-2xx {create['non_2xx']}) |"
        )
    for point in results.get("memory", []):
        if point["jobs"] < 1000:
            continue
        per_job = (point["rss_kb"] - point["base_rss_kb"]) * 1024 / point["jobs"]
        other.append(
            f"| RSS after {point['jobs']:,} jobs (in-process `Emulator.create_job`) | {point['rss_kb'] / 1024:,.1f} MB "
            f"({per_job:,.0f} B/job over the {point['base_rss_kb'] / 1024:.1f} MB start; "
            f"{point['jobs'] / point['create_s']:,.0f} creates/s in-process) |"
        )
    for point in results.get("memory", []):
        if "respond_us" in point:
            other.append(
                f"| `Emulator.respond` in-process (GET JSON), {point['jobs']:,} jobs "
                f"| {point['respond_us']:.2f} µs/request over up to 1,000 of its jobs at random, "
                f"{point['respond_hot_us']:.2f} µs/request on one job (best of 5 × 20,000) |"
            )
    scale = results.get("scaling")
    if scale:
        for label in ("few", "many"):
            other.append(
                f"| GET JSON, 1 conn, {scale[label]:,} jobs | p50 {fmt_ms(scale[label + '_p50_ms'])} ms, "
                f"p99 {fmt_ms(scale[label + '_p99_ms'])} ms, {scale[label + '_rps']:,.0f} req/s "
                f"(server RSS {scale['rss_kb'][label] / 1024:,.1f} MB) |"
            )
        other.append(
            f"| latency with {scale['many']:,} jobs / with {scale['few']} | "
            f"p50 {fmt_ratio(ratio(scale['many_p50_ms'], scale['few_p50_ms']))}, "
            f"p99 {fmt_ratio(ratio(scale['many_p99_ms'], scale['few_p99_ms']))} "
            f"(median of {len(scale['rounds']) // 2} alternating round(s)) |"
        )
    routed = results.get("routing")
    if routed:
        other.append(
            f"| GET JSON, 16 conns, real spec / spec of {routed['resources']:,} resources | "
            f"{routed['real_rps']:,.0f} / {routed['big_rps']:,.0f} req/s; server CPU {routed['real_us']:.0f} / "
            f"{routed['big_us']:.0f} µs/req (median of {len(routed['rounds']) // 2} alternating round(s)) |"
        )
    code = results.get("codegen")
    if code:
        if "error" in code:
            other.append(f"| `python -m codegen` wall time | failed: {' '.join(code['error'])} |")
        else:
            other.append(
                f"| `python -m codegen` wall time | {code['median_s']:.2f} s median of {len(code['runs'])} "
                f"(min {code['min_s']:.2f} s; output identical to generated/: {'yes' if code['identical'] else 'no'}; "
                f"other processes used {fmt_cores(code.get('other_cpu'))} core(s) meanwhile) |"
            )
    if len(other) > 4:
        lines += other + [""]
    lines += targets_table(results)
    notes = sorted({n for c in cells + results.get("creates", []) for n in c.get("notes", [])})
    if notes:
        lines += ["Notes: " + "; ".join(notes), ""]
    return "\n".join(lines)


def targets_table(results: dict[str, Any]) -> list[str]:
    rows = []
    cells = results.get("cells", [])

    def cell(target: str, connections: int) -> dict[str, Any] | None:
        return next((c for c in cells if c["target"] == target and c["connections"] == connections), None)

    json16, ref16 = cell("JSON", 16), cell("reference", 16)
    if json16 and ref16:
        r = json16["rps"] / ref16["rps"]
        rows.append(("JSON GET throughput at 16 conns ≥ 0.9× reference", f"{r:.2f}×", r >= 0.9))
    json64, ref64 = cell("JSON", 64), cell("reference", 64)
    if json64 and ref64:
        clean = json64["socket_errors"] == 0 and json64["non_2xx"] == 0
        rows.append(
            (
                "64 conns: no socket errors, no non-2xx",
                f"{json64['socket_errors']} errors, {json64['non_2xx']} non-2xx",
                clean,
            )
        )
        rows.append(
            (
                "64 conns: p99 ≤ reference's",
                f"{fmt_ms(json64['p99_ms'])} ms vs {fmt_ms(ref64['p99_ms'])} ms",
                json64["p99_ms"] <= ref64["p99_ms"],
            )
        )
        rows.append(
            ("64 conns: p99 < 20 ms (stretch)", f"{fmt_ms(json64['p99_ms'])} ms", json64["p99_ms"] < 20)
        )
    million = next((p for p in results.get("memory", []) if p["jobs"] == 1_000_000), None)
    if million:
        rows.append(
            (
                "1,000,000 jobs < 300 MB RSS",
                f"{million['rss_kb'] / 1024:,.1f} MB",
                million["rss_kb"] < 300 * 1024,
            )
        )
    scale = results.get("scaling")
    if scale:
        r = scale["many_p50_ms"] / scale["few_p50_ms"]
        rows.append(
            (f"GET p50 with {scale['many']:,} jobs within 10% of with {scale['few']}", f"{r:.2f}×", r <= 1.10)
        )
    if json16:
        us = json16["server_us_per_request"]
        rows.append(
            ("server CPU ≤ 20 µs/request (JSON, 16 conns)", f"{us:.1f} µs", us is not None and us <= 20)
        )
    routed = results.get("routing")
    if routed and routed["real_us"]:
        r = routed["big_us"] / routed["real_us"]
        rows.append(
            (
                f"seed GET with {routed['resources']:,} resources within 10% of the real spec (server CPU/req)",
                f"{r:.2f}×",
                r <= 1.10,
            )
        )
    code = results.get("codegen")
    if code and "error" not in code:
        rows.append(("regeneration < 2 s", f"{code['median_s']:.2f} s", code["median_s"] < 2))
    if not rows:
        return []
    out = ["### Targets (issue 4)", "", "| target | measured | met |", "|---|---|---|"]
    out += [f"| {name} | {value} | {'yes' if ok else '**no**'} |" for name, value, ok in rows]
    return out + [""]


def draw_png(results: dict[str, Any], path: str) -> str:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "no PNG: matplotlib is not importable (pip install matplotlib)"
    cells = results.get("cells", [])
    if not cells:
        return "no PNG: no HTTP cells were measured"
    names = ["reference", *[v[0] for v in VARIANTS]]
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(10, 8))
    width = 0.8 / len(names)
    for index, name in enumerate(names):
        xs = [i + (index - (len(names) - 1) / 2) * width for i in range(len(CONNECTIONS))]
        row = [
            next((c for c in cells if c["target"] == name and c["connections"] == n), None)
            for n in CONNECTIONS
        ]
        top.bar(xs, [c["rps"] if c else 0 for c in row], width, label=name)
        bottom.bar(xs, [c["p99_ms"] if c else 0 for c in row], width, label=name)
    for axis, title in ((top, "throughput (req/s)"), (bottom, "p99 latency (ms, log scale)")):
        axis.set_xticks(range(len(CONNECTIONS)), [f"{n} conn{'s' if n > 1 else ''}" for n in CONNECTIONS])
        axis.set_title(f"GET backup job: {title}")
        axis.legend(fontsize="small")
    bottom.set_yscale("log")
    m = results["machine"]
    figure.suptitle(
        f"{m['nproc']} CPU {m['cpu_model']}, Python {m['python']}, {results['loadgen_kind']}", fontsize=9
    )
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return f"chart written to {path}"
