"""The man pages are the reference: they, `reconsume run --help`, the tools'
--help and the code (policy/settings.def, read here from the source; the
metric names of obs/, the record headers of policy/record.c, the topic sink's
properties of sink/topicmsg.c) agree on every option, variable, header and
metric. README.md is held only to this: its short table of settings names
every setting, and every RECONSUME_* name in it, in docs/ and in the man pages
exists. (tests/docs/test_readme.py runs README's console blocks.)"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

import pytest

from conftest import ROOT, clean_env, rc

MAN1 = ROOT / "man" / "reconsume.1"
MAN7 = ROOT / "man" / "reconsume.7"
SETTINGS_DEF = ROOT / "policy" / "settings.def"
VAR = r"RECONSUME_[A-Z_]+"


# ------------------------------------------------- policy/settings.def ----

@dataclass
class Setting:
    var: str
    kind: str
    field: str
    lo: str
    hi: str
    default: str
    flag: str
    meta: str | None
    fixed: str | None
    help: str


_TOKEN = re.compile(r'\s+|"(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_]*|-?\d+|[(),|*]')


def _macro_rows(name: str) -> list[list[str]]:
    """The argument lists of every NAME(...) row of settings.def, each argument
    as its text (adjacent string literals joined, NULL as None)."""
    src = re.sub(r"/\*.*?\*/", " ", SETTINGS_DEF.read_text(), flags=re.S)
    src = "\n".join(l for l in src.splitlines() if not l.lstrip().startswith("#"))
    toks = [t for t in _TOKEN.findall(src) if not t.isspace()]
    assert "".join(toks).replace(" ", "") == re.sub(r"\s+", "", src), "untokenised text"
    rows, i = [], 0
    while i < len(toks):
        if toks[i] == name and toks[i + 1] == "(":
            args, cur, depth, i = [], [], 0, i + 2
            while depth or toks[i] != ")":
                t = toks[i]
                depth += (t == "(") - (t == ")")
                if t == "," and depth == 0:
                    args.append(cur)
                    cur = []
                else:
                    cur.append(t)
                i += 1
            args.append(cur)
            rows.append([_arg(a) for a in args])
        i += 1
    return rows


def _arg(toks: list[str]) -> str | None:
    if toks and all(t.startswith('"') for t in toks):
        return "".join(t[1:-1].encode().decode("unicode_escape") for t in toks)
    text = " ".join(toks)
    return None if text == "NULL" else text


def settings() -> list[Setting]:
    rows = [Setting("RECONSUME_" + r[0], *r[1:]) for r in _macro_rows("RC_SETTING")]
    assert len(rows) > 20 and rows[0].var == "RECONSUME_MAX_RETRIES"
    return rows


def lib_vars() -> set[str]:
    names = [s.var for s in settings()]
    assert len(names) == len(set(names))
    return set(names)


def test_the_table_is_well_formed():
    for s in settings():
        assert re.fullmatch(VAR, s.var), s
        assert re.fullmatch(r"--[a-z-]+", s.flag), s
        assert (s.meta is None) == (s.fixed is not None), s  # a switch, or a value
        assert s.help and "\n" not in s.help, s
        if s.kind == "LONG":
            assert int(s.lo) <= int(s.default) <= int(s.hi), s
    flags = [s.flag for s in settings()]
    assert len(flags) == len(set(flags))


def readme_texts() -> list[str]:
    return [(ROOT / "README.md").read_text()]


def doc_texts() -> list[str]:
    return readme_texts() + [p.read_text() for p in sorted((ROOT / "docs").glob("*.md"))]


def readme_table_vars() -> set[str]:
    """The variables in README's "## Settings" table (the first cell of each row)."""
    text = readme_texts()[0]
    assert "\n## Settings\n" in text
    text = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    out = set()
    for line in text.splitlines():
        if line.startswith("| `RECONSUME_"):
            out |= set(re.findall(VAR, line.split("|")[1]))
    return out


def unroff(s: str) -> str:
    s = s.replace("\\-", "-").replace("\\fR", "").replace("\\fB", "").replace("\\fI", "")
    return s.replace('"', "")


def man_section(path, name: str) -> str:
    """The text of the section .SH NAME, up to the next .SH."""
    text = path.read_text()
    i = text.index(f"\n.SH {name}\n")
    j = text.find("\n.SH ", i + 1)
    return text[i:j if j >= 0 else len(text)]


def man_items(path, start: str, end: str | None = None) -> list[tuple[str, str]]:
    """(head line, body) of each .TP item of the section START (".SH NAME"),
    up to the next .SH (END, if given, must be that line); or of the
    subsection START (".SS NAME") up to END."""
    if start.startswith(".SS "):   # a subsection: up to END
        text = path.read_text()
        i = text.index(start)
        section = text[i:text.index(end, i)]
    else:
        section = man_section(path, start[len(".SH "):])
        if end:
            assert path.read_text().split(section, 1)[1].startswith("\n" + end), (start, end)
    items = []
    for chunk in section.split(".TP\n")[1:]:
        head, _, body = chunk.partition("\n")
        body = re.split(r"\n\.(?:PP|SS|SH)\b", body)[0]
        items.append((unroff(head), unroff(body)))
    return items


def help_map() -> dict[str, tuple[str | None, str]]:
    """--flag -> (METAVAR or None, VARIABLE[=fixed]) from `reconsume run --help`."""
    r = rc("run", "--help")
    assert r.returncode == 0
    out = {}
    for line in r.stdout.splitlines():
        m = re.match(r"^  (--[a-z-]+)(?: ([A-Z]+))?\s+(" + VAR + r"(?:=\S+)?)$", line)
        if m:
            out[m.group(1)] = (m.group(2), m.group(3))
    assert len(out) > 20
    return out


def help_other_flags() -> set[str]:
    text = rc("run", "--help").stdout
    other = text.split("Other options:")[1]
    return set(re.findall(r"^  (?:-h, )?(--[a-z-]+)", other, re.M))


def man1_map() -> tuple[dict, set]:
    opts, other = {}, set()
    for head, body in man_items(MAN1, ".SS Options", ".SS reconsume doctor"):
        m = re.match(r"^\.B[IR]? (?:-h ,  )?(--[a-z-]+)(?: +([A-Z]+))?", head)
        assert m, head
        flag, meta = m.group(1), m.group(2)
        v = re.search(r"(" + VAR + r")(=\S+?)?(?=[\s:.,(]|$)", body)
        if v and "Sets" in body.split(v.group(1))[0]:
            fixed = v.group(2) or ""
            opts[flag] = (meta, v.group(1) + fixed)
        else:
            other.add(flag)
    return opts, other


def test_every_library_variable_is_in_the_readme_tables():
    assert readme_table_vars() == lib_vars()


def test_readme_table_defaults_are_the_table_s():
    """A number or boolean's default in README's short table is settings.def's."""
    text = readme_texts()[0].split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    cells = {}
    for line in text.splitlines():
        if line.startswith("| `RECONSUME_"):
            f = [c.strip() for c in line.strip("|").split("|")]
            cells[f[0].strip("`")] = f[1]
    checked = 0
    for st in settings():
        if st.kind in ("LONG", "BOOL"):
            assert cells[st.var] == f"`{st.default}`", (st.var, cells[st.var], st.default)
            checked += 1
    assert checked >= 10


def test_every_library_variable_is_in_reconsume_7():
    items = man_items(MAN7, ".SH ENVIRONMENT", ".SH THE SPOOL")
    names = [re.fullmatch(r"\.B (" + VAR + ")", h).group(1) for h, _ in items]
    assert len(names) == len(set(names))
    assert set(names) == lib_vars()
    for name, (_, body) in zip(names, items):
        assert body.strip().startswith("Default"), name


def test_every_variable_has_an_option_and_every_option_a_variable():
    vars_by_flag = {f: v.split("=")[0] for f, (_, v) in help_map().items()}
    assert set(vars_by_flag.values()) == lib_vars()
    # --observe and --observe-record both reach RECONSUME_MODE; no other doubles.
    assert len(vars_by_flag) == len(lib_vars())


def test_help_is_the_table():
    """Each row's option, metavariable, variable, fixed value and help line,
    in the table's order; a range and a default in the help are the table's."""
    text = rc("run", "--help").stdout
    want = {s.flag: (s.meta, s.var + (f"={s.fixed}" if s.fixed else "")) for s in settings()}
    assert help_map() == want
    assert list(help_map()) == [s.flag for s in settings()]
    for s in settings():
        assert f"{s.var}{'=' + s.fixed if s.fixed else ''}\n  {'':28}   {s.help}\n" in text, s
        if s.kind == "LONG":
            assert f"({s.lo}-{s.hi}; default {s.default}" in s.help, s


def test_reconsume_7_states_the_table_s_ranges_and_defaults():
    items = dict(man_items(MAN7, ".SH ENVIRONMENT", ".SH THE SPOOL"))
    for s in settings():
        body = " ".join(items[f".B {s.var}"].split())
        if s.kind in ("LONG", "BOOL"):
            assert body.startswith(f"Default {s.default}"), (s.var, body)
        if s.kind == "LONG":
            assert f"An integer from {s.lo} to {s.hi}" in body, (s.var, body)


def test_reconsume_1_options_agree_with_help():
    opts, other = man1_map()
    assert opts == help_map()
    assert other == help_other_flags()


def test_every_variable_named_in_the_docs_exists():
    # The project's own names (RC_NOT_SETTING rows of the table, patterns
    # such as RECONSUME_TEST_*), and E_RECONSUME_LATER, the client's status.
    not_settings = [row[0] for row in _macro_rows("RC_NOT_SETTING")]
    assert "RECONSUME_LIB" in not_settings

    def documented(name: str) -> bool:
        return name in lib_vars() | {"RECONSUME_LATER"} or any(
            fnmatch.fnmatchcase(name, p) for p in not_settings)
    known = set()
    # The topic sink's message properties (sink/topicmsg.c, sink/topic.c) are
    # named in reconsume(7)'s THE TOPIC SINK; they are properties, not variables.
    # Likewise a retry copy's (policy/retry_copy.h, reconsume(7) RECONSUME_RETRY).
    for src in ("sink/topicmsg.c", "sink/topic.c", "policy/retry_copy.h"):
        known |= set(re.findall(r'"(RECONSUME_[A-Z_]+)', (ROOT / src).read_text()))
    for path in (MAN1, MAN7):
        named = set(re.findall(VAR, unroff(path.read_text())))
        assert {n for n in named - {"RECONSUME_X"} - known if not documented(n)} == set(), path
    for path in (MAN_SPOOL, MAN_REPORT):
        named = set(re.findall(VAR, unroff(path.read_text())))
        assert {n for n in named - known if not documented(n)} == set(), path
    for text in doc_texts():
        named = set(re.findall(VAR, text))
        assert {n for n in named - {"RECONSUME_X"} - known if not documented(n)} == set()


def metric_names_code() -> set[str]:
    """Every metric name the stats writer puts in a file (obs/stats*.c)."""
    code = "".join(p.read_text() for p in sorted((ROOT / "obs").glob("stats*.c")))
    names = set(re.findall(r'(?:"|# TYPE )(reconsume_[a-z_]+)', code))
    assert len(names) > 10, names
    return names


def test_metrics_agree_between_reconsume_7_and_the_code():
    items = man_items(MAN7, ".SH STATISTICS", ".SH STATE")
    man = {re.fullmatch(r"\.B (reconsume_[a-z_]+)", h).group(1) for h, _ in items}
    assert man == metric_names_code()


def record_headers_code() -> set[str]:
    """The header names of policy/record.c's table (F, FR, FA rows; not the
    old names FA reads too), and the magic first header."""
    src = (ROOT / "policy" / "record.c").read_text()
    names = set(re.findall(r'^\s*F[RA]?\("([A-Z][A-Za-z-]+)"', src, re.M))
    assert re.search(r'MAGIC\[\] = "Reconsume-Record"', src)
    return names | {"Reconsume-Record"}


def test_record_headers_agree_between_reconsume_7_and_the_code():
    man = set()
    for head, _ in man_items(MAN7, ".SH RECORD FORMAT", ".SH THE TOPIC SINK"):
        man |= {w.strip(", ") for w in re.findall(r"[A-Z][A-Za-z-]+", head.split(" ", 1)[1])}
    man -= {"NAME"}
    assert man == record_headers_code()


LEGACY_PROPS = {"RECONSUME_ORIGIN_QUEUE_ID", "RECONSUME_ORIGIN_QUEUE_OFFSET",
                "RECONSUME_ORIGIN_COMMIT_LOG_OFFSET"}


def test_topic_sink_properties_agree_between_reconsume_7_and_the_code():
    """Every property the topic sink sets is named in reconsume(7)'s THE TOPIC
    SINK (the old names it still reads are said there as a group)."""
    code = set(re.findall(r'"(RECONSUME_[A-Z_]+)"', (ROOT / "sink" / "topicmsg.c").read_text()))
    code |= {"RECONSUME_ORIGIN_PROP_"} if '"RECONSUME_ORIGIN_PROP_' in \
        (ROOT / "sink" / "topicmsg.c").read_text() else set()
    section = unroff(man_section(MAN7, "THE TOPIC SINK"))
    man = set(re.findall(VAR, section)) - (lib_vars() - code)   # RECONSUME_SINK, ...
    assert len(code) > 20
    assert man == code - LEGACY_PROPS, (sorted(man - code), sorted(code - LEGACY_PROPS - man))


def test_doctor_exit_codes_agree_with_reconsume_1():
    help_codes = set(re.findall(r"^  (\d)  ", rc("doctor", "--help").stdout, re.M))
    text = MAN1.read_text()
    section = text.split(".B reconsume doctor\nexits with:")[1].split(".SH")[0]
    man_codes = set(re.findall(r"^\.TP\n\.B (\d+)$", section, re.M))
    assert help_codes == man_codes == {"0", "2", "3", "4", "5", "6", "7", "8", "9"}


@pytest.mark.parametrize("page", [MAN1, MAN7])
def test_man_pages_render_without_warnings(page):
    import shutil
    import subprocess
    groff = shutil.which("groff")
    if not groff:
        pytest.skip("groff not installed")
    p = subprocess.run([groff, "-man", "-Tutf8", "-ww", "-z", str(page)], capture_output=True,
                       text=True)
    assert p.returncode == 0 and p.stderr == "", p.stderr


# ------------------------------------ reconsume-spool(1), reconsume-report(1) ----

MAN_SPOOL = ROOT / "man" / "reconsume-spool.1"
MAN_REPORT = ROOT / "man" / "reconsume-report.1"
SPOOL_TOOL = ROOT / "build" / "reconsume-spool"
REPORT_TOOL = ROOT / "tools" / "reconsume-report"
SPOOL_COMMANDS = ("list", "show", "stats", "replay", "purge")
LONG_OPT = r"(?<![\w-])--[a-z][a-z-]*"


def tool_help(*argv) -> str:
    import subprocess
    r = subprocess.run([str(a) for a in argv], capture_output=True, text=True, env=clean_env())
    assert r.returncode == 0, r.stderr
    return r.stdout


def man_options(page) -> set[str]:
    return set(re.findall(LONG_OPT, unroff(page.read_text())))


@pytest.mark.parametrize("command", [None, *SPOOL_COMMANDS])
def test_every_spool_option_is_in_its_man_page(command):
    """Issue 14: every option `reconsume-spool [COMMAND] --help` names is in
    reconsume-spool(1), and every command has its item there."""
    help_text = tool_help(SPOOL_TOOL, *([command] if command else []), "--help")
    opts = set(re.findall(LONG_OPT, help_text))
    assert opts, help_text
    assert opts <= man_options(MAN_SPOOL), sorted(opts - man_options(MAN_SPOOL))
    if command:
        assert f".B reconsume\\-spool {command}\n" in MAN_SPOOL.read_text()
        assert f".TP\n.B {command}\n" in MAN_SPOOL.read_text()


def test_every_report_option_is_in_its_man_page():
    opts = set(re.findall(LONG_OPT, tool_help("python3", REPORT_TOOL, "--help")))
    assert {"--svg", "--check", "--json"} <= opts
    assert opts <= man_options(MAN_REPORT), sorted(opts - man_options(MAN_REPORT))


@pytest.mark.parametrize("tool,page", [(SPOOL_TOOL, MAN_SPOOL), ("report", MAN_REPORT)])
def test_tool_exit_codes_agree_with_the_man_page(tool, page):
    argv = ["python3", REPORT_TOOL] if tool == "report" else [tool]
    text = tool_help(*argv, "--help").split("exit status:")[1]
    help_codes = set(re.findall(r"(?<![\w-])(\d) (?:done|ok|bad|spool|--check|usage)", text))
    section = page.read_text().split(".SH EXIT STATUS")[1].split(".SH")[0]
    man_codes = set(re.findall(r"^\.TP\n\.B (\d+)$", section, re.M))
    assert help_codes == man_codes and help_codes, (help_codes, man_codes)


def test_the_tools_are_named_by_reconsume_1_and_its_help():
    see_also = unroff(MAN1.read_text().split(".SH SEE ALSO")[1])
    out = rc("--help").stdout
    for name in ("reconsume-spool", "reconsume-report"):
        assert f".BR {name} (1)" in see_also, see_also
        assert f"{name}(1)" in out, out
        assert f".BR {name} (1)" in unroff((MAN_SPOOL if "report" in name else MAN_REPORT).read_text())


@pytest.mark.parametrize("page", [MAN_SPOOL, MAN_REPORT])
def test_tool_man_pages_render_without_warnings(page):
    import shutil
    import subprocess
    groff = shutil.which("groff")
    if not groff:
        pytest.skip("groff not installed")
    p = subprocess.run([groff, "-man", "-Tutf8", "-ww", "-z", str(page)], capture_output=True,
                       text=True)
    assert p.returncode == 0 and p.stderr == "", p.stderr
