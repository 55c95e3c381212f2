"""The README's examples run as written: its >>> blocks (doctest) and its
```python blocks (executed in order, in one namespace)."""

import doctest
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_doctests_run_as_written():
    result = doctest.testfile(str(README), module_relative=False, verbose=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 20
    assert result.failed == 0, f"{result.failed} README examples failed (see the output above)"


def test_readme_python_blocks_run_as_written(capsys):
    from comparisons.testing import GradCheck
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 5
    namespace = {"__name__": "readme"}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)
    namespace["test_loss_gradients"](GradCheck())     # the fixture's object
