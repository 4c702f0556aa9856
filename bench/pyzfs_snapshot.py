"""Times pyzfs's lzc_snapshot in one Python process: the same kernel call as
the addon, as a reference. argv: N, then one or more datasets per call.
Prints a JSON list of per-call milliseconds."""
import json
import sys
import time

import libzfs_core as lzc

n = int(sys.argv[1])
datasets = sys.argv[2:]
out = []
for i in range(n):
    snaps = [("%s@py%d" % (d, i)).encode() for d in datasets]
    t0 = time.perf_counter()
    lzc.lzc_snapshot(snaps)
    out.append((time.perf_counter() - t0) * 1000)
print(json.dumps(out))
