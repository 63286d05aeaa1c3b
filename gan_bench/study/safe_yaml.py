"""YAML as study files need it: safe, without duplicate keys, and of bounded size.

PyYAML's SafeLoader builds plain data only, but it silently keeps the last of two equal
keys (a repeated factor or `name` is then lost without a word), and it expands aliases by
reference: a few lines of nested anchors ("billion laughs") make a document that is tiny in
memory but whose every walk (the schema, the finiteness check, yaml.dump) never ends. This
loader refuses both before anything is built, naming the key and its line.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from gan_bench.errors import BadInput

# A study file is a few hundred nodes (the largest built-in one: ~200); a walk over this
# many takes milliseconds, and anchors that expand past it are no study.
MAX_NODES = 100_000
MAX_BYTES = 1 << 20  # 1 MiB: a study file is a few KB; /dev/zero or a log is not one
MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlProblem(BadInput):
    """The document is valid YAML but not an acceptable study: `key` names where."""

    def __init__(self, key: str, message: str):
        self.key = key
        self.message = message
        super().__init__(f"{key}: {message}")


def _key_text(parts: list[str | int]) -> str:
    key = ""
    for part in parts:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key or "study"


class _Walk:
    """One pass over the composed node graph: each distinct node is visited once (aliases
    share nodes), counting the nodes the document expands to and checking mapping keys."""

    def __init__(self, loader: yaml.SafeLoader):
        self.loader = loader
        self.sizes: dict[int, int] = {}
        self.open: set[int] = set()

    def size(self, node: Node, parts: list[str | int]) -> int:
        known = self.sizes.get(id(node))
        if known is not None:
            return known
        line = node.start_mark.line + 1
        if id(node) in self.open:
            message = f"an alias (line {line}) refers to a node that contains it"
            raise YamlProblem(_key_text(parts), message + "; a study is plain data")
        self.open.add(id(node))
        total = 1
        if isinstance(node, SequenceNode):
            total += sum(self.size(child, [*parts, i]) for i, child in enumerate(node.value))
        elif isinstance(node, MappingNode):
            self._check_keys(node, parts)
            for key_node, value_node in node.value:
                name = str(key_node.value) if isinstance(key_node, ScalarNode) else "?"
                total += self.size(key_node, parts) + self.size(value_node, [*parts, name])
        self.open.discard(id(node))
        if total > MAX_NODES:
            raise YamlProblem(
                _key_text(parts),
                f"the document expands to over {MAX_NODES:,} nodes through its aliases "
                f"(*name, from line {line}); a study file has a few hundred",
            )
        self.sizes[id(node)] = total
        return total

    def _check_keys(self, node: MappingNode, parts: list[str | int]) -> None:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == MERGE_TAG:
                continue  # `<<: *base` may be overridden on purpose; others: constructor's
            key = self.loader.construct_object(key_node)
            line = key_node.start_mark.line + 1
            try:
                first = seen.get(key)
                seen.setdefault(key, line)
            except TypeError:  # unhashable: the constructor refuses it with its own message
                continue
            if first is not None:
                raise YamlProblem(
                    _key_text([*parts, str(key)]),
                    f"duplicate key on lines {first} and {line}; YAML would keep only the last",
                )


class StudyLoader(yaml.SafeLoader):
    """SafeLoader that checks the composed document (size, duplicate keys) before building."""

    def construct_document(self, node: Node) -> Any:
        _Walk(self).size(node, [])
        return super().construct_document(node)


def load_text(text: str) -> Any:
    """The data of one YAML document; yaml.YAMLError or YamlProblem when it is not one."""
    loader = StudyLoader(text)
    try:
        return loader.get_single_data()
    except RecursionError:
        raise YamlProblem("study", "nested too deeply to be a study") from None
    finally:
        loader.dispose()
