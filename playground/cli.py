"""The `kafka-playground` command.

    kafka-playground [--scenario FILE | --workspace FILE]   open the window (default)
    kafka-playground scenario run FILE [--json] [--events] [--save-workspace OUT.sqlite]
    kafka-playground screenshot [--scenario FILE | --workspace FILE] [--at DURATION] [--theme light|dark]
                                [--presenter] OUT.png
    kafka-playground bench engine [--records N] [--json]
    kafka-playground bench faults [--seeds N] [--json]
    kafka-playground bench ui [--seconds S] [--records N] [--json]
    kafka-playground bench wire [--records N] [--json]
    kafka-playground exec [--scenario FILE] -- COMMAND ARGS...   run a Kafka CLI tool headless
    kafka-playground serve [--brokers N] [--host H] [--port P] [--scenario FILE] [--speed X]
    kafka-playground lessons list [--json] | lessons verify [ID]
    kafka-playground demos list [--json]

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
    parser.add_argument("--workspace", metavar="FILE", help="open this workspace (an SQLite file) in the window")
    parser.add_argument("--no-restore", action="store_true",
                        help="start on a new cluster without offering to restore the last session")
    sub = parser.add_subparsers(dest="command")

    gui = sub.add_parser("gui", help="open the window (the default)")
    gui.add_argument("--scenario", metavar="FILE", dest="gui_scenario")
    gui.add_argument("--workspace", metavar="FILE", dest="gui_workspace")

    scen = sub.add_parser("scenario", help="run scenario files headless")
    scen_sub = scen.add_subparsers(dest="scenario_command", required=True)
    run = scen_sub.add_parser("run", help="run a scenario in virtual time and report")
    run.add_argument("file")
    run.add_argument("--json", action="store_true", help="print the JSON report")
    run.add_argument("--events", action="store_true", help="include every event in the report")
    run.add_argument("--save-workspace", metavar="OUT.sqlite",
                     help="also save the cluster at the end as a workspace (open it with --workspace)")

    shot = sub.add_parser("screenshot", help="render the window to a PNG without showing it")
    shot.add_argument("out", metavar="OUT.png")
    shot.add_argument("--scenario", metavar="FILE")
    shot.add_argument("--workspace", metavar="FILE", help="show a saved workspace (at the instant it was saved)")
    shot.add_argument("--at", default="0", metavar="DURATION", help="virtual time to show, e.g. 12ms, 2s")
    shot.add_argument("--width", type=int, default=1600)
    shot.add_argument("--height", type=int, default=1000)
    shot.add_argument("--theme", choices=("light", "dark"), default="light")
    shot.add_argument("--presenter", action="store_true", help="presenter mode: no menus, 1.5x larger")

    ex = sub.add_parser("exec", help="run a scenario, then a Kafka CLI command (kafka-topics, "
                                     "kafka-console-producer, kafka-console-consumer, kafka-consumer-groups) "
                                     "against the cluster it leaves, and print what the console would")
    ex.add_argument("--scenario", metavar="FILE", dest="exec_scenario",
                    help="the scenario to run first (default: the built-in cluster)")
    ex.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- COMMAND ARGS")
    serve = sub.add_parser("serve", help="run the cluster headless in real time for real Kafka clients")
    serve.add_argument("--brokers", type=int, default=3, help="simulated brokers (default 3)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=9092, help="first broker's port; the next ones follow")
    serve.add_argument("--advertised-host", help="host name Metadata gives clients (default: --host)")
    serve.add_argument("--scenario", metavar="FILE", dest="serve_scenario",
                       help="build the cluster from a scenario and run its steps in real time")
    serve.add_argument("--speed", type=float, default=1.0, help="virtual time per real time (default 1)")
    serve.add_argument("--events", action="store_true", help="print every event, not only the clients'")

    bench = sub.add_parser("bench", help="run a benchmark")
    bench.add_argument("args", nargs=argparse.REMAINDER)

    lessons = sub.add_parser("lessons", help="list the lessons, or verify them headless")
    lessons_sub = lessons.add_subparsers(dest="lessons_command", required=True)
    lessons_sub.add_parser("list", help="id, title and concepts of each lesson").add_argument(
        "--json", action="store_true", help="print JSON")
    lessons_sub.add_parser("verify", help="run each lesson's reference solution and show that every check "
                                          "fails before it and passes after").add_argument("id", nargs="?")
    demos = sub.add_parser("demos", help="list the classroom demos")
    demos_sub = demos.add_subparsers(dest="demos_command", required=True)
    demos_sub.add_parser("list", help="id, title, scenario and teacher's note").add_argument(
        "--json", action="store_true", help="print JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "scenario":
        from playground.scenario.cli import run_command
        if args.save_workspace:
            from playground.storage.recording import workspace_recorder
            make_run, on_done = workspace_recorder(args.file, args.save_workspace)
            return run_command(args.file, as_json=args.json, with_events=args.events, make_run=make_run,
                               on_done=on_done)
        return run_command(args.file, as_json=args.json, with_events=args.events)
    if args.command == "screenshot":
        from playground.scenario.loader import ScenarioError
        from playground.scenario import parse_duration
        try:
            at_ms = parse_duration(args.at)
        except (ValueError, ScenarioError) as exc:
            print(f"kafka-playground screenshot: --at {args.at!r}: {exc}", file=sys.stderr)
            return 2
        if args.scenario and args.workspace:
            print("kafka-playground screenshot: give --scenario or --workspace, not both", file=sys.stderr)
            return 2
        from playground.ui.screenshot import render_screenshot
        return render_screenshot(args.out, scenario=args.scenario, at_ms=at_ms, width=args.width,
                                 height=args.height, workspace=args.workspace, theme=args.theme,
                                 presenter=args.presenter) or 0
    if args.command == "exec":
        from playground.tools.session import exec_main
        from playground.ui.commands import builtin_cluster      # plain Python: no Qt
        return exec_main(args.exec_scenario, args.argv, default_cluster=builtin_cluster)
    if args.command == "serve":
        from playground.wire.serve import run_serve
        return run_serve(args.brokers, args.host, args.port, args.serve_scenario, args.speed,
                         all_events=args.events, advertised_host=args.advertised_host)
    if args.command == "lessons":
        from playground.lessons import cli as lessons_cli
        if args.lessons_command == "list":
            return lessons_cli.lessons_list(as_json=args.json)
        return lessons_cli.lessons_verify(args.id)
    if args.command == "demos":
        from playground.lessons.cli import demos_list
        return demos_list(as_json=args.json)
    if args.command == "bench":
        from playground.bench import main as bench_main
        return bench_main(args.args)
    scenario = args.scenario or getattr(args, "gui_scenario", None)
    workspace = args.workspace or getattr(args, "gui_workspace", None)
    if scenario and workspace:
        print("kafka-playground: give --scenario or --workspace, not both", file=sys.stderr)
        return 2
    from playground.ui.app import run_gui
    return run_gui(scenario=scenario, workspace=workspace, restore=not args.no_restore) or 0


if __name__ == "__main__":
    sys.exit(main())
