"""Run one command and write its wall time and resource usage as JSON (standard library only).

Usage: python bench/_spawn.py RESULT.json TIMEOUT_S -- COMMAND [ARG ...]

Why a launcher: on Linux a child's ``ru_maxrss`` starts from the peak RSS of the process that
spawned it (with ``vfork``, the parent's memory high-water mark is carried through ``exec``). The
benchmark's own process holds the generated songs (hundreds of MB), which would be reported as every
tool's peak. This launcher imports nothing heavy, so the peak it reports is the command's own.

The command inherits stdin, stdout and stderr. Wall time is ``perf_counter`` around spawn and wait,
so it includes the command's start-up but not this launcher's.
"""

import json
import os
import subprocess
import sys
import threading
import time


def main() -> int:
    result_path, timeout = sys.argv[1], float(sys.argv[2])
    if sys.argv[3] != "--":
        raise SystemExit("usage: python bench/_spawn.py RESULT.json TIMEOUT_S -- COMMAND [ARG ...]")
    argv = sys.argv[4:]
    start = time.perf_counter()
    proc = subprocess.Popen(argv)
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    wall = time.perf_counter() - start
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    result = {
        "wall_s": wall,
        "user_s": usage.ru_utime,
        "sys_s": usage.ru_stime,
        "peak_rss_bytes": usage.ru_maxrss * scale,
        "exit_code": os.waitstatus_to_exitcode(status),
        "timed_out": wall >= timeout,
    }
    with open(result_path, "w") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
