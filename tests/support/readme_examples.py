"""The code examples of README.md and docs/**/*.md, parsed: fenced blocks, the commands in them and
the outcomes their comments document. Used by tests/test_readme_examples.py, which runs them.

Files
    ``doc_files()`` lists README.md first, then every docs/**/*.md in path order: the order the
    examples run in. Every block knows its file (a path relative to the checkout) and its line there.

Blocks
    A fenced block is an example block when its info string is sh, bash, sql, python or toml.
    Untagged blocks are displays (output, listings); one that holds a line starting like a command
    (curl, psql, make, sqitch, docker, .venv/bin/...) must be on the test module's list of displays.

Shell commands
    One command per line; a line ending in a backslash continues on the next. A comment after the
    command on its last line is its inline comment. Assignments (``TOKEN=$(...)``, ``H=(...)``,
    ``A=1; B=2``) are commands too: they run, in order, in the same shell as the others.

Outcomes (the vocabulary)
    A command's outcome is documented by its inline comment from its first ``->`` on, and by the
    comment lines right below it that start with ``->``, ``{`` or ``[`` (plus their continuation
    lines, indented after the ``#``). In that text:

    ``-> 400`` (or a status at the start of a later ``->``)   the HTTP status
    ``a second call -> 409``              the same command run again answers that status
    ``-> exit 1``                         the exit status of a command that is not curl (default 0)
    ``N rows``                            the JSON array answered has N elements
    ``"key":value`` (JSON shown)          the answer (an object, or one element of an array) has it
    ``key value`` / ``key "text"``        the same, written as prose (``total_cost 36.95``,
                                          ``vin "JTDK..."``; a number counts after a snake_case
                                          key only, so "the first 20" is prose)
    ``400 "text"``                        the answer's message is that text

    Text values ending in ``…`` are prefixes; ``...`` inside a text value stands for anything.
    Anything else in a comment is prose and is not checked.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

EXAMPLE_LANGS = ("sh", "bash", "sql", "python", "toml")
SHELL_LANGS = ("sh", "bash")

#: where the examples reach the API (replaced by the test server's address)
API_ORIGINS = ("http://127.0.0.1:3000", "127.0.0.1:3000", "localhost:3000")

COMMAND_LIKE = re.compile(r"^\s*(curl|psql|make|sqitch|docker|sudo|\.venv/bin/\S+)\s")


@dataclass(frozen=True)
class Block:
    lang: str
    line: int  # line of the block's first content line in its file (1-based)
    lines: tuple[str, ...]
    section: str  # the enclosing "## " heading
    subsection: str  # the enclosing "### " heading, or ""
    file: str = "README.md"  # the file, relative to the checkout: README.md, docs/api.md, ...

    @property
    def where(self) -> str:
        """`file` line `line`, for messages."""
        return f"{self.file} line {self.line}"

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


@dataclass(frozen=True)
class Value:
    """An expected value: a number, or a text (exact, a prefix, or with ... wildcards)."""

    raw: str | float | bool | None

    def matches(self, actual: object) -> bool:
        expected = self.raw
        if isinstance(expected, bool) or expected is None:
            return actual is expected
        if isinstance(expected, float):
            if isinstance(actual, bool) or not isinstance(actual, (int, float, str)):
                return False
            try:
                return float(actual) == expected
            except ValueError:
                return False
        if not isinstance(actual, str):
            return False
        return re.fullmatch(text_pattern(expected), actual, re.S) is not None

    def __str__(self) -> str:
        return repr(self.raw)


def text_pattern(expected: str) -> str:
    """`…` at the end: a prefix; `...` anywhere: any text."""
    prefix = expected.endswith("…")
    if prefix:
        expected = expected[:-1]
    pattern = ".+?".join(re.escape(part) for part in expected.split("..."))
    return pattern + (".*" if prefix else "")


@dataclass(frozen=True)
class Outcome:
    text: str = ""
    status: int | None = None
    second_status: int | None = None
    exit_code: int | None = None
    rows: int | None = None
    message: Value | None = None
    fields: tuple[tuple[str, Value], ...] = ()

    @property
    def states_anything(self) -> bool:
        return any(
            x is not None for x in (self.status, self.second_status, self.exit_code, self.rows, self.message)
        ) or bool(self.fields)


_STATUS = re.compile(r"->\s*(\d{3})\b")
_SECOND = re.compile(r"a second call\s*->\s*(\d{3})\b")
_EXIT = re.compile(r"->\s*exit\s+(\d+)\b")
_ROWS = re.compile(r"\b(\d+) rows?\b")
_JSON_STRING = r'"(?:[^"\\]|\\.)*"'
_JSON_PAIR = re.compile(r'"([A-Za-z_][A-Za-z0-9_]*)"\s*:\s*(' + _JSON_STRING + r"|-?\d+(?:\.\d+)?|true|false|null)")
_STATUS_MESSAGE = re.compile(r"\b(\d{3})\s+(" + _JSON_STRING + r")")
_PROSE_PAIR = re.compile(r"(?<![^\s,;(])([a-z][a-z0-9_]*) (" + _JSON_STRING + r"|-?\d+(?:\.\d+)?)(?![\w.])")
_BRACKETED = re.compile(r"[\[{].*[\]}]")


def _value(token: str) -> Value:
    if token.startswith('"'):
        return Value(json.loads(token))
    if token in ("true", "false"):
        return Value(token == "true")
    if token == "null":
        return Value(None)
    return Value(float(token))


def parse_outcome(text: str) -> Outcome:
    """The documented outcome in a comment's text (see the module docstring)."""
    text = " ".join(text.split())
    if not text:
        return Outcome()
    second = _SECOND.search(text)
    rest = _SECOND.sub("", text) if second else text
    status = _STATUS.search(rest)
    exit_code = _EXIT.search(rest)
    rows = _ROWS.search(rest)
    fields: list[tuple[str, Value]] = []
    message: Value | None = None
    for key, token in _JSON_PAIR.findall(rest):
        fields.append((key, _value(token)))
    prose = _BRACKETED.sub(" ", _ROWS.sub(" ", _EXIT.sub(" ", rest)))
    status_message = _STATUS_MESSAGE.search(prose)
    if status_message:
        message = _value(status_message.group(2))
        prose = prose.replace(status_message.group(0), " ")
    for key, token in _PROSE_PAIR.findall(prose):
        if "_" in key or token.startswith('"'):  # a column name, or a quoted value: not "the first 20"
            fields.append((key, _value(token)))
    if message is None:
        for key, value in fields:
            if key == "message":
                message = value
        fields = [(k, v) for k, v in fields if k != "message"]
    return Outcome(
        text=text,
        status=int(status.group(1)) if status else None,
        second_status=int(second.group(1)) if second else None,
        exit_code=int(exit_code.group(1)) if exit_code else None,
        rows=int(rows.group(1)) if rows else None,
        message=message,
        fields=tuple(fields),
    )


def split_comment(line: str) -> tuple[str, str]:
    """A shell line's code and its trailing comment (a # that starts a word outside quotes)."""
    quote = ""
    escaped = False
    for i, ch in enumerate(line):
        if escaped:
            escaped = False
            continue
        if ch == "\\" and quote != "'":
            escaped = True
            continue
        if quote:
            if ch == quote:
                quote = ""
            continue
        if ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i + 1 :].strip()
    return line.rstrip(), ""


_ASSIGN = re.compile(r"(?:^|;\s*)([A-Za-z_][A-Za-z0-9_]*)=")


#: `NAME=$VALUE command ...`: an assignment in the environment of one command, not a shell variable
_ENV_PREFIX = re.compile(
    r"^(?:[A-Za-z_][A-Za-z0-9_]*=(?:\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|[\w./:-]+)\s+)+(?![A-Za-z_][A-Za-z0-9_]*=)\S"
)


@dataclass(frozen=True)
class ShellExample:
    block: Block
    line: int  # line of the command's first line in its file
    command: str  # as written (continuation lines kept), the inline comment stripped
    comment: str  # the inline comment
    outcome: Outcome = field(default_factory=Outcome)

    @property
    def key(self) -> str:
        """The command on one line, whitespace collapsed: how the skip list names it."""
        return " ".join(self.command.replace("\\\n", " ").split())

    @property
    def assigns(self) -> tuple[str, ...]:
        first = self.command.split("\n", 1)[0]
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", first) or _ENV_PREFIX.match(first):
            return ()
        return tuple(_ASSIGN.findall(self.key))

    @property
    def program(self) -> str:
        """What the command runs: curl, .venv/bin/motovault, psql, ... ('' for a plain assignment)."""
        words = self.key.split()
        if self.assigns:
            inner = re.search(r"\$\(\s*(\S+)", self.key)
            return inner.group(1) if inner else ""
        while words and _ENV_PREFIX.match(" ".join(words)):
            words = words[1:]  # `NAME=$VALUE command`: the command runs with NAME in its environment
        return words[0] if words else ""

    @property
    def is_api_call(self) -> bool:
        return self.program == "curl" and (any(o in self.key for o in API_ORIGINS) or "$API" in self.key)

    @property
    def id(self) -> str:
        words = self.key.split()
        short = " ".join(words[:4]) if not self.is_api_call else " ".join(
            w for w in words if "3000" in w or "$API" in w or w.startswith("-X")
        )
        return f"{self.block.file}:L{self.line} {short}"[:110]


def doc_files(root: Path) -> list[Path]:
    """README.md, then every Markdown file under docs/ in path order (the order examples run in)."""
    docs = sorted((root / "docs").rglob("*.md"), key=lambda path: path.relative_to(root).as_posix())
    return [root / "README.md", *docs]


def read_blocks(path: Path, name: str = "README.md") -> list[Block]:
    """The fenced blocks of one file; `name` is how the file is named (relative to the checkout)."""
    blocks: list[Block] = []
    section = subsection = ""
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## "):
            section, subsection = line[3:].strip(), ""
        elif line.startswith("### "):
            subsection = line[4:].strip()
        elif line.startswith("```"):
            lang = line[3:].strip()
            body: list[str] = []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            blocks.append(Block(lang, i - len(body) + 1, tuple(body), section, subsection, name))
        i += 1
    return blocks


def _is_outcome_start(comment: str) -> bool:
    return comment.startswith(("->", "{", "["))


def shell_examples(block: Block) -> list[ShellExample]:
    """The commands of a sh/bash block, each with its documented outcome."""
    examples: list[ShellExample] = []
    lines = block.lines
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        first = i
        parts = [line]
        while parts[-1].rstrip().endswith("\\") and i + 1 < len(lines):
            i += 1
            parts.append(lines[i])
        code, comment = split_comment(parts[-1])
        command = "\n".join([*parts[:-1], code])
        outcome_lines = [comment[comment.index("->") :]] if "->" in comment else []
        j = i + 1
        in_outcome = False
        while j < len(lines) and lines[j].lstrip().startswith("#"):
            text = lines[j].lstrip()[1:]
            if _is_outcome_start(text.strip()) or (in_outcome and text.startswith("  ")):
                outcome_lines.append(text.strip())
                in_outcome = True
                j += 1
            else:
                break
        examples.append(
            ShellExample(block, block.line + first, command, comment, parse_outcome(" ".join(outcome_lines)))
        )
        i = j
    return examples


def sql_statements(block: Block) -> list[tuple[int, str]]:
    """(line in the file, text) of each statement or psql meta-command of an sql block; comments dropped."""
    out: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0
    for offset, line in enumerate(block.lines):
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("--")):
            continue
        if not current and stripped.startswith("\\"):
            out.append((block.line + offset, stripped))
            continue
        if not current:
            start = block.line + offset
        current.append(line)
        if stripped.split("--", 1)[0].rstrip().endswith(";"):
            out.append((start, "\n".join(current)))
            current = []
    if current:
        out.append((start, "\n".join(current)))
    return out
