#!/usr/bin/env python3
"""Embed a file as a C byte array: embed.py INPUT OUTPUT SYMBOL (build-time helper)."""
import sys

data = open(sys.argv[1], "rb").read()
sym = sys.argv[3]
with open(sys.argv[2], "w") as out:
    out.write("/* Generated from %s by daemon/embed.py: do not edit. */\n" % sys.argv[1].split("/")[-1])
    out.write("#include <stddef.h>\n")
    out.write("extern const unsigned char %s[];\nextern const size_t %s_size;\n" % (sym, sym))
    out.write("const unsigned char %s[] = {\n" % sym)
    for i in range(0, len(data), 16):
        out.write("  " + ", ".join("%d" % b for b in data[i:i + 16]) + ",\n")
    out.write("  0\n};\nconst size_t %s_size = %d;\n" % (sym, len(data)))
