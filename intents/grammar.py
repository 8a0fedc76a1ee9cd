"""Load a locale's grammar files and compile every template once.

Layout of ``intents/grammar/<locale>/``::

    sentences/*.yaml   intents (templates + fixed slots), lists and rules
    numbers.yaml       number words              (intents.numbers)
    time.yaml          date and time vocabulary  (intents.timeparse)
    phonetics.yaml     how English ears spell names (intents.phonetics)
    speech.yaml        fillers, polite frames, keyword vocabulary extras

A sentences file looks like hassil's::

    intents:
      send_message:
        times: keep            # or "extract": match after removing time phrases
        data:
          - sentences: ["<send> <message> to {recipient} <saying> {body}"]
            slots: {urgent: true}      # fixed slot values
            requires: [recipient]      # only when that name is in the directory
            sure: [recipient]          # ... and resolves clearly (top score >= 0.8)
            priority: 2                # wins over lower priorities
    lists:
      body: {wildcard: true}
      topic: {wildcard: true, except: [what, who]}   # free text without these words
      clause: {wildcard: true, starts: [i, we]}      # free text starting with one of these
      recipient: {contact: true}
      owner: {contact: true, possessive: true}   # "li na's"
      field: {values: {"phone number": phone}}
    rules:
      send: "(send|write|compose)"
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml

from assistant.errors import ConfigError
from assistant.models import Intent
from intents.template import Node, RegexBuilder, SlotRef, parse_template
from intents.text import tokenize_cjk

ListKind = Literal["values", "text", "contact", "contacts"]
TimeMode = Literal["keep", "extract"]
GRAMMAR_ROOT = resources.files("intents") / "grammar"


@dataclass(frozen=True, slots=True)
class SlotList:
    """A ``{list}``: fixed values, or a capture resolved later (text, contacts)."""

    name: str
    kind: ListKind
    values: Mapping[str, Any] = field(default_factory=dict)
    #: Words a free-text capture may not contain (a noun phrase, not a question).
    excluded: frozenset[str] = frozenset()
    #: Words one of which a free-text capture must start with (empty: any word).
    starts: frozenset[str] = frozenset()
    #: A name said as an owner ("li na's"): the last word ends in 's.
    possessive: bool = False


@dataclass(frozen=True, slots=True)
class CompiledTemplate:
    """One template of one intent, ready to match."""

    intent: Intent
    source: str
    regex: re.Pattern[str]
    required: frozenset[str]
    required_any: tuple[frozenset[str], ...]
    slot_lists: Mapping[str, SlotList]
    fixed_slots: Mapping[str, Any]
    requires: frozenset[str]
    priority: int
    times: TimeMode
    #: Names that must resolve clearly, not only to some candidate (``sure:``).
    sure: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Grammar:
    """Every compiled template of a locale plus its side vocabularies."""

    locale: str
    templates: tuple[CompiledTemplate, ...]
    vocabulary: frozenset[str]
    data: Mapping[str, Any]


def load_yaml(path: Path | Any) -> Any:
    """Read one grammar YAML file; unreadable or invalid YAML is a ConfigError."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read grammar file {path}: {exc}") from exc


@cache
def load_grammar(locale: str = "en") -> Grammar:
    """Load and compile the grammar of ``locale`` (cached: compiled once)."""
    root = GRAMMAR_ROOT / locale
    if not root.is_dir():
        raise ConfigError(f"no grammar for locale {locale!r}")
    side = {name: load_yaml(root / f"{name}.yaml") for name in _SIDE_FILES}
    sentence_files = sorted(
        (p for p in (root / "sentences").iterdir() if p.name.endswith(".yaml")),
        key=lambda p: p.name,
    )
    merged = _merge([load_yaml(p) for p in sentence_files])
    return compile_grammar(locale, merged, side)


_SIDE_FILES = ("numbers", "time", "phonetics", "speech")


def _merge(documents: list[Mapping[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {"intents": {}, "lists": {}, "rules": {}}
    for document in documents:
        for section, collected in merged.items():
            for name, value in (document.get(section) or {}).items():
                if section == "intents" and name in collected:
                    collected[name]["data"].extend(value["data"])
                else:
                    collected[name] = value
    return merged


def compile_grammar(locale: str, merged: Mapping[str, Any], side: Mapping[str, Any]) -> Grammar:
    """Compile merged sentence data (intents, lists, rules) into a Grammar."""
    lists = {name: _slot_list(name, spec) for name, spec in merged["lists"].items()}
    rules = {name: parse_template(str(text)) for name, text in merged["rules"].items()}
    templates: list[CompiledTemplate] = []
    vocabulary: set[str] = set()
    max_name = int(side["speech"].get("max_name_tokens", MAX_NAME_WORDS))
    characters = side["speech"].get("tokens") == "characters"
    unsplit = _unsplit_guard(side["speech"].get("name_never_ends_inside", ()))
    for intent_name, spec in merged["intents"].items():
        try:
            intent = Intent(intent_name)
        except ValueError as exc:
            raise ConfigError(f"grammar names an unknown intent {intent_name!r}") from exc
        times: TimeMode = spec.get("times", "keep")
        for block in spec["data"]:
            for sentence in block["sentences"]:
                node = parse_template(sentence)
                compiled = _compile(
                    intent,
                    sentence,
                    node,
                    block=block,
                    lists=lists,
                    rules=rules,
                    times=times,
                    max_name=max_name,
                    longest_first=characters,
                    unsplit=unsplit,
                )
                templates.append(compiled)
                vocabulary |= RegexBuilder(rules, _no_slots).vocabulary(node)
    for slot_list in lists.values():
        for phrase in slot_list.values:
            vocabulary.update(phrase_tokens(phrase))
    vocabulary.update(side["speech"].get("vocabulary", ()))
    for section in ("numbers", "time"):
        vocabulary.update(_words_of(side.get(section, {})))
    return Grammar(locale, tuple(templates), frozenset(vocabulary), side)


def _words_of(data: Any) -> set[str]:
    """Every word in a vocabulary file (keys and string values, recursively)."""
    if isinstance(data, dict):
        return (
            set().union(*(_words_of(k) | _words_of(v) for k, v in data.items())) if data else set()
        )
    if isinstance(data, list):
        return set().union(*(_words_of(v) for v in data)) if data else set()
    return set(str(data).split()) if isinstance(data, str) else set()


def _no_slots(ref: SlotRef) -> str:
    return ""


def _slot_list(name: str, spec: Mapping[str, Any]) -> SlotList:
    if spec.get("wildcard"):
        return SlotList(
            name,
            "text",
            excluded=_word_set(name, "except", spec),
            starts=_word_set(name, "starts", spec),
        )
    if spec.get("contact"):
        return SlotList(name, "contact", possessive=bool(spec.get("possessive")))
    if spec.get("contacts"):
        return SlotList(name, "contacts")
    values = spec.get("values")
    if isinstance(values, list):
        values = {str(v): str(v) for v in values}
    if not isinstance(values, dict) or not values:
        raise ConfigError(f"grammar list {name!r} needs values, wildcard or contact")
    return SlotList(name, "values", {" ".join(phrase_tokens(str(k))): v for k, v in values.items()})


def _unsplit_guard(words: Any) -> str:
    """A lookahead that stops a name capture from ending inside one of ``words``.

    "给研发部的李文发消息": the name may not end after 研 (研|发部), so the
    lazy capture goes on to 研发部的李文.
    """
    cases = []
    for word in words:
        tokens = phrase_tokens(str(word))
        for cut in range(1, len(tokens)):
            before = "".join(re.escape(t) + " " for t in tokens[:cut])
            after = "".join(re.escape(t) + " " for t in tokens[cut:])
            cases.append(f"(?<={before}){after}")
    return f"(?!{'|'.join(cases)})" if cases else ""


def phrase_tokens(phrase: str) -> tuple[str, ...]:
    """The tokens of a vocabulary phrase: words, and each Chinese character alone."""
    if phrase.isascii():
        return tuple(phrase.lower().split())
    return tuple(w for part in phrase.lower().split() for w in tokenize_cjk(part).words)


def _word_set(name: str, key: str, spec: Mapping[str, Any]) -> frozenset[str]:
    """A list's ``except:`` or ``starts:`` words (a YAML list of words)."""
    words = spec.get(key, [])
    if not isinstance(words, list):
        raise ConfigError(f"grammar list {name!r}: {key} must be a list of words")
    return frozenset(" ".join(phrase_tokens(str(w))) for w in words)


#: How many words a spoken name may take ("li wei from the finance department");
#: a locale may say otherwise (``max_name_tokens`` in speech.yaml: Chinese counts
#: characters, "人力资源部的王芳" is eight).
MAX_NAME_WORDS = 7


def _compile(
    intent: Intent,
    sentence: str,
    node: Node,
    *,
    block: Mapping[str, Any],
    lists: Mapping[str, SlotList],
    rules: Mapping[str, Node],
    times: TimeMode,
    max_name: int = MAX_NAME_WORDS,
    longest_first: bool = False,
    unsplit: str = "",
) -> CompiledTemplate:
    used: dict[str, SlotList] = {}

    def slot_pattern(ref: SlotRef) -> str:
        if ref.list_name not in lists:
            raise ConfigError(f"grammar uses an unknown list {{{ref.list_name}}}: {sentence!r}")
        slot_list = lists[ref.list_name]
        used[ref.slot] = slot_list
        if slot_list.kind == "values":
            phrases = sorted(slot_list.values, key=len, reverse=True)
            body = "|".join(re.escape(p) + " " for p in phrases)
            return f"(?P<{ref.slot}>{body})"
        if slot_list.kind == "contact" and slot_list.possessive:
            return rf"(?P<{ref.slot}>(?:\S+ ){{0,{max_name - 1}}}?\S+'s )"
        if slot_list.kind == "contact":
            return rf"(?P<{ref.slot}>(?:\S+ ){{1,{max_name}}}?){unsplit}"
        start = ""
        if slot_list.starts:
            first = "|".join(re.escape(w) for w in sorted(slot_list.starts))
            start = f"(?=(?:{first}) )"
        if slot_list.excluded:
            banned = "|".join(re.escape(w) for w in sorted(slot_list.excluded))
            return rf"(?P<{ref.slot}>{start}(?:(?!(?:{banned}) )\S+ )+?)"
        return rf"(?P<{ref.slot}>{start}(?:\S+ )+?)"

    builder = RegexBuilder(rules, slot_pattern, longest_first)
    try:
        regex = re.compile(builder.build(node))
    except re.error as exc:
        raise ConfigError(f"grammar template does not compile ({exc}): {sentence!r}") from exc
    return CompiledTemplate(
        intent=intent,
        source=sentence,
        regex=regex,
        required=builder.required_words(node),
        required_any=tuple(sorted((s for s in builder.required_any(node) if len(s) > 1), key=len)),
        slot_lists=used,
        fixed_slots=dict(block.get("slots") or {}),
        requires=frozenset(block.get("requires") or ()),
        priority=int(block.get("priority", 0)),
        times=times,
        sure=frozenset(block.get("sure") or ()),
    )
