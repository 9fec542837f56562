#!/usr/bin/env python3
"""Prints every row of the accuracy table: source, setup, published figure,
modelmem's, the error and whether the row is a known gap.

    report.py [MODELMEM [WORKDIR]]     (defaults: build/modelmem, a temp dir)
"""
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import accuracy  # noqa: E402

if __name__ == "__main__":
    exe = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "build", "modelmem")
    with tempfile.TemporaryDirectory() as tmp:
        work = sys.argv[2] if len(sys.argv) > 2 else tmp
        sys.exit(accuracy.main(["accuracy.py", exe, work, "--report"]))
