"""Benchmarks of record batch compression and of producer batching (run from playground.bench).

`bench_compression`: per codec, the compression ratio and the cost to compress
and decompress the records of 16 KB batches (the producer's `batch.size`), for
JSON-ish order records with repeating field names and for random bytes of the
same size, plus the whole `encode_batch` / `decode_batch` path. MB/s count the
uncompressed bytes.

`bench_batching`: the same stream of records produced with batching off
(`linger.ms=0`, `batch.size=1`: every record its own batch) and on
(`linger.ms` 5 and 50, `batch.size=16384`), on a 3-broker cluster, one topic
with 6 partitions, RF=3, acks=all, `min.insync.replicas=2`: Produce requests
sent, records per request, the virtual ack latency (send to callback) and
records per second of wall time.

The data comes from a seeded `random.Random`, so every run measures the same bytes.
"""

from __future__ import annotations

import gc
import random
import time

from playground.engine import Cluster, EventKind
from playground.engine.batch_codec import BATCH_HEADER_SIZE, decode_batch, encode_batch, record_size
from playground.engine.compression import CODECS, compress, decompress
from playground.engine.records import Record, RecordBatch

STATUSES = ("NEW", "PAID", "PACKED", "SHIPPED", "DELIVERED", "CANCELLED")
CURRENCIES = ("EUR", "USD", "GBP")


def order_records(n: int, rng: random.Random, start_ms: int = 1_700_000_000_000) -> list[Record]:
    """Order events as a shop would send them: JSON values, customer keys, a header."""
    out = []
    for i in range(n):
        customer = rng.randrange(5000)
        items = ", ".join(f'{{"sku": "SKU-{rng.randrange(100_000):05d}", "qty": {rng.randrange(1, 5)}, '
                          f'"unit_price": {rng.randrange(100, 20_000) / 100:.2f}}}'
                          for _ in range(rng.randrange(1, 4)))
        value = (f'{{"order_id": {100_000 + i}, "customer_id": "c-{customer:05d}", '
                 f'"status": "{rng.choice(STATUSES)}", "currency": "{rng.choice(CURRENCIES)}", '
                 f'"items": [{items}], "created_at": "2024-05-{1 + i % 28:02d}T{i % 24:02d}:'
                 f'{i % 60:02d}:{rng.randrange(60):02d}.{rng.randrange(1000):03d}Z"}}').encode()
        out.append(Record(f"c-{customer:05d}".encode(), value, (("source", b"web"),), start_ms + i))
    return out


def random_records(like: list[Record], rng: random.Random) -> list[Record]:
    """Records of the same sizes whose values are random bytes (already compressed or encrypted data)."""
    return [Record(r.key, rng.randbytes(len(r.value or b"")), r.headers, r.timestamp) for r in like]


def pack_batches(records: list[Record], batch_size: int) -> list[list[Record]]:
    """Records cut into batches as the accumulator cuts them: a record that would pass
    batch.size starts the next batch (exact v2 sizes, uncompressed)."""
    batches: list[list[Record]] = []
    current: list[Record] = []
    size = BATCH_HEADER_SIZE
    for r in records:
        if current:
            grown = size + record_size(r, len(current), r.timestamp - current[0].timestamp)
            if grown <= batch_size:
                current.append(r)
                size = grown
                continue
            batches.append(current)
        current = [r]
        size = BATCH_HEADER_SIZE + record_size(r, 0, 0)
    if current:
        batches.append(current)
    return batches


def _best_of(repeat: int, fn) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bench_compression(records: int = 10_000, batch_size: int = 16384, repeat: int = 3, seed: int = 0) -> dict:
    rng = random.Random(seed)
    orders = order_records(records, rng)
    datasets = {"orders": orders, "random": random_records(orders, rng)}
    result: dict = {"benchmark": "compression", "records": records, "batch_size": batch_size, "seed": seed,
                    "datasets": {}}
    for name, recs in datasets.items():
        batches = pack_batches(recs, batch_size)
        # The records section of each batch: the bytes a codec compresses.
        sections = [encode_batch(RecordBatch(b, base_offset=0))[BATCH_HEADER_SIZE:] for b in batches]
        raw = sum(len(s) for s in sections)
        rows = {}
        for codec in CODECS:
            packed = [compress(codec, s) for s in sections]
            assert [decompress(codec, p) for p in packed] == sections
            out = sum(len(p) for p in packed)
            t_comp = _best_of(repeat, lambda: [compress(codec, s) for s in sections])
            t_decomp = _best_of(repeat, lambda: [decompress(codec, p) for p in packed])
            objs = [RecordBatch(b, base_offset=0, compression=codec) for b in batches]
            encoded = [encode_batch(o) for o in objs]
            t_enc = _best_of(repeat, lambda: [encode_batch(o) for o in objs])
            t_dec = _best_of(repeat, lambda: [decode_batch(e) for e in encoded])
            n = len(sections)
            plain = codec == "none"         # nothing to compress: no codec figures, only the batch path
            rows[codec] = {
                "ratio": round(raw / out, 2),
                "batch_bytes": round(sum(len(e) for e in encoded) / n),
                "compress_us": None if plain else round(t_comp / n * 1e6, 1),
                "compress_mb_s": None if plain else round(raw / t_comp / 1e6, 1),
                "decompress_us": None if plain else round(t_decomp / n * 1e6, 1),
                "decompress_mb_s": None if plain else round(raw / t_decomp / 1e6, 1),
                "encode_batch_us": round(t_enc / n * 1e6, 1),
                "decode_batch_us": round(t_dec / n * 1e6, 1),
            }
        result["datasets"][name] = {"batches": len(batches), "records_per_batch": round(len(recs) / len(batches), 1),
                                    "uncompressed_bytes": raw, "codecs": rows}
    return result


BATCHING = (
    ("off", {"linger.ms": 0, "batch.size": 1}),
    ("linger.ms=5", {"linger.ms": 5, "batch.size": 16384}),
    ("linger.ms=50", {"linger.ms": 50, "batch.size": 16384}),
)


def _percentile(sorted_values: list[int], p: float) -> int:
    if not sorted_values:
        return -1
    return sorted_values[min(len(sorted_values) - 1, int(p * len(sorted_values)))]


def bench_batching(records: int = 20_000, per_ms: int = 5, value_bytes: int = 100, seed: int = 0) -> dict:
    """`per_ms` records offered per virtual millisecond (5,000 records/s), null keys."""
    runs = {}
    for name, config in BATCHING:
        # The previous run's cluster is garbage held in reference cycles; collect it now so
        # that the cyclic collector's passes over it are not charged to this run.
        gc.collect()
        cluster = Cluster(brokers=3, seed=seed)
        cluster.create_topic("bench", 6, 3, {"min.insync.replicas": 2}, immediate=True)
        producer = cluster.producer("bench-producer", acks="all", **config)
        # Warm up first: a new partition's followers join their leader's fetch sessions only
        # after a parked fetch returns (replica.fetch.wait.max.ms=500), which would stall the
        # first half second of acks=all in every run alike.
        producer.meta.want("bench")
        cluster.advance(1000)
        value = b"x" * value_bytes
        latencies: list[int] = []
        failed = 0

        def done(error, offset, sent_at, _lat=latencies):
            nonlocal failed
            if error:
                failed += 1
            else:
                _lat.append(cluster.now - sent_at)

        sent = 0
        wall0 = time.perf_counter()
        while sent < records:
            n = min(per_ms, records - sent)
            now = cluster.now
            for _ in range(n):
                producer.send("bench", value, callback=lambda e, o, t=now: done(e, o, t))
            sent += n
            cluster.advance(1)
        deadline = cluster.now + 120_000
        while len(latencies) + failed < records and cluster.now < deadline:
            cluster.advance(5)
        wall = time.perf_counter() - wall0
        requests = len(cluster.events.of_kind(EventKind.PRODUCE_SENT))
        latencies.sort()
        runs[name] = {
            "linger_ms": config["linger.ms"],
            "batch_size": config["batch.size"],
            "acked": len(latencies),
            "failed": failed,
            "produce_requests": requests,
            "records_per_request": round(records / requests, 1) if requests else 0,
            "ack_latency_p50_ms": _percentile(latencies, 0.50),
            "ack_latency_p99_ms": _percentile(latencies, 0.99),
            "virtual_ms": cluster.now,
            "wall_s": round(wall, 3),
            "records_per_s": round(records / wall),
        }
    return {"benchmark": "batching", "records": records, "offered_per_s": per_ms * 1000,
            "value_bytes": value_bytes, "seed": seed, "runs": runs}


def print_compression(result: dict) -> None:
    print(f"compression: {result['records']:,} records per data set in {result['batch_size']:,}-byte batches "
          f"(seed {result['seed']}); MB/s of uncompressed bytes")
    for name, ds in result["datasets"].items():
        print(f"\n{name}: {ds['batches']} batches, {ds['records_per_batch']} records/batch, "
              f"{ds['uncompressed_bytes']:,} bytes of records")
        print(f"  {'codec':<7} {'ratio':>6} {'bytes':>6} {'compress':>18} {'decompress':>18} "
              f"{'encode_batch':>13} {'decode_batch':>13}")
        for codec, row in ds["codecs"].items():
            if row["compress_us"] is None:
                comp = decomp = f"{'-':>18}"
            else:
                comp = f"{row['compress_us']:>7} µs {row['compress_mb_s']:>6} MB/s"
                decomp = f"{row['decompress_us']:>7} µs {row['decompress_mb_s']:>6} MB/s"
            print(f"  {codec:<7} {row['ratio']:>6} {row['batch_bytes']:>6} {comp} {decomp} "
                  f"{row['encode_batch_us']:>10} µs {row['decode_batch_us']:>10} µs")


def print_batching(result: dict) -> None:
    print(f"batching: {result['records']:,} records of {result['value_bytes']} bytes offered at "
          f"{result['offered_per_s']:,}/s (RF=3, acks=all, 6 partitions, seed {result['seed']})")
    print(f"  {'batching':<13} {'requests':>9} {'rec/req':>8} {'p50 ack':>8} {'p99 ack':>8} {'wall rec/s':>11}")
    for name, run in result["runs"].items():
        print(f"  {name:<13} {run['produce_requests']:>9,} {run['records_per_request']:>8} "
              f"{run['ack_latency_p50_ms']:>5} ms {run['ack_latency_p99_ms']:>5} ms {run['records_per_s']:>11,}"
              + (f"  ({run['failed']} failed)" if run["failed"] else ""))
