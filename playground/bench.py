"""Benchmarks, run as commands (never as timed tests).

    python -m playground.bench engine [--records N] [--json]
    python -m playground.bench faults [--seeds N] [--first SEED] [--json]
    python -m playground.bench compression [--records N] [--json]
    python -m playground.bench batching [--records N] [--json]
    python -m playground.bench wire [--records N] [--json]
    python -m playground.bench audit [--records N] [--more M] [--json]      (see playground.bench_audit)
    python -m playground.bench ui [--seconds S] [--records N] [--json]     (see playground.bench_ui)

`engine`: records per second of wall time through the whole simulated path
— producer accumulator, Produce to the leader, followers fetching, the high
watermark, the ack, and one consumer reading every record — on a 3-broker
cluster, one topic with 6 partitions, RF=3, acks=all, min.insync.replicas=2,
in fast-forward virtual time.

`faults`: seeded random fault schedules per second of wall time
(`playground.faults.run_fault_schedule`, the same runs as the property test)
with the invariant checker on after every step, plus events per second and
the virtual time simulated. Any seed that loses an acknowledged record or
breaks an invariant is listed, and the command exits 1.

`compression` and `batching`: see `playground.bench_codec` — per codec, the
ratio and µs per 16 KB batch to compress and decompress (order records and
random bytes); and produce throughput, Produce requests and ack latency with
batching off (linger.ms=0, batch.size=1) and on (linger.ms 5 and 50).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from playground.engine import Cluster, TopicPartition


def bench_engine(records: int = 300_000, keyed: bool = False, seed: int = 0) -> dict:
    cluster = Cluster(brokers=3, seed=seed)
    cluster.create_topic("bench", 6, 3, {"min.insync.replicas": 2}, immediate=True)
    producer = cluster.producer("bench-producer", acks="all")
    consumer = cluster.consumer("bench-consumer", auto_offset_reset="earliest")
    consumer.assign([TopicPartition("bench", p) for p in range(6)])
    value = b"x" * 100
    keys = [f"user-{i}".encode() for i in range(1000)] if keyed else None
    per_ms = 2000                       # records offered per virtual millisecond
    sent = 0
    wall0 = time.perf_counter()
    cpu0 = time.process_time()
    while sent < records:
        n = min(per_ms, records - sent)
        send = producer.send
        if keys is None:
            for _ in range(n):
                send("bench", value)
        else:
            for i in range(sent, sent + n):
                send("bench", value, key=keys[i % 1000])
        sent += n
        cluster.advance(1)
    # Let the tail drain: every record acknowledged and consumed.
    deadline = cluster.now + 60_000
    while (producer.stats.acked < records or consumer.polled < records) and cluster.now < deadline:
        cluster.advance(5)
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    view = cluster.view()
    audit = view.audit()
    return {
        "benchmark": "engine",
        "records": records,
        "keyed": keyed,
        "acked": producer.stats.acked,
        "consumed": consumer.polled,
        "acked_lost": audit.acked_lost,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "records_per_s": round(records / wall),
        "virtual_ms": cluster.now,
        "events": len(cluster.events.history),
        "network_messages": cluster.network.messages_sent,
    }


def bench_faults(seeds: int = 200, first: int = 0, check_invariants: bool = True) -> dict:
    from playground.faults import run_fault_schedule

    events = virtual_ms = steps = checked = acked = 0
    failed: list[dict] = []
    wall0 = time.perf_counter()
    cpu0 = time.process_time()
    for seed in range(first, first + seeds):
        run = run_fault_schedule(seed, check_invariants=check_invariants)
        events += run.events
        virtual_ms += run.virtual_ms
        steps += run.steps
        checked += run.steps_checked
        acked += run.audit.acked
        if run.violation is not None or run.audit.acked_lost or not run.settled:
            failed.append({"seed": seed, "violation": str(run.violation) if run.violation else None,
                           "acked_lost": run.audit.acked_lost, "settled": run.settled})
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    return {
        "benchmark": "faults",
        "seeds": seeds,
        "first_seed": first,
        "invariants": check_invariants,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "seeds_per_s": round(seeds / wall, 2),
        "events": events,
        "events_per_s": round(events / wall),
        "steps": steps,
        "steps_per_s": round(steps / wall),
        "steps_checked": checked,
        "virtual_s": round(virtual_ms / 1000, 1),
        "virtual_speedup": round(virtual_ms / 1000 / wall, 1),
        "acked": acked,
        "failed": failed,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m playground.bench")
    sub = parser.add_subparsers(dest="which", required=True)
    eng = sub.add_parser("engine", help="records/s through the simulated path (RF=3, acks=all, one consumer)")
    eng.add_argument("--records", type=int, default=300_000)
    eng.add_argument("--keyed", action="store_true", help="1,000 distinct keys (murmur2) instead of null keys")
    eng.add_argument("--json", action="store_true")
    flt = sub.add_parser("faults", help="random fault schedules/s with the invariant checker on")
    flt.add_argument("--seeds", type=int, default=200)
    flt.add_argument("--first", type=int, default=0, help="first seed (default 0)")
    flt.add_argument("--no-invariants", action="store_true", help="run without the checker (its cost)")
    flt.add_argument("--json", action="store_true")
    cmp_ = sub.add_parser("compression", help="per codec: ratio, µs/batch and MB/s to compress and decompress")
    cmp_.add_argument("--records", type=int, default=10_000, help="records per data set (default 10,000)")
    cmp_.add_argument("--json", action="store_true")
    bat = sub.add_parser("batching", help="Produce requests and ack latency with batching off and on")
    bat.add_argument("--records", type=int, default=20_000)
    bat.add_argument("--json", action="store_true")
    wire = sub.add_parser("wire", help="confluent-kafka produce and consume records/s against serve (RF 1 and 3)")
    wire.add_argument("--records", type=int, default=200_000)
    wire.add_argument("--profile", metavar="FILE", help="profile the serve loop; pstats go to FILE.rfN")
    wire.add_argument("--json", action="store_true")
    aud = sub.add_parser("audit", help="ms per guarantees audit (Audit.summary) with N records retained")
    aud.add_argument("--records", type=int, default=15_000)
    aud.add_argument("--more", type=int, default=2_000, help="records produced before the repeat call")
    aud.add_argument("--json", action="store_true")
    from playground import bench_ui         # Qt is imported only when the ui benchmark runs
    bench_ui.add_arguments(sub.add_parser("ui", help="the window: frame time, start-up, RSS with 1M records"))
    args = parser.parse_args(argv)
    if args.which == "ui":
        return bench_ui.run(args)
    if args.which == "wire":
        from playground import bench_wire
        result = bench_wire.bench_wire(args.records, profile=args.profile)
        print(json.dumps(result, indent=2)) if args.json else bench_wire.print_wire(result)
        return 0 if all(r["acked"] == r["records"] == r["consumed"] for r in result["runs"]) else 1
    if args.which == "audit":
        from playground import bench_audit
        result = bench_audit.bench_audit(args.records, args.more)
        print(json.dumps(result, indent=2)) if args.json else bench_audit.print_audit(result)
        return 0
    if args.which in ("compression", "batching"):
        from playground import bench_codec
        if args.which == "compression":
            result = bench_codec.bench_compression(args.records)
            show = bench_codec.print_compression
        else:
            result = bench_codec.bench_batching(args.records)
            show = bench_codec.print_batching
        if args.json:
            print(json.dumps(result, indent=2))
        else:
            show(result)
        return 0
    if args.which == "faults":
        result = bench_faults(args.seeds, args.first, not args.no_invariants)
        if args.json:
            print(json.dumps(result, indent=2))
        else:
            print(f"faults: {result['seeds_per_s']} seeds/s ({result['seeds']} seeds from {result['first_seed']}; "
                  f"{result['steps_per_s']:,} scheduler steps/s, invariants checked after "
                  f"{result['steps_checked']:,} of {result['steps']:,}; {result['events_per_s']:,} engine events/s; "
                  f"{result['virtual_s']:,} virtual s in {result['wall_s']} s wall, {result['virtual_speedup']}x; "
                  f"{len(result['failed'])} failed)")
            for f in result["failed"]:
                print(f"  seed {f['seed']}: {f['violation'] or ''} acked_lost={f['acked_lost']} "
                      f"settled={f['settled']}")
        return 1 if result["failed"] else 0
    result = bench_engine(args.records, args.keyed)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"engine: {result['records_per_s']:,} records/s "
              f"({result['records']:,} records, RF=3, acks=all, one consumer; "
              f"{result['wall_s']} s wall, {result['virtual_ms']} virtual ms, "
              f"acked {result['acked']:,}, consumed {result['consumed']:,}, lost {result['acked_lost']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
