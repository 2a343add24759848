"""`kafka-playground scenario run FILE [--json] [--events]`: exit 0 ok, 1 expectation failed, 2 invalid."""

from __future__ import annotations

import json
import sys

from .loader import ScenarioError, load_scenario
from .runner import ScenarioRun


def describe_topic(view, topic: str) -> list[str]:
    """`kafka-topics --describe` lines (tab separated, as Kafka's TopicCommand prints them)."""
    parts = view.partitions(topic)
    configs = ",".join(f"{k}={v}" for k, v in sorted(view.topic_configs(topic).items()))
    rf = len(parts[0].replicas) if parts else 0
    lines = [f"Topic: {topic}\tTopicId: {view.topic_id(topic)}\tPartitionCount: {len(parts)}\t"
             f"ReplicationFactor: {rf}\tConfigs: {configs}"]
    for p in parts:
        leader = str(p.leader) if p.leader >= 0 else "none"
        line = (f"\tTopic: {topic}\tPartition: {p.partition}\tLeader: {leader}\t"
                f"Replicas: {','.join(map(str, p.replicas))}\tIsr: {','.join(map(str, p.isr))}")
        if p.elr or p.last_known_elr:
            line += f"\tElr: {','.join(map(str, p.elr))}\tLastKnownElr: {','.join(map(str, p.last_known_elr))}"
        lines.append(line)
    return lines


def human_summary(report: dict, view) -> str:
    out = [f"Scenario: {report['name']} (seed {report['seed']}), ran to {report['virtual_time_ms']} ms of "
           "virtual time"]
    brokers = ", ".join(f"{b} {'up' if s['alive'] else 'down'}" for b, s in report["brokers"].items())
    out.append(f"Controller: {report['controller']}    Brokers: {brokers}")
    out.append("")
    for topic in report["topics"]:
        out.extend(describe_topic(view, topic))
        for p in report["topics"][topic]["partitions"]:
            leos = ", ".join(f"{b}:{o}" for b, o in p["log_end_offset"].items())
            out.append(f"\t  {topic}/{p['partition']}: high watermark {p['high_watermark']}, "
                       f"log end offsets {leos}")
    if report["producers"]:
        out.append("")
        for name, s in report["producers"].items():
            errors = ", ".join(f"{k} ×{v}" for k, v in s["errors"].items()) or "no errors"
            out.append(f"Producer {name}: sent {s['sent']}, acked {s['acked']}, failed {s['failed']} ({errors})")
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


def run_command(path: str, as_json: bool = False, with_events: bool = False) -> int:
    try:
        scn = load_scenario(path)
        run = ScenarioRun(scn)
    except ScenarioError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    run.run()
    report = run.report(with_events=with_events)
    if as_json:
        sys.stdout.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    else:
        print(human_summary(report, run.cluster.view()))
    return 0 if all(e["ok"] for e in report["expectations"]) else 1
