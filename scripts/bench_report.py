#!/usr/bin/env python3
"""Merges one benchmark run into bench/results.json and bench/results.md.

Inputs (all written by scripts/bench.sh in the same run):
  - criterion's target/criterion/**/new/{estimates,benchmark}.json (Rust API);
  - memory.json from benches/memory.rs;
  - the C bench host's JSON (examples/bench.c);
  - the durable swarm's JSON (examples/durable_swarm.rs), when given;
  - facts about the run (date, load average at start and end, machine).

Every time-like figure is also given as a ratio to its physical floor,
the SHA-256 work the same events need (benches/floor.rs, same run):
ratio = time per unit / floor time per unit, so 1.0 would mean "nothing
but hashing" and 3.0 "three times what the hashing alone costs".
Standard library only.
"""

import argparse
import glob
import json
import os

EVENTS_PER_RESOLVE = {"A": 8, "B": 54}

# The targets (medians, atlas A). Each applies to the C ABI figure
# (what hosts pay) and, where one exists, to the matching Rust API figure.
TARGETS = {
    "resolve.immediate.A": ("<=", 3000.0, "ns", "immediate cra_resolve <= 3 us"),
    "resolve.deferred.A": ("<=", 1000.0, "ns", "deferred hot path <= 1 us"),
    "deferred.burst100_flush.A": ("<=", 300_000.0, "ns", "100 resolves + flush <= 300 us"),
    "processor.A": (">=", 1.5e6, "events/s", "processor >= 1.5 M events/s"),
    "verify_chain.A": (">=", 2e6, "events/s", "verify >= 2 M events/s (verify_chain)"),
    "verify_jsonl.A": (">=", 2e6, "events/s", "verify >= 2 M events/s (verify_jsonl)"),
    "swarm.2": (">=", 150_000.0, "resolves/s", "swarm, 2 producers >= 150 k resolves/s, zero loss"),
    "memory.beyond_payload": ("<=", 300.0, "bytes/event", "<= 300 bytes per stored event beyond payload"),
    "durable_swarm.sqlite.2": (">=", 60_000.0, "resolves/s",
                               "durable swarm, 2 producers, SQLite >= 60 k resolves/s, memory flat, zero loss"),
    "durable_swarm.postgres.2": (">=", 30_000.0, "resolves/s",
                                 "durable swarm, 2 producers, PostgreSQL on the same 2 cores >= 30 k resolves/s, memory flat, zero loss"),
    "read_back.sqlite": (">=", 1e6, "events/s", "reading a stored 10 000-event session back >= 1 M events/s"),
    "check.parameters_schema": ("<=", 1000.0, "ns", "the parameters schema check <= 1 us"),
}

# Criterion benchmark id -> (figure key, kind, unit, floor spec). A floor
# spec is (atlas, resolves per unit) for latencies, or atlas for per-event
# throughputs.
CRITERION = {
    "floor/event_hash": ("floor.event_hash", "latency", "ns", None),
    "floor/resolve_hashes/A": ("floor.resolve_hashes.A", "latency", "ns", None),
    "floor/resolve_hashes/B": ("floor.resolve_hashes.B", "latency", "ns", None),
    "floor/resolve_event_hash/A": ("floor.resolve_event_hash.A", "latency", "ns", None),
    "floor/resolve_event_hash/B": ("floor.resolve_event_hash.B", "latency", "ns", None),
    "resolve/immediate/A": ("resolve.immediate.A", "latency", "ns", ("A", 1)),
    "resolve/immediate/B": ("resolve.immediate.B", "latency", "ns", ("B", 1)),
    "resolve/deferred_hot_path/A": ("resolve.deferred.A", "latency", "ns", ("A", 1)),
    "resolve/deferred_hot_path/B": ("resolve.deferred.B", "latency", "ns", ("B", 1)),
    "sync/deferred/resolve_then_await/A": ("deferred.resolve_await.A", "latency", "ns", ("A", 1)),
    "sync/deferred/100_resolves_then_flush/A": ("deferred.burst100_flush.A", "latency", "ns", ("A", 100)),
    "sync/immediate/100_resolves/A": ("immediate.burst100.A", "latency", "ns", ("A", 100)),
    "check/immediate/A": ("check.immediate.A", "latency", "ns", ("A", 1)),
    "check/deferred_hot_path/A": ("check.deferred.A", "latency", "ns", ("A", 1)),
    "check/parameters_schema": ("check.parameters_schema", "latency", "ns", None),
    "processor/drain/A": ("processor.A", "throughput", "events/s", "A"),
    "processor/drain/B": ("processor.B", "throughput", "events/s", "B"),
    "verify/chain/A": ("verify_chain.A", "throughput", "events/s", "A"),
    "verify/jsonl/A": ("verify_jsonl.A", "throughput", "events/s", "A"),
}

# C bench host figure id -> floor spec, as above.
C_FLOORS = {
    "c.resolve.immediate.A": ("A", 1),
    "c.resolve.immediate.B": ("B", 1),
    "c.resolve.deferred.A": ("A", 1),
    "c.resolve.deferred.B": ("B", 1),
    "c.deferred.resolve_await.A": ("A", 1),
    "c.deferred.burst100_flush.A": ("A", 100),
    "c.immediate.burst100.A": ("A", 100),
    "c.processor.A": "A",
    "c.processor.B": "B",
    "c.verify_chain.A": "A",
    "c.verify_jsonl.A": "A",
    "c.swarm.1": ("A", 1),
    "c.swarm.2": ("A", 1),
    "c.swarm.8": ("A", 1),
}

WHAT = {
    "floor.event_hash": "SHA-256 of one policy.evaluated event's hashed bytes (event_hash)",
    "floor.resolve_hashes.A": "SHA-256 of the 8 events of one atlas-A resolve, one after the other (the floor)",
    "floor.resolve_hashes.B": "SHA-256 of the 54 events of one atlas-B resolve, one after the other (the floor)",
    "floor.resolve_event_hash.A": "the same 8 events hashed from their members by event_hash, as sealing and verification do",
    "floor.resolve_event_hash.B": "the same 54 events hashed from their members by event_hash, as sealing and verification do",
    "resolve.immediate.A": "Resolver::resolve, immediate (events hashed, chained, stored)",
    "resolve.immediate.B": "Resolver::resolve, immediate, atlas B",
    "resolve.deferred.A": "Resolver::resolve, deferred hot path (events queued)",
    "resolve.deferred.B": "Resolver::resolve, deferred hot path, atlas B",
    "deferred.resolve_await.A": "resolve then await_trace_ready (deferred)",
    "deferred.burst100_flush.A": "100 resolves then flush_traces (deferred)",
    "immediate.burst100.A": "100 resolves (immediate), for comparison",
    "check.immediate.A": "Resolver::check_action, immediate (all seven rules, approved: 2 events sealed)",
    "check.deferred.A": "Resolver::check_action, deferred hot path (events queued)",
    "check.parameters_schema": "the parameters schema check alone (a small object schema)",
    "processor.A": "deferred processor draining a full buffer",
    "processor.B": "deferred processor draining a full buffer, atlas B",
    "verify_chain.A": "verify_chain over a stored 8 001-event session",
    "verify_jsonl.A": "verify_jsonl over the same session as JSON Lines",
}


def criterion_figures(root):
    figures = {}
    for path in glob.glob(os.path.join(root, "**", "new", "benchmark.json"), recursive=True):
        with open(path) as f:
            bench = json.load(f)
        spec = CRITERION.get(bench["full_id"])
        if spec is None:
            continue
        with open(os.path.join(os.path.dirname(path), "estimates.json")) as f:
            estimates = json.load(f)
        key, kind, unit, floor = spec
        ns = estimates["median"]["point_estimate"]
        low = estimates["median"]["confidence_interval"]["lower_bound"]
        high = estimates["median"]["confidence_interval"]["upper_bound"]
        figure = {"id": "rust." + key, "key": key, "api": "Rust", "kind": kind, "floor": floor,
                  "what": WHAT.get(key, bench["full_id"]), "criterion_id": bench["full_id"]}
        if kind == "latency":
            figure.update(unit="ns", median=ns, median_ci95=[low, high], p99=None, p999=None,
                          tails="criterion times batches of calls: see the C ABI figure for tails")
        else:
            elements = bench["throughput"]["Elements"]
            figure.update(unit=unit, median=elements * 1e9 / ns,
                          median_ci95=[elements * 1e9 / high, elements * 1e9 / low],
                          per_iteration_ns=ns, units_per_iteration=elements)
        figures[key] = figure
    return figures


def c_figures(c_json):
    figures = {}
    for raw in c_json["figures"]:
        key = raw["id"][2:]
        figure = dict(raw)
        figure.update(key=key, api="C", floor=C_FLOORS.get(raw["id"]))
        figures[key] = figure
    return figures


def durable_figures(durable_json):
    """The durable swarm's figures (Rust API); the swarms per atlas-A resolve."""
    figures = {}
    for raw in durable_json["figures"]:
        key = raw["id"][2:]
        figure = dict(raw)
        figure.update(key=key, api="Rust",
                      floor=("A", 1) if key.startswith("durable_swarm") else None)
        figures[key] = figure
    return figures


def floor_ns(floors, spec):
    """Floor time per unit of a figure: per call/burst for latencies (a
    tuple), per event for throughputs (an atlas name)."""
    if isinstance(spec, (tuple, list)):
        atlas, resolves = spec
        return floors["floor.resolve_hashes." + atlas] * resolves
    return floors["floor.resolve_hashes." + spec] / EVENTS_PER_RESOLVE[spec]


def add_ratio(figure, floors):
    spec = figure.get("floor")
    if spec is None or not floors:
        figure["ratio_to_floor"] = None
        return
    floor = floor_ns(floors, spec)
    if figure["kind"] == "latency":
        per_unit = figure["median"]
    else:  # a rate: time per unit is its inverse
        per_unit = 1e9 / figure["median"]
    figure["floor_ns"] = floor
    figure["ratio_to_floor"] = per_unit / floor


def add_target(figure):
    target = TARGETS.get(figure["key"])
    if target is None:
        return
    op, value, unit, text = target
    met = figure["median"] <= value if op == "<=" else figure["median"] >= value
    if figure["key"].startswith(("swarm", "durable_swarm")):
        met = met and figure.get("events_lost") == 0 and figure.get("chains_verified") == figure.get("chains")
    if "rss_warm_bytes" in figure:
        met = met and figure["rss_end_bytes"] <= 1.1 * figure["rss_warm_bytes"]
    figure["target"] = {"text": text, "op": op, "value": value, "unit": unit,
                        "status": "met" if met else "missed"}


def fmt_time(ns):
    if ns is None:
        return "–"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def fmt_value(figure, field):
    value = figure.get(field)
    if value is None:
        return "–"
    if figure["unit"] == "ns":
        return fmt_time(value)
    if figure["unit"] == "bytes/event":
        return f"{value:.0f} B"
    if figure["unit"] == "events/s" and value < 1e6 and value >= 1e3:
        return f"{value / 1e3:.0f} k/s"
    if value >= 1e6:
        return f"{value / 1e6:.2f} M/s"
    return f"{value / 1e3:.0f} k/s"


def interference(run):
    """What other work took from the run, when the run recorded it."""
    if "other_cpu_seconds" not in run:
        return "- other work during the run: not recorded"
    return (
        f"- other work during the run: {run['other_cpu_seconds']} CPU-seconds of other "
        f"processes and {run['steal_seconds']} s stolen by the hypervisor, over "
        f"{run['wall_seconds']} s on {run['machine']['cores']} cores"
    )


def markdown(results):
    run = results["run"]
    lines = [
        "# Benchmark results",
        "",
        f"- date: {run['started_utc']} (UTC){' — QUICK RUN, not for comparison' if run['quick'] else ''}",
        f"- machine: {run['machine']['cpu']}, {run['machine']['cores']} cores, "
        f"SHA extensions: {'yes' if run['machine']['sha_ni'] else 'no'}",
        f"- load average (1, 5, 15 min) at start: {run['load_start']}; at end: {run['load_end']}",
        interference(run),
        f"- commit: {run['commit']}; libcra {run['library_version']}",
        "",
        "Latencies are medians with their p99 and p99.9 (C ABI: every call timed on its own;",
        "Rust API: criterion's median over batches, so no tails). `× floor` divides the time",
        "per unit by the SHA-256 time of the same events (`floor.resolve_hashes` rows, same run).",
        "",
        "## Targets (atlas A, medians)",
        "",
        "| target | C ABI | Rust API | status (C ABI) |",
        "| --- | --- | --- | --- |",
    ]
    by_key = {}
    for figure in results["figures"]:
        by_key.setdefault(figure["key"], {})[figure["api"]] = figure
    for key, (_, _, _, text) in TARGETS.items():
        apis = by_key.get(key, {})
        c, rust = apis.get("C"), apis.get("Rust")
        deciding = c or rust
        status = deciding["target"]["status"] if deciding and "target" in deciding else "not measured"
        extra = ""
        if c and key.startswith("swarm"):
            extra = f" (lost {c['events_lost']}, {c['chains_verified']}/{c['chains']} chains verified)"
        if rust and "rss_warm_bytes" in rust:
            extra = (f" (lost {rust['events_lost']}, resident {rust['rss_warm_bytes'] / 2**20:.0f} MiB "
                     f"after warm-up, {rust['rss_end_bytes'] / 2**20:.0f} MiB at the end)")
        lines.append(f"| {text} | {fmt_value(c, 'median') if c else '–'}{extra} | "
                     f"{fmt_value(rust, 'median') if rust else '–'} | **{status}** |")
    lines += [
        "",
        "## All figures",
        "",
        "| figure | API | median | p99 | p99.9 | × floor | what |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for figure in results["figures"]:
        ratio = figure.get("ratio_to_floor")
        lines.append(
            f"| {figure['key']} | {figure['api']} | {fmt_value(figure, 'median')} | "
            f"{fmt_value(figure, 'p99')} | {fmt_value(figure, 'p999')} | "
            f"{'–' if ratio is None else f'{ratio:.2f}'} | {figure.get('what', '')} |")
    lines.append("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--criterion", required=True)
    parser.add_argument("--memory", required=True)
    parser.add_argument("--c", dest="c_json", required=True)
    parser.add_argument("--run", required=True, help="JSON facts about the run")
    parser.add_argument("--durable", help="the durable swarm's JSON")
    parser.add_argument("--out-json", required=True)
    parser.add_argument("--out-md", required=True)
    args = parser.parse_args()

    with open(args.run) as f:
        run = json.load(f)
    with open(args.c_json) as f:
        c_json = json.load(f)
    with open(args.memory) as f:
        memory = json.load(f)
    run["library_version"] = c_json["library_version"]
    run["quick"] = run.get("quick", False) or c_json["quick"]

    rust = criterion_figures(args.criterion)
    c = c_figures(c_json)
    floors = {key: f["median"] for key, f in rust.items() if key.startswith("floor.")}
    figures = list(rust.values()) + list(c.values())
    if args.durable:
        with open(args.durable) as f:
            figures += list(durable_figures(json.load(f)).values())
    figures.append({
        "id": "rust.memory.beyond_payload", "key": "memory.beyond_payload", "api": "Rust",
        "kind": "memory", "unit": "bytes/event", "floor": None,
        "median": memory["beyond_payload_bytes_per_event"], "p99": None, "p999": None,
        "what": f"resident bytes per stored event beyond payload text, after {memory['events']:,} events "
                f"({memory['resident_bytes_per_event']:.0f} B resident in all, "
                f"{memory['payload_bytes_per_event']:.0f} B of it payload)",
        "detail": memory,
    })
    for figure in figures:
        add_ratio(figure, floors)
        add_target(figure)
    order = {key: i for i, key in enumerate(
        ["floor.event_hash", "floor.resolve_hashes.A", "floor.resolve_hashes.B",
         "floor.resolve_event_hash.A", "floor.resolve_event_hash.B"])}
    figures.sort(key=lambda f: (order.get(f["key"], 99), f["key"].split(".")[0] != "resolve",
                                f["key"], f["api"]))
    results = {"run": run, "figures": figures}
    with open(args.out_json, "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    with open(args.out_md, "w") as f:
        f.write(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
