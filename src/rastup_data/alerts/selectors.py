"""Metric selectors as rules write them: ``name{label="v", other=~"re", third!="x"}``.

The same text goes into the exported Prometheus rules unchanged and is matched here against
the samples of the in-process evaluator, so both read exactly the series the rule names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

__all__ = ["MatchOp", "Matcher", "Selector", "SelectorError", "parse_selector"]

_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_MATCHER = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*')


class SelectorError(ValueError):
    """The text is not a selector this evaluator understands."""


class MatchOp(str, Enum):
    EQ = "="
    NE = "!="
    RE = "=~"
    NRE = "!~"


@dataclass(frozen=True, slots=True)
class Matcher:
    label: str
    op: MatchOp
    value: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.label, "")
        if self.op is MatchOp.EQ:
            return actual == self.value
        if self.op is MatchOp.NE:
            return actual != self.value
        found = re.fullmatch(self.value, actual) is not None
        return found if self.op is MatchOp.RE else not found

    def render(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{self.label}{self.op.value}"{escaped}"'


@dataclass(frozen=True, slots=True)
class Selector:
    """A metric name and label matchers (all must match)."""

    name: str
    matchers: tuple[Matcher, ...] = ()

    def matches(self, name: str, labels: Mapping[str, str]) -> bool:
        return name == self.name and all(m.matches(labels) for m in self.matchers)

    def with_label(self, label: str, value: str) -> Selector:
        """This selector narrowed by ``label="value"`` (e.g. the environment)."""
        if any(m.label == label for m in self.matchers):
            return self
        return Selector(self.name, (*self.matchers, Matcher(label, MatchOp.EQ, value)))

    def render(self) -> str:
        if not self.matchers:
            return self.name
        return f"{self.name}{{{', '.join(m.render() for m in self.matchers)}}}"


def parse_selector(text: str) -> Selector:
    """``rastup_errors_total{code="LAND_FAILED"}`` → a :class:`Selector`."""
    text = text.strip()
    name_match = _NAME.match(text)
    if name_match is None:
        raise SelectorError(f"{text!r} does not start with a metric name")
    name, rest = name_match.group(), text[name_match.end() :].strip()
    if not rest:
        return Selector(name)
    if not (rest.startswith("{") and rest.endswith("}")):
        raise SelectorError(f'{text!r}: expected name{{label="value", …}}')
    body, matchers = rest[1:-1], []
    position = 0
    while position < len(body):
        found = _MATCHER.match(body, position)
        if found is None:
            raise SelectorError(f"{text!r}: cannot read the matcher at {body[position:]!r}")
        label, op, value = found.groups()
        value = value.replace('\\"', '"').replace("\\\\", "\\")
        if op in {"=~", "!~"}:
            try:
                re.compile(value)
            except re.error as exc:
                raise SelectorError(f"{text!r}: bad regular expression {value!r}: {exc}") from None
        matchers.append(Matcher(label, MatchOp(op), value))
        position = found.end()
        if position < len(body):
            if body[position] != ",":
                raise SelectorError(f"{text!r}: expected a comma at {body[position:]!r}")
            position += 1
    return Selector(name, tuple(matchers))
