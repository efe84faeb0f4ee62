"""Kubernetes strategic merge patch on round-trip trees, equal to apimachinery's ``strategicpatch``.

The reference is ``kubectl patch --local --type strategic`` (kubectl 1.32), and
``tests/patching/test_strategic_kubectl.py`` compares the two on hand-written and generated
cases. What that means in detail:

- maps merge key by key; ``null`` deletes a key; ``{$patch: replace, …}`` replaces a map,
  ``{$patch: delete}`` empties it (kubectl leaves ``{}``), ``$patch: merge`` on a map is an error;
- lists with a merge key (``schema``) merge element by element; ``{<key>: v, $patch: delete}``
  removes every element with that key, a ``{$patch: replace}`` element replaces the list;
  other lists are replaced; primitive lists with ``patchStrategy: merge`` (``finalizers``) merge
  as sets;
- merged lists come out in apimachinery's order: the elements the patch names in patch order,
  the others woven in by their original order, so a new element lands first (``smp_lists``);
- ``$deleteFromPrimitiveList/<field>`` removes values from a primitive list (kubectl 1.32 does
  this on every primitive list, ``capabilities.add`` included); ``$retainKeys`` drops the keys
  it does not name; ``$setElementOrder/<field>`` orders a list and must agree with the patch;
- a value for a key the original lacks is copied as given, minus nulls and minus maps that
  carry ``$patch``, as kubectl does; a list or map replaced wholesale is copied as given;
- custom resources have no merge keys: every list in them is replaced (kubectl refuses
  strategic patches on CRDs locally; this is what ``--type merge`` does to their lists).

Differences on purpose, each tested:

- a patch element whose merge key names no existing element is not created silently (that is
  how a typo in a container name becomes a new, broken container). It is reported through
  ``MergeReport.missing`` unless ``create_missing`` is set, which then behaves like kubectl;
- ``$deleteFromPrimitiveList`` never writes its directive into the object: where kubectl would
  (a map the original lacks, e.g. a ``capabilities`` block that does not exist yet) we drop it,
  because deleting from a list that is not there leaves nothing to do;
- in ``capabilities.add``/``drop`` it deletes a capability in every spelling a runtime reads as
  it (``net_bind_service``, ``CAP_NET_BIND_SERVICE``: containerd's CRI upper-cases the name and
  puts ``CAP_`` before it, ``pkg/cri/opts/spec_linux.go``), where kubectl compares strings;
  each other spelling removed is reported in ``MergeReport.respelled``.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap

from gloo_harden.errors import PatchError
from gloo_harden.patching import smp_lists, values
from gloo_harden.patching.schema import field_info
from gloo_harden.resources.model import child_path
from gloo_harden.resources.results import show_text, show_value

PATCH = "$patch"
RETAIN_KEYS = "$retainKeys"
DELETE_FROM = "$deleteFromPrimitiveList/"
SET_ORDER = "$setElementOrder/"


class MergeReport:
    """What a merge could not do on its own (list elements the patch named but did not find),
    and capabilities it deleted in another spelling, as (field path, spelling, name)."""

    def __init__(self) -> None:
        self.missing: list[str] = []
        self.respelled: list[tuple[str, str, str]] = []


def merge(
    original: Any,
    patch: Any,
    type_name: str | None,
    *,
    path: str = "",
    create_missing: bool = False,
    report: MergeReport | None = None,
) -> None:
    """Merge ``patch`` into the mapping ``original`` in place."""
    if not isinstance(patch, dict) or not isinstance(original, dict):
        raise PatchError(f"{path or '<root>'}: a strategic merge patch must be a mapping")
    merged = _Merger(create_missing, report or MergeReport()).map(original, patch, type_name, path)
    if merged is not original:
        original.clear()
        original.update(merged)


class _Merger:
    def __init__(self, create_missing: bool, report: MergeReport) -> None:
        self.create_missing = create_missing
        self.report = report

    def map(self, original: Any, patch: Any, type_name: str | None, path: str) -> Any:
        """``mergeMap``: the merged mapping (``original`` itself, unless a directive says)."""
        if PATCH in patch:
            return _map_directive(patch, path)
        if RETAIN_KEYS in patch:
            _retain(original, patch, child_path(path, RETAIN_KEYS))
        done = self.ordered_lists(original, patch, type_name, path)
        for key, value in patch.items():
            key = str(key)
            if key in done or key == RETAIN_KEYS or key.startswith(SET_ORDER):
                continue
            if key.startswith(DELETE_FROM):
                _delete_from(original, key[len(DELETE_FROM):], value, child_path(path, key),
                             self.report if type_name == "Capabilities" else None)
            else:
                self.field(original, key, value, type_name, path)
        return original

    def field(self, original: Any, key: str, value: Any, type_name: str | None, path: str) -> None:
        here = child_path(path, key)
        info = field_info(type_name, key)
        current = original.get(key)
        if value is None:
            original.pop(key, None)
        elif key not in original:
            if not values.carries_patch(value) and not values.only_deletions(value):
                original[key] = values.absent_copy(value, drop_nulls=True)
        elif smp_lists.kind_of(current) != smp_lists.kind_of(value):
            original[key] = values.absent_copy(value, drop_nulls=True)  # as kubectl: nulls dropped
        elif isinstance(value, dict):
            original[key] = self.map(current, value, info.type, here)
        elif isinstance(value, list) and info.strategy == "merge":
            original[key] = self.merge_list(current, value, info.type, info.merge_key, here)
        else:
            original[key] = values.fresh(value)

    def merge_list(self, original: Any, patch: list[Any], type_name: str | None,
             merge_key: str | None, path: str) -> Any:
        """``mergeSlice``: merge ``patch`` into the list ``original``; returns the result."""
        if not original and not patch:
            return original
        kind = smp_lists.element_kind(original, patch, path)
        if kind != "map":
            merged = smp_lists.dedupe([*original, *(values.fresh(v) for v in patch)])
            return self.ordered(original, merged, patch, None)
        if merge_key is None:
            raise PatchError(f"{path}: cannot merge a list of maps without a merge key")
        elements, replaced = self.special_elements(original, patch, merge_key, path)
        if replaced is not None:
            return replaced
        merged = list(original)
        for element in elements:
            self.element(merged, element, type_name, merge_key, path)
        return self.ordered(original, merged, elements, merge_key)

    def special_elements(self, original: Any, patch: list[Any], merge_key: str,
                         path: str) -> tuple[list[Any], Any]:
        """``mergeSliceWithSpecialElements``: apply ``$patch`` elements; the rest to merge."""
        plain, replace = [], False
        for element in patch:
            directive = element.get(PATCH)
            if PATCH not in element:
                plain.append(element)
            elif directive == "delete":
                if merge_key not in element:
                    raise PatchError(f"{path}: a $patch: delete element needs its merge key "
                                     f"\"{merge_key}\"")
                original[:] = [v for v in original
                               if smp_lists.index([element], v, merge_key) < 0]
            elif directive == "replace":
                replace = True
            elif directive == "merge":
                raise PatchError(f"{path}.$patch: merging lists cannot be specified in the "
                                 "patch; expected delete or replace")
            else:
                raise PatchError(f"{path}.$patch: unknown directive {show_value(directive)}; "
                                 "expected one of delete, replace")
        if replace:
            return [], values.as_seq(original, [values.fresh(v) for v in plain])
        return plain, None

    def element(self, merged: list[Any], element: Any, type_name: str | None,
                merge_key: str, path: str) -> None:
        if merge_key not in element:
            raise PatchError(f"{path}: every element needs its merge key \"{merge_key}\"")
        wanted = element[merge_key]
        position = smp_lists.index(merged, element, merge_key)
        here = f"{path}[{merge_key}={show_text(wanted)}]"
        if position >= 0:
            merged[position] = self.map(merged[position], element, type_name, here)
        elif self.create_missing:
            merged.append(values.fresh(element))
        else:
            self.report.missing.append(here)

    def ordered(self, original: Any, merged: list[Any], patch: list[Any],
                merge_key: str | None) -> Any:
        named, rest = smp_lists.partition(merged, patch, merge_key)
        woven = smp_lists.normalize(named, rest, patch, list(original), merge_key)
        return values.as_seq(original, woven)

    def ordered_lists(self, original: Any, patch: Any, type_name: str | None,
                      path: str) -> set[str]:
        """``mergePatchIntoOriginal``: lists with ``$setElementOrder``; returns the keys done."""
        done: set[str] = set()
        for key, order in patch.items():
            if not str(key).startswith(SET_ORDER):
                continue
            name = str(key)[len(SET_ORDER):]
            here = child_path(path, name)
            info = field_info(type_name, name)
            current, given = original.get(name), patch.get(name)
            if not isinstance(order, list) or not isinstance(current, (list, type(None))):
                raise PatchError(f"{child_path(path, str(key))}: expected a list")
            merge_key = info.merge_key if info.strategy == "merge" else None
            if any(isinstance(v, dict) for v in [*order, *(current or [])]) and merge_key is None:
                raise PatchError(f"{child_path(path, str(key))}: {name} has no merge key; "
                                 "expected $setElementOrder only on lists with one")
            if isinstance(given, list):
                smp_lists.check_order_list(given, order, merge_key, here)
            merged = self.order_source(current, given, info, here)
            if merged is None:
                continue
            named, rest = smp_lists.partition(list(merged), order, merge_key)
            original[name] = values.as_seq(merged, smp_lists.normalize(
                named, rest, order, list(current or []), merge_key))
            done.add(name)
        return done

    def order_source(self, current: Any, given: Any, info: Any, path: str) -> Any:
        if given is None:
            return current
        if current is None:
            return values.absent_copy(given, drop_nulls=False)
        if info.strategy == "merge":
            return self.merge_list(current, given, info.type, info.merge_key, path)
        return values.fresh(given)


def _map_directive(patch: Any, path: str) -> Any:
    directive = patch[PATCH]
    if directive == "replace":
        return values.fresh({k: v for k, v in patch.items() if k != PATCH})
    if directive == "delete":
        return CommentedMap()
    raise PatchError(f"{child_path(path, PATCH)}: unknown directive {show_value(directive)} "
                     "in a map; "
                     "expected delete or replace")


def _retain(original: Any, patch: Any, where: str) -> None:
    """``applyRetainKeysDirective``: drop unlisted keys; the patch may only set listed ones."""
    keep = patch[RETAIN_KEYS]
    if not isinstance(keep, list):
        raise PatchError(f"{where}: expected a list of keys")
    for key in patch:
        if not str(key).startswith("$") and not any(smp_lists.same(key, k) for k in keep):
            raise PatchError(f"{where}: the patch sets \"{key}\", which the list does not "
                             "name; expected every patched key in $retainKeys")
    for key in [k for k in original if not any(smp_lists.same(k, kept) for kept in keep)]:
        del original[key]


def _delete_from(original: Any, key: str, doomed: Any, where: str,
                 capabilities: MergeReport | None = None) -> None:
    """Remove ``doomed`` values from the list ``original[key]``; with ``capabilities`` (a
    capability list) in any spelling, each other spelling reported there."""
    if not isinstance(doomed, list):
        raise PatchError(f"{where}: expected a list of doomed")
    current = original.get(key)
    if isinstance(current, list) and any(isinstance(v, dict) for v in [*current, *doomed]):
        raise PatchError(f"{where}: cannot delete from a list of maps; expected a list of "
                         "strings or numbers (use $patch: delete elements for lists of maps)")
    if not isinstance(current, list):
        return
    kept = []
    for value in current:
        match = next((d for d in doomed if smp_lists.same(value, d)), None)
        if match is None and capabilities is not None:
            match = next((d for d in doomed if capability(value) == capability(d)), None)
            if match is not None:
                field = child_path(where.rpartition(".")[0], key)
                capabilities.respelled.append((field, str(value), str(match)))
        if match is None:
            kept.append(value)
    current[:] = kept


def capability(value: Any) -> str | None:
    """A capability name as container runtimes read it: ``cap_net_bind_service`` →
    ``NET_BIND_SERVICE`` (None for what is not a string)."""
    if not isinstance(value, str):
        return None
    name = value.strip().upper()
    return name[4:] if name.startswith("CAP_") else name
