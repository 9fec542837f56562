#!/usr/bin/env python3
"""modelmem against published measurements of real runs (measurements.json).

    accuracy.py MODELMEM WORKDIR [--report | --markdown] [--only ID]

For every row: builds the model's tensor layout from its config as sparse
files under WORKDIR (layouts.py), runs `modelmem estimate TARGET --json`
with the row's options, reads the row's key and compares it with the
published figure: a component within 2%, a total within 5%. Every row is
computed and printed. A row marked as a known gap is expected to miss; if it
matches, that is printed too. Exit status 1 when a row that is not a known
gap misses (or modelmem fails), 0 otherwise; --report (every row with its
source and setup) and --markdown (the README's table) always exit 0. The
layouts are removed at the end (--keep keeps them). Exit status 77 (a
skip) where WORKDIR's file system does not keep holes, since the layouts
would then take hundreds of GB.
Python 3 standard library only.
"""
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
UNIT = {"GiB": 1 << 30, "MiB": 1 << 20, "GB": 10**9, "MB": 10**6, "B": 1}
TOLERANCE = {"component": 0.02, "total": 0.05}


def published_bytes(p):
    """The published figure in bytes (a float: published figures are rounded)."""
    if p["unit"] == "blocks16":
        return p["value"] * 16 * p["per_token_bytes"]
    return p["value"] * UNIT[p["unit"]] / p.get("divide_by", 1)


def lookup(doc, key):
    for part in key.split("."):
        doc = doc[part]
    return doc


def run_row(modelmem, workdir, row, built):
    with open(os.path.join(HERE, "configs", row["config"]), encoding="utf-8") as f:
        cfg = json.load(f)
    tag = row["config"].rsplit(".", 1)[0] + "--" + row["layout"]
    if tag not in built:
        sys.path.insert(0, HERE)
        import layouts  # noqa: E402 (beside this script)
        built[tag] = layouts.build(row["layout"], cfg, os.path.join(workdir, tag))
    cmd = [modelmem, "estimate", built[tag], "--json"] + row["args"]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), res.returncode, res.stderr.strip()))
    return lookup(json.loads(res.stdout), row["key"])


class NotSparse(Exception):
    """The file system allocated the holes of a layout."""


def check_sparse(workdir):
    """A 64 MiB hole must take (almost) no blocks before any layout is
    written."""
    os.makedirs(workdir, exist_ok=True)
    probe = os.path.join(workdir, "probe")
    with open(probe, "wb") as f:
        f.truncate(64 << 20)
    blocks = os.stat(probe).st_blocks
    os.remove(probe)
    if blocks * 512 > 1 << 20:
        raise NotSparse(workdir)


def human(n):
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return "%.2f %s" % (n / size, unit)
    return "%.0f B" % n


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    report = "--report" in argv
    markdown = "--markdown" in argv
    only = argv[argv.index("--only") + 1] if "--only" in argv else None
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    modelmem, workdir = args[0], args[1]
    with open(os.path.join(HERE, "measurements.json"), encoding="utf-8") as f:
        rows = json.load(f)["rows"]
    built = {}
    workdir = os.path.join(workdir, "layouts")
    try:
        check_sparse(workdir)
        return run_rows(modelmem, workdir, rows, built, only, report, markdown)
    except NotSparse as e:
        print("accuracy: %s: the file system fills holes; skipped" % e, file=sys.stderr)
        return 77
    finally:
        if "--keep" not in argv:
            shutil.rmtree(workdir, ignore_errors=True)


def run_rows(modelmem, workdir, rows, built, only, report, markdown):
    counts = {"pass": 0, "FAIL": 0, "gap": 0, "GAP NOW PASSES": 0}
    if markdown:
        print("| row | source | published | modelmem | error | status |\n|---|---|--:|--:|--:|---|")
    else:
        print("%-42s %-6s %14s %14s %9s  %s"
              % ("row", "kind", "published", "modelmem", "error", "status"))
    for row in rows:
        if only and row["id"] != only:
            continue
        want = published_bytes(row["published"])
        try:
            got = run_row(modelmem, workdir, row, built)
        except (RuntimeError, KeyError, OSError) as e:
            print("%-42s ERROR %s" % (row["id"], e))
            counts["FAIL"] += 1
            continue
        err = (got - want) / want
        ok = abs(err) <= TOLERANCE[row["kind"]]
        if "gap" in row:
            status = "GAP NOW PASSES" if ok else "gap"
        else:
            status = "pass" if ok else "FAIL"
        counts[status] += 1
        if markdown:
            src = row["source"].replace("https://github.com/", "").replace("https://", "")
            print("| %s | [%s](%s) | %s | %s | %+.2f%% | %s |" % (
                row["id"], src, row["source"], human(want), human(got), 100 * err,
                "known gap" if status == "gap" else status))
            continue
        print("%-42s %-6s %14s %14s %+8.2f%%  %s" % (row["id"], row["kind"][:6], human(want),
                                                     human(got), 100 * err, status))
        if report:
            print("    source:  %s\n    quote:   %s\n    setup:   %s (%s)\n    key:     %s,"
                  " modelmem %s" % (row["source"], row["quote"], row["setup"], row["runtime"],
                                    row["key"], " ".join(row["args"])))
            if "gap" in row:
                print("    gap:     %s; needs %s" % (row["gap"]["reason"], row["gap"]["needs"]))
    print("rows: %d pass, %d known gaps, %d known gaps now passing, %d fail"
          % (counts["pass"], counts["gap"], counts["GAP NOW PASSES"], counts["FAIL"]))
    return 0 if report or markdown or counts["FAIL"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
