"""`fwdrev check FILE.py:FUNCTION --shape ...`: prints the table, exit status
0 on agreement, 1 on a mismatch, 2 on a usage error."""

import io
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from comparisons import cli_check


@pytest.fixture
def user_file(tmp_path):
    path = tmp_path / "user_code.py"
    path.write_text(textwrap.dedent("""
        import numpy as np
        import modes

        def loss(W, x):
            return np.sum(np.tanh(W @ x) ** 2)

        # a user op whose VJP rule forgets the factor 3
        _cube = modes.defop("cli_test_cube", lambda x: x ** 3,
                            jvp=lambda t, out, x: 3 * x ** 2 * t[0],
                            vjp=lambda ct, argnum, out, x: x ** 2 * ct,
                            jax=lambda x: x ** 3)

        def wrong(x):
            return np.sum(_cube(x))
    """))
    yield path
    import modes
    modes.REGISTRY.pop("cli_test_cube", None)


@pytest.fixture
def fwdrev():
    """The installed console script (`make test` installs it; a bare checkout run with
    PYTHONPATH=. has none, and then only the in-process tests apply)."""
    script = Path(sys.executable).with_name("fwdrev")
    if not script.exists():
        pytest.skip("the fwdrev console script is not installed (pip install -e .)")
    return script


def run(argv):
    out = io.StringIO()
    parser = cli_check.add_arguments(__import__("argparse").ArgumentParser())
    return cli_check.run(parser.parse_args(argv), out=out), out.getvalue()


def test_agreement_prints_the_table_and_exits_0(user_file):
    status, text = run([f"{user_file}:loss", "--shape", "3,4", "--shape", "4"])
    assert status == 0
    assert "all 7 comparisons passed" in text
    assert "reverse VJP" in text and "adjoint" in text


def test_a_mismatch_exits_1_and_says_where(user_file):
    status, text = run([f"{user_file}:wrong", "--shape", "5"])
    assert status == 1
    assert "FAIL reverse VJP vs jax" in text and "FAIL adjoint" in text


def test_npy_inputs_mix_with_random_ones_in_order(user_file, tmp_path):
    W = np.arange(12.0).reshape(3, 4) / 10
    np.save(tmp_path / "W.npy", W)
    status, text = run([f"{user_file}:loss", "--input", str(tmp_path / "W.npy"), "--shape", "4"])
    assert status == 0
    assert cli_check.make_arguments([("input", str(tmp_path / "W.npy")), ("shape", "4")], 0,
                                    "float64")[0].tolist() == W.tolist()


def test_usage_errors_exit_2(user_file, capsys):
    assert run([f"{user_file}:missing", "--shape", "3"])[0] == 2
    assert run([f"{user_file}:loss"])[0] == 2                     # no arguments given
    assert run(["no_colon_here", "--shape", "3"])[0] == 2
    assert "no function 'missing'" in capsys.readouterr().err


def test_shapes_parse_as_written():
    assert cli_check.parse_shape("3,4") == (3, 4)
    assert cli_check.parse_shape("(5,)") == (5,)
    assert cli_check.parse_shape("") == ()


def test_runs_as_a_module(user_file):
    done = subprocess.run([sys.executable, "-m", "comparisons.cli_check", f"{user_file}:wrong",
                           "--shape", "2", "--against", "adjoint"], capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    assert "FAIL adjoint" in done.stdout


def test_the_fwdrev_console_script_runs_check(user_file, fwdrev):
    done = subprocess.run([str(fwdrev), "check", f"{user_file}:loss", "--shape", "3,4", "--shape", "4",
                           "--against", "adjoint"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "the one comparison passed" in done.stdout


def test_a_broken_file_or_function_exits_2_with_one_line(tmp_path, capsys):
    broken = tmp_path / "broken.py"
    broken.write_text("def f(x):\n    return (x\n")
    assert run([f"{broken}:f", "--shape", "3"])[0] == 2
    err = capsys.readouterr().err
    assert err.startswith("fwdrev check: ") and "SyntaxError" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1

    code = tmp_path / "code.py"
    code.write_text(textwrap.dedent("""
        import numpy as np
        def raises(x):
            raise RuntimeError("boom")
        def unsupported(x):
            return np.sum(np.unique(x))
    """))
    for name, expected in (("raises", "RuntimeError: boom"), ("unsupported", "UnsupportedFunction")):
        assert run([f"{code}:{name}", "--shape", "3"])[0] == 2
        err = capsys.readouterr().err
        assert err.startswith("fwdrev check: ") and expected in err and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1


def test_complex_step_from_the_command_line(user_file):
    status, text = run([f"{user_file}:loss", "--shape", "3,4", "--shape", "4", "--fd-method", "complex-step"])
    assert status == 0, text


def test_errors_say_whose_they_are(tmp_path, capsys):
    code = tmp_path / "shapes.py"
    code.write_text("import numpy as np\ndef f(W, x):\n    return np.sum(W @ x)\n")
    imports = tmp_path / "imports.py"
    imports.write_text("import a_package_that_is_not_installed\n")
    cases = [([f"{code}:f", "--shape", "3,4", "--shape", "5"], "checking"),       # the function raised
             ([f"{imports}:f", "--shape", "3"], "cannot load"),                  # the file raised
             ([f"{code}:f", "--shape", "3,a"], "--shape '3,a': expected whole numbers")]
    for argv, expected in cases:
        assert run(argv)[0] == 2
        err = capsys.readouterr().err
        assert err.startswith("fwdrev check: ") and expected in err, err
        assert len(err.strip().splitlines()) == 1


def test_float32_inputs_get_a_one_line_note(user_file, capsys):
    status, _ = run([f"{user_file}:loss", "--shape", "3,4", "--shape", "4", "--dtype", "float32"])
    assert status == 0
    assert capsys.readouterr().err.strip().startswith("fwdrev check: note: checking at float32 precision")


def test_a_closed_pipe_ends_quietly(user_file, fwdrev):
    reader = subprocess.Popen([str(fwdrev), "check", f"{user_file}:loss", "--shape", "3,4", "--shape", "4"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    reader.stdout.close()          # as `| head -0` does before the table is written
    _, err = reader.communicate()
    assert b"Traceback" not in err and b"BrokenPipeError" not in err, err
