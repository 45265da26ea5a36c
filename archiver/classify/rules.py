"""Keyword rules: load rules/*.yaml, match them against a document's fields, say why.

Matching is plain substring search on NFKC-folded text with whitespace removed, because Chinese
is written without spaces: a `\\b` word boundary never matches inside `国务院办公厅关于`."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from archiver.document import Classification, RuleHit
from archiver.errors import ConfigError
from archiver.fields import RETENTIONS
from archiver.textnorm import compact

from .conditions import Condition, parse_condition

FIELDS = ("title", "body", "issuer", "any")
_KEYS = {"name", "category", "tags", "field", "any", "all", "none", "regex", "priority", "when", "retention", "org"}


fold = compact  # keywords and texts are compared after the shared normalisation


@dataclass(frozen=True)
class Rule:
    name: str
    category: str | None
    tags: tuple[str, ...]
    field: str
    any: tuple[str, ...]
    all: tuple[str, ...]
    none: tuple[str, ...]
    regex: re.Pattern | None
    priority: int
    source: str  # file it came from
    when: tuple[Condition, ...] = ()
    retention: str | None = None
    org: str | None = None

    def match(self, fields: dict[str, str], values: dict | None = None) -> tuple[str, ...] | None:
        """The keywords/patterns/conditions that made the rule fire, or None when it does not fire."""
        text = fields["any"] if self.field == "any" else fields[self.field]
        matched: list[str] = []
        for cond in self.when:
            why = cond.test(values or {})
            if why is None:
                return None
            matched.append(why)
        if self.any:
            found = [k for k in self.any if fold(k) in text]
            if not found:
                return None
            matched += found
        for k in self.all:
            if fold(k) not in text:
                return None
            matched.append(k)
        if any(fold(k) in text for k in self.none):
            return None
        if self.regex is not None:
            m = self.regex.search(text)
            if not m:
                return None
            matched.append(m.group(0))
        return tuple(matched)


def _strings(value, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) and str(v) for v in value):
        raise ConfigError(f"{where}: '{key}' must be a list of keywords")
    return tuple(str(v) for v in value)


def _retention(value, where: str) -> str | None:
    if value is None:
        return None
    value = str(value)
    if value not in RETENTIONS:
        raise ConfigError(f"{where}: retention must be one of {', '.join(RETENTIONS)}, got {value!r}")
    return value


def parse_rule(data: dict, where: str) -> Rule:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: a rule must be a mapping")
    unknown = set(data) - _KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key '{sorted(unknown)[0]}'")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{where}: every rule needs a name")
    where = f"{where} rule '{name}'"
    field = data.get("field", "any")
    if field not in FIELDS:
        raise ConfigError(f"{where}: field must be one of {', '.join(FIELDS)}, got {field!r}")
    regex = None
    if data.get("regex") is not None:
        try:
            regex = re.compile(str(data["regex"]))
        except re.error as exc:
            raise ConfigError(f"{where}: bad regex ({exc})") from None
    priority = data.get("priority", 0)
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise ConfigError(f"{where}: priority must be an integer")
    rule = Rule(name=name, category=(str(data["category"]) if data.get("category") is not None else None),
                tags=_strings(data.get("tags"), where, "tags"), field=field,
                any=_strings(data.get("any"), where, "any"), all=_strings(data.get("all"), where, "all"),
                none=_strings(data.get("none"), where, "none"), regex=regex, priority=priority,
                source=where, when=tuple(parse_condition(c, where) for c in _strings(data.get("when"), where, "when")),
                retention=_retention(data.get("retention"), where),
                org=str(data["org"]) if data.get("org") is not None else None)
    if not (rule.any or rule.all or rule.regex or rule.when):
        raise ConfigError(f"{where}: needs at least one of any, all, regex or when")
    if not (rule.category or rule.tags or rule.retention or rule.org):
        raise ConfigError(f"{where}: assigns neither a category nor tags (nor retention or org)")
    return rule


def load_rules(folder: Path) -> tuple[Rule, ...]:
    """All rules of the folder's *.yaml files, in file-name order."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"rules: folder {folder} not found")
    rules: list[Rule] = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError:
            raise ConfigError(f"rules: {path.name} is not valid YAML") from None
        items = data.get("rules") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise ConfigError(f"rules: {path.name} must hold a list under 'rules:'")
        for i, item in enumerate(items):
            rules.append(parse_rule(item, f"rules: {path.name} #{i + 1}"))
    return tuple(rules)


def _best(fired: list[tuple[Rule, RuleHit]], attr: str) -> str | None:
    """The value of `attr` from the highest-priority fired rule that sets it (first on ties)."""
    best = None
    for rule, _hit in fired:
        value = getattr(rule, attr)
        if value is not None and (best is None or rule.priority > best[0]):
            best = (rule.priority, value)
    return best[1] if best else None


def classify(rules: tuple[Rule, ...], title: str | None, body: str, issuer: str | None,
             values: dict | None = None) -> Classification:
    """Category of the highest-priority firing rule (first in file order on ties); tags of all; the
    保管期限 and 机构 of the highest-priority rules that set them. `values` are the 公文 fields for
    `when` conditions (doc_type, year, issuer, ...)."""
    fields = {"title": fold(title or ""), "body": fold(body), "issuer": fold(issuer or "")}
    fields["any"] = fields["title"] + "\n" + fields["issuer"] + "\n" + fields["body"]
    values = {"title": title, "issuer": issuer} | dict(values or {})
    fired: list[tuple[Rule, RuleHit]] = []
    for rule in rules:
        matched = rule.match(fields, values)
        if matched is not None:
            fired.append((rule, RuleHit(rule=rule.name, category=rule.category, tags=rule.tags, field=rule.field,
                                        matched=matched, priority=rule.priority)))
    hits = [h for _r, h in fired]
    with_category = [h for h in hits if h.category]
    category = max(with_category, key=lambda h: h.priority).category if with_category else None
    tags: list[str] = []
    for h in hits:
        tags += [t for t in h.tags if t not in tags]
    return Classification(category=category, tags=tuple(tags), hits=tuple(hits),
                          retention=_best(fired, "retention"), org=_best(fired, "org"))
