"""The command line: options (argparse), which files make which output, the
exit status (0 ok, 1 --check found a problem, 2 usage or input error) and the
error lines on stderr.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from .errors import PROG, InputError, read_bytes
from .exposition import load_exposition, parse_exposition
from .figures import figures
from .series import load_csv
from .svg import render_svg
from .table import diff_json, render_one, render_two


class Parser(argparse.ArgumentParser):
    def error(self, message):
        sys.stderr.write(f"{PROG}: {message} (see --help)\n")
        sys.exit(2)


def main(argv=None):
    p = Parser(prog=PROG, description="Tables, comparisons and charts of RECONSUME_STATS files.",
               formatter_class=argparse.RawDescriptionHelpFormatter,
               epilog="exit status: 0 ok, 1 --check found problems, 2 usage or input error")
    p.add_argument("files", nargs="*", metavar="FILE",
                   help="RUN.prom (table), A.prom B.prom (comparison); RUN.prom.csv for --svg only")
    p.add_argument("--labels", help="names for the runs, comma-separated (default: file names)")
    p.add_argument("--svg", metavar="OUT.svg", help="draw outcomes over time from FILE.csv")
    p.add_argument("--chart", choices=("cumulative", "rate"), default="cumulative",
                   help="--svg plots cumulative counts (default) or per-second rates")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--check", action="store_true",
                   help="validate each FILE as Prometheus text format ('-' = stdin)")
    a = p.parse_args(argv)

    if a.check:
        if not a.files:
            p.error("--check needs at least one FILE")
        if a.svg or a.json or a.labels:
            p.error("--check takes no other option")
        bad = False
        for path in a.files:
            try:
                data = read_bytes(path)
            except InputError as e:
                for line in e.lines:
                    print(f"{PROG}: {line}", file=sys.stderr)
                return 2
            name = "<stdin>" if path == "-" else path
            expo, errors = parse_exposition(data, name)
            for line in errors:
                print(line, file=sys.stderr)
            if errors:
                bad = True
            else:
                print(f"{name}: ok ({len(expo.samples)} samples, "
                      f"{sum(1 for f in expo.families.values() if f.samples)} metric families)")
        return 1 if bad else 0

    if not a.files:
        p.error("give RUN.prom, or A.prom B.prom, or --check FILE")
    if len(a.files) > 2:
        p.error(f"at most two runs, got {len(a.files)} files")
    if a.labels is not None:
        labels = a.labels.split(",")
        if len(labels) != len(a.files) or not all(labels):
            p.error(f"--labels needs {len(a.files)} non-empty name(s), comma-separated")
    else:
        labels = [os.path.basename(f) for f in a.files]
        if len(set(labels)) < len(labels):
            labels = list(a.files)
    csv_only = [f for f in a.files if f.endswith(".csv")]
    if csv_only and not a.svg:
        p.error(f"{csv_only[0]}: a .csv file can only be charted (--svg OUT.svg)")
    if csv_only and a.json:
        p.error("--json needs .prom files")
    if "-" in a.files:
        p.error("'-' (stdin) is only for --check")

    try:
        text = None
        if not csv_only:
            figs = [figures(load_exposition(f), lbl) for f, lbl in zip(a.files, labels)]
            if a.json:
                doc = {"runs": figs}
                if len(figs) == 2:
                    doc["diff"] = diff_json(*figs)
                text = json.dumps(doc, indent=2) + "\n"
            else:
                text = render_one(figs[0]) if len(figs) == 1 else render_two(*figs)
        if a.svg:
            runs = [load_csv(f if f.endswith(".csv") else f + ".csv", lbl)
                    for f, lbl in zip(a.files, labels)]
            svg = render_svg(runs, a.chart)
            tmp = a.svg + ".tmp"
            try:
                with open(tmp, "w", encoding="utf-8") as out:
                    out.write(svg)
                os.replace(tmp, a.svg)
            except OSError as e:
                raise InputError([f"{a.svg}: {e.strerror or e}"])
    except InputError as e:
        for line in e.lines:
            print(f"{PROG}: {line}", file=sys.stderr)
        return 2
    if text:
        sys.stdout.write(text)
    return 0


def run(argv=None):
    """main() as a program: the exit status, quiet on a closed pipe or ^C."""
    try:
        return main(argv)
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
