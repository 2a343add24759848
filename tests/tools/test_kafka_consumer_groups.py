"""kafka-consumer-groups compared with Kafka's ConsumerGroupCommand: padded columns, the blank line before
each table, notices, and --reset-offsets with every strategy, --dry-run by default and --execute."""

from __future__ import annotations

import pytest

from playground.engine import TopicPartition

from .conftest import BOOTSTRAP

GROUPS = ("kafka-consumer-groups", *BOOTSTRAP)
DRY_RUN_WARNING = ("WARN: No action will be performed as the --execute option is missing.In a future major release, "
                   "the default behavior of this command will be to prompt the user before executing the reset "
                   "rather than doing a dry run. You should add the --dry-run option explicitly if you are "
                   "scripting this command and want to keep the current default behavior without prompting.\n")


def _fill(cluster, per_partition: int = 4) -> None:
    """`per_partition` records on each partition of orders, each 1 s of virtual time apart."""
    p = cluster.producer("filler", linger_ms=0)
    for i in range(per_partition):
        for partition in range(3):
            p.send("orders", f"v{i}".encode(), partition=partition)
        cluster.advance(1000)


def _stable_group(cluster, *names: str, group: str = "g1", **config):
    for name in names:
        cluster.consumer(name, group, ["orders"], auto_offset_reset="earliest", **config)
    for _ in range(300):
        cluster.advance(100)
        g = cluster.view().group(group)
        if g.state == "Stable" and len(g.members) == len(names):
            return g
    raise AssertionError(f"group {group} never became Stable with {names}")


def _empty_group(cluster, group: str = "g1"):
    """A group that read everything, committed, and whose only member left."""
    _stable_group(cluster, "c1", group=group)
    cluster.advance(6000)                        # an auto commit (auto.commit.interval.ms=5000)
    cluster.consumers["c1"].close()
    cluster.advance(1000)
    assert cluster.view().group(group).state == "Empty"


def _table(*rows: tuple[str, ...], widths: list[int]) -> str:
    """Kafka's `"\\n%-Ns %-Ns ... %s"` per row, then println."""
    return "".join("\n" + " ".join(f"{v:<{w}}" for v, w in zip(r[:-1], widths)) + " " + r[-1] for r in rows) + "\n"


def test_list_prints_group_ids(sh):
    _fill(sh.cluster, 1)
    _stable_group(sh.cluster, "c1", group="g1")
    _stable_group(sh.cluster, "c2", group="analytics")
    r = sh(*GROUPS, "--list")
    assert (r.code, r.out, r.err) == (0, "analytics\ng1\n", "")
    r = sh(*GROUPS, "--list", "--state")
    assert r.out == f"{'GROUP':<25} {'STATE':<20}\n{'analytics':<25} {'Stable':<20}\n{'g1':<25} {'Stable':<20}\n"
    sh.cluster.consumers["c2"].close()
    sh.cluster.advance(1000)
    assert sh(*GROUPS, "--list", "--state", "empty").out == f"{'GROUP':<25} {'STATE':<20}\n{'analytics':<25} " \
                                                            f"{'Empty':<20}\n"
    r = sh(*GROUPS, "--list", "--state", "sleepy")
    assert r.code == 1 and r.err.startswith("Invalid state list 'sleepy'. Valid states are: ")


def test_describe_a_stable_group(sh):
    _fill(sh.cluster, 4)
    g = _stable_group(sh.cluster, "c1", "c2")
    sh.cluster.advance(6000)                     # every record read, and auto-committed
    g = sh.cluster.view().group("g1")
    r = sh(*GROUPS, "--describe", "--group", "g1")
    # Members with the most partitions first; each member's partitions in order.
    owners = sorted(g.members.items(), key=lambda m: -len(m[1]))
    rows = [("g1", tp.topic, str(tp.partition), "4", "4", "0", g.member_ids[name], "/127.0.0.1", name)
            for name, tps in owners for tp in sorted(tps)]
    header = ("GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST",
              "CLIENT-ID")
    member_width = max(len(r[6]) for r in rows)
    assert r.err == ""
    assert r.out == _table(header, *rows, widths=[15, 15, 10, 15, 15, 15, member_width, 15])
    assert r.out.startswith("\nGROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG       ")


def test_describe_an_empty_group_notices_it_and_shows_dashes(sh):
    _fill(sh.cluster, 2)
    _empty_group(sh.cluster)
    _fill(sh.cluster, 1)                         # one more record each: a lag of 1
    r = sh(*GROUPS, "--describe", "--group", "g1")
    assert r.err == "\nConsumer group 'g1' has no active members.\n"
    header = ("GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST",
              "CLIENT-ID")
    rows = [("g1", "orders", str(p), "2", "3", "1", "-", "-", "-") for p in range(3)]
    assert r.out == _table(header, *rows, widths=[15, 15, 10, 15, 15, 15, 15, 15])


def test_describe_verbose_adds_the_leader_epoch_column(sh):
    _fill(sh.cluster, 1)
    _empty_group(sh.cluster)
    r = sh(*GROUPS, "--describe", "--group", "g1", "--offsets", "--verbose")
    assert r.out.splitlines()[1].split() == ["GROUP", "TOPIC", "PARTITION", "LEADER-EPOCH", "CURRENT-OFFSET",
                                             "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"]
    assert r.out.splitlines()[2].split() == ["g1", "orders", "0", "-", "1", "1", "0", "-", "-", "-"]


def test_describe_members(sh):
    _fill(sh.cluster, 1)
    g = _stable_group(sh.cluster, "c1", "c2")
    r = sh(*GROUPS, "--describe", "--group", "g1", "--members")
    width = max(len(m) for m in g.member_ids.values())
    line = lambda *cells: "".join(f"{v:<{w}} " for v, w in zip(cells, [15, width, 15, 15, 15]))  # noqa: E731
    expected = "\n" + line("GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS") + "\n"
    for name in sorted(g.members):
        expected += line("g1", g.member_ids[name], "/127.0.0.1", name, str(len(g.members[name]))) + "\n"
    assert (r.out, r.err) == (expected, "")
    r = sh(*GROUPS, "--describe", "--group", "g1", "--members", "--verbose")
    header, first = r.out.splitlines()[1:3]
    assert header.split()[-4:] == ["CURRENT-EPOCH", "CURRENT-ASSIGNMENT", "TARGET-EPOCH", "TARGET-ASSIGNMENT"]
    assigned = ",".join(str(tp.partition) for tp in sorted(g.members[sorted(g.members)[0]]))
    assert first.split()[-4:] == ["-", f"orders:{assigned}", "-", "-"]


def test_describe_members_of_static_members_shows_their_instance_ids(sh):
    _fill(sh.cluster, 1)
    _stable_group(sh.cluster, "c1", group_instance_id="instance-1")
    r = sh(*GROUPS, "--describe", "--group", "g1", "--members")
    assert r.out.splitlines()[1].split() == ["GROUP", "CONSUMER-ID", "GROUP-INSTANCE-ID", "HOST", "CLIENT-ID",
                                             "#PARTITIONS"]
    assert r.out.splitlines()[2].split()[2] == "instance-1"


def test_describe_state(sh):
    _fill(sh.cluster, 1)
    g = _stable_group(sh.cluster, "c1")
    r = sh(*GROUPS, "--describe", "--group", "g1", "--state")
    port = 9092 + g.coordinator - 101
    coordinator = f"localhost:{port}  ({g.coordinator})"
    expected = (f"\n{'GROUP':<15} {'COORDINATOR (ID)':<25} {'ASSIGNMENT-STRATEGY':<20} {'STATE':<20} #MEMBERS"
                f"\n{'g1':<15} {coordinator:<25} {'range':<20} {'Stable':<20} 1\n")
    assert (r.out, r.err) == (expected, "")


def test_describe_a_rebalancing_group_warns(sh):
    _fill(sh.cluster, 1)
    _stable_group(sh.cluster, "c1")
    sh.cluster.consumer("c2", "g1", ["orders"])
    for _ in range(50):
        sh.cluster.advance(20)
        if sh.cluster.view().group("g1").state == "PreparingRebalance":
            break
    r = sh(*GROUPS, "--describe", "--group", "g1", pause_ms=0)
    assert r.err == "\nWarning: Consumer group 'g1' is rebalancing.\n"


def test_describe_a_group_nobody_knows(sh):
    _fill(sh.cluster, 1)
    _stable_group(sh.cluster, "c1")
    r = sh(*GROUPS, "--describe", "--group", "missing.group")
    assert (r.code, r.out) == (0, "\nError: Executing consumer group command failed due to "
                                  "org.apache.kafka.common.errors.GroupIdNotFoundException: Group missing.group not "
                                  "found.\n")


@pytest.mark.parametrize("args, message", [
    (("--describe",), "Option [describe] takes one of these options: [all-groups], [group]"),
    (("--describe", "--group", "g", "--members", "--state"),
     "Option [describe] takes at most one of these options: [members], [offsets], [state]"),
    (("--reset-offsets", "--group", "g", "--to-earliest", "--to-latest", "--dry-run"),
     'Option "[to-earliest]" can\'t be used with option "[to-latest]"'),
    (("--reset-offsets", "--group", "g", "--to-earliest", "--dry-run", "--execute"),
     "Option [reset-offsets] only accepts one of [execute] and [dry-run]"),
    (("--list", "--group", "g"), 'Option "[group]" can\'t be used with option "[list]"'),
    ((), "Command must include exactly one action: --list, --describe, --reset-offsets"),
])
def test_argument_checks_are_kafkas(sh, args, message):
    r = sh(*GROUPS, *args)
    assert r.code == 1 and r.err.startswith(message + "\nOption ")


def test_an_unknown_option_is_joptsimples_uncaught_exception(sh):
    r = sh(*GROUPS, "--list", "--bogus")
    assert (r.code, r.err) == (1, 'Exception in thread "main" joptsimple.UnrecognizedOptionException: \'bogus\' is '
                                  'not a recognized option\n')
    r = sh(*GROUPS, "--list", "--members")
    assert r.err.startswith('Exception in thread "main" joptsimple.UnavailableOptionException: ')


# -- --reset-offsets ------------------------------------------------------------------------------------
def _plan(*rows: tuple[str, str, int, int]) -> str:
    return "".join(f"\n{g:<15} {t:<15} {p:<10} {o}" for g, t, p, o in
                   [("GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"), *rows]) + "\n"


def test_reset_is_refused_while_the_group_has_members(sh):
    _fill(sh.cluster, 2)
    _stable_group(sh.cluster, "c1")
    before = sh.cluster.view().group_committed("g1")
    r = sh(*GROUPS, "--reset-offsets", "--group", "g1", "--topic", "orders", "--to-earliest", "--execute")
    assert r.code == 0
    assert r.out == ("\nError: Assignments can only be reset if the group 'g1' is inactive, but the current state is "
                     "Stable.\n" + _plan())
    assert sh.cluster.view().group_committed("g1") == before


@pytest.mark.parametrize("strategy, expected", [
    (("--to-earliest",), [0, 0, 0]),
    (("--to-latest",), [5, 5, 5]),
    (("--to-current",), [3, 3, 3]),
    (("--to-offset", "1"), [1, 1, 1]),
    (("--shift-by", "-2"), [1, 1, 1]),
    (("--shift-by", "1"), [4, 4, 4]),
    # The first three records were written at 0, 1 and 2 s of virtual time (the epoch is virtual time 0).
    (("--to-datetime", "1970-01-01T00:00:01.500"), [2, 2, 2]),
    (("--to-datetime", "1970-01-01T02:00:01.500+02:00"), [2, 2, 2]),
])
def test_reset_strategies_plan_kafkas_offsets(sh, strategy, expected):
    _fill(sh.cluster, 3)
    _empty_group(sh.cluster)                     # committed 3 on each partition
    _fill(sh.cluster, 2)                         # log end 5
    r = sh(*GROUPS, "--reset-offsets", "--group", "g1", "--topic", "orders", *strategy, "--dry-run")
    assert (r.code, r.err) == (0, "")
    assert r.out == _plan(*(("g1", "orders", p, o) for p, o in enumerate(expected)))
    assert set(sh.cluster.view().group_committed("g1").values()) == {3}      # a dry run changes nothing


def test_reset_by_duration_goes_back_from_now(sh):
    _fill(sh.cluster, 3)
    _empty_group(sh.cluster)
    now = sh.cluster.now
    # The records of partition 0 were written at 0, 1 and 2 s; going back to now - (now - 1.5 s) finds offset 2.
    r = sh(*GROUPS, "--reset-offsets", "--group", "g1", "--topic", "orders:0", "--by-duration",
           f"PT{(now - 1500) / 1000:.3f}S", "--dry-run")
    assert r.out == _plan(("g1", "orders", 0, 2))


def test_dry_run_is_the_default_and_says_so(sh):
    _fill(sh.cluster, 2)
    _empty_group(sh.cluster)
    r = sh(*GROUPS, "--reset-offsets", "--group", "g1", "--topic", "orders:1", "--to-earliest")
    assert (r.err, r.out) == (DRY_RUN_WARNING, _plan(("g1", "orders", 1, 0)))
    assert sh.cluster.view().group_committed("g1")[TopicPartition("orders", 1)] == 2


def test_execute_commits_and_describe_shows_the_new_lag(sh):
    _fill(sh.cluster, 2)
    _empty_group(sh.cluster)
    r = sh(*GROUPS, "--reset-offsets", "--group", "g1", "--all-topics", "--to-earliest", "--execute")
    assert (r.code, r.err, r.out) == (0, "", _plan(*(("g1", "orders", p, 0) for p in range(3))))
    assert set(sh.cluster.view().group_committed("g1").values()) == {0}
    lags = [line.split()[5] for line in sh(*GROUPS, "--describe", "--group", "g1").out.splitlines()[2:]]
    assert lags == ["2", "2", "2"]


def test_execute_on_a_new_group_creates_its_offsets(sh):
    _fill(sh.cluster, 2)
    _stable_group(sh.cluster, "c1", group="other")        # __consumer_offsets exists
    r = sh(*GROUPS, "--reset-offsets", "--group", "fresh", "--topic", "orders", "--to-latest", "--execute")
    assert r.out == _plan(*(("fresh", "orders", p, 2) for p in range(3)))
    assert set(sh.cluster.view().group_committed("fresh").values()) == {2}


def test_to_offset_out_of_range_is_moved_into_the_log_with_kafkas_warning(sh):
    _fill(sh.cluster, 2)
    _empty_group(sh.cluster)
    r = sh(*GROUPS, "--reset-offsets", "--group", "g1", "--topic", "orders:2", "--to-offset", "10", "--dry-run")
    assert r.err.endswith("WARN New offset (10) is higher than latest offset for topic partition orders-2. Value will "
                          "be set to 2 (org.apache.kafka.tools.GroupOffsetsResetter)\n")
    assert r.out == _plan(("g1", "orders", 2, 2))


def test_reset_scope_and_strategy_errors(sh):
    _fill(sh.cluster, 1)
    _empty_group(sh.cluster)
    r = sh(*GROUPS, "--reset-offsets", "--group", "g1", "--to-earliest", "--dry-run")
    assert r.code == 1 and r.err.startswith("One of the reset scopes should be defined: --all-topics, --topic.\n")
    r = sh(*GROUPS, "--reset-offsets", "--group", "g1", "--topic", "orders", "--dry-run")
    assert r.err.startswith("Option '[reset-offsets]' requires one of the following scenarios: [[to-offset], ")
    r = sh(*GROUPS, "--reset-offsets", "--group", "g1", "--topic", "orders:7", "--to-earliest", "--dry-run")
    assert r.out == '\nError: Executing consumer group command failed due to The partitions "orders-7" do not exist\n'
    r = sh(*GROUPS, "--reset-offsets", "--group", "nobody", "--topic", "orders", "--shift-by", "1", "--dry-run")
    assert r.code == 1 and r.err.startswith("Cannot shift offset for partition orders-0 since there is no current "
                                            "committed offset\n")
    r = sh(*GROUPS, "--reset-offsets", "--group", "g1", "--topic", "orders", "--to-datetime", "yesterday",
           "--dry-run")
    assert r.out.startswith("\nError: Executing consumer group command failed due to java.text.ParseException")
    r = sh(*GROUPS, "--reset-offsets", "--group", "g1", "--topic", "orders", "--by-duration", "1h", "--dry-run")
    assert r.out == "\nError: Executing consumer group command failed due to Text cannot be parsed to a Duration\n"
