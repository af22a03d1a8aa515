"""A sweep over subjobs, shared by the tests of a parent's record of its subjobs: ``fit``
(a loss around CENTRE, edited to change the subjobs' code), ``sweep`` (its best fit), and
a script that prints the best loss."""

from __future__ import annotations

import re
import subprocess

FIT = '''
options = {"alpha": 0.0}

def synthesis(options):
    return {"loss": (options.alpha - CENTRE) ** 2}

CENTRE = %s
'''

SWEEP = '''
from acbuild import subjobs

options = {"alphas": [float]}

def synthesis(options):
    fits = [subjobs.build("fit", alpha=a) for a in options.alphas]
    return min((round(f.load()["loss"], 6), f.id) for f in fits)
'''

SCRIPT = '''
def main(urd):
    best = urd.build("sweep", alphas=[0.1, 0.3, 0.5])
    print("BEST", best.load()[0])
'''


def best(proc: subprocess.CompletedProcess[str]) -> float:
    """What the script printed (on stdout; on stderr under --json)."""
    [value] = re.findall(r"^BEST (\S+)$", proc.stdout + proc.stderr, re.M)
    return float(value)
