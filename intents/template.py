"""Sentence templates (hassil-like) and their compilation to regular expressions.

Syntax, as in the grammar YAML files::

    word            a literal word (lower case, as the recogniser writes it)
    [a b]           optional part            [a|b]  optional alternatives
    (a|b c)         alternatives
    <rule>          a named rule from the grammar (expanded inline)
    <any>           one or more words that are ignored
    {list}          a slot filled from the list ``list`` (values or a capture)
    {list:slot}     the same list, stored under another slot name

A template compiles to one regular expression over the normalised utterance
(tokens separated by single spaces, with a trailing space), so matching runs
in the C regex engine. Each compiled template also knows the words that every
sentence it accepts must contain, which lets the matcher skip most templates
with a set test before trying the regex.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from assistant.errors import ConfigError
from intents.text import is_cjk, tokenize_cjk

_LEXER = re.compile(r"\s*(\[|\]|\(|\)|\||<[a-z_]+>|\{[a-z_]+(?::[a-z_]+)?\}|[^\s\[\]()|<>{}]+)")


@dataclass(frozen=True, slots=True)
class Word:
    """A literal word."""

    text: str


@dataclass(frozen=True, slots=True)
class Seq:
    """Parts that follow each other."""

    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Alt:
    """One of several parts; ``optional`` when written in square brackets."""

    options: tuple[Node, ...]
    optional: bool = False


@dataclass(frozen=True, slots=True)
class RuleRef:
    """A reference to a named rule (``<name>``)."""

    name: str


@dataclass(frozen=True, slots=True)
class SlotRef:
    """A list reference (``{list}`` or ``{list:slot}``)."""

    list_name: str
    slot: str


Node = Word | Seq | Alt | RuleRef | SlotRef


def parse_template(text: str) -> Node:
    """Parse one template into a syntax tree; bad syntax is a ConfigError."""
    tokens = [t for t in _LEXER.findall(text) if t]
    if "".join(tokens).replace(" ", "") != re.sub(r"\s+", "", text):
        raise ConfigError(f"grammar template has characters it cannot read: {text!r}")
    node, position = _parse_alternatives(tokens, 0, text)
    if position != len(tokens):
        raise ConfigError(f"grammar template has an unmatched bracket: {text!r}")
    return node


def _parse_alternatives(tokens: list[str], i: int, source: str) -> tuple[Node, int]:
    options: list[Node] = []
    items: list[Node] = []
    while i < len(tokens) and tokens[i] not in (")", "]"):
        token = tokens[i]
        if token == "|":
            options.append(Seq(tuple(items)))
            items, i = [], i + 1
            continue
        if token in ("(", "["):
            inner, i = _parse_alternatives(tokens, i + 1, source)
            closer = ")" if token == "(" else "]"
            if i >= len(tokens) or tokens[i] != closer:
                raise ConfigError(f"grammar template has an unmatched bracket: {source!r}")
            if token == "[":
                inner = (
                    Alt((inner,), optional=True)
                    if not isinstance(inner, Alt)
                    else Alt(inner.options, optional=True)
                )
            items.append(inner)
            i += 1
            continue
        items.append(_atom(token))
        i += 1
    options.append(Seq(tuple(items)))
    if len(options) == 1:
        return options[0], i
    return Alt(tuple(options)), i


def _atom(token: str) -> Node:
    if token.startswith("<"):
        return RuleRef(token[1:-1])
    if token.startswith("{"):
        list_name, _, slot = token[1:-1].partition(":")
        return SlotRef(list_name, slot or list_name)
    if token.startswith("'"):
        # Utterances keep contractions whole ("i'd", "what's"): a separate
        # "'d" would be a word no utterance ever has.
        raise ConfigError(f"grammar word {token!r} must be written joined to its word (i'd)")
    if any(is_cjk(ch) for ch in token):
        # Chinese is matched character by character (intents.text.tokenize_cjk):
        # "消息" in a template is the two tokens 消 息.
        words = tokenize_cjk(token).words
        return Word(words[0]) if len(words) == 1 else Seq(tuple(Word(w) for w in words))
    return Word(token.lower())


def _only_any(node: Alt) -> bool:
    """True for ``[<any>]``."""
    if len(node.options) != 1:
        return False
    option = node.options[0]
    if isinstance(option, Seq) and len(option.items) == 1:
        option = option.items[0]
    return isinstance(option, RuleRef) and option.name == "any"


def _literal_length(node: Node) -> int:
    """Tokens of an option made only of literal words (0 when it has anything else)."""
    if isinstance(node, Word):
        return 1
    if isinstance(node, Seq) and all(isinstance(item, Word | Seq) for item in node.items):
        return sum(_literal_length(item) for item in node.items)
    return 0


#: Regex for a slot: given the slot and list names, the pattern (with its group).
SlotPattern = Callable[[SlotRef], str]

ANY_WORDS = r"(?:\S+ )+?"
#: Group-name prefix of ``<any>`` (never a slot).
ANY_PREFIX = "any_"


class RegexBuilder:
    """Compile syntax trees to regex source, expanding rules from ``rules``."""

    def __init__(
        self, rules: Mapping[str, Node], slot_pattern: SlotPattern, longest_first: bool = False
    ) -> None:
        self._rules = rules
        self._slot_pattern = slot_pattern
        #: Try longer literal alternatives first: over characters, "(查|查一下)"
        #: must not take 查 and leave 一下 to a name capture.
        self._longest_first = longest_first
        self._stack: list[str] = []
        self._any_count = 0

    def build(self, node: Node) -> str:
        """Regex source matching the node's sentences (each word + one space)."""
        if isinstance(node, Word):
            return re.escape(node.text) + " "
        if isinstance(node, Seq):
            return "".join(self.build(item) for item in node.items)
        if isinstance(node, Alt):
            options = node.options
            if self._longest_first:
                options = tuple(sorted(options, key=_literal_length, reverse=True))
            body = "|".join(self.build(option) for option in options)
            if node.optional and _only_any(node):
                return f"(?:{body})??"  # skip ignorable words before anything meaningful
            return f"(?:{body})" + ("?" if node.optional else "")
        if isinstance(node, SlotRef):
            return self._slot_pattern(node)
        return self._rule(node.name)

    def _rule(self, name: str) -> str:
        if name == "any":
            # A named group, so the matcher can count the words it swallowed.
            self._any_count += 1
            return f"(?P<{ANY_PREFIX}{self._any_count}>{ANY_WORDS})"
        if name not in self._rules:
            raise ConfigError(f"grammar uses an unknown rule <{name}>")
        if name in self._stack:
            raise ConfigError(f"grammar rule <{name}> refers to itself")
        self._stack.append(name)
        try:
            return self.build(self._rules[name])
        finally:
            self._stack.pop()

    def required_words(self, node: Node) -> frozenset[str]:
        """Words that every sentence matched by ``node`` contains."""
        if isinstance(node, Word):
            return frozenset((node.text,))
        if isinstance(node, Seq):
            return frozenset().union(*(self.required_words(item) for item in node.items))
        if isinstance(node, Alt):
            if node.optional:
                return frozenset()
            sets = [self.required_words(option) for option in node.options]
            return frozenset.intersection(*sets) if sets else frozenset()
        if isinstance(node, RuleRef) and node.name in self._rules:
            return self.required_words(self._rules[node.name])
        return frozenset()

    def required_any(self, node: Node) -> list[frozenset[str]]:
        """Word sets of which every accepted sentence contains at least one word each.

        ``(send|write) <msg>`` gives ``[{send, write}, {message, text}]``: a cheap
        test that rules a template out before its regex runs.
        """
        if isinstance(node, Word):
            return [frozenset((node.text,))]
        if isinstance(node, Seq):
            return [s for item in node.items for s in self.required_any(item)]
        if isinstance(node, RuleRef) and node.name in self._rules:
            return self.required_any(self._rules[node.name])
        if isinstance(node, Alt) and not node.optional:
            options = [self._some_word(option) for option in node.options]
            if all(options):
                return [frozenset().union(*options)]
        return []

    def _some_word(self, node: Node) -> frozenset[str]:
        """Words of which any sentence of ``node`` contains at least one (empty: unknown)."""
        sets = self.required_any(node)
        return min(sets, key=len) if sets else frozenset()

    def vocabulary(self, node: Node) -> set[str]:
        """Every literal word the node can match (for fuzzy keyword correction)."""
        if isinstance(node, Word):
            return {node.text}
        if isinstance(node, Seq):
            return set().union(*(self.vocabulary(item) for item in node.items))
        if isinstance(node, Alt):
            return set().union(*(self.vocabulary(option) for option in node.options))
        if isinstance(node, RuleRef) and node.name in self._rules:
            return self.vocabulary(self._rules[node.name])
        return set()
