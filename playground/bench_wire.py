"""`bench wire`: real Kafka clients against `serve`, records per second of wall time.

A confluent-kafka (librdkafka) producer sends 100-byte values with acks=all to a
6-partition topic on a served 3-broker cluster, then a consumer reads them all
back; once with replication factor 1 and once with 3 (min.insync.replicas=2).
The client runs in its own process so that it does not share the interpreter
lock with the serve loop, which owns the engine on this process's other thread.
Virtual time follows real time (speed 1), as in `kafka-playground serve`.
"""

from __future__ import annotations

import cProfile
import json
import pstats
import subprocess
import sys
import threading
import time

from playground.engine import Cluster

# The client process: produce, then consume; prints one JSON line.
CLIENT = r"""
import json, sys, time
from confluent_kafka import Consumer, Producer, TopicPartition
bootstrap, topic, records, partitions = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
value = b"v" * 100
p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5, "queue.buffering.max.messages": 1000000})
acked = [0]
errors = []
def report(err, msg):
    if err is None:
        acked[0] += 1
    elif len(errors) < 5:
        errors.append(str(err))
p.produce(topic, value, on_delivery=report)     # connect and learn metadata before the clock starts
p.flush(60)
acked[0] = 0
t0 = time.perf_counter()
for i in range(records):
    while True:
        try:
            p.produce(topic, value, on_delivery=report)
            break
        except BufferError:
            p.poll(0.01)
    if i % 1000 == 999:
        p.poll(0)
p.flush(300)
produce_s = time.perf_counter() - t0
c = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench", "enable.auto.commit": False,
              "fetch.max.bytes": 52428800})
c.assign([TopicPartition(topic, part, 0) for part in range(partitions)])
got = 0
t0 = time.perf_counter()
deadline = t0 + 300
while got < records + 1 and time.perf_counter() < deadline:
    for msg in c.consume(10000, 0.5):
        if msg.error() is None:
            got += 1
consume_s = time.perf_counter() - t0
c.close()
print(json.dumps({"acked": acked[0], "produce_s": produce_s, "consumed": got - 1, "consume_s": consume_s,
                  "errors": errors}))
"""


def bench_wire(records: int = 200_000, replication_factors: tuple[int, ...] = (1, 3), partitions: int = 6,
               profile: str | None = None) -> dict:
    from playground.wire.serve import ServeLoop
    runs = []
    for rf in replication_factors:
        cluster = Cluster(brokers=3, seed=0)
        cluster.create_topic("bench", partitions, rf, {"min.insync.replicas": min(2, rf)}, immediate=True)
        loop = ServeLoop(cluster, host="127.0.0.1", port=0)
        profiler = cProfile.Profile() if profile else None
        loop.start()

        def serve() -> None:
            if profiler is not None:
                profiler.runcall(loop.run)
            else:
                loop.run()

        loop.thread = threading.Thread(target=serve, name="kafka-playground-serve", daemon=True)
        loop.thread.start()
        cpu0 = time.process_time()
        try:
            out = subprocess.run([sys.executable, "-c", CLIENT, loop.bootstrap, "bench", str(records), str(partitions)],
                                 capture_output=True, text=True, timeout=900)
        finally:
            loop.stop()
        server_cpu = time.process_time() - cpu0
        if out.returncode != 0 or not out.stdout.strip():
            raise RuntimeError(f"the benchmark client failed: {out.stderr[-2000:]}")
        result = json.loads(out.stdout.strip().splitlines()[-1])
        if profiler is not None:
            path = f"{profile}.rf{rf}"
            profiler.dump_stats(path)
            pstats.Stats(path).sort_stats("cumulative").print_stats(25)
        runs.append({
            "replication_factor": rf,
            "records": records,
            "acked": result["acked"],
            "consumed": result["consumed"],
            "errors": result["errors"],
            "produce_s": round(result["produce_s"], 3),
            "produce_records_per_s": round(records / result["produce_s"]),
            "consume_s": round(result["consume_s"], 3),
            "consume_records_per_s": round(result["consumed"] / result["consume_s"]) if result["consume_s"] else 0,
            "server_cpu_s": round(server_cpu, 2),
            "requests": loop.server.requests_handled,
        })
    return {"benchmark": "wire", "value_bytes": 100, "acks": "all", "partitions": partitions, "runs": runs}


def print_wire(result: dict) -> None:
    for r in result["runs"]:
        print(f"wire RF={r['replication_factor']}: produce {r['produce_records_per_s']:,} records/s "
              f"({r['acked']:,} of {r['records']:,} acked in {r['produce_s']} s, acks=all), consume "
              f"{r['consume_records_per_s']:,} records/s ({r['consumed']:,} in {r['consume_s']} s); "
              f"server CPU {r['server_cpu_s']} s, {r['requests']:,} requests"
              + (f"; errors: {r['errors']}" if r["errors"] else ""))
