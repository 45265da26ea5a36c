"""`when:` conditions of a rule on the extracted 公文 fields: `issuer contains 人民政府`,
`doc_type in [通知, 通报]`, `year >= 2020`, `secrecy is set`. Parsed once when the rules load."""
from __future__ import annotations

import re
from dataclasses import dataclass

from archiver.errors import ConfigError
from archiver.fields import GONGWEN_NAMES
from archiver.textnorm import compact

FIELDS = GONGWEN_NAMES
_OPS = ("not contains", "contains", "not in", "in", ">=", "<=", "!=", "==", ">", "<", "is set", "is empty")
_FORM = re.compile(r"^\s*(\w+)\s+(" + "|".join(re.escape(o) for o in _OPS) + r")\s*(.*?)\s*$")


def _fold(value) -> str:
    return compact(str(value))


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    values: tuple[str, ...]  # one for most operators, the list for `in`
    text: str  # as written, for the reason shown by `explain`

    def test(self, fields: dict) -> str | None:
        """A reason (`year>=2020 (2024)`) when the condition holds for these field values, else None."""
        raw = fields.get(self.field)
        have = raw not in (None, "")
        if self.op in ("is set", "is empty"):
            ok = have if self.op == "is set" else not have
            return f"{self.text} ({raw if have else '—'})" if ok else None
        if not have:
            return None
        value = _fold(raw)
        if self.op in (">=", "<=", ">", "<", "==", "!="):
            want = self.values[0]
            try:
                a, b = float(value), float(want)
            except ValueError:
                a, b = value, _fold(want)  # ISO dates compare as text
            ok = {">=": a >= b, "<=": a <= b, ">": a > b, "<": a < b, "==": a == b, "!=": a != b}[self.op]
        elif self.op.endswith("contains"):
            ok = any(_fold(v) in value for v in self.values) != self.op.startswith("not")
        else:
            ok = (value in {_fold(v) for v in self.values}) != self.op.startswith("not")
        return f"{self.text} ({raw})" if ok else None


def parse_condition(text: str, where: str) -> Condition:
    """`FIELD OP VALUE`; raises a one-line ConfigError naming the rule for anything else."""
    m = _FORM.match(text)
    if not m:
        raise ConfigError(f"{where}: cannot read condition {text!r}; write FIELD OP VALUE, e.g. 'year >= 2020'")
    field, op, rest = m.groups()
    if field not in FIELDS:
        raise ConfigError(f"{where}: condition {text!r}: unknown field {field!r}; known: {', '.join(FIELDS)}")
    if op in ("is set", "is empty"):
        if rest:
            raise ConfigError(f"{where}: condition {text!r}: '{op}' takes no value")
        values: tuple[str, ...] = ()
    elif op in ("in", "not in"):
        if not (rest.startswith("[") and rest.endswith("]")):
            raise ConfigError(f"{where}: condition {text!r}: '{op}' needs a list like [通知, 通报]")
        values = tuple(v.strip().strip("'\"") for v in re.split(r"[,，、]", rest[1:-1]) if v.strip())
    else:
        if not rest:
            raise ConfigError(f"{where}: condition {text!r} has no value")
        values = (rest.strip("'\""),)
    if op in (">=", "<=", ">", "<") and field not in ("year", "date", "print_date"):
        raise ConfigError(f"{where}: condition {text!r}: '{op}' compares only year, date or print_date")
    return Condition(field, op, values, " ".join(text.split()))
