"""fwdrev's report: what forward and reverse mode cost as the problem grows.

    workloads.py  the benchmark functions (plain NumPy), their sources and theory
    methods.py    the ways of differentiating them (our engines, JAX, finite differences)
    bench.py      the measuring harness: time, operation counts, memory, accuracy
    report.py     `fwdrev report`: runs the sweep, analyses it, writes the outputs
    plots.py      the figures;  render.py  summary.md and index.html
    cli.py        the `fwdrev` command (report, check, draw)

Nothing is imported here: `fwdrev --help` stays instant and JAX stays unloaded.
"""
