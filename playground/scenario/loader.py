"""Read a scenario file: YAML with a line number for every key and list item.

`parse_scenario(text, filename)` composes the YAML into nodes (PyYAML's
`SafeLoader`), turns them into plain Python values while recording where each
mapping key and list item was written, then hands the tree to
`schema.validate_document`, which checks the contract and builds the
normalised `Scenario`. Every problem is a `ScenarioError` whose `str()` reads
like a compiler message::

    orders.yaml:12: steps[3].kill_broker: broker 107 does not exist; brokers are 101, 102, 103

Paths are tuples internally: `("steps", 3, "kill_broker")`; `format_path`
writes them the way the messages show them.

This module also holds the small value parsers every part of the scenario
package shares: `parse_duration` and `parse_timestamp`.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import re
from decimal import Decimal, InvalidOperation
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, NoReturn, Optional, Union

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

if TYPE_CHECKING:  # pragma: no cover
    from .schema import Scenario

PathT = tuple[Union[str, int], ...]

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_NULL_TAG = "tag:yaml.org,2002:null"


class ScenarioError(Exception):
    """An invalid scenario file: where (file, line, key path) and what.

    `line` is 1-based, or None when the problem has no place in the text (an
    unreadable file). `path` is the formatted key path (`steps[3].kill_broker`)
    or "" for the document as a whole. `error_name` carries Kafka's error name
    when Kafka itself would refuse the thing (`INVALID_REPLICATION_FACTOR`);
    the message then begins with it too.
    """

    def __init__(
        self,
        filename: str,
        line: int | None,
        path: str,
        message: str,
        error_name: str | None = None,
    ) -> None:
        super().__init__(filename, line, path, message)
        self.filename = filename
        self.line = line
        self.path = path
        self.message = message
        self.error_name = error_name

    def __str__(self) -> str:
        where = self.filename if self.line is None else f"{self.filename}:{self.line}"
        if self.path:
            return f"{where}: {self.path}: {self.message}"
        return f"{where}: {self.message}"


def format_path(path: PathT) -> str:
    """`("steps", 3, "kill_broker")` -> `steps[3].kill_broker`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class Document:
    """A YAML document as plain Python values plus where each part was written.

    `lines` maps a path to the 1-based line of its mapping key or list item.
    `raw` maps the path of every plain (unquoted) scalar to its source text,
    so that a key, value or name written as `007` or `yes` can be taken as
    the text the author typed rather than YAML 1.1's int 7 or bool True.
    """

    def __init__(self, data: Any, lines: dict[PathT, int], raw: dict[PathT, str]) -> None:
        self.data = data
        self.lines = lines
        self.raw = raw

    def line_of(self, path: PathT) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return self.lines.get((), None)


def _mark_line(node: Node) -> int:
    return node.start_mark.line + 1


class _Composer:
    def __init__(self, loader: yaml.SafeLoader, filename: str) -> None:
        self.loader = loader
        self.filename = filename
        self.lines: dict[PathT, int] = {}
        self.raw: dict[PathT, str] = {}
        self.active: set[int] = set()

    def fail(self, node: Node, path: PathT, message: str) -> None:
        raise ScenarioError(self.filename, _mark_line(node), format_path(path), message)

    def convert(self, node: Node, path: PathT) -> Any:
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        if id(node) in self.active:
            self.fail(node, path, "a YAML alias refers to itself (recursive structure)")
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                if node.tag != _SEQ_TAG:
                    self.fail(node, path, f"unsupported YAML tag {node.tag}")
                items = []
                for i, item in enumerate(node.value):
                    self.lines[path + (i,)] = _mark_line(item)
                    items.append(self.convert(item, path + (i,)))
                return items
            if isinstance(node, MappingNode):
                if node.tag != _MAP_TAG:
                    self.fail(node, path, f"unsupported YAML tag {node.tag}")
                return self.mapping(node, path)
        finally:
            self.active.discard(id(node))
        self.fail(node, path, "unsupported YAML node")  # pragma: no cover

    def scalar(self, node: ScalarNode, path: PathT) -> Any:
        try:
            value = self.loader.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as exc:
            self.fail(node, path, f"YAML error: {exc.problem}")
        if node.style is None and node.tag != _NULL_TAG:
            self.raw[path] = node.value
        return value

    def mapping(self, node: MappingNode, path: PathT) -> dict[str, Any]:
        out: dict[str, Any] = {}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merges.append(value_node)
                continue
            if not isinstance(key_node, ScalarNode):
                self.fail(key_node, path, "a mapping key must be a plain name, not a list or mapping")
            key = key_node.value
            if key in out:
                self.fail(key_node, path + (key,), f"duplicate key '{key}'")
            self.lines[path + (key,)] = _mark_line(key_node)
            out[key] = self.convert(value_node, path + (key,))
        # YAML merge keys (`<<: *defaults`): explicit keys win, earlier merges
        # win; a merged key's line is where the anchored mapping wrote it.
        for merge in merges:
            sources = merge.value if isinstance(merge, SequenceNode) else [merge]
            for source in sources:
                if not isinstance(source, MappingNode):
                    self.fail(source, path, "a merge key (<<) takes a mapping or a list of mappings")
                saved = self.lines, self.raw
                self.lines, self.raw = {}, {}
                try:
                    merged = self.convert(source, path)
                finally:
                    (scratch_lines, scratch_raw), (self.lines, self.raw) = (self.lines, self.raw), saved
                for key, value in merged.items():
                    if key in out:
                        continue
                    out[key] = value
                    prefix = path + (key,)
                    for table, scratch in ((self.lines, scratch_lines), (self.raw, scratch_raw)):
                        table.update((p, v) for p, v in scratch.items() if p[: len(prefix)] == prefix)
        return out


def compose_document(text: str, filename: str) -> Document:
    """YAML text -> `Document`; syntax errors become `ScenarioError` with a line."""
    loader = yaml.SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or exc.context or "invalid YAML"
            if exc.context and exc.problem:
                problem = f"{exc.problem} ({exc.context})"
            raise ScenarioError(
                filename, mark.line + 1 if mark else None, "", f"YAML syntax error: {problem}"
            ) from None
        except yaml.YAMLError as exc:
            raise ScenarioError(filename, None, "", f"YAML error: {exc}") from None
        if node is None:
            return Document(None, {}, {})
        composer = _Composer(loader, filename)
        composer.lines[()] = _mark_line(node)
        data = composer.convert(node, ())
        return Document(data, composer.lines, composer.raw)
    finally:
        loader.dispose()


def parse_scenario(text: str, filename: str = "<scenario>") -> "Scenario":
    """Parse and validate scenario YAML text; raise `ScenarioError` if invalid."""
    from .schema import validate_document  # schema imports this module

    return validate_document(compose_document(text, filename), filename)


def load_scenario(path: Union[str, "PathLike[str]"]) -> "Scenario":
    """Read, parse and validate a scenario file (named in errors as given)."""
    filename = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(filename, None, "", f"cannot read file: not UTF-8 ({exc.reason})") from None
    except OSError as exc:
        raise ScenarioError(filename, None, "", f"cannot read file: {exc.strerror or exc}") from None
    return parse_scenario(text, filename)


# --- durations and timestamps ---------------------------------------------

_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_CONFIG_NAME = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")  # min.insync.replicas
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_DURATION_HELP = "a duration is milliseconds (250) or a number with a unit: 250ms, 5s, 2m, 1h, 7d"


def parse_duration(value: Any) -> int:
    """`250` / `"250ms"` / `"5s"` / `"2m"` / `"1h"` / `"7d"` -> milliseconds.

    Decimals are fine when they come to whole milliseconds (`"1.5s"`); a
    bare number string is milliseconds. Negative durations are refused
    (Kafka's `-1` for "forever" is an integer config value, see schema).
    Raises ValueError with a reason.
    """
    if isinstance(value, bool) or value is None:
        raise ValueError(f"invalid duration {value!r}: {_DURATION_HELP}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"invalid duration {value}: must not be negative")
        return value
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            number, unit = match.group(1), match.group(2)
            if unit is None and "." in number:
                match = None
            else:
                try:
                    ms = Decimal(number) * _UNIT_MS[unit or "ms"]
                except InvalidOperation:  # pragma: no cover - regex guarantees digits
                    match = None
                else:
                    if ms != ms.to_integral_value():
                        raise ValueError(f"invalid duration {value!r}: not a whole number of milliseconds")
                    return int(ms)
    raise ValueError(f"invalid duration {value!r}: {_DURATION_HELP}")


_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def parse_timestamp(value: Any) -> int:
    """A point in virtual time as milliseconds since virtual time 0.

    Virtual time 0 is the Unix epoch (record timestamps in the report start
    at 0), so an ISO date or datetime (`2024-05-01T12:00:00Z`, naive = UTC)
    becomes milliseconds since 1970-01-01 UTC; an integer is milliseconds;
    a duration string (`"5s"`) is that long after time 0.
    """
    if isinstance(value, _dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)
    elif isinstance(value, _dt.date):
        moment = _dt.datetime(value.year, value.month, value.day, tzinfo=_dt.timezone.utc)
    elif isinstance(value, str) and not _DURATION.match(value):
        try:
            moment = _dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(
                f"invalid timestamp {value!r}: use milliseconds, a duration after time 0 (5s) "
                "or an ISO date-time (2024-05-01T12:00:00Z)"
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=_dt.timezone.utc)
    else:
        return parse_duration(value)
    ms = (moment - _EPOCH) // _dt.timedelta(milliseconds=1)
    if ms < 0:
        raise ValueError(f"invalid timestamp {value!r}: before 1970-01-01 (virtual time 0)")
    return ms


# --- reading values out of a Document, failing at the right line -------------


def describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the string {value!r}"
    return f"{type(value).__name__} {value!r}"


def hint(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


class Reader:
    """Typed reads from a `Document`: each takes the value and its path and
    either returns the value (normalised) or raises `ScenarioError` naming the
    file, the line and the key path."""

    def __init__(self, doc: Document, filename: str) -> None:
        self.doc = doc
        self.filename = filename

    def fail(self, path: PathT, message: str, *, at: Optional[PathT] = None, error_name: str = "") -> NoReturn:
        if error_name:
            message = f"{error_name}: {message}"
        line = self.doc.line_of(path if at is None else at)
        raise ScenarioError(self.filename, line, format_path(path), message, error_name or None)

    def mapping(self, value: Any, path: PathT, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            self.fail(path, f"expected a mapping with keys {', '.join(allowed)}; got {describe(value)}")
        for key in value:
            if key not in allowed:
                self.fail(path + (key,), f"unknown key '{key}'{hint(key, allowed)}; allowed keys are {', '.join(allowed)}")
        for key in required:
            if key not in value:
                self.fail(path, f"missing required key '{key}'")
        return value

    def integer(self, value: Any, path: PathT, minimum: Optional[int] = None, maximum: Optional[int] = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, f"expected an integer; got {describe(value)}")
        if minimum is not None and value < minimum:
            self.fail(path, f"must be at least {minimum}; got {value}")
        if maximum is not None and value > maximum:
            self.fail(path, f"must be at most {maximum}; got {value}")
        return value

    def boolean(self, value: Any, path: PathT) -> bool:
        if not isinstance(value, bool):
            self.fail(path, f"expected true or false; got {describe(value)}")
        return value

    def text(self, value: Any, path: PathT, what: str = "a name") -> str:
        """A string; a plain scalar YAML read as a number or bool counts as the text written."""
        if isinstance(value, str) and value:
            return value
        if value is not None and not isinstance(value, (dict, list)) and path in self.doc.raw:
            return self.doc.raw[path]
        self.fail(path, f"expected {what}; got {describe(value)}")

    def template(self, value: Any, path: PathT) -> Optional[str]:
        """A key, value or header value: text with `{i}`, or null."""
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, (dict, list)):
            self.fail(path, f"expected a string or null; got {describe(value)}")
        return self.doc.raw.get(path, str(value))

    def choice(self, value: Any, path: PathT, options: Iterable[str]) -> str:
        options = tuple(options)
        text = self.text(value, path, "one of " + ", ".join(options))
        if text not in options:
            self.fail(path, f"'{text}' is not one of {', '.join(options)}{hint(text, options)}")
        return text

    def duration(self, value: Any, path: PathT) -> int:
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.fail(path, str(exc))

    def timestamp(self, value: Any, path: PathT) -> int:
        try:
            return parse_timestamp(value)
        except ValueError as exc:
            self.fail(path, str(exc))

    def config(self, value: Any, path: PathT, allow_null: bool = False) -> dict[str, Any]:
        """Kafka config names -> scalar values; `*.ms` may be durations;
        a list becomes Kafka's comma-separated form; null (alter_config
        only) deletes the override."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(path, f"expected a mapping of Kafka config names to values; got {describe(value)}")
        out: dict[str, Any] = {}
        for key, item in value.items():
            p = path + (key,)
            if "." not in key or not _CONFIG_NAME.match(key):
                self.fail(p, f"'{key}' is not a Kafka config name (they look like min.insync.replicas)")
            if isinstance(item, dict):
                self.fail(p, f"a config value is a single value; got {describe(item)}")
            if isinstance(item, list):
                if not item or any(x is None or isinstance(x, (dict, list)) for x in item):
                    self.fail(p, "a list config value is a non-empty list of plain values")
                item = ",".join(str(x).lower() if isinstance(x, bool) else str(x) for x in item)
            elif item is None and not allow_null:
                self.fail(p, "a config value cannot be null")
            elif key.endswith(".ms") and isinstance(item, str):
                item = int(item) if re.fullmatch(r"\s*-\d+\s*", item) else self.duration(item, p)
            out[key] = item
        return out
