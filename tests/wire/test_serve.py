"""`serve`: virtual time follows the wall clock, scenario steps happen on that timeline, a killed
broker's listener closes and a restarted one listens again; the command itself starts and answers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from playground.engine import Cluster
from playground.engine.events import EventKind
from playground.scenario.loader import load_scenario
from playground.scenario.runner import ScenarioRun
from playground.wire.serve import RealTime, ServeLoop

from .conftest import Served, connect, read_frame
from .test_robustness import api_versions_frame

ROOT = Path(__file__).resolve().parents[2]

SCENARIO = """\
name: a broker dies and comes back while clients are connected
seed: 3
cluster: {brokers: 3}
topics:
  - {name: orders, partitions: 3, replication_factor: 3}
steps:
  - wait: 300ms
  - kill_broker: 102
  - wait: 400ms
  - restart_broker: 102
"""


class FakeWall:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_virtual_time_follows_the_wall_clock_times_speed():
    cluster = Cluster(brokers=1, seed=0)
    applied: list[tuple[str, int]] = []
    timeline = [(250, lambda: applied.append(("b", cluster.now))), (100, lambda: applied.append(("a", cluster.now)))]
    wall = FakeWall()
    rt = RealTime(cluster, speed=2.0, timeline=timeline, wall=wall)
    start = cluster.now
    wall.t += 0.04                      # 40 ms of real time at 2x: 80 virtual ms
    rt.run_to_now()
    assert cluster.now == start + 80 and applied == []
    # The next thing due: step "a" at 100 virtual ms is 20 virtual ms = 10 real ms away (or an engine timer sooner).
    assert 0 <= rt.seconds_until_next() <= 0.01 + 1e-9
    wall.t += 0.1                       # now 280 virtual ms: both steps, in time order, at their time
    rt.run_to_now()
    assert applied == [("a", start + 100), ("b", start + 250)]
    assert cluster.now == start + 280 and rt.steps_left == 0
    rt.set_speed(0.5)
    wall.t += 1.0
    rt.run_to_now()
    assert cluster.now == start + 780


def test_scenario_steps_run_in_real_time_and_listeners_follow_the_brokers(tmp_path):
    path = tmp_path / "die-and-return.yaml"
    path.write_text(SCENARIO)
    run = ScenarioRun(load_scenario(path))
    loop = ServeLoop(run.cluster, port=0, timeline=run.timeline())
    served = Served(loop.start_thread())
    try:
        port = served.port_of(102)
        with connect(port) as sock:
            sock.sendall(api_versions_frame(1))
            assert read_frame(sock) is not None
            served.wait_for(lambda: not run.cluster.brokers[102].alive, timeout=10, what="the kill step")
            # The process is gone: its listener and its connections with it.
            assert read_frame(sock) is None
        served.wait_for(lambda: 102 not in loop.server.listening(), timeout=5, what="the listener to close")
        served.wait_for(lambda: 102 in loop.server.listening(), timeout=10, what="the restart step")
        assert served.port_of(102) == port, "a restarted broker listens on its own port again"
        with connect(port) as sock:
            sock.sendall(api_versions_frame(2))
            assert read_frame(sock) is not None
        kinds = [e.kind for e in served.events()]
        assert EventKind.BROKER_KILLED in kinds and EventKind.BROKER_RESTARTED in kinds
        assert any("disconnected from broker 102" in e.text for e in served.events(EventKind.CLIENT_DISCONNECTED))
    finally:
        loop.stop()


def test_the_serve_command_listens_and_prints_the_bootstrap_address():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "playground.cli", "serve", "--brokers", "2", "--port", "0"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        bootstrap = None
        for _ in range(20):
            line = proc.stdout.readline()
            if line.startswith("bootstrap.servers="):
                bootstrap = line.strip().split("=", 1)[1]
                break
        assert bootstrap is not None, proc.stderr.read() if proc.poll() is not None else "no bootstrap line"
        addresses = bootstrap.split(",")
        assert len(addresses) == 2 and all(a.startswith("127.0.0.1:") for a in addresses)
        with connect(int(addresses[1].rsplit(":", 1)[1])) as sock:
            sock.sendall(api_versions_frame(3))
            assert read_frame(sock) is not None
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()


def test_serve_refuses_bad_arguments():
    from playground.wire.serve import run_serve
    assert run_serve(brokers=0) == 2
    assert run_serve(brokers=1, speed=0) == 2
    assert run_serve(scenario=str(ROOT / "no-such-file.yaml")) == 2
