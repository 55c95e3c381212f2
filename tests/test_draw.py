"""`fwdrev draw`: the circuits carry the notes' numbers, files get written,
and the command line reports mistakes clearly."""

import re

import numpy as np
import pytest

from modes import forward
from reports.draw import circuit, example1, example2, main

EXAMPLE1_ARGS = (-2.0, 5.0, -4.0)
EXAMPLE2_ARGS = (2.0, -1.0, -3.0, -2.0, -3.0)   # w0, x0, w1, x1, w2


def dot_wires(dot):
    """{(source label, target label): [(value, gradient), ...]} from DOT text."""
    labels = dict(re.findall(r'^\s*(n\d+) \[label="([^"]*)"', dot, re.M))
    wires = {}
    for source, target, value, gradient in re.findall(
            r'(n\d+) -> (n\d+) \[label=<<font[^>]*>([^<]*)</font><br/><font[^>]*>([^<]*)</font>>',
            dot):
        wires.setdefault((labels[source], labels[target]), []).append((value, gradient))
    return wires


# ---------------------------------------------------------------------------
# The notes' numbers


def test_example1_dot_carries_the_notes_values_and_gradients():
    wires = dot_wires(circuit(example1, *EXAMPLE1_ARGS).to_dot())
    assert wires == {
        ("x", "+"): [("-2", "-4")],
        ("y", "+"): [("5", "-4")],
        ("+", "*"): [("3", "-4")],     # q = 3, df/dq = z = -4
        ("z", "*"): [("-4", "3")],     # df/dz = q = 3
        ("*", "f"): [("-12", "1")],    # f = -12, seeded with 1
    }


def test_example1_forward_mode_along_x_gives_df_dx_at_the_output():
    drawn = circuit(example1, *EXAMPLE1_ARGS, mode="forward")
    assert drawn.node("f").gradient == -4.0
    assert [w.gradient for w in drawn.wires if drawn.nodes[w.source].label == "+"] == [1.0]
    # The same number as the forward engine, and another direction on request.
    assert forward.jvp(example1, EXAMPLE1_ARGS, (1.0, 0.0, 0.0))[1] == -4.0
    assert circuit(example1, *EXAMPLE1_ARGS, mode="forward",
                   direction=(0.0, 0.0, 1.0)).node("f").gradient == 3.0


def test_sigmoid_neuron_gradients_match_the_notes():
    drawn = circuit(example2, *EXAMPLE2_ARGS)
    gradient = {name: round(float(drawn.node(name).gradient), 3)
                for name in ("w0", "x0", "w1", "x1", "w2")}
    assert (gradient["x0"], gradient["x1"]) == (0.393, -0.590)
    assert (gradient["w0"], gradient["w1"], gradient["w2"]) == (-0.197, -0.393, 0.197)
    assert round(drawn.node("f").value, 4) == 0.7311
    # Gates as the notes draw them, constants folded into the label.
    assert [n.label for n in drawn.nodes if n.kind == "gate"] == \
        ["*", "*", "+", "+", "-x", "exp", "1+x", "1/x"]


def test_a_fork_shows_each_wires_share_and_their_sum():
    drawn = circuit(lambda x, y: x * x + y, 3.0, 1.0)
    shares = [w.gradient for w in drawn.wires if drawn.nodes[w.source].label == "x"]
    assert shares == [3.0, 3.0] and drawn.node("x").gradient == 6.0
    assert "sum 6" in drawn.to_dot()


def test_staged_example_forks_sum_to_the_notes_gradients():
    def staged(x, y):   # example 3 of the notes: x and y each feed several gates
        sigy = 1 / (1 + np.exp(-y))
        xpy = x + y
        return (x + sigy) / (1 / (1 + np.exp(-x)) + xpy ** 2)
    drawn = circuit(staged, 3.0, -4.0)
    for name, expected in (("x", 2.0595697955721652), ("y", 1.5922327514838093)):
        shares = [w.gradient for w in drawn.wires if drawn.nodes[w.source].label == name]
        assert len(shares) > 1 and sum(shares) == pytest.approx(expected, rel=1e-12)
        assert drawn.node(name).gradient == pytest.approx(expected, rel=1e-12)


def test_reverse_mode_needs_a_scalar_output_forward_mode_does_not():
    def double(x):
        return 2.0 * x
    with pytest.raises(ValueError, match="scalar output.*forward"):
        circuit(double, np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="mode='forward'"):
        circuit(double, 1.0, direction=(1.0,))
    drawn = circuit(double, np.array([1.0, 2.0]), mode="forward")
    assert np.array_equal(drawn.node("f").gradient, [2.0, 0.0])


def test_nodes_in_a_column_do_not_touch():
    for f, args in ((example1, EXAMPLE1_ARGS), (example2, EXAMPLE2_ARGS)):
        nodes = circuit(f, *args).nodes
        for column in {n.column for n in nodes}:
            rows = sorted(n.row for n in nodes if n.column == column)
            assert all(b - a >= 1.0 - 1e-9 for a, b in zip(rows, rows[1:]))


# ---------------------------------------------------------------------------
# Files


def test_png_and_svg_are_written(tmp_path):
    drawn = circuit(example2, *EXAMPLE2_ARGS)
    png, svg = drawn.draw(tmp_path / "neuron.png"), drawn.draw(tmp_path / "neuron.svg")
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    text = open(svg).read()
    assert "<svg" in text and "0.731" in text     # SVG keeps its numbers as text
    with pytest.raises(ValueError, match=".png or .svg"):
        drawn.draw(tmp_path / "neuron.pdf")


# ---------------------------------------------------------------------------
# The command line


def test_main_without_arguments_draws_the_notes_examples(tmp_path, capsys):
    assert main(["--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out.split()
    expected = [str(tmp_path / f"example{k}.{ext}") for k in (1, 2) for ext in ("png", "svg", "dot")]
    assert printed == expected
    assert all((tmp_path / name).stat().st_size > 0 for name in printed)


def test_main_draws_a_function_from_a_file(tmp_path, capsys):
    source = tmp_path / "mine.py"
    source.write_text("def mine(x, y, z):\n    return (x + y) * z\n")
    out = tmp_path / "out"
    argv = [f"{source}:mine", "--args", "-2,5,-4", "--mode", "forward",
            "--direction", "0,0,1", "--out", str(out), "--format", "dot"]
    assert main(argv) == 0
    assert capsys.readouterr().out.split() == [str(out / "mine.dot")]
    assert dot_wires((out / "mine.dot").read_text())[("*", "f")] == [("-12", "3")]


@pytest.mark.parametrize("spec, args, message", [
    ("{file}:missing", "1,2", "defines no function 'missing' (functions there: f)"),
    ("{dir}/nowhere.py:f", "1,2", "no such file"),
    ("{file}", "1,2", "expected FILE.py:FUNCTION"),
    ("{file}:f", "1,two", "--args must be comma-separated numbers"),
    ("{file}:f", "1", "tracing f(1) failed: TypeError"),
])
def test_main_reports_a_bad_request_in_one_line(tmp_path, capsys, spec, args, message):
    source = tmp_path / "mine.py"
    source.write_text("def f(a, b):\n    return a * b\n")
    spec = spec.format(file=source, dir=tmp_path)
    assert main([spec, "--args", args, "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert error.startswith("fwdrev draw: error: ") and message in error
    assert "Traceback" not in error
    assert not (tmp_path / "out").exists()     # nothing written, not even the folder


def test_main_usage_errors_return_instead_of_exiting(capsys):
    assert main(["--mode", "sideways"]) == 2
    assert main(["--args", "1,2"]) == 2     # arguments but no function
    assert "need a FILE.py:FUNCTION" in capsys.readouterr().err
    assert main(["--direction", "1"]) == 2  # a direction without forward mode
    assert "--direction is for --mode forward" in capsys.readouterr().err



def test_reading_an_element_is_labelled_by_its_index():
    """The notes' w0, x0 are w[0], x[0] here: a gate that reads an element
    of an input says which; other reads show the index alone."""
    def neuron(w, x):
        return 1 / (1 + np.exp(-(w[0] * x[0] + w[1] * x[1] + w[2])))
    labels = [n.label for n in circuit(neuron, np.array([2.0, -3.0, -3.0]), np.array([-1.0, -2.0])).nodes]
    assert labels[:4] == ["w", "x", "w[0]", "x[0]"] and "w[2]" in labels
    labels = [n.label for n in circuit(lambda a: np.sum(a[1:3] * 2.0)[()] + (a * 1.0)[::2][0], np.arange(5.0)).nodes]
    assert "a[1:3]" in labels and "[::2]" in labels and "[0]" in labels
