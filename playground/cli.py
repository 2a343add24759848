"""The `kafka-playground` command.

    kafka-playground [--scenario FILE]                 open the window (default)
    kafka-playground scenario run FILE [--json] [--events]
    kafka-playground screenshot [--scenario FILE] [--at DURATION] [--theme light|dark] [--presenter] OUT.png
    kafka-playground bench engine [--records N] [--json]
    kafka-playground bench faults [--seeds N] [--json]
    kafka-playground bench ui [--seconds S] [--records N] [--json]

Qt is imported only by the commands that show or render a window, so the
headless commands run on machines without a display.
"""

from __future__ import annotations

import argparse
import sys


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kafka-playground",
                                     description="Learn Apache Kafka on a simulated cluster you can see.")
    parser.add_argument("--scenario", metavar="FILE", help="open this scenario in the window")
    sub = parser.add_subparsers(dest="command")

    sub.add_parser("gui", help="open the window (the default)").add_argument(
        "--scenario", metavar="FILE", dest="gui_scenario")

    scen = sub.add_parser("scenario", help="run scenario files headless")
    scen_sub = scen.add_subparsers(dest="scenario_command", required=True)
    run = scen_sub.add_parser("run", help="run a scenario in virtual time and report")
    run.add_argument("file")
    run.add_argument("--json", action="store_true", help="print the JSON report")
    run.add_argument("--events", action="store_true", help="include every event in the report")

    shot = sub.add_parser("screenshot", help="render the window to a PNG without showing it")
    shot.add_argument("out", metavar="OUT.png")
    shot.add_argument("--scenario", metavar="FILE")
    shot.add_argument("--at", default="0", metavar="DURATION", help="virtual time to show, e.g. 12ms, 2s")
    shot.add_argument("--width", type=int, default=1600)
    shot.add_argument("--height", type=int, default=1000)
    shot.add_argument("--theme", choices=("light", "dark"), default="light")
    shot.add_argument("--presenter", action="store_true", help="presenter mode: no menus, 1.5x larger")

    bench = sub.add_parser("bench", help="run a benchmark")
    bench.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "scenario":
        from playground.scenario.cli import run_command
        return run_command(args.file, as_json=args.json, with_events=args.events)
    if args.command == "screenshot":
        from playground.scenario.loader import ScenarioError
        from playground.scenario import parse_duration
        try:
            at_ms = parse_duration(args.at)
        except (ValueError, ScenarioError) as exc:
            print(f"kafka-playground screenshot: --at {args.at!r}: {exc}", file=sys.stderr)
            return 2
        from playground.ui.screenshot import render_screenshot
        return render_screenshot(args.out, scenario=args.scenario, at_ms=at_ms,
                                 width=args.width, height=args.height, theme=args.theme,
                                 presenter=args.presenter) or 0
    if args.command == "bench":
        from playground.bench import main as bench_main
        return bench_main(args.args)
    scenario = args.scenario or getattr(args, "gui_scenario", None)
    from playground.ui.app import run_gui
    return run_gui(scenario=scenario) or 0


if __name__ == "__main__":
    sys.exit(main())
