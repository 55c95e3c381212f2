"""fwdrev as a GradBench tool: `fwdrev gradbench --mode forward|reverse`.

GradBench (github.com/gradbench/gradbench) sends each tool JSON lines on
stdin; protocol.py answers them. Each eval is one module under programs/,
written once in plain NumPy exactly as the eval's README specifies; the
derivatives come from our engines (derivatives.py picks forward or reverse
mode), never from a hand-derived gradient.
"""
