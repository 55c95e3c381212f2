"""`fwdrev draw`: a traced function drawn as a circuit, as in the CS231n notes.

The notes explain backpropagation with circuit diagrams: every gate is a node,
every intermediate value travels on a wire, the forward value is written above
the wire in green and the gradient below it in red. This module produces those
pictures from real code instead of by hand:

1. `reverse.trace` records the function as a tape (one record per op).
2. `circuit()` turns the records into nodes (inputs, gates, the output) and
   wires, and attaches to every wire its forward value and its derivative:
   in reverse mode the cotangent d f / d wire (what flows back), in forward
   mode the tangent along a chosen input direction (what flows forward).
3. `Circuit.to_dot()` writes Graphviz text; `Circuit.draw(path)` renders a PNG
   or SVG with matplotlib alone (no system Graphviz needed), in a layered
   layout: a node's column is the longest path to it from the inputs.

`main(argv)` is the `fwdrev draw` command: with no arguments it draws the
notes' examples 1 and 2; with `file.py:function --args ...` one's own code.
"""

from __future__ import annotations

import argparse
import ast
import html
import importlib.util
import inspect
import os
import sys
from dataclasses import dataclass, field

import numpy as np

from modes import reverse
from modes.pytree import flatten
from modes.registry import jvp_of, shape_of, vjp_of

MODES = ("reverse", "forward")
FORMATS = ("png", "svg", "dot")
OUTPUT_NAME = "f"   # the notes call the circuit's output f, whatever the function's name

# ---------------------------------------------------------------------------
# The circuit: plain data, shared by the DOT writer and the matplotlib drawing


@dataclass
class Node:
    """An input, a gate, or the output terminal.

    `gradient` is the red number of the node as a whole: in reverse mode the
    cotangent d f / d node (the sum over its outgoing wires, the `+=` at a
    fork); in forward mode its tangent."""

    kind: str            # "input", "gate" or "output"
    label: str           # input name, gate symbol ("+", "*", "1/x", "exp"), or "f"
    value: object
    gradient: object
    column: int = 0      # layered layout: longest path from the inputs
    row: float = 0.0     # vertical position, in rows from the top


@dataclass
class Wire:
    """A value travelling from node `source` to node `target` (indices into
    `Circuit.nodes`). `gradient` is d f / d wire in reverse mode (this wire's
    share only, when the source fans out) and the tangent in forward mode."""

    source: int
    target: int
    value: object
    gradient: object
    waypoints: list = field(default_factory=list)   # layout: its row in each column it crosses


@dataclass
class Circuit:
    nodes: list[Node]
    wires: list[Wire]
    mode: str
    title: str
    legend: str          # what the green and red numbers mean, for this mode

    def node(self, label):
        """The first node with this label (inputs have unique labels)."""
        for node in self.nodes:
            if node.label == label:
                return node
        raise KeyError(f"no node labelled {label!r}; labels: {[n.label for n in self.nodes]}")

    def fan_out(self, index):
        return sum(1 for wire in self.wires if wire.source == index)

    def to_dot(self) -> str:
        return _to_dot(self)

    def draw(self, path) -> str:
        """Write the diagram to `path`, PNG or SVG chosen by its extension;
        return the path."""
        extension = os.path.splitext(str(path))[1].lower().lstrip(".")
        if extension not in ("png", "svg"):
            raise ValueError(f"cannot draw {path!r}: the file name must end in .png or .svg "
                             f"(use to_dot() for Graphviz text)")
        _render(self, str(path), extension)
        return str(path)

    def _repr_svg_(self):
        """The diagram inline in Jupyter, as SVG (real, searchable text)."""
        import io
        buffer = io.BytesIO()
        _render(self, buffer, "svg")
        return buffer.getvalue().decode("utf-8")


# ---------------------------------------------------------------------------
# From a trace to a circuit


def circuit(f, *args, mode="reverse", direction=None, title=None) -> Circuit:
    """Trace f(*args) and build its circuit.

    mode="reverse": red numbers are cotangents d f / d wire (f must return a
    scalar). mode="forward": red numbers are tangents along `direction`, which
    mirrors `args` like the tangents of `jax.jvp` (default: the unit direction
    of the first input, i.e. d wire / d first input)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    if direction is not None and mode != "forward":
        raise ValueError("a direction is for mode='forward'; reverse mode starts from the output")
    trace = reverse.trace(f, *args)
    if trace.output is None:
        raise ValueError("the function's output must be a single value computed from its "
                         "inputs (it returned a constant, or several values)")
    if mode == "reverse":
        if trace.gradients is None:
            raise ValueError(f"reverse mode needs a scalar output; this one has shape "
                             f"{shape_of(trace.out)}. Use mode='forward'.")
        derivatives = trace.gradients
        legend = f"green: forward value    red: gradient d{OUTPUT_NAME}/d(wire), flowing back"
    else:
        tangents = _input_tangents(trace, direction)
        derivatives = _forward_tangents(trace, tangents)
        along = ", ".join(f"{trace.names[i]}={_number(t)}" for i, t in zip(trace.inputs, tangents))
        legend = f"green: forward value    red: tangent along ({along}), flowing forward"

    # Only what the output depends on is drawn, plus every input (an unused
    # input is worth seeing: its gradient is zero because nothing connects it).
    needed = set(trace.inputs) | _ancestors(trace.records, trace.output)
    node_of, nodes, wires = {}, [], []
    for i, record in enumerate(trace.records):
        if i not in needed:
            continue
        node_of[i] = len(nodes)
        kind, label = ("input", trace.names[i]) if record.op is None else ("gate", gate_label(record))
        if record.op is not None and record.op.name == "getitem" and record.parents[0] in trace.inputs:
            label = trace.names[record.parents[0]] + label      # w[0], as the notes' w0
        nodes.append(Node(kind, label, _plain(record.out), _plain(derivatives[i], record.out)))
        for argnum, parent in enumerate(record.parents):
            if parent >= 0:   # constants are folded into the gate's label instead
                source = nodes[node_of[parent]]
                derivative = _wire_derivative(trace, mode, derivatives, i, argnum)
                wires.append(Wire(node_of[parent], node_of[i], source.value,
                                  _plain(derivative, source.value)))
    # The output terminal: the last wire carries f and the seed (reverse: 1).
    last = nodes[node_of[trace.output]]
    nodes.append(Node("output", OUTPUT_NAME, last.value, last.gradient))
    wires.append(Wire(node_of[trace.output], len(nodes) - 1, last.value, last.gradient))

    _layout(nodes, wires)
    if title is None:
        names = [trace.names[i] for i in trace.inputs]
        values = [trace.records[i].out for i in trace.inputs]
        bound = ", ".join(f"{n}={_number(v)}" for n, v in zip(names, values))
        title = f"{getattr(f, '__name__', 'f')}({bound})"
    return Circuit(nodes, wires, mode, f"{title}  [{mode} mode]", legend)


def _plain(value, like=None):
    """Scalars as Python floats (readable, JSON-friendly), arrays as arrays.
    A derivative of None (nothing flowed) becomes zeros shaped `like`, as
    reverse.grad returns for an input the output does not depend on."""
    if value is None:
        return _one_hot(like, False)
    return float(value) if not shape_of(value) else np.asarray(value)


def _ancestors(records, output):
    """Indices of the records the output depends on (itself included)."""
    seen, stack = set(), [output]
    while stack:
        i = stack.pop()
        if i not in seen:
            seen.add(i)
            stack.extend(p for p in records[i].parents if p >= 0)
    return seen


def _wire_derivative(trace, mode, derivatives, i, argnum):
    """The red number of the wire into argument `argnum` of record i.
    Forward: the tangent of its source, the same on every branch of a fork.
    Reverse: its own share of the source's cotangent, the gate's VJP for that
    argument; at a fork the shares differ and add up (the notes' `+=`), which
    the picture should show rather than the total."""
    record = trace.records[i]
    if mode == "forward":
        return derivatives[record.parents[argnum]]
    if derivatives[i] is None:
        return None
    return vjp_of(record.op, derivatives[i], argnum, record.out, record.args, record.params)


def _input_tangents(trace, direction):
    """The tangent of each input record: `direction` flattened and checked."""
    if direction is None:   # d/d(first input): a one at its first element, zeros elsewhere
        return [_one_hot(trace.records[i].out, k == 0) for k, i in enumerate(trace.inputs)]
    leaves, _ = flatten(direction)
    if len(leaves) != len(trace.inputs):
        raise ValueError(f"the direction has {len(leaves)} components but the function has "
                         f"{len(trace.inputs)} inputs; it must mirror the arguments")
    for leaf, i in zip(leaves, trace.inputs):
        if shape_of(leaf) != shape_of(trace.records[i].out):
            raise ValueError(f"the direction for {trace.names[i]} has shape {shape_of(leaf)}, "
                             f"the input has shape {shape_of(trace.records[i].out)}")
    return [float(t) if not shape_of(t) else np.asarray(t, dtype=float) for t in leaves]


def _one_hot(value, on):
    """A tangent shaped like `value`: zeros, with a one first if `on`."""
    if not shape_of(value):
        return float(on)
    tangent = np.zeros(shape_of(value))
    tangent.flat[0] = float(on)
    return tangent


def _forward_tangents(trace, input_tangents):
    """Replay the tape forward with each op's JVP rule: the tangent of every
    record, given the tangents of the inputs (None means zero)."""
    tangents = [None] * len(trace.records)
    for i, tangent in zip(trace.inputs, input_tangents):
        tangents[i] = tangent
    for i, record in enumerate(trace.records):
        if record.op is not None:
            incoming = [tangents[p] if p >= 0 else None for p in record.parents]
            if any(t is not None for t in incoming):
                tangents[i] = jvp_of(record.op, incoming, record.out, record.args, record.params)
    return tangents


# Gate symbols as the notes draw them. A constant argument is folded into the
# label ("1+x", "1/x", "x*-1"), since no gradient flows to it.
_INFIX = {"add": "+", "sub": "-", "mul": "*", "truediv": "/", "pow": "**"}
_NAMES = {"maximum": "max", "minimum": "min", "reciprocal": "1/x", "neg": "-x"}


def gate_label(record) -> str:
    """A gate's text: its symbol, or its expression when an argument is a constant;
    reading an element shows its index ("[0]": w0 of the notes is w[0])."""
    name = record.op.name
    if name == "getitem":
        return "[" + ", ".join(_index_part(i) for i in record.params["index"]) + "]"
    if all(p >= 0 for p in record.parents):
        return _INFIX.get(name, _NAMES.get(name, name))
    operands = ["x" if p >= 0 else _constant(a) for a, p in zip(record.args, record.parents)]
    if name in _INFIX and len(operands) == 2:
        return operands[0] + _INFIX[name] + operands[1]
    return f"{_NAMES.get(name, name)}({','.join(operands)})"


def _index_part(entry):
    if isinstance(entry, slice):
        text = ":".join("" if v is None else str(v) for v in (entry.start, entry.stop, entry.step))
        return text[:-1] if text.endswith(":") and entry.step is None else text
    if isinstance(entry, (int, np.integer)):
        return str(int(entry))
    return "..." if entry is Ellipsis else "idx"


def _constant(value):
    return _number(value) if not shape_of(value) else "c"


def _layout(nodes, wires):
    """Layered layout (a small Sugiyama): inputs in column 0, top to bottom in
    argument order; every other node one column right of its rightmost
    source. A wire longer than one column gets a waypoint in every column it
    crosses, so that the spacing keeps nodes off wires. Then, column by
    column, each node or waypoint goes to the mean height of its neighbours
    and the column is pushed apart and re-centred: a first sweep looks only
    left (the sources), a second one both ways, which untangles most
    crossings."""
    for node in nodes:   # execution order: sources are placed first
        node.column = 0 if node.kind == "input" else 1 + max(
            nodes[w.source].column for w in wires if nodes[w.target] is node)
    for row, node in enumerate(n for n in nodes if n.kind == "input"):
        node.row = float(row)
    for wire in wires:
        wire.waypoints = [0.0] * (nodes[wire.target].column - nodes[wire.source].column - 1)

    def row_at(wire, column):   # the wire's height in `column`
        if column == nodes[wire.source].column:
            return nodes[wire.source].row
        if column == nodes[wire.target].column:
            return nodes[wire.target].row
        return wire.waypoints[column - nodes[wire.source].column - 1]

    def wanted(thing, column, both_ways):   # mean row of a node's or waypoint's neighbours
        if isinstance(thing, Node):
            into = [w for w in wires if nodes[w.target] is thing]
            out_of = [w for w in wires if nodes[w.source] is thing] if both_ways else []
        else:
            into, out_of = [thing], [thing] if both_ways else []
        return float(np.mean([row_at(w, column - 1) for w in into] +
                             [row_at(w, column + 1) for w in out_of]))

    for both_ways in (False, True):
        for column in range(1, max(n.column for n in nodes) + 1):
            # (wanted row, half its clearance, node or wire). A node takes a whole row; a
            # wire passing a node nearly as much, since wires converging into one gate
            # have half their separation left at their labels (mid-gap).
            items = [(wanted(n, column, both_ways), 0.5, n) for n in nodes if n.column == column]
            items += [(wanted(w, column, both_ways), 0.4, w) for w in wires
                      if nodes[w.source].column < column < nodes[w.target].column]
            items.sort(key=lambda item: item[0])
            rows = [items[0][0]]
            for (_, above, _), (row, below, _) in zip(items, items[1:]):
                rows.append(max(row, rows[-1] + above + below))
            shift = float(np.mean([row for row, _, _ in items]) - np.mean(rows))
            for (_, _, thing), row in zip(items, rows):
                if isinstance(thing, Node):
                    thing.row = row + shift
                else:
                    thing.waypoints[column - nodes[thing.source].column - 1] = row + shift
    # A long wire whose straight line clears every node it passes is drawn
    # straight: kinks are only worth it to get around something.
    for wire in wires:
        a, b = nodes[wire.source], nodes[wire.target]
        line = [a.row + (b.row - a.row) * (k + 1) / (b.column - a.column)
                for k in range(len(wire.waypoints))]
        if all(abs(row - n.row) >= 0.9 for k, row in enumerate(line)
               for n in nodes if n.column == a.column + 1 + k):
            wire.waypoints = line


# ---------------------------------------------------------------------------
# Numbers as the labels show them


def _number(value) -> str:
    """Short and exact enough to compare with the notes: 3, -12, 0.393, -0.59."""
    if value is None:      # nothing flowed: a zero derivative
        return "0"
    array = np.asarray(value, dtype=float)
    if array.size > 3:
        return f"array{array.shape}"
    if array.ndim:
        return "[" + ", ".join(_number(x) for x in array.ravel()) + "]"
    x = float(array)
    if x == 0:
        return "0"      # also -0.0
    if 1e-3 <= abs(x) < 1e5:
        return f"{x:.3f}".rstrip("0").rstrip(".")
    return f"{x:.3g}"


# ---------------------------------------------------------------------------
# Graphviz text

_GREEN, _RED = "#1a7f37", "#cf222e"


def _to_dot(c: Circuit) -> str:
    def quote(*lines):   # one DOT string; Graphviz breaks lines at a backslash-n
        return '"' + "\\n".join(t.replace("\\", "\\\\").replace('"', '\\"') for t in lines) + '"'

    def two_lines(value, gradient):
        return (f'<<font color="{_GREEN}">{html.escape(_number(value))}</font><br/>'
                f'<font color="{_RED}">{html.escape(_number(gradient))}</font>>')

    lines = [f"digraph {quote(c.title)} {{", "  rankdir=LR;",
             f"  label={quote(c.title, c.legend)}; labelloc=t;",
             '  node [fontname="Helvetica"]; edge [fontname="Helvetica", fontsize=10];']
    for i, node in enumerate(c.nodes):
        shape = "circle" if node.kind == "gate" else "plaintext"
        extra = ""
        if c.mode == "reverse" and c.fan_out(i) > 1:   # the total of a fork, under the node
            extra = f', xlabel=<<font color="{_RED}">sum {html.escape(_number(node.gradient))}</font>>'
        lines.append(f"  n{i} [label={quote(node.label)}, shape={shape}{extra}];")
    inputs = " ".join(f"n{i};" for i, n in enumerate(c.nodes) if n.kind == "input")
    lines.append(f"  {{ rank=same; {inputs} }}")
    for wire in c.wires:
        lines.append(f"  n{wire.source} -> n{wire.target} [label={two_lines(wire.value, wire.gradient)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# The matplotlib drawing. One data unit is one inch (the axes fill the
# figure), so font sizes in points and distances in data units mix easily.

COLUMN_GAP, ROW_GAP, MARGIN = 2.0, 1.0, 0.6
GATE_RADIUS, GAP = 0.24, 0.04        # smallest gate circle; space between wire and node
LABEL_OFFSET, LINE_HEIGHT = 0.05, 0.17   # between a wire and its numbers; one line of them


def _render(c: Circuit, path, extension):
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    position = [np.array([n.column * COLUMN_GAP, -n.row * ROW_GAP]) for n in c.nodes]
    xs, ys = [p[0] for p in position], [p[1] for p in position]
    left, right = min(xs) - MARGIN, max(xs) + MARGIN
    bottom, top = min(ys) - MARGIN, max(ys) + MARGIN + 0.55   # room for the title
    fig = Figure(figsize=(right - left, top - bottom))
    FigureCanvasAgg(fig)   # gives text a renderer to measure itself with
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)
    ax.set_axis_off()

    reach = _draw_nodes(ax, c, position)
    _draw_wires(ax, c, position, reach)
    ax.text(left + 0.15, top - 0.12, c.title, ha="left", va="top", fontsize=11, fontweight="bold")
    ax.text(left + 0.15, top - 0.38, c.legend, ha="left", va="top", fontsize=9, color="#444444")
    with rc_context({"svg.fonttype": "none"}):   # SVG keeps real, searchable text
        fig.savefig(path, format=extension, dpi=150, bbox_inches="tight", pad_inches=0.15)


def _draw_nodes(ax, c, position):
    """Gates as circles sized to their label, inputs and the output as bold
    names. Returns, per node, its reach: the distance from its centre to its
    outline along a unit vector, where wires start and end."""
    from matplotlib.patches import Circle

    renderer, dpi = ax.figure.canvas.get_renderer(), ax.figure.dpi
    reach = []
    for i, node in enumerate(c.nodes):
        gate = node.kind == "gate"
        text = ax.text(*position[i], node.label, ha="center", va="center", zorder=3,
                       fontsize=12 if gate else 13, fontweight="normal" if gate else "bold")
        extent = text.get_window_extent(renderer)
        half_width, half_height = extent.width / dpi / 2, extent.height / dpi / 2   # inches
        if gate:
            radius = max(GATE_RADIUS, np.hypot(half_width, half_height) + 0.03)
            ax.add_patch(Circle(position[i], radius, facecolor="white", edgecolor="black",
                                linewidth=1.2, zorder=2))
            reach.append(lambda u, r=radius: r + GAP)
        else:
            reach.append(lambda u, w=half_width, h=half_height:
                         min(w / max(abs(u[0]), 1e-9), h / max(abs(u[1]), 1e-9)) + GAP)
        if c.mode == "reverse" and c.fan_out(i) > 1:   # a fork: the sum of its wires
            x, y = position[i]   # under a gate; under and left of a name, clear of its wires
            anchor, ha = ((x, y - radius - 0.04), "center") if gate else \
                ((x + half_width, y - half_height - 0.04), "right")
            ax.text(*anchor, f"sum {_number(node.gradient)}", ha=ha, va="top", fontsize=9,
                    color=_RED, zorder=3)
    return reach


def _draw_wires(ax, c, position, reach):
    """Each wire a polyline through its waypoints, clipped to the node
    outlines, with the arrowhead and the numbers on its last segment.
    Parallel one-column wires (x * x) bend apart so both stay visible."""
    from matplotlib.patches import FancyArrowPatch

    parallel = {}
    for wire in c.wires:
        parallel.setdefault((wire.source, wire.target), []).append(wire)
    for group in parallel.values():
        for k, wire in enumerate(group):
            first_column = c.nodes[wire.source].column + 1
            points = ([position[wire.source]] +
                      [np.array([(first_column + j) * COLUMN_GAP, -row * ROW_GAP])
                       for j, row in enumerate(wire.waypoints)] + [position[wire.target]])
            out, into = _unit(points[1] - points[0]), _unit(points[-1] - points[-2])
            points[0] = points[0] + out * reach[wire.source](out)
            points[-1] = points[-1] - into * reach[wire.target](-into)
            if len(points) > 2:
                ax.plot(*zip(*points[:-1]), color="black", linewidth=1.2, zorder=1)
            start, end = points[-2], points[-1]
            bend = 0.0 if wire.waypoints else 0.35 * (k - (len(group) - 1) / 2)
            ax.add_patch(FancyArrowPatch(start, end, connectionstyle=f"arc3,rad={bend}",
                                         arrowstyle="-|>", mutation_scale=12, shrinkA=0,
                                         shrinkB=0, linewidth=1.2, color="black", zorder=1))
            # Midpoint of matplotlib's arc3 curve (a quadratic Bezier).
            d = end - start
            middle = (start + end) / 2 + 0.5 * bend * np.array([d[1], -d[0]])
            _wire_numbers(ax, middle, into, wire, bend)


def _unit(vector):
    return vector / np.linalg.norm(vector)


def _wire_numbers(ax, middle, u, wire, bend):
    """The value above the wire in green, the gradient below it in red. Each
    is anchored at its corner nearest the wire, so a sloping wire never runs
    through its own numbers. A bent wire (one of a parallel pair) keeps both
    on its outer side, green still above red, so the pair's numbers never mix."""
    normal = np.array([-u[1], u[0]])   # points "up" from a left-to-right wire
    side = "left" if normal[0] > 0.15 else "right" if normal[0] < -0.15 else "center"
    other = {"left": "right", "right": "left", "center": "center"}[side]
    near, far = LABEL_OFFSET, LABEL_OFFSET + LINE_HEIGHT
    offsets = {0: (near, -near), -1: (far, near), 1: (-near, -far)}[int(np.sign(bend))]
    for text, color, offset in zip((wire.value, wire.gradient), (_GREEN, _RED), offsets):
        above = offset > 0
        ax.text(*(middle + normal * offset), _number(text), ha=side if above else other,
                va="bottom" if above else "top", fontsize=10, color=color, zorder=3)


# ---------------------------------------------------------------------------
# The notes' examples (one scalar per wire, as the notes draw them)


def example1(x, y, z):
    """Example 1 of the notes: f(x, y, z) = (x + y) * z."""
    return (x + y) * z


def example2(w0, x0, w1, x1, w2):
    """Example 2: the sigmoid neuron f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))."""
    return 1 / (1 + np.exp(-(w0 * x0 + w1 * x1 + w2)))


EXAMPLES = {
    "example1": (example1, (-2.0, 5.0, -4.0), "Example 1: f = (x + y) * z"),
    "example2": (example2, (2.0, -1.0, -3.0, -2.0, -3.0),
                 "Example 2: f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))"),
}


# ---------------------------------------------------------------------------
# The command line: fwdrev draw [FILE.py:FUNCTION --args ...]


class DrawError(Exception):
    """A problem with the user's request, reported as one line, no traceback."""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="fwdrev draw",
        description="Draw a function as a CS231n-style circuit: forward values in green, "
                    "gradients (reverse mode) or tangents (forward mode) in red. "
                    "With no FUNCTION, draws the notes' examples 1 and 2.")
    parser.add_argument("function", nargs="?", metavar="FILE.py:FUNCTION",
                        help="the function to draw, e.g. mycode.py:loss")
    parser.add_argument("--args", help="its arguments, comma-separated, e.g. -2,5,-4 "
                                       "(Python literals: [1,2] is an array)")
    parser.add_argument("--mode", choices=MODES, default="reverse")
    parser.add_argument("--direction", help="forward mode: the input tangents, like --args "
                                            "(default: along the first input)")
    parser.add_argument("--out", default="fwdrev-draw", help="output directory (default: %(default)s)")
    parser.add_argument("--format", choices=FORMATS, action="append",
                        help="repeatable; default: png, svg and dot")
    try:
        options = parser.parse_args(_attach_negative_values(sys.argv[1:] if argv is None else argv))
    except SystemExit as exit:   # --help, or a usage error argparse already printed
        return int(exit.code or 0)
    try:
        for path in _run(options):
            print(path)
    except DrawError as error:
        print(f"fwdrev draw: error: {error}", file=sys.stderr)
        return 2
    return 0


def _attach_negative_values(argv):
    """argparse reads `--args -2,5,-4` as two options; make it `--args=-2,5,-4`."""
    argv, joined = list(argv), []
    while argv:
        item = argv.pop(0)
        if item in ("--args", "--direction") and argv and argv[0].startswith("-"):
            item = f"{item}={argv.pop(0)}"
        joined.append(item)
    return joined


def _run(options):
    """Draw what the options ask for; yield each file written."""
    formats = options.format or list(FORMATS)
    if options.direction and options.mode != "forward":
        raise DrawError("--direction is for --mode forward (reverse mode starts from the output)")
    if options.function is None:
        if options.args or options.direction:
            raise DrawError("--args and --direction need a FILE.py:FUNCTION to apply to")
        jobs = [(name, f, args, title, None) for name, (f, args, title) in EXAMPLES.items()]
    else:
        f = _load_function(options.function)
        if options.args is None:
            raise DrawError(f"give the arguments of {f.__name__}, e.g. --args -2,5,-4")
        direction = None if options.direction is None else _parse_values(options.direction, "--direction")
        jobs = [(f.__name__, f, _parse_values(options.args, "--args"), None, direction)]
    for name, f, args, title, direction in jobs:
        try:
            drawn = circuit(f, *args, mode=options.mode, direction=direction, title=title)
        except Exception as error:   # the user's code or arguments: say which call failed
            raise DrawError(f"tracing {name}({options.args or ''}) failed: "
                            f"{type(error).__name__}: {error}") from error
        os.makedirs(options.out, exist_ok=True)   # only once there is something to write
        for extension in formats:
            path = os.path.join(options.out, f"{name}.{extension}")
            if extension == "dot":
                with open(path, "w") as file:
                    file.write(drawn.to_dot())
            else:
                drawn.draw(path)
            yield path


def _load_function(spec):
    """`path/to/file.py:function` -> the function object."""
    path, colon, name = spec.rpartition(":")
    if not colon or not path or not name:
        raise DrawError(f"expected FILE.py:FUNCTION, got {spec!r}")
    if not os.path.isfile(path):
        raise DrawError(f"no such file: {path}")
    module_spec = importlib.util.spec_from_file_location(
        f"fwdrev_draw_{os.path.splitext(os.path.basename(path))[0]}", path)
    if module_spec is None:
        raise DrawError(f"{path} is not a Python file")
    module = importlib.util.module_from_spec(module_spec)
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)   # so the file can import its neighbours, as when run itself
    try:
        module_spec.loader.exec_module(module)
    except Exception as error:
        raise DrawError(f"importing {path} failed: {type(error).__name__}: {error}") from error
    finally:
        sys.path.remove(folder)
    function = getattr(module, name, None)
    if not callable(function):
        defined = sorted(n for n, v in vars(module).items()
                         if inspect.isfunction(v) and v.__module__ == module.__name__)
        raise DrawError(f"{path} defines no function {name!r} "
                        f"(functions there: {', '.join(defined) or 'none'})")
    return function


def _parse_values(text, option):
    """'-2,5,-4' -> (-2.0, 5.0, -4.0); '[1,2],3' -> (array([1., 2.]), 3.0).
    Floats throughout: differentiation needs floating-point inputs."""
    try:
        values = ast.literal_eval(f"({text},)")
        return tuple(np.asarray(v, dtype=float) if isinstance(v, (list, tuple)) else float(v)
                     for v in values)
    except (ValueError, TypeError, SyntaxError):
        raise DrawError(f"{option} must be comma-separated numbers, e.g. -2,5,-4; got {text!r}") from None


if __name__ == "__main__":
    sys.exit(main())
