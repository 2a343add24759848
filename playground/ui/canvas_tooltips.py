"""What hovering over the canvas says: what a thing is, and its numbers right now.

One function per kind of thing drawn — broker, controller, replica strip, offset cell,
producer, consumer, group lane — each reading `ClusterView` when the tooltip opens (nothing
cached), and returning rich text. Plain Python; the canvas decides what is under the mouse.
"""

from __future__ import annotations

from playground.engine.protocol import TopicPartition

from .canvas_model import DEAD, FENCED, ISOLATED, BrokerBadge, ControlNode, format_delay


def _ms(v) -> str:
    return "–" if v is None else f"{v} ms"


def broker_tip(view, badge: BrokerBadge) -> str:
    bid = badge.broker_id
    leads = replicas = out_of_isr = 0
    for topic in view.topic_names(include_internal=False):
        for pv in view.partitions(topic):
            if bid in pv.replicas:
                replicas += 1
                leads += pv.leader == bid
                out_of_isr += bid not in pv.isr
    state = {DEAD: "dead: answers no request", ISOLATED: "isolated: cut off from the other brokers and the "
             "controller (clients still reach it)", FENCED: "fenced: registered but may not lead yet"}.get(
        badge.state, "alive")
    lines = [f"<b>Broker {bid}</b> — {state}",
             f"leader of {leads} · replica of {replicas} partition(s) · out of the ISR on {out_of_isr}"]
    if badge.slow_ms:
        lines.append(f"slowed: waits {format_delay(badge.slow_ms)} after each fetch response")
    if badge.coordinator_of:
        lines.append(f"group coordinator of {', '.join(badge.coordinator_of)}")
    if badge.controller:
        lines.append("the controller (ZooKeeper mode)")
    keys = f"select with {badge.key}, then " if badge.key else "select it, then "
    lines.append(f"Click for Kill · Restart · Isolate · Heal · Slow down. Keyboard: {keys}K · R · I · H · S")
    return "<br>".join(lines)


def controller_tip(node: ControlNode, mode: str) -> str:
    what = "ZooKeeper node" if mode == "zookeeper" else "KRaft controller (voter)"
    role = "the active controller" if node.active else node.role if node.alive else "dead"
    return (f"<b>{what} {node.node_id}</b> — {role}<br>epoch {node.epoch} · metadata log end offset "
            f"{node.log_end_offset} · committed (high watermark) {node.committed_offset}<br>"
            "Click to kill or restart it (C kills the active controller)")


def strip_tip(view, broker_id: int, tp: TopicPartition) -> str | None:
    pv = next((p for p in view.partitions(tp.topic) if p.partition == tp.partition), None)
    if pv is None:
        return None
    log = view.replica_log(broker_id, tp.topic, tp.partition)
    role = "leader" if pv.leader == broker_id else "follower"
    isr = "in the ISR" if broker_id in pv.isr else ("not in the ISR (an eligible leader replica, KIP-966)"
                                                    if broker_id in pv.elr else "NOT in the ISR")
    lines = [f"<b>{tp} on broker {broker_id}</b> — {role}, {isr}", f"leader epoch {pv.leader_epoch} · "
             f"replicas {list(pv.replicas)} · ISR {list(pv.isr)}"]
    if log is None:
        lines.append("no log yet (waiting for metadata)")
    else:
        leader_leo = pv.log_end_offsets.get(pv.leader)
        behind = "" if leader_leo is None or pv.leader == broker_id else \
            f" · {max(0, leader_leo - log.log_end_offset)} behind the leader"
        lines.append(f"log start {log.log_start_offset} · high watermark {log.high_watermark} · log end offset "
                     f"{log.log_end_offset}{behind}")
        lines.append(f"{log.log_end_offset - log.high_watermark} record(s) not committed yet")
    return "<br>".join(lines)


def cell_tip(view, broker_id: int, tp: TopicPartition, offset: int) -> str | None:
    log = view.replica_log(broker_id, tp.topic, tp.partition)
    if log is None:
        return None
    for o, rec, batch in log.records(offset, offset + 1):
        headers = ", ".join(f"{k}={v.decode('utf-8', 'replace')}" for k, v in rec.headers) or "none"
        key = rec.key.decode("utf-8", "replace") if rec.key is not None else "null"
        value = rec.value.decode("utf-8", "replace") if rec.value is not None else "null"
        state = "committed (below the high watermark)" if o < log.high_watermark else \
            "not committed yet (above the high watermark)"
        return (f"<b>{tp} offset {o}</b> on broker {broker_id} — {state}<br>key: {key}<br>value: {value}<br>"
                f"headers: {headers}<br>timestamp: {rec.timestamp} ms · leader epoch {batch.leader_epoch}")
    return None


def producer_tip(view, name: str) -> str | None:
    p = view.producers().get(name)
    if p is None:
        return None
    c = p.config
    settings = " · ".join(f"{k}={c[k]}" for k in ("acks", "linger.ms", "batch.size", "enable.idempotence",
                                                   "compression.type") if k in c)
    loop = f"sends {p.rate:g} records/s to {p.topic}" + ("" if p.running else " (stopped)") if p.rate else \
        "sends what you produce"
    errors = ", ".join(f"{k} ×{v}" for k, v in p.errors.items()) or "none"
    return (f"<b>Producer {name}</b> — {loop}<br>sent {p.sent} · acked {p.acked} · failed {p.failed} · "
            f"errors: {errors}<br>{p.requests} Produce request(s), {p.batches} batch(es) · ack latency "
            f"p50 {_ms(p.ack_latency_p50)}, p95 {_ms(p.ack_latency_p95)}<br>{settings}")


def consumer_tip(view, name: str) -> str | None:
    c = view.consumers().get(name)
    if c is None:
        return None
    group = view.groups().get(c.group) if c.group else None
    parts = ", ".join(str(tp) for tp in c.assignment) or "none"
    lag = ""
    if group is not None:
        lags = [group.lag.get(tp) for tp in c.assignment]
        known = [v for v in lags if v is not None]
        lag = f" · lag {sum(known)}" if known else ""
    member = f"group {c.group}, generation {c.generation}" if c.group else "no group (assign())"
    lines = [f"<b>Consumer {name}</b> — {c.state}{' (paused)' if c.paused else ''}, {member}",
             f"partitions: {parts}{lag}", f"polled {c.polled} · processed {c.processed}"]
    if c.error:
        lines.append(f"last error: {c.error}")
    lines.append("Click for Stop (LeaveGroup) · Crash (no LeaveGroup: the group waits session.timeout.ms) · "
                 "Pause poll() · Resume")
    return "<br>".join(lines)


def group_tip(view, group_id: str) -> str | None:
    g = view.groups().get(group_id)
    if g is None:
        return None
    known = [v for v in g.lag.values() if v is not None]
    coordinator = f"broker {g.coordinator} (__consumer_offsets/{g.partition})" if g.coordinator is not None \
        else "none (no live broker leads its __consumer_offsets partition)"
    lines = [f"<b>Consumer group {group_id}</b> — {g.state}, generation {g.generation}",
             f"assignor {g.assignor or '–'} · leader {g.leader or '–'} · {len(g.members)} member(s)",
             f"coordinator: {coordinator}",
             f"total lag {sum(known) if known else '–'} over {len(g.lag)} partition(s)"]
    if g.rebalance_reason:
        lines.append(f"last rebalance: {g.rebalance_reason}")
    return "<br>".join(lines)
