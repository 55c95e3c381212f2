"""Rich displays for notebooks (CheckResult, Trace, the circuit diagram),
and docs/tour.ipynb executed (nbclient + ipykernel) and rendered to HTML
(nbconvert). Those three come from PyPI with the test extras; without them
the notebook test is skipped."""

import os

import numpy as np
import pytest

from comparisons import check_backward
from comparisons.examples import batchnorm_backward, batchnorm_backward_wrong, batchnorm_forward
from modes import reverse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def batchnorm_results():
    rng = np.random.default_rng(0)
    x, gamma, beta = 2 * rng.normal(size=(5, 3)) + 1, rng.normal(size=3), rng.normal(size=3)
    return (check_backward(batchnorm_forward, batchnorm_backward, x, gamma, beta),
            check_backward(batchnorm_forward, batchnorm_backward_wrong, x, gamma, beta))


def test_a_check_result_displays_as_html_with_its_failures_marked():
    right, wrong = batchnorm_results()
    page = wrong._repr_html_()
    assert "FAILED 3 of 9 comparisons" in page and "#cf222e" in page
    assert f"worst at {wrong.worst.where}" in page
    assert page.count('<tr style="background:#ffebe9">') == 3            # the three failed rows
    assert page.count("<tr") == 1 + 9                                   # header and one row each
    assert "the gradient for x disagrees" in page                       # the hint
    ok = right._repr_html_()
    assert "all 9 comparisons passed" in ok and "#1a7f37" in ok and "#ffebe9" not in ok


def test_html_escapes_what_it_shows():
    right, _ = batchnorm_results()
    right.notes.append("a <b> & c")
    assert "a &lt;b&gt; &amp; c" in right._repr_html_()


def test_a_trace_displays_as_an_html_table_of_its_stages():
    f = lambda x, y, z: (x + y) * z
    page = reverse.trace(f, -2.0, 5.0, -4.0)._repr_html_()
    assert page.startswith('<table class="fwdrev-trace">')
    assert "<td>x = input</td><td>-2</td><td>dx = -4</td>" in page
    assert "<td>z = input</td><td>-4</td><td>dz = 3</td>" in page


def test_a_circuit_displays_as_svg():
    pytest.importorskip("matplotlib")
    from reports.draw import circuit
    svg = circuit(lambda x, y, z: (x + y) * z, -2.0, 5.0, -4.0)._repr_svg_()
    assert "<svg" in svg and "</svg>" in svg
    assert "-12" in svg                                 # the output's value, as real text


def test_the_tour_notebook_runs_and_renders_to_html(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nbconvert = pytest.importorskip("nbconvert")
    notebook = nbformat.read(os.path.join(ROOT, "docs", "tour.ipynb"), as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": ROOT}}).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    pages = [o.data["text/html"] for o in outputs if "data" in o and "text/html" in o.data]
    assert any('class="fwdrev-trace"' in p for p in pages)
    assert any("check_grads(loss, order=1), float64: all" in p for p in pages)
    assert any("check_backward(batchnorm_forward), float64: FAILED 3 of 9" in p for p in pages)
    assert any("check_value_and_grad(svm_loss_vectorized), float64: FAILED" in p for p in pages)
    assert any("image/svg+xml" in o.get("data", {}) for o in outputs)
    body, _ = nbconvert.HTMLExporter().from_notebook_node(notebook)
    assert "FAILED 3 of 9" in body and "fwdrev-trace" in body
    assert 'src="data:image/svg+xml;base64,' in body                   # the circuit, as nbconvert embeds SVG
    (tmp_path / "tour.html").write_text(body)
