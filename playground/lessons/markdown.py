"""Split a lesson file into its parts, keeping the line where each began.

A lesson is Markdown with YAML for the machine parts::

    ---                          front matter: id, title, concepts, goal, setup
    id: keys
    ...
    ---
    # Keys choose the partition  (optional: the title again, for readers of the file)

    The explanation, in Markdown.

    ## Send three records with key user-7      one `##` section per step

    What to do, and why.

    ```yaml                      the step's machine part: checks, hints, solution ...
    checks: ...
    ```

Fenced blocks in other languages (```text, ```console) are part of the text.
"""

from __future__ import annotations

from dataclasses import dataclass

from playground.scenario.loader import ScenarioError


@dataclass(frozen=True)
class Block:
    """A piece of YAML and the 1-based line of its first line in the file."""

    text: str
    first_line: int


@dataclass(frozen=True)
class Section:
    title: str
    line: int                   # of the `##` heading
    text: str                   # the Markdown before the yaml block
    block: Block


@dataclass(frozen=True)
class LessonParts:
    front: Block
    intro: str
    intro_line: int
    sections: tuple[Section, ...]


def _fence(line: str) -> str | None:
    """The info string of a fence line (``` or ~~~), or None if it is not one."""
    stripped = line.strip()
    for mark in ("```", "~~~"):
        if stripped.startswith(mark):
            return stripped[len(mark):].strip()
    return None


def split_lesson(text: str, filename: str) -> LessonParts:
    lines = text.splitlines()

    def fail(line: int | None, message: str) -> None:
        raise ScenarioError(filename, line, "", message)

    if not lines or lines[0].strip() != "---":
        fail(1, "a lesson file starts with YAML front matter between two --- lines (id, title, concepts, goal, "
                "setup)")
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        fail(1, "the front matter is not closed: add a line with --- after it")
    front = Block("\n".join(lines[1:end]), 2)

    body = list(enumerate(lines[end + 1:], start=end + 2))      # (1-based line, text)
    heads = [i for i, (_, line) in enumerate(body) if line.startswith("## ") and not _inside_fence(body, i)]
    intro_rows = body[:heads[0]] if heads else body
    # A leading `# Title` repeats the title for readers of the file; the panel shows the title itself.
    first_text = next((k for k, (_, line) in enumerate(intro_rows) if line.strip()), None)
    if first_text is not None and intro_rows[first_text][1].startswith("# "):
        intro_rows = intro_rows[first_text + 1:]
    intro = "\n".join(line for _, line in intro_rows).strip()
    intro_line = next((n for n, line in intro_rows if line.strip()), end + 2)

    sections = []
    for k, start in enumerate(heads):
        stop = heads[k + 1] if k + 1 < len(heads) else len(body)
        head_line, head = body[start]
        sections.append(_section(head[3:].strip(), head_line, body[start + 1:stop], fail))
    return LessonParts(front, intro, intro_line, tuple(sections))


def _inside_fence(body: list[tuple[int, str]], index: int) -> bool:
    """Is body[index] inside a fenced block (so a `## ` there is not a heading)?"""
    open_ = False
    for _, line in body[:index]:
        if _fence(line) is not None:
            open_ = not open_
    return open_


def _section(title: str, head_line: int, rows: list[tuple[int, str]], fail) -> Section:
    if not title:
        fail(head_line, "a step heading needs a title after ##")
    text_rows: list[str] = []
    block: Block | None = None
    after: list[tuple[int, str]] = []
    i = 0
    while i < len(rows):
        n, line = rows[i]
        info = _fence(line)
        if info is None:
            if block is None:
                text_rows.append(line)
            else:
                after.append((n, line))
            i += 1
            continue
        close = next((j for j in range(i + 1, len(rows)) if _fence(rows[j][1]) == ""), None)
        if close is None:
            fail(n, "this fenced block is not closed: add a line with ``` after it")
        if info == "yaml":
            if block is not None:
                fail(n, f"step '{title}' has a second yaml block; a step has one, after its text")
            block = Block("\n".join(line for _, line in rows[i + 1:close]), rows[i + 1][0] if close > i + 1 else n)
        elif block is not None:
            after.append((n, line))
        else:
            text_rows.extend(line for _, line in rows[i:close + 1])
        i = close + 1
    if block is None:
        fail(head_line, f"step '{title}' has no ```yaml block with its checks")
    stray = next(((n, line) for n, line in after if line.strip()), None)
    if stray is not None:
        fail(stray[0], f"text after the yaml block of step '{title}'; put the step's text before its yaml block")
    return Section(title, head_line, "\n".join(text_rows).strip(), block)
