"""Every ```console block of README.md is run, and its output compared with
what the block shows (issue 14: "every console block in the README must be
one that a test runs").

How a block is run:
- the blocks run in README order, in one temporary directory shared by all of
  them (a later block reads the spool an earlier one wrote), which holds
  symlinks `build` and `tools` to the checkout's: a command runs as pasted
  from the top of the checkout after `make`, and what it writes lands in the
  temporary directory;
- the environment is a clean one (PATH=/usr/bin:/bin, HOME in the temporary
  directory, no RECONSUME_*, LD_* or XDG_* variables): every variable a
  command needs is in the block itself;
- `$ ` starts a command, a line ending with `\\` continues it; the lines up
  to the next command are its output, standard output and standard error
  together, in the order written (`echo $?` sees the previous command's
  status);
- in the output shown, a line that is just `...` stands for any number of
  lines (none included), and `...` inside a line for any text (ids, pids,
  times, paths).
No block needs a real broker: the ones that would (the client, a send) use
the test double of the client (build/double), and say so.
Run: python3 -m pytest tests/docs -q (part of `make cli-test`).
"""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def console_blocks(text: str) -> list[tuple[int, list[str]]]:
    """(line number, lines) of every ```console block."""
    out, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        if lines[i].strip() == "```console":
            start, body = i + 1, []
            i += 1
            while lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            out.append((start + 1, body))
        i += 1
    return out


def commands(block: list[str]) -> list[tuple[str, list[str]]]:
    """(command, expected output lines) of each `$ ` command of a block."""
    out = []
    i = 0
    assert block and block[0].startswith("$ "), f"a block starts with a command: {block[:1]}"
    while i < len(block):
        line = block[i]
        assert line.startswith("$ "), line
        cmd = [line[2:]]
        while cmd[-1].endswith("\\"):
            i += 1
            cmd.append(block[i])
        i += 1
        expected = []
        while i < len(block) and not block[i].startswith("$ "):
            expected.append(block[i])
            i += 1
        out.append(("\n".join(cmd), expected))
    return out


def line_re(expected: str) -> re.Pattern:
    return re.compile(".*?".join(re.escape(part) for part in expected.rstrip().split("...")) + r"\Z")


def matches(expected: list[str], actual: list[str]) -> bool:
    """EXPECTED (with `...` lines and `...` in lines) matches ACTUAL, all of it."""
    memo: dict[tuple[int, int], bool] = {}

    def m(i: int, j: int) -> bool:
        if (i, j) in memo:
            return memo[i, j]
        if i == len(expected):
            r = j == len(actual)
        elif expected[i].strip() == "...":
            r = any(m(i + 1, k) for k in range(j, len(actual) + 1))
        else:
            r = j < len(actual) and bool(line_re(expected[i]).match(actual[j].rstrip())) and m(i + 1, j + 1)
        memo[i, j] = r
        return r
    return m(0, 0)


def test_the_matcher_can_fail():
    assert matches(["a ... c", "...", "z"], ["a b c", "x", "y", "z"])
    assert matches(["..."], [])
    assert not matches(["a ... c"], ["a b d"])
    assert not matches(["a", "z"], ["a", "b", "z"])
    assert not matches(["a"], ["a", "extra"])
    assert not matches(["x...1"], ["x 12"])


BLOCKS = console_blocks(README.read_text())


def test_the_readme_has_its_console_blocks():
    """Every fence that opens a console block is one this test runs (a
    "``` console" or an indented one would otherwise go unrun)."""
    text = README.read_text()
    fences = re.findall(r"^[ \t]*```[ \t]*(?:console|shell-session)\b", text, re.M)
    assert len(BLOCKS) >= 5 and len(fences) == len(BLOCKS), (len(fences), len(BLOCKS))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    p = subprocess.run(["make", "-s", "lib", "cli", "tools", "programs"], cwd=ROOT,
                       capture_output=True, text=True)
    if p.returncode != 0:
        pytest.fail(f"make lib cli tools programs failed:\n{p.stdout}\n{p.stderr}", pytrace=False)
    d = tmp_path_factory.mktemp("readme")
    (d / "build").symlink_to(ROOT / "build")
    (d / "tools").symlink_to(ROOT / "tools")
    (d / "home").mkdir()
    return d


def clean_env(d: Path) -> dict:
    return {"PATH": "/usr/bin:/bin", "HOME": str(d / "home"), "LANG": "C.UTF-8",
            "TERM": "dumb"}


def run_block(d: Path, cmds: list[tuple[str, list[str]]]) -> list[str]:
    """Runs the commands in one bash, each one's output (stdout and stderr
    together) after a marker; returns each command's output text."""
    script = ["exec 2>&1", "__rc=0"]
    for n, (cmd, _) in enumerate(cmds):
        script += [f"printf '@@CMD {n}@@\\n'", "(exit $__rc)", cmd, "__rc=$?"]
    p = subprocess.run(["bash", "-c", "\n".join(script)], cwd=d, env=clean_env(d),
                       capture_output=True, text=True, timeout=300)
    parts = re.split(r"@@CMD \d+@@\n", p.stdout)
    assert parts[0] == "" and len(parts) == len(cmds) + 1, p.stdout
    return parts[1:]


@pytest.mark.parametrize("start,block", BLOCKS, ids=[f"README.md:{s}" for s, _ in BLOCKS])
def test_console_block(workdir, start, block):
    cmds = commands(block)
    outputs = run_block(workdir, cmds)
    for (cmd, expected), out in zip(cmds, outputs):
        actual = out.splitlines()
        assert matches(expected, actual), (
            f"README.md:{start}: $ {cmd}\n--- shown:\n" + "\n".join(expected)
            + "\n--- got:\n" + "\n".join(actual))


def test_the_two_commands_are_the_makefile_s_and_ci_s():
    """README's two commands: `make demo`, and the suite command .ci/run runs."""
    text = README.read_text().split("\n## The two commands\n", 1)[1].split("\n## ", 1)[0]
    block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    cmds = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.lstrip().startswith("#")
          and not line.startswith(("set ", "cd "))]
    assert cmds == ["make demo", ci[-1]] and ci[-1] == "make check", (cmds, ci)
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^check:", makefile, re.M)
