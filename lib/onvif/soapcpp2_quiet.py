#!/usr/bin/env python3
"""Runs soapcpp2 and shows what it says only when it matters.

    soapcpp2_quiet.py SOAPCPP2 ARG...

soapcpp2 has no quiet flag: every run prints its licence banner and a line per file it
writes, all on stderr, and ninja shows whatever a build command prints, so a clean build
would scroll some forty lines by. Here a failure shows everything, a success only the
lines that warn; the exit status is soapcpp2's.
"""
import subprocess
import sys

r = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                   text=True, errors="replace", check=False)
if r.returncode != 0:
    sys.stderr.write(r.stdout)
else:
    sys.stderr.write("".join(line for line in r.stdout.splitlines(True)
                             if "warning" in line.lower()))
sys.exit(r.returncode)
