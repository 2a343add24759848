"""Render docs/timetravel.png: send with acks=1 and lose it, go back, send with acks=all, compare.

Run from the repository root: `.venv/bin/python docs/timetravel_picture.py docs/timetravel.png`.
"""

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KAFKA_PLAYGROUND_NO_RESTORE", "1")

from playground.storage import Journal
from playground.ui.app import _application
from playground.ui.commands import builtin_setup
from playground.ui.qt_main_window import MainWindow


def main(out: str) -> int:
    app = _application()
    journal = Journal.start(builtin_setup())
    window = MainWindow(journal.cluster, journal.timeline(), journal=journal, running=False,
                        title="built-in cluster (3 brokers, topic orders)")
    window.resize(1600, 1000)
    window.show()

    def go(w, t: int) -> None:
        w.bridge.run_to(t)
        w.bridge.show_at(t)
        app.processEvents()

    def send_and_fail(w, acks: str, leader: int) -> None:
        w.bridge.produce("orders", "at risk {i}", key="user-1", acks=acks, count=3, partition=0)
        go(w, 1700)
        w.bridge.kill_broker(leader)            # after the leader's ack, before the slow followers fetch
        go(w, 16000)
        w.bridge.restart_broker(leader)
        go(w, 26000)

    go(window, 300)
    window.bridge.produce("orders", "early {i}", key="user-1", acks="all", count=2, partition=0)
    go(window, 1000)
    first = journal.cluster.view().partitions("orders")[0]
    for follower in (r for r in first.replicas if r != first.leader):
        window.bridge.slow_broker(follower, 2000)
    go(window, 1500)
    send_and_fail(window, "1", first.leader)
    travel = window.time_travel
    travel.travel_to(1400)                      # just before the acks=1 send: try acks=all instead
    send_and_fail(travel.window, "all", first.leader)
    dialog = travel.compare(1, 2)
    dialog.resize(1600, 900)
    app.processEvents()
    dialog._fit_pictures()
    app.processEvents()
    ok = dialog.grab().save(out)
    dialog.close()
    travel.window.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "docs/timetravel.png"))
