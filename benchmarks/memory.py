"""Memory of the deep scalar chain (W5): peak RSS growth per record and per link, in one fresh
subprocess per measurement so that one library's peak does not hide another's.

    python benchmarks/memory.py tape 1000000     # prints one line of JSON
"""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
from typing import Any

X0 = 0.5


def _peak() -> int:
    """Peak resident set size of this process so far, in bytes.

    VmHWM from /proc/self/status where there is one: ``getrusage``'s ru_maxrss survives
    fork + exec on Linux, so a child started by a big parent would report the parent's peak.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _measure(lib: str, n: int) -> dict[str, Any]:
    out: dict[str, Any] = {"lib": lib, "n": n}
    if lib == "tape":
        import tape as tp

        def record(n: int) -> tuple[Any, Any, Any]:
            x0 = tp.Var(X0)
            t = tp.Tape()
            with t:
                x = x0
                for _ in range(n):
                    x = 1.0001 * x + 0.1 * tp.sin(x)
            return t, x, x0

        t, x, x0 = record(1000)  # warm: imports, caches, allocator pools
        t.gradient(x, x0)
        del t, x, x0
        base = _peak()
        t, x, x0 = record(n)
        rec = _peak()
        out["records"] = len(t._records)
        t.gradient(x, x0)
        swept = _peak()
    elif lib == "python floats":

        def chain(n: int) -> float:
            xs = [0.0] * n
            x = X0
            for i in range(n):
                xs[i] = x
                x = 1.0001 * x + 0.1 * math.sin(x)
            g = 1.0
            for i in range(n - 1, -1, -1):
                g *= 1.0001 + 0.1 * math.cos(xs[i])
            return g

        chain(1000)
        base = _peak()
        chain(n)
        rec = swept = _peak()
    elif lib == "torch":
        import torch

        def record_t(n: int) -> tuple[Any, Any]:
            x0 = torch.tensor(X0, dtype=torch.float64, requires_grad=True)
            x = x0
            for _ in range(n):
                x = 1.0001 * x + 0.1 * torch.sin(x)
            return x, x0

        x, x0 = record_t(1000)
        x.backward()
        del x, x0
        base = _peak()
        x, x0 = record_t(n)
        rec = _peak()
        x.backward()
        swept = _peak()
    else:
        raise SystemExit(f"unknown library {lib!r}")
    out.update(
        base=base,
        recording_bytes=rec - base,
        with_sweep_bytes=swept - base,
        bytes_per_link=(rec - base) / n,
    )
    if "records" in out:
        out["bytes_per_record"] = (rec - base) / out["records"]
        out["bytes_per_record_with_sweep"] = (swept - base) / out["records"]
    return out


def measure_in_subprocess(lib: str, n: int, threads: int, timeout: float = 300) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; an error comes back as {"error": ...}."""
    env = dict(os.environ)
    cmd = [sys.executable, os.path.abspath(__file__), lib, str(n)]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"lib": lib, "n": n, "error": f"timed out after {timeout:.0f} s"}
    if p.returncode != 0:
        last = (p.stderr.strip().splitlines() or ["?"])[-1]
        return {"lib": lib, "n": n, "error": f"exit {p.returncode}: {last}"}
    return dict(json.loads(p.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    print(json.dumps(_measure(sys.argv[1], int(sys.argv[2]))))
