"""The depth and alias limits of ``limits`` enforced inside ruamel's composer and scanner.

Kept apart from ``limits`` so that the command line can parse its options (``--help``) without
importing ruamel.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.composer import Composer
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import MappingNode, SequenceNode
from ruamel.yaml.scanner import RoundTripScanner

from gloo_harden.yamltext.limits import LimitExceeded, active


class LimitedComposer(Composer):
    """ruamel's composer with a depth bound and an alias-expansion count, per document.

    Expanded, a document has its own nodes plus, for every alias, all nodes of what it points
    to (aliases inside that included). Each node's expanded size is known once it is composed,
    so every alias adds its target's size to the count, checked right at the alias.
    """

    def compose_document(self) -> Any:
        self._depth = 0
        self._weights: dict[int, int] = {}  # id(node) → node count with aliases expanded
        self._expanded = 0
        return super().compose_document()

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.parser.check_event(AliasEvent):
            mark = self.parser.peek_event().start_mark
            node = super().compose_node(parent, index)
            weight = self._weights.get(id(node))
            if weight is None:  # its target is still being composed: a cycle
                raise LimitExceeded(f"line {mark.line + 1}, column {mark.column + 1}: an alias "
                                    "refers to a node that contains it; expected aliases of "
                                    "complete nodes only (a cycle never ends when expanded)")
            self._expanded += weight
            limit = active().max_aliases
            if self._expanded > limit:
                raise _alias_error(mark, f"YAML aliases expand to more than {limit} extra nodes")
            return node
        limit = active().max_depth
        self._depth += 1
        if self._depth > limit:
            mark = self.parser.peek_event().start_mark
            raise LimitExceeded(f"line {mark.line + 1}, column {mark.column + 1}: nesting "
                                f"deeper than {limit} levels; expected at most {limit} "
                                "(raise it with --max-depth)")
        node = super().compose_node(parent, index)
        self._depth -= 1
        self._weights[id(node)] = 1 + sum(self._weights[id(child)] for child in _children(node))
        return node


class LimitedScanner(RoundTripScanner):
    """Refuses deep *flow* nesting while scanning, before the composer sees it.

    ruamel's scanner keeps one pending simple key per open ``[``/``{`` on a line and rechecks
    all of them for every token, so ``[[[[…`` costs time quadratic in its depth: 10,000 levels
    took 5 s before the composer's depth check was reached. Flow depth never exceeds the
    composer's depth, so this refuses nothing the composer would accept.
    """

    def fetch_flow_collection_start(self, TokenClass: Any, to_push: str) -> None:
        limit = active().max_depth
        if len(self.flow_context) >= limit:
            mark = self.reader.get_mark()
            raise LimitExceeded(f"line {mark.line + 1}, column {mark.column + 1}: nesting "
                                f"deeper than {limit} levels; expected at most {limit} "
                                "(raise it with --max-depth)")
        super().fetch_flow_collection_start(TokenClass, to_push)


def _children(node: Any) -> list[Any]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [item for pair in node.value for item in pair]
    return []


def _alias_error(mark: Any, problem: str) -> LimitExceeded:
    limit = active().max_aliases
    return LimitExceeded(f"line {mark.line + 1}, column {mark.column + 1}: {problem}; expected "
                         f"at most {limit} alias expansions (raise it with --max-aliases)")
