"""The one YAML factory: every parse and dump of a manifest goes through here.

Round-trip mode (ruamel ``rt``) keeps comments, key order and quoting. ``preserve_quotes`` is a
correctness setting, not a cosmetic one: without it ``"on"`` would be written as ``on``, which
Kubernetes (a YAML 1.1 reader) reads as a boolean. The width is effectively unlimited so long
strings are never folded.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import functools
import io
import re
from collections.abc import Iterator
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from gloo_harden.errors import InputError
from gloo_harden.patterns import lazy
from gloo_harden.yamltext.limited_yaml import LimitedComposer, LimitedScanner
from gloo_harden.yamltext.limits import LimitExceeded

#: Plain strings a YAML 1.1 reader would take for something else (bool, null, number, time).
_YAML11_AMBIGUOUS = lazy(
    r"""^(?:
        y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
      | ~|null|Null|NULL|
      | [-+]?0b[0-1_]+ | [-+]?0[0-7_]+ | [-+]?(?:0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+
      | [-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+
      | [-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)? | [-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
      | [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]* | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)
      | [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*
    )$""",
    re.VERBOSE,
)


#: The pattern's words (its first two lines), and the first characters of its other branches:
#: a string is decided without compiling it unless it may be a number, a time or a date
#: (1.3 ms of a run that quotes results, for names and messages).
_YAML11_WORDS = frozenset((
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false",
    "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "~", "null", "Null", "NULL", ""))
_NUMBER_FIRST = frozenset("+-.0123456789")


def is_ambiguous(value: str) -> bool:
    """Whether a YAML 1.1 reader would take ``value``, written plain, for something else."""
    if value[:1] in _NUMBER_FIRST:
        return _YAML11_AMBIGUOUS.match(value) is not None
    return value.removesuffix("\n") in _YAML11_WORDS  # ``$`` also matches before a last \n


def quote_if_ambiguous(value: Any) -> Any:
    """Return ``value`` double-quoted when it is a plain string YAML 1.1 would misread."""
    if type(value) is str and is_ambiguous(value):
        return DoubleQuotedScalarString(value)
    return value


@functools.cache
def _rt(wide_sequences: bool) -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.preserve_quotes = True
    yaml.width = 1 << 20
    yaml.allow_duplicate_keys = False
    yaml.Composer = LimitedComposer  # depth and alias-expansion limits (limits.py)
    yaml.Scanner = LimitedScanner  # flow depth, refused before ruamel's quadratic look-ahead
    if wide_sequences:
        yaml.indent(mapping=2, sequence=4, offset=2)
    else:
        yaml.indent(mapping=2, sequence=2, offset=0)
    return yaml


def load(text: str, where: str, origin: tuple[int, int] = (0, 0)) -> Any:
    """Parse one YAML document in round-trip mode; errors name ``where`` and the position,
    counted in the file when ``origin`` says where ``text`` starts in it (line and column,
    from 0: ``Document.origin``)."""
    with _parse_errors(where, origin):
        return _rt(False).load(text)


def load_all(text: str, where: str) -> list[Any]:
    """Parse a multi-document string (e.g. Gateways embedded in a ConfigMap)."""
    with _parse_errors(where):
        return list(_rt(False).load_all(text))


@contextlib.contextmanager
def _parse_errors(where: str, origin: tuple[int, int] = (0, 0)) -> Iterator[None]:
    """Every way ruamel can refuse a text, as one ``InputError`` line naming ``where`` and
    the line and column in the file (``origin``: where the text starts in it)."""
    try:
        yield
    except LimitExceeded as exc:
        raise LimitExceeded(f"{where}: {_in_file(str(exc), origin)}") from None
    except TypeError:  # ruamel hashes keys: a block mapping as a key (``? a:`` then ``b: 1``)
        raise InputError(f"{where}: a mapping or list is used as a key; expected plain keys, "
                         "as every Kubernetes object has") from None
    except MarkedYAMLError as exc:
        raise InputError(f"{where}: {_in_file(_describe(exc), origin)}; expected valid YAML") \
            from None
    except YAMLError as exc:
        raise InputError(f"{where}: {_first_line(str(exc))}; expected valid YAML") from None
    except RecursionError:
        raise InputError(f"{where}: nesting is too deep; expected a manifest") from None


def dump(data: Any, wide_sequences: bool = False) -> str:
    """Serialise one document with the round-trip emitter."""
    buffer = io.StringIO()
    _rt(wide_sequences).dump(data, buffer)
    return buffer.getvalue()


def to_plain(node: Any) -> Any:
    """Turn a ruamel tree into plain dicts/lists/scalars, for comparisons and guards."""
    kind = type(node)
    if kind is str or kind is bool or kind is int or node is None:
        return node  # plain already: most of what the C reader builds, checked first
    if kind is dict:
        return {key if type(key) is str else to_plain(key): to_plain(value)
                for key, value in node.items()}
    if kind is list:
        return [to_plain(value) for value in node]
    if isinstance(node, dict):
        return {to_plain(k): to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, str):
        return str(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, (datetime.date, datetime.datetime)):
        return node.isoformat()
    return str(getattr(node, "value", node))


def _describe(exc: MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    problem = _first_line(problem)
    if "end of stream" in problem and exc.context and exc.context_mark:  # say what is open
        start = exc.context_mark
        problem += f" {exc.context} that starts at line {start.line + 1}, column {start.column + 1}"
    if mark is None:
        return problem
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"


_POSITION = lazy(r"line (\d+), column (\d+)")


def _in_file(message: str, origin: tuple[int, int]) -> str:
    """``message`` with every "line L, column C" of a document's text moved to its file's."""
    if origin == (0, 0):
        return message

    def moved(match: re.Match[str]) -> str:
        line, column = int(match.group(1)), int(match.group(2))
        return f"line {line + origin[0]}, column {column + origin[1] if line == 1 else column}"

    return _POSITION.sub(moved, message)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "invalid YAML"


#: Within ``verifying()``: text → its plain data, so a text is parsed once for all checks.
_VERIFIED: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "gloo_harden_verified", default=None)


@contextlib.contextmanager
def verifying() -> Iterator[None]:
    """One run's checks: the writer and the invariants re-parse the same texts, so share them.

    Only the *plain data* is shared (``load_plain``), never a round-trip tree a caller could
    change, and only inside this block: a parse is deterministic, so reading a cached result is
    exactly as strict as parsing the same text again.
    """
    token = _VERIFIED.set({})
    try:
        yield
    finally:
        _VERIFIED.reset(token)


def load_plain(text: str, where: str) -> Any:
    """``to_plain(load(text))``, parsed once per text inside ``verifying()``; do not mutate it."""
    cache = _VERIFIED.get()
    if cache is not None and text in cache:
        return cache[text]
    plain = to_plain(load(text, where))
    if cache is not None:
        cache[text] = plain
    return plain


def parses_to(text: str, wanted: Any, where: str) -> bool:
    """Whether ``text`` parses to the plain data ``wanted``.

    Checked first with ruamel's C parser (libyaml, ~10× faster; same YAML 1.2 resolver), which
    can only confirm: a difference, an error or a missing C extension is decided by the
    round-trip parser, exactly as before. The texts checked here are ones we wrote from trees
    already parsed under the limits, so the C composer meets nothing the limits would refuse.
    """
    return parses_fast_to(text, wanted) or bool(load_plain(text, where) == wanted)


def parses_fast_to(text: str, wanted: Any) -> bool:
    """Whether the C parser reads ``text`` as ``wanted`` (False also when it cannot tell)."""
    cache = _VERIFIED.get()
    key = "\0fast\0" + text
    fast = cache.get(key) if cache is not None else None
    if fast is None:
        fast = _fast_plain(text)
        if cache is not None:
            cache[key] = fast
    return bool(fast == wanted)


def load_for_reading(text: str, where: str,
                     origin: tuple[int, int] = (0, 0)) -> tuple[Any, bool]:
    """A document to read, and whether it is a round-trip tree (False: plain data).

    Most documents gloo-harden parses are only read (Services, routes, Settings a guard
    looks at); the C parser builds those ~10× faster. Texts it might not bound the way the
    limits do (anchors and aliases, deep nesting) and any error go to the round-trip parser,
    so errors and limits are exactly those of ``load``. A document that is then changed is
    written by editing its text (``fidelity.write``).
    """
    if _fast_may_read(text):
        plain = _fast_plain(text)
        if plain is not _NOTHING:
            return plain, False
    return load(text, where, origin), True


def load_all_plain(text: str, where: str) -> list[Any]:
    """Every document of a multi-document text as plain data, read as ``load_for_reading``
    reads one (the C parser where it may, else ``load_all``)."""
    if _fast_may_read(text):
        documents = _fast_plain_all(text)
        if documents is not _NOTHING:
            return list(documents)
    return [to_plain(document) for document in load_all(text, where)]


def _fast_may_read(text: str) -> bool:
    """No anchors or aliases and no deep nesting: nothing the limits would have to bound."""
    return "&" not in text and "*" not in text and not _maybe_deep(text)


def _maybe_deep(text: str) -> bool:
    from gloo_harden.yamltext.limits import active

    depth = active().max_depth
    if text.count("[") + text.count("{") >= depth:
        return True
    indent = " " * depth  # a line indented this deep starts the text or follows a newline
    if text.startswith(indent) or "\n" + indent in text:
        return True
    if any(other in text for other in OTHER_LINE_BREAKS):  # lines splitlines() also ends
        return any(len(line) - len(line.lstrip(" ")) >= depth for line in text.splitlines())
    return False


#: What ``str.splitlines`` ends a line at, besides "\n".
OTHER_LINE_BREAKS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def _fast_plain(text: str) -> Any:
    reader = _c_reader()
    if reader is None:
        return _NOTHING
    try:
        with reader(text) as loader:
            node = loader.get_single_node()
            return None if node is None else _constructed(node, loader)
    except Exception:  # anything the C path cannot read is left to the round-trip parser
        return _NOTHING


def _fast_plain_all(text: str) -> Any:
    reader = _c_reader()
    if reader is None:
        return _NOTHING
    try:
        documents: list[Any] = []
        with reader(text) as loader:
            while loader.check_node():
                documents.append(_constructed(loader.get_node(), loader))
        return documents
    except Exception:  # errors are reported as the round-trip parser words them
        return _NOTHING


_TAG = "tag:yaml.org,2002:"
_STR, _MAP, _SEQ, _BOOL, _NULL = (_TAG + t for t in ("str", "map", "seq", "bool", "null"))
_MERGE = _TAG + "merge"


class _Decline(Exception):
    """A node the direct conversion leaves to ruamel's safe constructor."""


def _constructed(node: Any, loader: Any) -> Any:
    """``to_plain(loader.construct_document(node))``, three times faster for what manifests
    hold (strings, maps, lists, booleans, nulls); any other node is built by the constructor,
    and a document with a merge key or a duplicate key entirely (so are its errors)."""
    try:
        return _plain_node(node, loader)
    except _Decline:
        return to_plain(loader.construct_document(node))


def _plain_node(node: Any, loader: Any) -> Any:
    tag = node.ctag.suffix if node.ctag.handle is None else None
    if tag == _STR and isinstance(node.value, str):
        return node.value
    if tag == _MAP and isinstance(node.value, list):
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.ctag.suffix == _MERGE:
                raise _Decline
            key = _plain_node(key_node, loader)
            if isinstance(key, (dict, list)) or key in mapping:
                raise _Decline
            mapping[key] = _plain_node(value_node, loader)
        return mapping
    if tag == _SEQ and isinstance(node.value, list):
        return [_plain_node(item, loader) for item in node.value]
    if tag == _BOOL and node.value in ("true", "True", "TRUE", "false", "False", "FALSE"):
        return node.value.lower() == "true"
    if tag == _NULL:
        return None
    return to_plain(loader.construct_object(node, deep=True))


_NOTHING = object()


def compose_fast(text: str) -> Any:
    """The C parser's node tree of a document ``load_for_reading`` read as plain data (nodes
    carry their positions), or None without the C extension or on any error."""
    reader = _c_reader()
    if reader is None:
        return None
    try:
        with reader(text) as loader:
            return loader.get_single_node()
    except Exception:  # the round-trip writer decides what to make of it
        return None


@functools.lru_cache(maxsize=1)
def _c_reader() -> Any:
    """ruamel's safe loader on libyaml (``YAML(typ="safe", pure=False)``'s), None without the
    C extension. It reads exactly as that loader does (tests/yamltext/test_c_reader.py holds it to
    it, node by node), only faster: the resolver's rules are compiled once per run instead
    of looked up for every scalar, and ``_constructed`` builds plain data directly."""
    try:
        from _ruamel_yaml import CParser  # type: ignore[import-not-found]
    except ImportError:
        return None
    from ruamel.yaml.constructor import SafeConstructor
    from ruamel.yaml.nodes import ScalarNode
    from ruamel.yaml.resolver import VersionedResolver
    from ruamel.yaml.tag import Tag

    class Rules(VersionedResolver):
        """``VersionedResolver.resolve`` for scalars, with its rules (and their compiled
        regexes) looked up once per run and first character; libyaml calls it for every
        scalar. (The C parser always reads with the default YAML 1.2 rules: its processing
        version never changes.)"""

        _source: Any = None  # set on the class: ruamel's rules, one table for every document
        _by_first: dict[str, list[Any]] = {}  # rules by first character, filled as met
        #: one Tag per resolved tag, shared as ruamel shares DEFAULT_SCALAR_TAG: a Tag works
        #: out its text (a loop in Python) once, not once per scalar
        _tags: dict[str, Any] = {}

        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            if kind is not ScalarNode or self.yaml_path_resolvers:
                return VersionedResolver.resolve(self, kind, value, implicit)
            if implicit[0]:
                first = value[0] if value else ""
                rules = Rules._by_first.get(first)
                if rules is None:
                    if Rules._source is None:
                        lookup = VersionedResolver.versioned_resolver
                        Rules._source = lookup.fget(self)  # type: ignore[attr-defined]
                    rules = Rules._by_first[first] = _compiled(Rules._source, first)
                for tag, match in rules:
                    if match(value):
                        found = Rules._tags.get(tag)
                        if found is None:
                            found = Rules._tags[tag] = Tag(suffix=tag)
                        return found
            return self.DEFAULT_SCALAR_TAG

    class Reader(CParser, SafeConstructor, Rules):  # type: ignore[misc]
        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            self._parser = self._composer = self
            SafeConstructor.__init__(self, loader=self)
            Rules.__init__(self, loadumper=self)
            self.allow_duplicate_keys = False

        def __enter__(self) -> Reader:
            return self

        def __exit__(self, *exc: object) -> None:
            # The loader refers to itself (parser, composer, constructor and resolver are one
            # object): left so, it and every node it read wait for the cyclic collector,
            # which then walks them again and again (27,881 objects a 1,000-document stream).
            self.__dict__.clear()

    return Reader


def _compiled(rules: dict[Any, list[Any]], first: str) -> list[Any]:
    """ruamel's resolver rules for a scalar that starts with ``first``, each with its regex's
    ``match`` (ruamel wraps the regexes in lazy proxies, an attribute lookup through Python on
    every use), compiled when a scalar first needs them: most first characters need none,
    and a run compiles only the regexes of the ones it meets (all eight were 7M
    instructions). The rules for any first character (key None) follow its own, as in
    ruamel."""
    return [(tag, regexp.lazy_self().match) for tag, regexp in rules.get(first, []) + rules.get(None, [])]


def remember_plain(text: str, tree: Any) -> None:
    """Record that ``text`` parses to ``tree`` (just loaded, unchanged) for ``load_plain``;
    plain data is kept as it is (no copy: nobody changes it any more), a round-trip tree as
    plain data."""
    cache = _VERIFIED.get()
    if cache is not None:
        cache[text] = tree if type(tree) is dict else to_plain(tree)


def child_path(parent: str, key: str | int) -> str:
    """Join a field path: ``child_path("spec", "containers")`` → ``spec.containers``."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key
