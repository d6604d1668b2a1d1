"""Turns catalog YAML into plain Python while remembering where every value came from.

PyYAML's loader forgets line numbers and silently keeps the last of two duplicate keys;
walking the composed node tree ourselves keeps both pieces of information.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from domain.catalog.problems import Problem

Segment = str | int
Path = tuple[Segment, ...]

_MERGE_TAG = "tag:yaml.org,2002:merge"
_MERGE_MESSAGE = "YAML merge keys ('<<') are not supported; write the keys out"


def render_path(path: Path) -> str:
    """Format a path the way service owners read it: ``actions.x.fields[2].type``."""
    text = ""
    for segment in path:
        text += f"[{segment}]" if isinstance(segment, int) else f".{segment}" if text else segment
    return text


@dataclass
class Source:
    """A parsed catalog document: its data, the line of every path, and problems found so far."""

    filename: str
    data: object = None
    lines: dict[Path, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def line_of(self, path: Path) -> int:
        """Line of the deepest recorded node on ``path`` (missing keys point at their parent)."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return 1

    def report(self, path: Path, message: str, line: int | None = None) -> None:
        """Record a problem at ``path`` (on ``line`` when the path alone would be ambiguous)."""
        where = self.line_of(path) if line is None else line
        self.problems.append(Problem(self.filename, where, render_path(path), message))


def read_source(text: str, filename: str) -> Source:
    """Parse ``text``; a YAML syntax error leaves ``data`` as None with a single problem."""
    source = Source(filename)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        line = _line(error.problem_mark or error.context_mark)
        source.report((), _syntax_message(error, line), line)
        return source
    except ReaderError as error:  # characters YAML forbids, e.g. NUL
        line = text.count("\n", 0, error.position) + 1
        source.report((), f"invalid YAML: {str(error).splitlines()[0]}", line)
        return source
    if root is not None:
        source.data = _Converter(source).convert(root, ())
    return source


def _syntax_message(error: yaml.MarkedYAMLError, line: int) -> str:
    """PyYAML's wording, plus where an unclosed construct began when that's another line."""
    context = error.context or ""
    context_line = _line(error.context_mark)
    if context and context_line != line:
        context += f" on line {context_line}"
    return "invalid YAML: " + ", ".join(part for part in (context, error.problem) if part)


def _line(mark: yaml.Mark | None) -> int:
    return mark.line + 1 if mark else 1


class _Converter:
    """Builds plain data from nodes, recording lines and reporting what YAML lets slip."""

    def __init__(self, source: Source) -> None:
        self._source = source
        self._scalars = SafeConstructor()
        self._open: set[int] = set()

    def convert(self, node: Node, path: Path) -> object:
        self._source.lines.setdefault(path, node.start_mark.line + 1)
        if id(node) in self._open:
            self._source.report(path, "an alias refers to itself")
            return None
        self._open.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
            if isinstance(node, SequenceNode):
                return [self.convert(item, (*path, index)) for index, item in enumerate(node.value)]
            return self._scalar(node, path)
        finally:
            self._open.discard(id(node))

    def _scalar(self, node: Node, path: Path) -> object:
        try:
            return self._scalars.construct_object(node)
        except yaml.YAMLError:
            self._source.report(path, f"unsupported YAML tag '{node.tag}'")
            return None

    def _mapping(self, node: MappingNode, path: Path) -> dict[str, object]:
        result: dict[str, object] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == _MERGE_TAG:
                self._source.report(path, _MERGE_MESSAGE, line)
                continue
            if not isinstance(key_node, ScalarNode):
                self._source.report(path, "keys must be plain text", line)
                continue
            key = str(key_node.value)
            if key in result:
                first = self._source.lines[(*path, key)]
                self._source.report((*path, key), f"duplicate key (first defined on line {first})", line)
                continue
            self._source.lines[(*path, key)] = line
            result[key] = self.convert(value_node, (*path, key))
        return result
