"""Command lines parsed the way Kafka's tools parse them (joptsimple), with its help and messages.

Kafka's command-line tools declare their options with joptsimple
(`parser.accepts("topic", "...").withRequiredArg().describedAs("topic")`) on a
parser that allows no abbreviations (`CommandDefaultOptions`), and report
mistakes with joptsimple's and `CommandLineUtils`' sentences:

- `'foo' is not a recognized option`            (UnrecognizedOptionException)
- `Option ['topic'] requires an argument`         (OptionMissingRequiredArgumentException)
- `Cannot parse argument 'x' of option partitions` (OptionArgumentConversionException)
- `Missing required argument "[topic]"`           (CommandLineUtils.checkRequiredArgs)
- `Option "[config]" can't be used with option "[list]"` (CommandLineUtils.checkInvalidArgs)

An option spec prints as `[name]` (joptsimple's `OptionSpec.toString()`), which
is why Kafka's messages quote options that way. `help_text()` renders the
option table of joptsimple's `BuiltinHelpFormatter` (80 columns, options sorted
by name), which Kafka prints after every usage error.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

WIDTH = 80
OPTION_COLUMN = 39          # joptsimple splits 80 columns into two of 39 and a gap of 2
GAP = 2
MAX_INT = 2**31 - 1
MAX_LONG = 2**63 - 1


class OptionError(Exception):
    """A joptsimple OptionException: the tool prints `message` (how depends on the tool)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Opt:
    """One `parser.accepts(name, help)`: a flag, or with a required / optional argument."""

    name: str
    help: str
    arg: str | None = None                  # None (a flag), "required" or "optional"
    type: str = "String"                    # String | Integer | Long (the argument's Java type)
    described_as: str | None = None
    default: str | None = None
    available_if: tuple[str, ...] = ()      # joptsimple's availableIf(...)

    def __str__(self) -> str:
        return f"[{self.name}]"

    def usage(self) -> str:
        """`--name <Type: described as>` as the help table shows the option."""
        if self.arg is None:
            return f"--{self.name}"
        inner = f"{self.type}: {self.described_as}" if self.described_as else self.type
        return f"--{self.name} <{inner}>" if self.arg == "required" else f"--{self.name} [{inner}]"


HELP = Opt("help", "Print usage information.")
VERSION = Opt("version", "Display Kafka version.")


@dataclass
class Parsed:
    """What joptsimple's OptionSet answers: has / valueOf / valuesOf."""

    specs: dict[str, Opt]
    given: dict[str, list[str | None]] = field(default_factory=dict)
    non_options: list[str] = field(default_factory=list)
    args: list[str] = field(default_factory=list)

    def has(self, name: str) -> bool:
        return name in self.given

    def spec(self, name: str) -> Opt:
        return self.specs[name]

    def values(self, name: str) -> list:
        return [_convert(self.specs[name], v) for v in self.given.get(name, []) if v is not None]

    def value(self, name: str):
        """The last value given (joptsimple's valueOf), else the default, else None."""
        vals = self.given.get(name)
        if vals:
            v = vals[-1]
            return None if v is None else _convert(self.specs[name], v)
        default = self.specs[name].default
        return None if default is None else _convert(self.specs[name], default)


def _convert(spec: Opt, text: str):
    if spec.type == "String":
        return text
    limit = MAX_INT if spec.type == "Integer" else MAX_LONG
    try:
        n = int(text.strip())
    except ValueError:
        raise OptionError(f"Cannot parse argument '{text}' of option {spec.name}") from None
    if not -limit - 1 <= n <= limit:
        raise OptionError(f"Cannot parse argument '{text}' of option {spec.name}")
    return n


class OptionParser:
    """A joptsimple OptionParser with Kafka's `--help` and `--version`, no abbreviations."""

    def __init__(self, options: list[Opt]) -> None:
        self.specs: dict[str, Opt] = {o.name: o for o in [*options, HELP, VERSION]}

    def parse(self, argv: list[str]) -> Parsed:
        parsed = Parsed(self.specs, args=list(argv))
        i = 0
        while i < len(argv):
            token = argv[i]
            i += 1
            if token == "--":                   # everything after is a non-option argument
                parsed.non_options.extend(argv[i:])
                break
            if not token.startswith("-") or token == "-":
                parsed.non_options.append(token)
                continue
            name, eq, inline = token.lstrip("-").partition("=")
            spec = self.specs.get(name)
            if spec is None:
                raise OptionError(f"'{name}' is not a recognized option")
            value: str | None = None
            if spec.arg is None:
                if eq:
                    raise OptionError(f"Option ['{name}'] does not take an argument")
            elif eq:
                value = inline
            elif spec.arg == "required":
                if i >= len(argv):
                    raise OptionError(f"Option ['{name}'] requires an argument")
                value = argv[i]
                i += 1
            elif i < len(argv) and not _looks_like_option(argv[i]):
                value = argv[i]
                i += 1
            if value is not None:
                _convert(spec, value)           # joptsimple converts while parsing
            parsed.given.setdefault(name, []).append(value)
        for name in parsed.given:
            needs = self.specs[name].available_if
            if needs and not any(parsed.has(n) for n in needs):
                raise OptionError(f"Option(s) ['{name}'] are unavailable given other options on the "
                                  "command line")
        return parsed

    def help_text(self) -> str:
        """joptsimple's BuiltinHelpFormatter table: options sorted by name, wrapped in 80 columns."""
        desc_width = WIDTH - OPTION_COLUMN - GAP - 1
        lines = [f"{'Option':<{OPTION_COLUMN + GAP}}Description", f"{'------':<{OPTION_COLUMN + GAP}}-----------"]
        for name in sorted(self.specs):
            spec = self.specs[name]
            left = textwrap.wrap(spec.usage(), OPTION_COLUMN, subsequent_indent="  ", break_on_hyphens=False)
            text = spec.help + (f" (default: {spec.default})" if spec.default is not None else "")
            right: list[str] = []
            for paragraph in text.split("\n"):
                wrapped = textwrap.wrap(paragraph, desc_width, initial_indent="  " if right else "",
                                        subsequent_indent="  ", drop_whitespace=True) or [""]
                right.extend(wrapped)
            for n in range(max(len(left), len(right))):
                a = left[n] if n < len(left) else ""
                b = right[n] if n < len(right) else ""
                lines.append(f"{a:<{OPTION_COLUMN + GAP}}{b}".rstrip())
        return "\n".join(lines)


def _looks_like_option(token: str) -> bool:
    return token.startswith("-") and len(token) > 1 and not token[1:].lstrip("-").lstrip().isdigit()


def required(parsed: Parsed, *names: str) -> None:
    """CommandLineUtils.checkRequiredArgs."""
    for name in names:
        if not parsed.has(name):
            raise UsageError(f'Missing required argument "{parsed.spec(name)}"')


def invalid_with(parsed: Parsed, used: str, *invalid: str) -> None:
    """CommandLineUtils.checkInvalidArgs: `used` cannot go with any of `invalid`."""
    if parsed.has(used):
        for name in invalid:
            if parsed.has(name):
                raise UsageError(f'Option "{parsed.spec(used)}" can\'t be used with option "{parsed.spec(name)}"')


class UsageError(Exception):
    """CommandLineUtils.printUsageAndExit: the message, then the option table, exit 1."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class HelpRequested(Exception):
    """`--help` (or no arguments): the tool's one-line purpose, then the option table, exit 0."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def maybe_help(parsed: Parsed, purpose: str) -> None:
    """CommandLineUtils.maybePrintHelpOrVersion."""
    if not parsed.args or parsed.has("help"):
        raise HelpRequested(purpose)
    if parsed.has("version"):
        raise VersionRequested()


class VersionRequested(Exception):
    pass


def parse_key_values(values: list[str]) -> dict[str, str]:
    """CommandLineUtils.parseKeyValueArgs: `key=value`, the value may hold `=`; no `=` is an empty value."""
    out: dict[str, str] = {}
    for item in values:
        key, _, value = item.partition("=")
        out[key] = value
    return out
