"""`newswatch ... | head`: a reader that goes away ends the command quietly, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Writes far more than a pipe holds through the CLI's own entry point, to a reader that stops.
WRITER = """
import argparse, sys
from newswatch_tools import cli

def flood(args):
    for n in range(200000):
        print('{"n": %d, "text": "a line of an article listing"}' % n)
    return 0

def build():
    p = argparse.ArgumentParser()
    p.set_defaults(func=flood)
    return p
cli.build_parser = build
sys.exit(cli.main([]))
"""


def test_a_closed_pipe_ends_the_command_without_a_traceback() -> None:
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO
    )
    assert writer.stdout is not None
    assert writer.stdout.readline().startswith(b'{"n": 0')
    writer.stdout.close()  # what `head -1` does after its line
    _, stderr = writer.communicate(timeout=60)
    assert writer.returncode == 141
    assert b"Traceback" not in stderr and b"BrokenPipeError" not in stderr
