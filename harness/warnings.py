#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""warnings.py SRC OBJ LOG - the compiler and sparse warnings of a build log as
"path: message" lines (path relative to SRC and normalised, no line or
column numbers), sorted and unique, so two trees' logs compare."""
import os
import re
import sys

src, obj, log = os.path.realpath(sys.argv[1]), sys.argv[2], sys.argv[3]
rx = re.compile(r'^(\S+?):\d+(?::\d+)?: (warning|error): (.*)$')
out = set()
with open(log, errors='replace') as f:
    for line in f:
        m = rx.match(line.rstrip('\n'))
        if not m:
            continue
        # gcc names files relative to the object tree, sparse absolutely
        path = os.path.normpath(os.path.join(obj, m.group(1)))
        if path.startswith(src + '/'):
            path = path[len(src) + 1:]
        out.add('%s: %s: %s' % (path, m.group(2), m.group(3)))
for w in sorted(out):
    print(w)
