"""`kafka-playground bench ui [--json]`: does the window keep up, start fast, and stay small?

Three measurements, offscreen (QT_QPA_PLATFORM=offscreen unless set), each in its own process
so that one does not warm or fill the other:

- frames: a real `MainWindow` on a 3-broker cluster, one topic of 6 partitions with RF=3, a
  producer sending 2,000 records per second and two consumer groups (two consumers each),
  virtual time running at 1x for `--seconds` of wall time (30 by default), after 6 virtual seconds
  of warm-up in fast-forward (the groups have joined and rebalanced). A frame is one tick
  of the bridge's QTimer (engine work and every view's per-frame aggregation) plus the repaints
  that follow it before the next tick (the top-level window's UpdateRequest, which paints every
  widget that asked for it), both timed with QElapsedTimer. Reported: p50, p95 and max frame
  time, frames and painted frames per second, and whether virtual time kept up with the wall
  clock: the bridge gives the engine only what the views and the repaint leave of a frame, so
  under too much load the simulation runs slower than the chosen speed (achieved_speed, and the
  share of the chosen speed the time controls show) rather than the frames getting longer.
  While it is behind, every other frame is quiet (the engine's alone, nothing painted): a
  frame is then either kind, and the p95 is over both.
- startup: wall time from launching a fresh Python process to its first shown, painted, idle
  window (the median of three launches).
- retained: RSS after producing `--records` records (1,000,000 by default) in fast-forward into
  the same cluster with the window open (every record is held by three replicas, and the event
  log holds every event).

Peak RSS is `resource.getrusage(RUSAGE_SELF).ru_maxrss` of the process that did the work.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

RATE = 2000
SPEED = 1.0                 # the chosen speed: virtual ms per real ms
WARMUP_MS = 6000
PARTITIONS = 6
TOPIC = "bench"


def _rss_mb() -> float:
    """Resident set size now (MB), from /proc/self/statm."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return float("nan")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024      # Linux reports KiB


def _window(latency_ms: int = 1):
    """A shown MainWindow on the benchmark cluster (no producer or consumer yet)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from playground.engine import Cluster
    from playground.ui.app import _application
    from playground.ui.qt_main_window import MainWindow
    app = _application()
    cluster = Cluster(brokers=3, seed=0, network_latency=latency_ms)
    cluster.create_topic(TOPIC, PARTITIONS, 3, {"min.insync.replicas": 2}, immediate=True)
    window = MainWindow(cluster, title="bench ui", running=False, speed=SPEED)
    window.resize(1600, 1000)
    window.show()
    app.processEvents()
    return app, cluster, window


def _start_load(window, rate: int = RATE) -> None:
    bridge = window.bridge
    bridge.start_producer("load", TOPIC, rate=str(rate), key="k{i}")
    for group in ("g1", "g2"):
        for i in (1, 2):
            bridge.start_consumer(f"{group}-c{i}", group, [TOPIC], auto_offset_reset="earliest")


def measure_frames(seconds: float = 30.0, rate: int = RATE) -> dict:
    from PySide6.QtCore import QElapsedTimer, QEvent, QObject, QTimer
    app, cluster, window = _window()
    bridge = window.bridge
    _start_load(window, rate)
    # Warm-up in fast-forward, not timed: the groups' first rebalance (group.initial.rebalance.delay.ms,
    # __consumer_offsets' 50 partitions created) is over, and the frames measure the steady state.
    bridge.run_to(bridge.now + WARMUP_MS)
    bridge.show_at(bridge.now)
    app.processEvents()
    frames: list[float] = []                # ms per frame: tick + the repaints after it
    paints: list[float] = []
    current = [0.0]                          # the open frame's ms so far
    timer = QElapsedTimer()

    class PaintTimer(QObject):
        """Times the top-level window's UpdateRequest: Qt paints every dirty widget inside it."""

        def eventFilter(self, obj, event) -> bool:
            if obj is window and event.type() == QEvent.Type.UpdateRequest:
                t = QElapsedTimer()
                t.start()
                window.removeEventFilter(self)          # deliver the event once, timed
                app.sendEvent(window, event)
                window.installEventFilter(self)
                ms = t.nsecsElapsed() / 1e6
                paints.append(ms)
                current[0] += ms
                return True
            return False

    painter = PaintTimer()
    window.installEventFilter(painter)
    qt_timer = bridge.findChild(QTimer)     # the bridge's own frame timer, re-wired through the stopwatch
    qt_timer.timeout.disconnect()

    def timed_tick() -> None:
        if timer.isValid():
            frames.append(current[0])
        t = QElapsedTimer()
        t.start()
        bridge.tick()
        current[0] = t.nsecsElapsed() / 1e6
        timer.start()

    qt_timer.timeout.connect(timed_tick)
    virtual0, wall0 = bridge.now, time.perf_counter()
    painted = [0]
    bridge.frame.connect(lambda _t: painted.__setitem__(0, painted[0] + 1))
    pace_shown: list[float] = []                # what the time controls said (share of the chosen speed)
    bridge.pace_changed.connect(pace_shown.append)
    bridge.resume()
    done = QTimer()
    done.setSingleShot(True)
    done.timeout.connect(app.quit)
    done.start(int(seconds * 1000))
    app.exec()
    bridge.pause()
    wall = time.perf_counter() - wall0
    frames.append(current[0])
    view = cluster.view()
    consumed = {g: sum(c.polled for c in view.consumers().values() if c.group == g) for g in ("g1", "g2")}
    produced = view.producers()["load"]
    ordered = sorted(frames)
    result = {
        "benchmark": "ui-frames",
        "seconds": round(wall, 2),
        "rate": rate,
        "frames": len(frames),
        "fps": round(len(frames) / wall, 1),
        "frame_ms_p50": round(statistics.median(ordered), 2),
        "frame_ms_p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2),
        "frame_ms_max": round(ordered[-1], 2),
        "paint_ms_p50": round(statistics.median(paints), 2) if paints else None,
        "paint_ms_p95": round(sorted(paints)[int(0.95 * (len(paints) - 1))], 2) if paints else None,
        "paints": len(paints),
        "painted_fps": round(painted[0] / wall, 1),     # frames in which the views drew (not quiet ones)
        "virtual_s": round((bridge.now - virtual0) / 1000, 2),
        "speed": SPEED,
        # Virtual seconds per wall second, and as a share of the chosen speed: below 1, the simulation
        # fell behind (the window showed it: "running at ...x").
        "achieved_speed": round((bridge.now - virtual0) / 1000 / wall, 3),
        "kept_up": (bridge.now - virtual0) / 1000 / wall >= 0.95 * SPEED,
        "pace_shown": round(pace_shown[-1], 3) if pace_shown else 1.0,
        "engine_budget_ms": round(bridge.frame_budget.engine_ms(), 2),
        "records_acked": produced.acked,
        "records_consumed": consumed,
        "events": len(cluster.events.history),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }
    window.close()
    return result


def measure_engine(virtual_s: float, rate: int = RATE) -> dict:
    """The same cluster and load with no window: what the simulation alone costs per virtual second."""
    from playground.engine import Cluster
    from playground.ui import commands
    cluster = Cluster(brokers=3, seed=0, network_latency=1)
    cluster.create_topic(TOPIC, PARTITIONS, 3, {"min.insync.replicas": 2}, immediate=True)
    commands.start_producer(cluster, "load", TOPIC, rate=str(rate), key="k{i}")
    for group in ("g1", "g2"):
        for i in (1, 2):
            commands.start_consumer(cluster, f"{group}-c{i}", group, [TOPIC], auto_offset_reset="earliest")
    cluster.advance(WARMUP_MS)              # the same warm-up as the window's, not timed
    end = cluster.now + int(virtual_s * 1000)
    wall0 = time.perf_counter()
    while cluster.now < end:
        cluster.advance(16)                 # frame-sized steps, as the window takes them at 1x
    wall = time.perf_counter() - wall0
    return {"benchmark": "ui-engine-only", "virtual_s": virtual_s, "wall_s": round(wall, 2),
            "engine_s_per_virtual_s": round(wall / virtual_s, 3), "events": len(cluster.events.history)}


def measure_retained(records: int = 1_000_000) -> dict:
    """Produce `records` in fast-forward with the window open (not painting), then read the RSS."""
    app, cluster, window = _window(latency_ms=1)
    bridge = window.bridge
    rss0 = _rss_mb()
    producer = cluster.producer("bulk", acks="all", linger_ms=5)
    value = b"x" * 100
    sent = 0
    wall0 = time.perf_counter()
    while sent < records:
        n = min(5000, records - sent)
        for i in range(sent, sent + n):
            producer.send(TOPIC, value, key=f"k{i % 1000}".encode())
        sent += n
        bridge.run_to(bridge.now + 5)
        app.processEvents()                  # the event log and charts see what happened
    deadline = bridge.now + 60_000
    while producer.stats.acked < records and bridge.now < deadline:
        bridge.run_to(bridge.now + 10)
    app.processEvents()
    wall = time.perf_counter() - wall0
    view = cluster.view()
    retained = sum(pv.high_watermark - pv.log_start_offset for pv in view.partitions(TOPIC))
    result = {
        "benchmark": "ui-retained",
        "records": records,
        "retained_records": retained,
        "replicas": 3,
        "events": len(cluster.events.history),
        "wall_s": round(wall, 1),
        "rss_before_mb": round(rss0, 1),
        "rss_mb": round(_rss_mb(), 1),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }
    window.close()
    return result


def startup_probe() -> int:
    """Open the window as `kafka-playground` does, say so once it is painted and idle, and quit."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer
    from playground.ui.app import _application, load
    from playground.ui.qt_main_window import MainWindow
    app = _application()
    cluster, timeline, title = load(None)
    window = MainWindow(cluster, timeline, title=title)
    window.resize(1600, 1000)
    window.show()

    def shown() -> None:
        print("shown", flush=True)
        app.quit()

    QTimer.singleShot(0, shown)             # runs once the show and first paint events are handled
    app.exec()
    return 0


def measure_startup(runs: int = 3) -> dict:
    times = []
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "playground.bench_ui", "--startup-probe"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        line = proc.stdout.readline()
        t1 = time.perf_counter()
        proc.wait(timeout=60)
        if line.strip() != "shown":
            raise RuntimeError("the start-up probe did not show a window")
        times.append(t1 - t0)
    return {"benchmark": "ui-startup", "runs": runs, "startup_s": round(statistics.median(times), 3),
            "startup_s_all": [round(t, 3) for t in times]}


def _child(args: list[str]) -> dict:
    """Run one measurement in a fresh process, so that its peak RSS is its own."""
    out = subprocess.run([sys.executable, "-m", "playground.bench_ui", *args, "--json"], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout)


def bench_ui(seconds: float = 30.0, records: int = 1_000_000, startup_runs: int = 3, rate: int = RATE) -> dict:
    frames = _child(["--frames-only", "--seconds", str(seconds), "--rate", str(rate)])
    engine = _child(["--engine-only", "--seconds", str(max(1.0, frames["virtual_s"])), "--rate", str(rate)])
    startup = measure_startup(startup_runs)
    retained = _child(["--retained-only", "--records", str(records)]) if records else None
    return {
        "benchmark": "ui",
        "frame_ms_p50": frames["frame_ms_p50"],
        "frame_ms_p95": frames["frame_ms_p95"],
        "frame_ms_max": frames["frame_ms_max"],
        "achieved_speed": frames["achieved_speed"],
        "kept_up": frames["kept_up"],
        "startup_s": startup["startup_s"],
        "peak_rss_mb": frames["peak_rss_mb"],
        "retained_records": retained["retained_records"] if retained else None,
        "retained_rss_mb": retained["rss_mb"] if retained else None,
        "targets": {"frame_ms_p95": 16.7, "startup_s": 2.0, "retained_rss_mb": 500},
        "engine_s_per_virtual_s": engine["engine_s_per_virtual_s"],
        "frames": frames,
        "engine": engine,
        "startup": startup,
        "retained": retained,
    }


def print_ui(r: dict) -> None:
    f = r["frames"]
    print(f"ui frames: p50 {r['frame_ms_p50']} ms, p95 {r['frame_ms_p95']} ms, max {r['frame_ms_max']} ms; "
          f"repaint p50 {f['paint_ms_p50']} ms, p95 {f['paint_ms_p95']} ms "
          f"({f['frames']} frames in {f['seconds']} s, {f['fps']} fps, {f.get('painted_fps')} painted; "
          f"{f['virtual_s']} virtual s; "
          f"{f['records_acked']:,} records acked at {f['rate']}/s, consumed {f['records_consumed']}; "
          f"peak RSS {r['peak_rss_mb']} MB)")
    print(f"virtual time: {f['achieved_speed']}x real time at the chosen {f['speed']:g}x "
          f"({'kept up' if f['kept_up'] else 'fell behind: the simulation slowed down, the window said so'}; "
          f"engine budget {f['engine_budget_ms']} ms a frame)")
    e = r["engine"]
    print(f"engine alone, same load: {e['engine_s_per_virtual_s']} s of wall time per virtual second "
          f"({'keeps up' if e['engine_s_per_virtual_s'] <= 1 else 'cannot keep up'} with 1x on its own)")
    print(f"ui startup: {r['startup_s']} s to a shown window (median of {r['startup']['runs']}: "
          f"{r['startup']['startup_s_all']})")
    if r["retained"]:
        m = r["retained"]
        print(f"ui retained: {m['retained_records']:,} records (x{m['replicas']} replicas, {m['events']:,} events) "
              f"-> RSS {m['rss_mb']} MB (peak {m['peak_rss_mb']} MB; {m['rss_before_mb']} MB before), "
              f"produced in {m['wall_s']} s")
    t = r["targets"]
    ok = (r["frame_ms_p95"] <= t["frame_ms_p95"] and r["startup_s"] <= t["startup_s"]
          and (r["retained_rss_mb"] is None or r["retained_rss_mb"] <= t["retained_rss_mb"]))
    print(f"targets (p95 <= {t['frame_ms_p95']} ms, start-up <= {t['startup_s']} s, retained <= "
          f"{t['retained_rss_mb']} MB): {'met' if ok else 'NOT met'}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, default=30.0, help="wall seconds of the frame run (default 30)")
    parser.add_argument("--records", type=int, default=1_000_000,
                        help="records retained for the memory figure (default 1,000,000; 0 skips it)")
    parser.add_argument("--startup-runs", type=int, default=3)
    parser.add_argument("--rate", type=int, default=RATE, help="records per second the producer sends (default 2000)")
    parser.add_argument("--json", action="store_true")


def run(args) -> int:
    result = bench_ui(args.seconds, args.records, args.startup_runs, args.rate)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_ui(result)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m playground.bench_ui")
    add_arguments(parser)
    parser.add_argument("--startup-probe", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--frames-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--retained-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--engine-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.startup_probe:
        return startup_probe()
    if args.frames_only or args.retained_only or args.engine_only:
        result = (measure_frames(args.seconds, args.rate) if args.frames_only
                  else measure_engine(args.seconds, args.rate) if args.engine_only
                  else measure_retained(args.records))
        print(json.dumps(result))
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
