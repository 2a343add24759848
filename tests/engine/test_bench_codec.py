"""The compression and batching benchmarks measure what they say (small runs; no timing asserted)."""

import random

from playground.bench import main
from playground.bench_codec import bench_batching, bench_compression, order_records, pack_batches
from playground.engine.batch_codec import batch_sizes


def test_pack_batches_cuts_at_batch_size_like_the_accumulator():
    records = order_records(500, random.Random(3))
    batches = pack_batches(records, 16384)
    assert [r for b in batches for r in b] == records
    sizes = [batch_sizes(b)[0] for b in batches]
    assert all(s <= 16384 for s in sizes)
    # Each batch is full: the next record would not have fitted.
    assert all(batch_sizes(b + [nxt[0]])[0] > 16384 for b, nxt in zip(batches, batches[1:]))


def test_compression_benchmark_reports_every_codec_on_both_data_sets():
    result = bench_compression(records=300, repeat=1, seed=1)
    orders, rand = result["datasets"]["orders"]["codecs"], result["datasets"]["random"]["codecs"]
    assert list(orders) == ["none", "gzip", "snappy", "lz4", "zstd"]
    assert orders["none"]["ratio"] == 1.0 and orders["none"]["compress_us"] is None
    assert all(orders[c]["ratio"] > 2 for c in ("gzip", "snappy", "lz4", "zstd"))
    assert all(rand[c]["ratio"] < 1.2 for c in rand), "random values do not compress"


def test_batching_benchmark_shows_fewer_requests_with_linger(capsys):
    result = bench_batching(records=1500, seed=2)
    off, on = result["runs"]["off"], result["runs"]["linger.ms=50"]
    assert off["acked"] == on["acked"] == 1500
    assert off["records_per_request"] < 3 < 20 < on["records_per_request"]
    assert off["produce_requests"] > 10 * on["produce_requests"]
    assert on["ack_latency_p50_ms"] >= 5, "a record waits for its batch to fill or linger.ms to pass"
    assert main(["batching", "--records", "300", "--json"]) == 0
    assert '"produce_requests"' in capsys.readouterr().out
