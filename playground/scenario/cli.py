"""`kafka-playground scenario run FILE [--json] [--events]`: exit 0 ok, 1 expectation failed, 2 invalid."""

from __future__ import annotations

import json
import sys
from typing import Callable

from playground.tools.kafka_topics import describe_topic_lines

from .loader import ScenarioError, load_scenario
from .runner import ScenarioRun
from .schema import Scenario


def describe_topic(view, topic: str) -> list[str]:
    """`kafka-topics --describe` lines (tab separated, as Kafka's TopicCommand prints them)."""
    return describe_topic_lines(view, topic)


def describe_group_offsets(group: str, g: dict, topics: dict) -> list[str]:
    """`kafka-consumer-groups --describe --group G` (Kafka's ConsumerGroupCommand): the notice
    for a group that is not Stable, then one row per owned partition, per committed partition
    nobody owns, and per member that owns nothing, `-` where there is no value."""
    notice = {"Empty": f"Consumer group '{group}' has no active members.",
              "PreparingRebalance": f"Warning: Consumer group '{group}' is rebalancing.",
              "CompletingRebalance": f"Warning: Consumer group '{group}' is rebalancing.",
              "Dead": f"Consumer group '{group}' does not exist (no live broker coordinates it)."}.get(g["state"])
    lines = [notice] if notice else []
    member_ids = g.get("member_ids", {})

    def row(tp: str | None, member: str | None) -> tuple[str, ...]:
        current = lag = end = None
        topic = partition = None
        if tp is not None:
            topic, _, partition = tp.rpartition("/")
            current, lag = g["committed"].get(tp), g["lag"].get(tp)
            parts = topics.get(topic, {}).get("partitions", [])
            end = parts[int(partition)]["high_watermark"] if int(partition) < len(parts) else None
        if member is None:
            who = (None, None, None)
        else:
            who = (member_ids.get(member, member), f"/{member}", member)
        return tuple("-" if v is None else str(v) for v in (group, topic, partition, current, end, lag) + who)

    rows = []
    owned = set()
    # Kafka lists the members owning the most partitions first.
    for member, tps in sorted(g["members"].items(), key=lambda kv: (-len(kv[1]), kv[0])):
        for tp in tps:
            owned.add(tp)
            rows.append(row(tp, member))
    rows += [row(tp, None) for tp in g["committed"] if tp not in owned]
    rows += [row(None, member) for member, tps in sorted(g["members"].items()) if not tps]
    if g["state"] == "Dead" or not rows:
        return lines
    widths = [max(15, *(len(r[0]) for r in rows)), max(15, *(len(r[1]) for r in rows)), 10, 15, 15, 15,
              max(15, *(len(r[6]) for r in rows)), max(15, *(len(r[7]) for r in rows))]
    header = ("GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST",
              "CLIENT-ID")
    for r in (header, *rows):
        lines.append(" ".join(f"{v:<{w}}" for v, w in zip(r, widths)) + " " + r[-1])
    return lines


def groups_summary(report: dict) -> list[str]:
    out: list[str] = []
    for group, g in report["groups"].items():
        out.append("")
        coordinator = "none" if g["coordinator"] is None else g["coordinator"]
        out.append(f"Group {group}: {g['state']}, generation {g['generation']}, assignor {g['assignor'] or '-'}, "
                   f"coordinator {coordinator}, {len(g['members'])} member(s)")
        out.extend(describe_group_offsets(group, g, report["topics"]))
    if report["consumers"]:
        out.append("")
        for name, c in report["consumers"].items():
            owns = ", ".join(c["assignment"]) or "no partitions"
            out.append(f"Consumer {name} (group {c['group']}): {c['state']}, polled {c['polled']}, "
                       f"processed {c['processed']}, owns {owns}")
    return out


def _batching(s: dict) -> str:
    """`; 40 requests, 5.03 records per batch, ack latency p50 54 ms, p95 55 ms` (what linger.ms changes)."""
    if not s.get("requests"):
        return ""
    text = f"; {s['requests']} requests, {s['records_per_batch']} records per batch"
    latency = s.get("ack_latency_ms") or {}
    if latency.get("p50") is not None:
        text += f", ack latency p50 {latency['p50']} ms, p95 {latency['p95']} ms"
    return text


def human_summary(report: dict, view) -> str:
    out = [f"Scenario: {report['name']} (seed {report['seed']}), ran to {report['virtual_time_ms']} ms of "
           "virtual time"]
    brokers = ", ".join(f"{b} {'up' if s['alive'] else 'down'}" for b, s in report["brokers"].items())
    out.append(f"Controller: {report['controller']}    Brokers: {brokers}")
    out.append("")
    for topic in report["topics"]:
        if topic.startswith("__"):
            parts = report["topics"][topic]["partitions"]
            records = sum(len(p["records"]) for p in parts)
            out.append(f"Topic: {topic} (internal): {len(parts)} partitions holding {records} record(s); "
                       "--json lists them")
            continue
        out.extend(describe_topic(view, topic))
        for p in report["topics"][topic]["partitions"]:
            leos = ", ".join(f"{b}:{o}" for b, o in p["log_end_offset"].items())
            storage = ""
            if p["log_start_offset"] > 0 or len(p.get("segments", ())) > 1:
                storage = f", log start offset {p['log_start_offset']}, {len(p['segments'])} segment(s) on the leader"
            out.append(f"\t  {topic}/{p['partition']}: high watermark {p['high_watermark']}, "
                       f"log end offsets {leos}{storage}")
    if report["producers"]:
        out.append("")
        for name, s in report["producers"].items():
            errors = ", ".join(f"{k} ×{v}" for k, v in s["errors"].items()) or "no errors"
            out.append(f"Producer {name}: sent {s['sent']}, acked {s['acked']}, failed {s['failed']} ({errors})"
                       + _batching(s))
    out.extend(groups_summary(report))
    a = report["audit"]
    out.append("")
    out.append("Audit: " + ", ".join(f"{k} {v}" for k, v in a.items()))
    for r in report.get("lost_records", []):
        out.append(f"  lost: {r['producer']} send #{r['serial']} → {r['topic']}/{r['partition']}@{r['offset']}: "
                   f"{r['reason']}")
    if report["step_errors"]:
        out.append("")
        out.append("Step errors:")
        for e in report["step_errors"]:
            out.append(f"  steps[{e['step']}].{e['action']}: {e['error']}: {e['message']}")
    if report["expectations"]:
        out.append("")
        out.append("Expectations:")
        for e in report["expectations"]:
            mark = "ok  " if e["ok"] else "FAIL"
            out.append(f"  {mark} {e['path']}: expected {e['expected']}, actual {json.dumps(e['actual'])}")
    if "events" in report:
        out.append("")
        out.append("Events:")
        for e in report["events"]:
            out.append(f"  {e['time']:>8} ms  {e['text']}")
    return "\n".join(out)


def run_command(path: str, as_json: bool = False, with_events: bool = False,
                make_run: Callable[[Scenario], ScenarioRun] = ScenarioRun,
                on_done: Callable[[ScenarioRun], int | None] | None = None) -> int:
    """`make_run` builds the run (a recording one, for --save-workspace); `on_done(run)` is called
    after the report is printed, and an exit code it returns wins (a workspace that could not be saved)."""
    try:
        scn = load_scenario(path)
        run = make_run(scn)
    except ScenarioError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    run.run()
    report = run.report(with_events=with_events)
    if as_json:
        sys.stdout.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    else:
        print(human_summary(report, run.cluster.view()))
    failed = on_done(run) if on_done is not None else None
    if failed:
        return failed
    return 0 if all(e["ok"] for e in report["expectations"]) else 1
