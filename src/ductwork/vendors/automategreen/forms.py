"""Bracket keys of a URL-encoded body decoded into nested objects, as Automate Green's Node
server (Express, whose `qs` module turns `user[email]=a` into `{"user": {"email": "a"}}`) did.

`nest` takes the body's pairs already split and percent-decoded (Starlette's form parser or
`urllib.parse.parse_qsl(..., keep_blank_values=True)`) and follows qs 6's `parse` with its
default options:

- `a[b][c]=x` nests objects; `a[0]=x` (an index up to `ARRAY_LIMIT`, 20) and `a[]=x` make
  lists, sparse indexes compacted in index order (`a[1]=x&a[5]=y` → `["x", "y"]`); an index
  above 20 is an object key (`a[21]=x` → `{"a": {"21": "x"}}`);
- at most `DEPTH` (5) bracket levels: the rest of the key stays one literal key
  (`a[b][c][d][e][f][g][h]=x` → `...{"f": {"[g][h]": "x"}}`); a key with no closed bracket
  is a plain key (`a[b=x` → `{"a[b": "x"}`); a key starting with `[` has no parent
  (`[a]=x` → `{"a": "x"}`); an empty key is dropped; only the first `PARAMETER_LIMIT` (1000)
  pairs count;
- conflicting shapes merge as qs merges them: `a=1&a[b]=2` → `{"a": ["1", {"b": "2"}]}`,
  `a[0]=1&a[x]=2` → `{"a": {"0": "1", "x": "2"}}`, `a[b]=1&a=` → `{"a": {"b": "1"}}`;
- object keys come out in the order JavaScript enumerates them (integer-like keys first in
  ascending order, then the others as they first came).

Chosen where we differ from qs (the documents say nothing):
- a repeated key that does not end in `[]` keeps its last value (`a=1&a=2` → `"2"`; qs would
  make `["1", "2"]`), so a plain field is always one string; a repeated `...[]` key collects
  its values in order (`a[]=1&a[]=2` → `["1", "2"]`), with no limit beyond the 1000 pairs.
  Several objects through `conditions[][type]=...` therefore need indexes
  (`conditions[0][type]`, `conditions[1][type]`), as they did with qs.
- where qs marks a plain value merged into an object with the boolean `true`
  (`a[b]=1&a=c` → `{"a": {"b": "1", "c": true}}`) we store the string `"true"`, so every
  leaf is a string; no value is ever converted (no numbers, no booleans).
- keys are kept whatever they are called (`__proto__`, `toString`): Python has no prototypes.
- Express's body parser passed its own limits to qs (depth unlimited, index limit 100 or the
  number of pairs); we keep qs's defaults, which its query-string parser used.

`nest` never raises: every sequence of string pairs decodes to something.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

DEPTH = 5  # bracket levels parsed; the rest of a key is one literal key
ARRAY_LIMIT = 20  # the largest index that makes a list; larger ones are object keys
PARAMETER_LIMIT = 1000  # pairs read; the rest are ignored

MARK = "true"  # what qs's `true` marker becomes (see the module docstring)

_SEGMENT = re.compile(r"\[[^\[\]]*\]")
_INDEX = re.compile(r"0|[1-9][0-9]*")
_JS_INDEX_MAX = 2**32 - 2  # the largest key JavaScript treats as an array index


class _Sparse(dict[int, Any]):
    """A JavaScript array while merging: present indexes only (holes are absent)."""

    def push(self, item: Any) -> None:
        """Append after the last index, as `Array.prototype.push` does."""
        self[max(self) + 1 if self else 0] = item


def nest(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The nested object qs makes of a body's decoded `(key, value)` pairs (module docstring):
    leaves are strings, containers are dicts and lists."""
    flat: dict[str, Any] = {}
    for number, (key, value) in enumerate(pairs):
        if number >= PARAMETER_LIMIT:
            break
        if key.endswith("[]") and key in flat:
            previous = flat[key]
            flat[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            flat[key] = value  # the last value wins, at its first key's place
    result: Any = {}
    for key in _js_order(flat):
        if key:
            leaf = flat[key]
            combined = _Sparse(enumerate(leaf)) if isinstance(leaf, list) else leaf
            result = _merge(result, _parse_key(key, combined))
    compacted = _compact(result)
    return compacted if isinstance(compacted, dict) else {}


def _parse_key(key: str, value: Any) -> Any:
    """qs's parseKeys and parseObject: one flat key and its value as a nested object."""
    first = _SEGMENT.search(key)
    parent = key[: first.start()] if first else key
    chain = [parent] if parent else []
    rest = None
    for depth, segment in enumerate(_SEGMENT.finditer(key)):
        if depth == DEPTH:
            rest = segment
            break
        chain.append(segment.group())
    if rest is not None:
        chain.append("[" + key[rest.start() :] + "]")
    leaf: Any = value
    for root in reversed(chain):
        if root == "[]":
            leaf = _Sparse(leaf) if isinstance(leaf, _Sparse) else _Sparse({0: leaf})
            continue
        bracketed = root.startswith("[") and root.endswith("]")
        clean = root[1:-1] if bracketed else root
        if bracketed and _INDEX.fullmatch(clean) and int(clean) <= ARRAY_LIMIT:
            leaf = _Sparse({int(clean): leaf})
        else:
            leaf = {clean: leaf}
    return leaf


def _merge(target: Any, source: Any) -> Any:
    """qs's utils.merge: `source` merged into `target` (changed in place where qs does)."""
    if isinstance(source, str):
        if source == "":
            return target
        if isinstance(target, _Sparse):
            target.push(source)
            return target
        if isinstance(target, dict):
            target[source] = MARK
            return target
        return _Sparse(enumerate((target, source)))
    if not isinstance(target, dict):
        items = [target, *_concat_items(source)]
        return _Sparse((index, item) for index, item in enumerate(items) if item is not _HOLE)
    if isinstance(target, _Sparse) and isinstance(source, _Sparse):
        for index in sorted(source):
            item = source[index]
            if index in target:
                present = target[index]
                if isinstance(present, dict) and isinstance(item, dict):
                    target[index] = _merge(present, item)
                else:
                    target.push(item)
            else:
                target[index] = item
        return target
    merged: dict[str, Any] = (
        {str(index): item for index, item in sorted(target.items())}
        if isinstance(target, _Sparse)
        else target
    )
    for key, item in _source_items(source):
        merged[key] = _merge(merged[key], item) if key in merged else item
    return merged


_HOLE = object()  # a hole of a concatenated sparse array, dropped by compaction anyway


def _concat_items(source: Any) -> list[Any]:
    """What `[x].concat(source)` appends: an array's elements (holes kept), else itself."""
    if isinstance(source, _Sparse):
        length = max(source) + 1 if source else 0
        return [source.get(index, _HOLE) for index in range(length)]
    return [source]


def _source_items(source: Any) -> list[tuple[str, Any]]:
    """`Object.keys(source)` with the values, keys as strings in JavaScript's order."""
    if isinstance(source, _Sparse):
        return [(str(index), item) for index, item in sorted(source.items())]
    return [(key, source[key]) for key in _js_order(source)]


def _compact(value: Any) -> Any:
    """qs's compact: arrays lose their holes; objects get JavaScript's key order."""
    if isinstance(value, _Sparse):
        return [_compact(item) for _, item in sorted(value.items())]
    if isinstance(value, dict):
        return {key: _compact(value[key]) for key in _js_order(value)}
    return value


def _js_order(keys: Iterable[str]) -> list[str]:
    """Keys in the order JavaScript enumerates an object's: array indexes ascending first."""
    listed = list(keys)
    indexes = sorted(
        (key for key in listed if _INDEX.fullmatch(key) and int(key) <= _JS_INDEX_MAX), key=int
    )
    chosen = set(indexes)
    return indexes + [key for key in listed if key not in chosen]
