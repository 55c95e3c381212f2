"""Nested tuples, lists and dicts of arrays (pytrees): flatten to leaves and
rebuild, so that every transformation works on a flat list of arrays."""


CONTAINERS = (tuple, list, dict)


def flatten(tree):
    """(leaves, rebuild) where rebuild(new_leaves) mirrors the structure."""
    if isinstance(tree, (tuple, list)):
        kind = type(tree)
        if not any(isinstance(item, CONTAINERS) for item in tree):   # flat: the common case
            return list(tree), lambda leaves: kind(leaves)
        parts = [flatten(item) for item in tree]
        return _join(parts, lambda rebuilt: kind(rebuilt))
    if isinstance(tree, dict):
        keys = list(tree)
        parts = [flatten(tree[k]) for k in keys]
        return _join(parts, lambda rebuilt: dict(zip(keys, rebuilt)))
    return [tree], lambda leaves: leaves[0]


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

