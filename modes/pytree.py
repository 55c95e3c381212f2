"""Nested tuples, lists and dicts of arrays (pytrees): flatten to leaves and
rebuild, so that every transformation works on a flat list of arrays."""


CONTAINERS = (tuple, list, dict)


def flatten(tree):
    """(leaves, rebuild) where rebuild(new_leaves) mirrors the structure."""
    if isinstance(tree, (tuple, list)):
        kind = type(tree)
        if _flat(tree):     # the common case
            return list(tree), lambda leaves: kind(leaves)
        parts = [flatten(item) for item in tree]
        return _join(parts, lambda rebuilt: kind(rebuilt))
    if isinstance(tree, dict):
        keys = list(tree)
        if _flat(tree.values()):
            return list(tree.values()), lambda leaves: dict(zip(keys, leaves))
        parts = [flatten(tree[k]) for k in keys]
        return _join(parts, lambda rebuilt: dict(zip(keys, rebuilt)))
    if tree is None:      # an empty subtree, as in JAX: no leaves, rebuilt as None
        return [], lambda leaves: None
    return [tree], lambda leaves: leaves[0]


def _flat(items):
    """No subtree among the items: a tuple or dict of arrays, the common case."""
    for item in items:
        if item is None or isinstance(item, CONTAINERS):
            return False
    return True


def _join(parts, make):
    leaves = [leaf for part_leaves, _ in parts for leaf in part_leaves]
    counts = [len(part_leaves) for part_leaves, _ in parts]

    def rebuild(new_leaves):
        rebuilt, start = [], 0
        for (_, rebuild_part), count in zip(parts, counts):
            rebuilt.append(rebuild_part(new_leaves[start:start + count]))
            start += count
        return make(rebuilt)
    return leaves, rebuild



def flatten_like(tree, template, what="the tangent", like="the primal"):
    """The leaves of `tree` in the order of flatten(template): dict entries
    matched by key, not by position (a tangent written {"b": .., "a": ..}
    for a primal {"a": .., "b": ..} must not swap them). A structure that
    differs is a TypeError naming where; tuples and lists are
    interchangeable, leaves are not checked here."""
    leaves = []

    def mismatch(node, model, path):
        return TypeError(f"{what} must mirror the structure of {like}: at {path or 'the top'}, "
                         f"{_describe(model)} in {like} but {_describe(node)} in {what}")

    def walk(node, model, path):
        if isinstance(model, dict):
            if not isinstance(node, dict) or set(node) != set(model):
                raise mismatch(node, model, path)
            for key in model:
                walk(node[key], model[key], f"{path}[{key!r}]")
        elif isinstance(model, (tuple, list)):
            if not isinstance(node, (tuple, list)) or len(node) != len(model):
                raise mismatch(node, model, path)
            for k, (item, item_model) in enumerate(zip(node, model)):
                walk(item, item_model, f"{path}[{k}]")
        elif model is None:
            if node is not None:
                raise mismatch(node, model, path)
        elif isinstance(node, CONTAINERS) or node is None:
            raise mismatch(node, model, path)
        else:
            leaves.append(node)

    walk(tree, template, "")
    return leaves


def _describe(node):
    if node is None:
        return "None"
    if isinstance(node, dict):
        return f"a dict with keys {', '.join(sorted(map(repr, node)))}"
    if isinstance(node, (tuple, list)):
        return f"a sequence of {len(node)}"
    return "an array"
