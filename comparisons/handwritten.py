"""Checks of gradients a person wrote by hand.

    check_gradient(f, grad_f, *args)             a scalar f and its gradient function
    check_value_and_grad(f, *args, argnums=0)    f returning (value, gradient), CS231n's
                                                 svm_loss_vectorized -> (loss, dW)
    check_model(model, X, y)                     model.params + model.loss(X, y) -> (loss, grads)
    check_backward(forward, backward, *inputs)   a CS231n layer: forward -> (out1, ..., outk,
                                                 cache), backward(dout1, ..., doutk, cache)

Each pulls one cotangent back through the hand-written code and through the
references: our reverse engine and JAX (on the replay of the user's code)
when fwdrev can trace it, and finite differences always, element by element
within a time budget and along random directions beyond it, with the
chance of a miss stated (comparisons.derivatives). The tolerances are those
of comparisons.check. User state the checked code writes into (a bn_param
dict, a model's attributes) is given back as it was (comparisons.user_state).
"""

from __future__ import annotations

import numpy as np

from modes.pytree import flatten, flatten_like

from . import jax_bridge
from .check import (FD_SAFETY, _compared_something, _coverage_notes, _element_coverage, _exact_rows,
                    _kink_hints, _kink_notes, _names, _require, _rounding_floors, _rows, _settings,
                    _undefined_notes, _with_floor, exact_tolerance, primal_scale)
from .derivatives import (DIRECTIONS, Function, References, inner_vjp, parameter_names, random_like,
                          reverse_samples, signature_or_none)
from .result import CheckResult, Comparison, FDCoverage
from .user_state import places_of, preserved


def check_gradient(f, grad_f, *args, argnums=None, against=("jax", "fd"), jax_twin=None, seed=0,
                   rtol=None, fd_method="central", fd_budget=None):
    """Check a hand-written gradient: `grad_f(*args)` against the gradient
    of the scalar `f(*args)` by JAX (f replayed, or `jax_twin`) and finite
    differences ("reverse" adds our reverse engine). `grad_f` returns one
    gradient per differentiated argument (every argument with a float leaf,
    or `argnums`), a bare array when there is one, mirroring pytrees."""
    fun = Function(f, args, argnums)
    if len(fun.out) != 1 or fun.out[0].shape != ():
        raise ValueError(f"check_gradient needs a scalar-valued f; {fun.name} returned shapes "
                         f"{[o.shape for o in fun.out]}. Use check_backward for a VJP.")
    hand = _hand_written_leaves(grad_f(*args), fun, argnums, "grad_f")
    return _check_vjp(fun, [1.0], hand, against, f"check_gradient({fun.name})", "hand-written gradient",
                      jax_twin, seed, rtol, fd_method, shared="the terms every gradient uses, e.g. a "
                      "common factor or the loss's normalisation", fd_budget=fd_budget)


class _First(int):
    """The default argnums, 0, told apart from an explicit 0: by default the
    gradient's structure says which argument it belongs to."""


FIRST = _First(0)


def check_value_and_grad(f, *args, argnums=FIRST, against=("reverse", "jax", "fd"), seed=0, rtol=None,
                         fd_method="central", fd_budget=None):
    """Check f returning (value, gradient) in one call, as CS231n's losses
    do: `svm_loss_vectorized(W, X, y, reg) -> (loss, dW)`, a model's
    `loss(X, y) -> (loss, grads)`. The value is differentiated (f runs with
    the references' inputs; its gradient part is then ignored) and compared
    with the gradient f returned at args.

    Which arguments the gradient belongs to follows its structure: a dict
    matches a dict argument by key (a model's params; keys it lacks stay
    constant), or else f's parameters by name; one array matches the first
    floating-point argument of its shape (W, not X or reg); a tuple matches
    the floating-point arguments in order, each the next of its shape. An
    explicit `argnums` says it instead, as in check_gradient."""
    name = getattr(f, "__name__", "f")
    title = f"check_value_and_grad({name})"
    with preserved(title, places_of(f)):
        return _check_value_and_grad(f, args, argnums, title, against, seed, rtol, fd_method, fd_budget)


def check_model(model, X, y, against=("reverse", "jax", "fd"), seed=0, rtol=None, fd_method="central",
                fd_budget=None):
    """Check a CS231n-style model in one call: `model.params` a dict of
    arrays, `model.loss(X, y) -> (loss, grads)` with grads keyed like params.
    model.loss is differentiated with the references' params swapped in for
    model.params, and compared with the grads it returns; model.params (the
    same dict, the same arrays) and the model's other state (bn_params,
    caches) are as they were afterwards."""
    kind = type(model).__name__
    params = getattr(model, "params", None)
    if not isinstance(params, dict) or not callable(getattr(model, "loss", None)):
        raise TypeError(f"check_model needs a model with a .params dict and a .loss(X, y) method returning "
                        f"(loss, grads); {kind} has " + ("no .params dict" if not isinstance(params, dict)
                                                         else "no .loss method"))
    title = f"check_model({kind})"

    def loss(params):
        saved, model.params = model.params, params
        try:
            return model.loss(X, y)
        finally:
            model.params = saved
    loss.__name__ = f"{kind}.loss"
    with preserved(title, {"model": model, **places_of(model.loss)}):
        return _check_value_and_grad(loss, (params,), 0, title, against, seed, rtol, fd_method, fd_budget)


def _check_value_and_grad(f, args, argnums, title, against, seed, rtol, fd_method, fd_budget):
    name = getattr(f, "__name__", "f")
    args = _copied(args)
    result = f(*_copied(args))
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise ValueError(f"{title} needs f to return (value, gradient); {name} returned "
                         + (f"{len(result)} values" if isinstance(result, (tuple, list))
                            else f"a {type(result).__name__}") + ". For f returning the value only, use "
                         "check_gradient(f, grad_f, *args)")
    value, gradient = result
    if np.ndim(value) != 0:
        raise ValueError(f"{title}: the value {name} returned has shape {np.shape(value)}; it must be a "
                         "scalar (a loss)")
    if argnums is not FIRST:
        body, arguments, positions = f, args, argnums
    else:
        body, arguments, positions, gradient = _match_gradient(f, args, gradient, name)

    def value_of(*a):
        return body(*_copied(a))[0]
    value_of.__signature__ = signature_or_none(f)
    value_of.__name__ = name
    fun = Function(value_of, arguments, positions)
    hand = _hand_written_leaves(gradient, fun, positions, f"{name}'s gradient")
    return _check_vjp(fun, [1.0], hand, against, title, "hand-written gradient", None, seed, rtol, fd_method,
                      shared="the terms every gradient uses, e.g. the loss's normalisation or reg",
                      fd_budget=fd_budget)


def _match_gradient(f, args, gradient, name):
    """(f, args, argnums, gradient) with the gradient matched to arguments
    by its structure (check_value_and_grad's docstring). A dict matching
    only some keys of a dict argument: that argument becomes the matched
    entries, the others fixed at their values."""
    floats = _float_inputs(args)
    if isinstance(gradient, dict):
        for p, arg in enumerate(args):
            if isinstance(arg, dict) and gradient and set(gradient) <= set(arg):
                if set(gradient) == set(arg):
                    return f, args, p, gradient
                fixed = {k: v for k, v in arg.items() if k not in gradient}

                def merged(*a, p=p, fixed=fixed):
                    return f(*a[:p], {**fixed, **a[p]}, *a[p + 1:])
                merged.__signature__ = signature_or_none(f)
                sub = {k: arg[k] for k in arg if k in gradient}
                return merged, args[:p] + (sub,) + args[p + 1:], p, gradient
        names = parameter_names(f, len(args))
        if set(gradient) <= set(names):
            positions = tuple(sorted(names.index(k) for k in gradient))
            return f, args, positions, tuple(gradient[names[p]] for p in positions)
        raise ValueError(f"{name} returned gradients for {sorted(gradient)}, which match neither the keys of a "
                         f"dict argument nor {name}'s parameters {names}; pass argnums= to say which "
                         "arguments they belong to")
    grads = list(gradient) if isinstance(gradient, (tuple, list)) else [gradient]
    positions, used = [], set()
    for g in grads:
        fits = [p for p in floats if p not in used and np.shape(args[p]) == np.shape(g)]
        if not fits:
            shapes = {parameter_names(f, len(args))[p]: np.shape(args[p]) for p in floats}
            raise ValueError(f"{name} returned a gradient of shape {np.shape(g)}, but no floating-point "
                             f"argument left has that shape ({shapes}); a gradient has its argument's shape. "
                             "Pass argnums= to say which arguments the gradients belong to")
        positions.append(fits[0])
        used.add(fits[0])
    if isinstance(gradient, (tuple, list)):
        order = np.argsort(positions)
        return f, args, tuple(positions[i] for i in order), tuple(grads[i] for i in order)
    return f, args, positions[0], gradient


def check_backward(forward_fn, backward_fn, *inputs, outputs=None, against=("reverse", "jax", "fd"), seed=0,
                   rtol=None, fd_method="central", fd_budget=None):
    """Check a CS231n-style layer: `forward_fn(*inputs) -> (out, cache)`,
    `backward_fn(dout, cache) -> (dx, dw, ...)` one gradient per input
    (None, or nothing at the end, for inputs that are not differentiated;
    or one per floating-point input, skipping integer and dict inputs).

    A layer with k outputs, `forward_fn(*inputs) -> (out1, ..., outk,
    cache)` with `backward_fn(dout1, ..., doutk, cache)` (an LSTM step:
    next_h, next_c), is recognised from the backward's signature (k + 1
    arguments without defaults) and the length of the forward's result;
    `outputs=k` states it. Random upstream gradients, one per output, are
    pulled back by the hand-written backward and by our reverse engine, JAX
    (both whenever fwdrev can trace the forward) and finite differences.
    State the layer writes into (a bn_param dict it closes over) is
    restored afterwards (comparisons.user_state)."""
    title = f"check_backward({getattr(forward_fn, '__name__', 'forward')})"
    with preserved(title, places_of(forward_fn, backward_fn)):
        return _check_backward(forward_fn, backward_fn, inputs, outputs, against, seed, rtol, fd_method,
                               fd_budget, title)


def _check_backward(forward_fn, backward_fn, inputs, outputs, against, seed, rtol, fd_method, fd_budget,
                    title):
    rng = np.random.default_rng(seed)
    name = getattr(forward_fn, "__name__", "forward")
    backward_name = getattr(backward_fn, "__name__", "backward")
    # Layers write into what they are given (`out = x; out[x < 0] = 0`, `dout *= s * (1 - s)`):
    # each call gets copies, so every reference sees the inputs and dout the user passed.
    inputs = _copied(inputs)
    result = forward_fn(*_copied(inputs))
    k = _output_count(result, backward_fn, outputs, name, backward_name)
    outs, cache = tuple(result[:k]), result[k]
    douts = [_random_tree(rng, out) for out in outs]
    grads = backward_fn(*_copied(douts), cache)
    if grads is None or isinstance(grads, dict):
        raise ValueError(f"{backward_name} returned {'None' if grads is None else 'a dict'}; a backward "
                         "returns its gradients in the order of forward's inputs: `return dx, dw, db` "
                         "(None for an input that is not differentiated)")
    grads = list(grads) if isinstance(grads, (tuple, list)) else [grads]
    slots = _gradient_slots(grads, inputs, backward_name)
    positions = tuple(i for i, g in zip(slots, grads) if g is not None)
    if not positions:
        raise ValueError(f"{backward_name} returned no gradient (only None): nothing to check")

    def layer(*xs):
        values = forward_fn(*_copied(xs))
        return values[0] if k == 1 else tuple(values[:k])
    layer.__signature__ = signature_or_none(forward_fn)
    layer.__name__ = name
    fun = Function(layer, inputs, positions, strict=False)
    hand = _hand_written_leaves(tuple(g for g in grads if g is not None), fun, positions, "backward",
                                per_argument=True)
    cotangent = [d for d, keep in zip(flatten(douts[0] if k == 1 else tuple(douts))[0], fun.keep) if keep]
    names = parameter_names(forward_fn, len(inputs))
    unchecked = [names[i] for i in _float_inputs(inputs) if i not in positions]
    notes = [f"{backward_name} returned no gradient for {', '.join(unchecked)}: not checked"] if unchecked else []
    upstream = parameter_names(backward_fn, k)
    shared = ("the upstream gradient " if k == 1 else "the upstream gradients ") + ", ".join(upstream)
    return _check_vjp(fun, cotangent, hand, against, title, "hand-written backward", None, seed, rtol,
                      fd_method, shared=f"{shared}, the cache", notes=notes, fd_budget=fd_budget)


def _output_count(result, backward_fn, outputs, name, backward_name):
    """k for a forward returning (out1, ..., outk, cache): `outputs` if
    given, else the backward's arguments without defaults minus the cache,
    else (a backward taking *args) the forward's result minus the cache."""
    expected = ("check_backward needs a forward that returns (out, cache), or (out1, ..., outk, cache) "
                "for a backward(dout1, ..., doutk, cache)")
    if not (isinstance(result, (tuple, list)) and len(result) >= 2):
        got = (f"a {type(result).__name__} of length {len(result)}" if isinstance(result, (tuple, list))
               else f"a {type(result).__name__}")
        raise ValueError(f"{expected}; {name} returned {got}. Return the cache the backward needs too, "
                         "e.g. `return out, (x, w)`")
    takes = _required_arguments(backward_fn)
    k = outputs if outputs is not None else (len(result) - 1 if takes is None else takes - 1)
    if k < 1 or len(result) != k + 1:
        why = (f"outputs={outputs}" if outputs is not None else
               f"{backward_name} takes {takes} argument(s): {max(takes - 1, 0)} upstream gradient(s) and the cache")
        raise ValueError(f"{expected}; {name} returned {len(result)} values but {why}. Pass outputs=k "
                         "to say how many of the forward's values are outputs")
    return k


def _required_arguments(f):
    """How many positional arguments f requires (None: it takes *args, or
    its signature is unknown)."""
    signature = signature_or_none(f)
    if signature is None:
        return None
    count = 0
    for p in signature.parameters.values():
        if p.kind == p.VAR_POSITIONAL:
            return None
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty:
            count += 1
    return count


def _random_tree(rng, tree):
    """A standard normal tree shaped like `tree` (an upstream gradient)."""
    leaves, rebuild = flatten(tree)
    return rebuild(random_like(rng, leaves))


def _float_inputs(inputs):
    """Positions of the inputs a layer's backward can return a gradient for:
    floating-point arrays and numbers (integer labels, indices and dict
    parameters such as bn_param are never differentiated arguments)."""
    return [i for i, x in enumerate(inputs)
            if not isinstance(x, (dict, list, tuple)) and x is not None and jax_bridge.is_float_leaf(x)]


def _gradient_slots(grads, inputs, backward_name):
    """The input each returned gradient belongs to: in the order of the
    inputs, or, when the backward returns exactly one per floating-point
    input and fewer than there are inputs, in the order of those
    (word_embedding_backward's dW for forward(x, W) with integer x)."""
    if len(grads) > len(inputs):
        raise ValueError(f"{backward_name} returned {len(grads)} gradients for {len(inputs)} inputs")
    floats = _float_inputs(inputs)
    if len(grads) < len(inputs) and len(grads) == len(floats):
        return floats
    return list(range(len(grads)))


def _copied(tree):
    """The tree with every NumPy array copied (traced values pass as they are)."""
    leaves, rebuild = flatten(tree)
    return rebuild([np.array(v) if isinstance(v, np.ndarray) else v for v in leaves])


def _hand_written_leaves(grads, fun, positions, who, per_argument=False):
    """The hand-written gradients as a list aligned with fun.x, shapes checked.

    One gradient per differentiated argument (`positions`; None: every
    argument with a float leaf). With one differentiated argument (an int
    argnums, or None and one such argument), grads IS its gradient, mirroring
    it (like jax.grad with an int argnums): a bare array for an array, a
    tuple for a tuple argument; a 1-tuple holding an array's gradient is
    accepted too. With an explicit argnums sequence of one, a 1-sequence
    holding the gradient is read per argument. `per_argument`: grads is
    always one entry per position (check_backward)."""
    explicit = positions is not None and not isinstance(positions, int)
    if positions is None:
        positions = [i for i, a in enumerate(fun.args)
                     if any(jax_bridge.is_float_leaf(v) for v in flatten(a)[0])]
    positions = (positions,) if isinstance(positions, int) else tuple(positions)
    chosen = [fun.args[i] for i in positions]
    sequence = (tuple, list)
    if len(chosen) == 1 and not per_argument:
        one_sequence = isinstance(grads, sequence) and len(grads) == 1
        if isinstance(chosen[0], sequence):
            per_entry = explicit and one_sequence and len(chosen[0]) != 1
            grads = grads if per_entry else (grads,)
        else:
            grads = grads if one_sequence else (grads,)
    if not isinstance(grads, sequence) or len(grads) != len(chosen):
        count = len(grads) if isinstance(grads, sequence) else 1
        raise ValueError(f"{who} returned {count} gradient(s) for {len(chosen)} differentiated "
                         "arguments; pass argnums= to say which arguments they belong to")
    leaves = []
    for arg, g in zip(chosen, grads):
        for leaf, value in zip(flatten(arg)[0], flatten_like(g, arg, f"{who}'s gradient", "its argument")):
            if jax_bridge.is_float_leaf(leaf):
                leaves.append(value)
    for i, (name, x, g) in enumerate(zip(fun.names, fun.x, leaves)):
        if g is None or np.shape(g) != np.shape(x):
            raise ValueError(f"{who} returned a gradient of shape {None if g is None else np.shape(g)} "
                             f"for {name} of shape {np.shape(x)}: a gradient has its input's shape"
                             + _shape_hint(i, fun, leaves))
    return [np.asarray(g) for g in leaves]


def _shape_hint(i, fun, leaves):
    """Why gradient i has the wrong shape, where the evidence says: swapped
    with exactly one other (each has the other's input's shape), or the
    right elements in another shape. Nothing where it is only a guess (another
    input merely has the shape given)."""
    shapes = [np.shape(x) for x in fun.x]
    given = [None if g is None else np.shape(g) for g in leaves]
    swapped = [j for j in range(len(shapes))
               if j != i and given[i] == shapes[j] and given[j] == shapes[i]]
    if len(swapped) == 1:
        j = swapped[0]
        return (f" (and the one returned for {fun.names[j]} has the shape of {fun.names[i]}: are they in the "
                "order of the inputs?)")
    if given[i] is not None and int(np.prod(given[i])) == int(np.size(fun.x[i])):
        return (f" (its {int(np.size(fun.x[i]))} elements in another shape: reshape it to {shapes[i]}, or sum "
                "without keepdims=True)")
    return ""


def _check_vjp(fun, cotangent, hand, against, title, check, jax_twin, seed, rtol, fd_method,
               shared="the terms every gradient uses", notes=(), fd_budget=None):
    """A hand-written VJP of one cotangent against the references. Our
    reverse engine, when it can trace the user's code, is a reference and
    gives the typical magnitudes that scale the tolerances. Finite
    differences run element by element within `fd_budget` seconds, along
    random directions beyond it (comparisons.derivatives)."""
    against = _names(against)
    _require(against, ("reverse", "jax", "fd"), "reference")
    rtol = _settings(fun.dtype, rtol)
    rng = np.random.default_rng(seed)
    refs = References(fun, fd_method, rng, jax_twin, fd_budget)
    try:
        ours, typical = reverse_samples(fun, [cotangent], rng)
    except Exception as exc:    # user code may do what our engine cannot trace (x.copy(), x[i] = v)
        refs.notes.append(f"fwdrev cannot trace {fun.name} ({type(exc).__name__}: {exc}); compared with "
                          + ("finite differences and the JAX twin only" if jax_twin is not None
                             else "finite differences only"))
        refs.without_replay()
        ours, typical = None, hand
    typical = _with_floor(typical, primal_scale(fun))
    by_elements = "fd" in against and refs.by_elements()
    fd = refs.fd(inner_vjp(fun, []), cotangent=cotangent)[1] if by_elements else None
    typical, fd, per_element, noise = _rounding_floors(fun, cotangent, typical, fd, fd_method)
    rows = []
    if "reverse" in against and ours is not None:
        rows += _exact_rows(1, check, "reverse", fun.names, hand, ours, typical, rtol, per_element)
    rows += _rows(1, check, fun.names, hand, typical, [a for a in against if a != "reverse"], rtol,
                  lambda: refs.jax_vjp([cotangent]), fd, per_element=per_element)
    coverage = None
    if "fd" in against and not by_elements:
        direction_rows, coverage = _direction_rows(refs, fun, cotangent, hand, typical, rtol, check, noise)
        rows += direction_rows
    elif "fd" in against:
        coverage = _element_coverage(rows, fun)
    _compared_something(rows, refs.notes)
    return CheckResult(title, rows, fun.dtype,
                       notes=(list(notes) + refs.notes + _coverage_notes(coverage, refs) + _kink_notes(rows)
                              + _undefined_notes(rows)),
                       hints=_hand_written_hints(rows, shared) + _kink_hints(rows), fd_coverage=coverage)


# ---------------------------------------------------------------------------
# Finite differences along random directions, and what they covered

def _direction_rows(refs, fun, cotangent, hand, typical, rtol, check, noise):
    """<g, v> of the hand-written VJP g against the finite difference slope
    along DIRECTIONS random +-1 directions v (one row, one element per
    direction), and, where one fails, the element bisection leads to,
    compared by itself (a second row). Returns (rows, FDCoverage)."""
    inner = inner_vjp(fun, [])
    g = fun.ravel(hand).astype(np.float64)
    size = np.abs(fun.ravel(typical).astype(np.float64))

    def compare(v):
        """(ours, finite differences, tolerance, kink) along a flat direction v."""
        slope, error, kink, step = refs.fd_slope(inner, cotangent, v)
        error = max(error, 2 * noise / step)
        ours = float(g @ v)
        return ours, slope, float(FD_SAFETY * error + exact_tolerance(rtol, ours, slope, size @ np.abs(v))), kink

    directions = refs.random_signs(DIRECTIONS)
    ours, slopes, tolerances, kinks = (np.array(column) for column in zip(*map(compare, directions)))
    defined = ~np.isnan(slopes) | np.isnan(ours)
    row = Comparison(1, check, "fd", "direction", ours, slopes, tolerances, kinks=kinks,
                     compared=None if defined.all() else defined)
    row.directions = len(directions)
    rows = [row]
    if not row.passed:
        located = _bisect(compare, directions[row.worst.index[0]], fun)
        if located is not None:
            rows.append(located)
    n = g.size
    uncovered = {} if defined.any() else {"every element": "f is NaN within a step along every direction"}
    threshold = float(np.max(tolerances[defined], initial=0.0))
    compared = int(np.sum(defined))
    return rows, FDCoverage("directions", compared, n, uncovered,
                            miss_probability=0.5 ** compared if compared else 1.0, threshold=threshold,
                            kinks=int(np.sum(kinks & defined)))


def _bisect(compare, direction, fun):
    """Follow a failing direction to one element: compare it restricted to
    the first half of its elements, keep the half that fails (the second if
    the first passes), until one element is left; compare that element
    alone. A Comparison row for it when it fails, else None (errors in
    several elements that cancel in some half)."""
    n = direction.size
    candidates = np.arange(n)
    while candidates.size > 1:
        half = candidates[:candidates.size // 2]
        restricted = np.zeros(n)
        restricted[half] = direction[half]
        ours, slope, tolerance, _ = compare(restricted)
        candidates = half if not abs(ours - slope) <= tolerance else candidates[candidates.size // 2:]
    k = int(candidates[0])
    element = np.zeros(n)
    element[k] = 1.0
    ours, slope, tolerance, kink = compare(element)
    if abs(ours - slope) <= tolerance:
        return None
    leaf = int(np.searchsorted(np.cumsum([np.size(x) for x in fun.x]), k, side="right"))
    start = k - sum(int(np.size(x)) for x in fun.x[:leaf])
    shape = np.shape(fun.x[leaf])
    mask = np.zeros(int(np.size(fun.x[leaf])), bool)
    mask[start] = True
    value, reference = np.zeros(mask.size), np.full(mask.size, np.nan)
    value[start], reference[start] = ours, slope
    row = Comparison(1, BISECTED, "fd", fun.names[leaf], value.reshape(shape),
                     reference.reshape(shape), tolerance, kinks=(mask & kink).reshape(shape),
                     compared=mask.reshape(shape))
    return row


def _hand_written_hints(rows, shared):
    """What a pattern of failures says about a hand-written gradient."""
    failed = [r for r in rows if not r.passed]
    if not failed:
        return []
    if all(r.against == "reverse" for r in failed) and any(r.against != "reverse" for r in rows):
        return ["JAX and finite differences agree with the hand-written code but fwdrev's reverse "
                "engine does not: that is a bug in fwdrev, please report it"]
    hints = _direction_hints(rows)
    by_argument = [r for r in rows if r.argument != "direction" and r.check != BISECTED]
    arguments = list(dict.fromkeys(r.argument for r in by_argument))
    wrong = [a for a in arguments if all(not r.passed for r in by_argument if r.argument == a)]
    if not wrong:       # the references disagree among themselves: the table says which
        return hints
    if len(wrong) == 1:
        worst = max((r for r in by_argument if r.argument == wrong[0]), key=lambda r: r.score).worst
        others = " while the others agree" if len(arguments) > 1 else ""
        return hints + [f"the gradient for {wrong[0]} disagrees with every reference{others}, worst at "
                        f"{worst.where} ({worst.value:.6g} instead of {worst.reference:.6g}): the "
                        f"hand-written code for it is wrong"]
    if len(wrong) == len(arguments):
        return hints + [f"every gradient disagrees with every reference: check what they share ({shared})"]
    return hints + [f"the gradients for {', '.join(wrong)} disagree with every reference while the others "
                    "agree: the hand-written code for them is wrong"]


BISECTED = "element found by bisection"


def _direction_hints(rows):
    """A failure along random directions: where bisection led, if anywhere."""
    if not any(not r.passed for r in rows if r.argument == "direction"):
        return []
    found = [r for r in rows if r.check == BISECTED]
    if found:
        w = found[0].worst
        return [f"finite differences along random directions disagree with the hand-written gradient, and "
                f"bisection of a failing direction leads to {w.where}: {w.value:.6g} there, but finite "
                f"differences give {w.reference:.6g}. Other elements may be wrong too: a larger fd_budget= "
                "compares every element"]
    return ["finite differences along random directions disagree with the hand-written gradient, but no "
            "single element explains it (errors in several elements): a larger fd_budget= compares every "
            "element"]
