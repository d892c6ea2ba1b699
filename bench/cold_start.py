"""Reproduce an AWS Lambda cold start of the function on this machine, without Docker.

No Docker engine runs where the project is developed, so this replays the image instead of building it:

1. **Build.** Every instruction of the ``Dockerfile`` (FROM, ENV, WORKDIR, COPY, RUN, CMD) is carried
   out into a folder: COPY takes files from the build context as ``.dockerignore`` leaves it, RUN runs
   in ``/bin/sh`` with ``python`` and ``pip`` meaning the interpreter chosen, and the task root
   (``/var/task`` in the image) has the same absolute path at build and at run time.
2. **Freeze.** ``chmod -R a-w`` on the task root, as Lambda's read-only ``/var/task``.
3. **Cold start.** A new process, in a mount namespace where ``/`` is read-only (root ignores file
   modes, a read-only mount it can't) and ``/tmp`` is a fresh, empty tmpfs (Lambda's only writable
   place), with no usable ``/dev/shm`` (Lambda has none), HOME an unwritable folder, cwd the task
   root, and the environment Lambda would give: the Dockerfile's ENV, ``serverless.yml``'s
   environment, Lambda's own variables. It imports the handler named by CMD and invokes it with a
   real API Gateway HTTP API (payload 2.0) event: ``POST /remix`` of a 30 s stereo clip, by default as
   JSON naming a URL served on 127.0.0.1 (the only override: ``MUSICREMIXER_ALLOW_PRIVATE_URLS=1``).
4. **Report.** Time from process start to the finished remix, broken down; the top imports by
   ``-X importtime`` (a separate cold process, as that flag slows imports); the runtime folder's size
   (the image's payload on top of the base image) and its biggest packages.

It fails (exit 1) when the remix fails or doesn't decode, when numba or librosa were imported, when a
module was loaded from outside the folder and the standard library, when a module in the folder had no
``.pyc`` (it would be compiled again at every cold start), or when the sandbox wasn't read-only; and
exits 2 when everything worked but the median cold start missed ``--budget`` (3 s). The median, as
``bench/run.py`` judges its goals: this machine's speed drifts by a fifth over minutes, and the
slowest of a few runs measures that drift more than the code (the report gives the slowest too).

Not reproduced: Lambda's own bootstrap (awslambdaric, tens of ms), reading the image from network
storage (files here are in the page cache), and Lambda's CPU share (3,008 MB is ~1.7 vCPUs; this
machine's cores may be faster or slower).

Usage (from the repository root; ``--python`` names the interpreter the image has, Python 3.12)::

    .venv/bin/python -m bench.cold_start --python ~/.pyenv/versions/3.12.1/bin/python3.12
    .venv/bin/python -m bench.cold_start --reuse          # skip the build, use the folder built last
"""

from __future__ import annotations

import argparse
import base64
import fnmatch
import hashlib
import http.server
import io
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BASE = Path("/var/tmp/musicremixer-cold-start")  # outside the repo, kept for --reuse
BASE_IMAGE = "public.ecr.aws/lambda/python:3.12"
# What the base image sets that matters here (the rest is its PATH and runtime internals).
BASE_IMAGE_ENV = {
    "LAMBDA_TASK_ROOT": "/var/task",
    "LAMBDA_RUNTIME_DIR": "/var/runtime",
    "LANG": "en_US.UTF-8",
}
FORBIDDEN = ("numba", "llvmlite", "librosa")  # the runtime pipeline must not import these
LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024  # buffered response (and request) limit
STAMP = ".cold-start-build.json"


# ---- the Dockerfile and its build context ---------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    op: str  # upper case: FROM, ENV, ...
    args: str


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions in order, with comments dropped and ``\\`` continuations joined."""
    out: list[Instruction] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):  # comment lines inside a continuation are dropped
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = (pending + stripped).strip()
        pending = ""
        op, _, args = full.partition(" ")
        out.append(Instruction(op.upper(), args.strip()))
    return out


def parse_env(args: str) -> dict[str, str]:
    """``ENV K=V K2="V 2"`` (or the old ``ENV K V``) as a dict."""
    words = shlex.split(args)
    if words and "=" not in words[0]:
        return {words[0]: " ".join(words[1:])}
    return dict(word.split("=", 1) for word in words)


def parse_cmd(args: str) -> list[str]:
    """The exec form ``CMD ["module.attr"]``, the only one the Lambda runtime reads."""
    return json.loads(args)


def dockerignore_rules(text: str) -> list[tuple[bool, str]]:
    """``(negated, pattern)`` in file order; later rules win, as in Docker."""
    rules = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = os.path.normpath(line.lstrip("!").strip()).lstrip("/")
        rules.append((negated, pattern))
    return rules


def _matches(path: str, pattern: str) -> bool:
    # A pattern matching a folder matches everything in it; "**/" may also match no folder at all.
    candidates = [pattern] + ([pattern[3:]] if pattern.startswith("**/") else [])
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(fnmatch.fnmatchcase(prefix, cand) for cand in candidates for prefix in prefixes)


def is_ignored(path: str, rules: list[tuple[bool, str]]) -> bool:
    """Whether ``path`` (relative, with /) is left out of the build context."""
    ignored = False
    for negated, pattern in rules:
        if _matches(path, pattern):
            ignored = not negated
    return ignored


def context_files(root: Path, rules: list[tuple[bool, str]]) -> list[str]:
    """The build context: every file under ``root`` that ``.dockerignore`` lets in."""
    files = []
    for folder, dirs, names in os.walk(root):
        rel = os.path.relpath(folder, root)
        rel = "" if rel == "." else rel + "/"
        # Walk into an ignored folder only if a "!" rule could bring something in it back.
        dirs[:] = [
            d
            for d in dirs
            if not is_ignored(rel + d, rules)
            or any(neg and (pat.startswith(rel + d + "/") or "*" in pat) for neg, pat in rules)
        ]
        dirs[:] = [d for d in dirs if d not in (".git", ".venv", "node_modules")]
        files += [rel + n for n in names if not is_ignored(rel + n, rules)]
    return sorted(files)


# ---- replaying the image into a folder -------------------------------------------------------------


@dataclass
class Image:
    """The image, replayed: where its root is on this machine, its ENV and its CMD."""

    root: Path
    env: dict[str, str] = field(default_factory=dict)  # as the container sees it
    cmd: list[str] = field(default_factory=list)
    workdir: str = "/var/task"

    def host(self, path: str) -> Path:
        """This machine's path for the container's ``path``; /tmp stays /tmp (a tmpfs at run time)."""
        if path == "/tmp" or path.startswith("/tmp/"):
            return Path(path)
        return self.root / path.lstrip("/")

    def host_env(self) -> dict[str, str]:
        return {k: str(self.host(v)) if v.startswith("/") else v for k, v in self.env.items()}

    @property
    def task_root(self) -> Path:
        return self.host(BASE_IMAGE_ENV["LAMBDA_TASK_ROOT"])


def _expand(text: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: env.get(m.group(1) or m.group(2), ""), text)


def _shims(folder: Path, python: str) -> None:
    """``python``, ``python3``, ``pip`` and ``pip3`` as the image has them, for RUN lines."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, tail in [("python", ""), ("python3", ""), ("pip", " -m pip"), ("pip3", " -m pip")]:
        shim = folder / name
        shim.write_text(f'#!/bin/sh\nexec {shlex.quote(python)}{tail} "$@"\n')
        shim.chmod(0o755)


def replay_dockerfile(base: Path, python: str, *, log=print) -> Image:
    """Carry out the Dockerfile into ``base`` (wiped first) and return the image."""
    if base.exists():
        subprocess.run(["chmod", "-R", "u+w", str(base)], check=True)
        shutil.rmtree(base)
    image = Image(root=base / "image", env=dict(BASE_IMAGE_ENV))
    rules = dockerignore_rules((ROOT / ".dockerignore").read_text())
    context = context_files(ROOT, rules)
    shims = base / "shims"
    _shims(shims, python)
    run_env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    for ins in parse_dockerfile((ROOT / "Dockerfile").read_text()):
        if ins.op == "FROM":
            if ins.args != BASE_IMAGE:
                raise SystemExit(f"Dockerfile: FROM {ins.args}, but this script reproduces {BASE_IMAGE}")
        elif ins.op == "ENV":
            image.env.update({k: _expand(v, image.env) for k, v in parse_env(ins.args).items()})
        elif ins.op == "WORKDIR":
            image.workdir = os.path.join(image.workdir, _expand(ins.args, image.env))
            image.host(image.workdir).mkdir(parents=True, exist_ok=True)
        elif ins.op == "COPY":
            *sources, dest = shlex.split(_expand(ins.args, image.env))
            target = image.host(os.path.join(image.workdir, dest))
            for src in sources:
                src = os.path.normpath(src)
                picked = [f for f in context if f == src or f.startswith(src + "/")]
                if not picked:
                    raise SystemExit(f"Dockerfile: COPY {src}: not in the build context (.dockerignore?)")
                for f in picked:
                    rel = os.path.relpath(f, src) if f != src else os.path.basename(f)
                    out = target / rel if (dest.endswith("/") or len(picked) > 1 or f != src) else target
                    out.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(ROOT / f, out)
        elif ins.op == "RUN":
            log(f"  RUN {ins.args}")
            env = {**run_env, **image.host_env(), "PATH": f"{shims}:{run_env.get('PATH', '/usr/bin:/bin')}"}
            subprocess.run(["/bin/sh", "-c", ins.args], cwd=image.host(image.workdir), env=env, check=True)
        elif ins.op == "CMD":
            image.cmd = parse_cmd(ins.args)
        else:
            raise SystemExit(f"Dockerfile: {ins.op} is not replayed by bench/cold_start.py; add it here")
    if image.workdir != BASE_IMAGE_ENV["LAMBDA_TASK_ROOT"]:
        raise SystemExit(f"Dockerfile: ends in WORKDIR {image.workdir}; Lambda expects the task root")
    return image


def build_fingerprint() -> str:
    """Hash of what the build depends on, to tell a stale --reuse folder."""
    digest = hashlib.sha256()
    rules = dockerignore_rules((ROOT / ".dockerignore").read_text())
    for rel in ["Dockerfile", ".dockerignore", *context_files(ROOT, rules)]:
        digest.update(rel.encode() + b"\0" + (ROOT / rel).read_bytes())
    return digest.hexdigest()[:16]


# ---- the child: one cold Lambda process ------------------------------------------------------------

# Runs as `python -c CHILD handler.path task_root`, the event on stdin, a JSON report on stdout.
CHILD = r"""
import os, time; T0 = time.time(); C0 = sum(os.times()[:2])
import importlib, importlib.util, json, os, resource, sys, sysconfig

def main():
    spec, task, repeat = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
    exec_ns = int(os.environ.pop("COLD_START_EXEC_NS", "0") or 0)
    out = {"t_exec": exec_ns / 1e9, "t_first_line": T0, "c_exec": 0.0, "c_first_line": C0}

    def mark(name):  # wall clock and this process's CPU time (user + system)
        out["t_" + name], out["c_" + name] = time.time(), sum(os.times()[:2])

    # What the Lambda runtime does at INIT: import the handler module named by CMD.
    module, attr = spec.rsplit(".", 1)
    handler = getattr(importlib.import_module(module), attr)
    mark("handler_imported")
    out["handler_type"] = type(handler).__module__ + "." + type(handler).__qualname__
    event = json.loads(sys.stdin.read())

    class Context:  # the attributes Lambda's context object has that apps look at
        function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "musicremixer")
        memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "3008")
        aws_request_id = "cold-start-0"
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + function_name
        def get_remaining_time_in_millis(self):
            return 29000

    mark("invoke")
    response = handler(event, Context())
    mark("done")
    if repeat:  # the same request again, warm: what the remix costs once everything is imported
        t = time.time(); handler(event, Context()); out["warm_invoke_s"] = time.time() - t
    out["response"] = response
    out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # Checks, after the timing.
    stdlib = [os.path.realpath(sysconfig.get_paths()[k]) for k in ("stdlib", "platstdlib")]
    task_real = os.path.realpath(task)
    out["forbidden"] = sorted(m for m in sys.modules if m.split(".")[0] in __FORBIDDEN__)
    leaked, no_pyc, checked_pyc, n_task = [], [], [], 0
    for name, mod in list(sys.modules.items()):
        path = getattr(mod, "__file__", None)
        if not path:
            continue
        real = os.path.realpath(path)
        in_task = real.startswith(task_real + os.sep)
        n_task += in_task
        if not in_task and not any(real.startswith(s + os.sep) for s in stdlib):
            leaked.append(name + " " + real)
        if in_task and real.endswith(".py"):
            cached = importlib.util.cache_from_source(real)
            try:
                with open(cached, "rb") as f:
                    flags = int.from_bytes(f.read(8)[4:8], "little")
            except OSError:
                no_pyc.append(name)
                continue
            if flags != 0b01:  # not unchecked-hash: valid only while file times survive
                checked_pyc.append(name)
    out.update(leaked=sorted(leaked), no_pyc=sorted(no_pyc), not_unchecked_hash=sorted(checked_pyc),
               modules=len(sys.modules), modules_from_task=n_task)

    def writable(folder):
        probe = os.path.join(folder, ".cold-start-probe")
        try:
            with open(probe, "w"):
                pass
        except OSError:
            return False
        os.unlink(probe)
        return True

    out["writable"] = {"task_root": writable(task), "home": writable(os.environ.get("HOME", "/")),
                       "cwd": writable(os.getcwd()), "root": writable("/"), "tmp": writable("/tmp")}
    out["tmp_entries"] = sorted(os.listdir("/tmp"))
    sys.stdout.write(json.dumps(out))

main()
""".replace("__FORBIDDEN__", repr(FORBIDDEN))

# The sandbox, set up by a shell in a new mount namespace, which then becomes the Python process.
SANDBOX = r"""
set -e
mount --make-rprivate /
mount -o remount,bind,ro /
mount -t tmpfs -o size=512m,mode=1777 tmpfs /tmp
if mountpoint -q /dev/shm; then mount -t tmpfs -o ro,size=4k tmpfs /dev/shm; fi
cd "$COLD_START_CWD"; unset COLD_START_CWD
export COLD_START_EXEC_NS="$(date +%s%N)"
exec "$@"
"""


def namespace_available() -> bool:
    try:
        probe = subprocess.run(
            ["unshare", "--mount", "--", "/bin/sh", "-c", "mount -o remount,bind,ro /"],
            capture_output=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def serverless_environment() -> dict[str, str]:
    """serverless.yml's provider and function environment, ``${env:X, 'default'}`` resolved as unset."""
    import yaml

    config = yaml.safe_load((ROOT / "serverless.yml").read_text())
    env = dict(config["provider"].get("environment") or {})
    for function in (config.get("functions") or {}).values():
        env.update(function.get("environment") or {})
    resolved = {}
    for key, value in env.items():
        value = str(value)
        m = re.fullmatch(r"\$\{env:(\w+),\s*'([^']*)'\}", value)
        resolved[key] = m.group(2) if m else value
    memory = str(config["provider"].get("memorySize", 3008))
    return {**resolved, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": memory}


def lambda_environment(image: Image, home: Path, overrides: dict[str, str]) -> dict[str, str]:
    """The child's whole environment: Lambda's variables, the image's ENV, the function's settings."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "TZ": ":UTC",
        "TMPDIR": "/tmp",
        "HOME": str(home),
        "PYTHONPATH": str(image.task_root),  # Lambda's runtime puts the task root first on sys.path
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": "musicremixer-prod-api",
        "AWS_EXECUTION_ENV": "AWS_Lambda_Image",
        **image.host_env(),
        **serverless_environment(),
        **overrides,
    }
    # This machine's OpenBLAS workaround (see the workplace notes), not Lambda's; kept as found.
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def run_child(image, python, env, event, *, sandboxed, importtime=False, repeat=False):
    flags = ["-X", "importtime"] if importtime else []
    args = [python, *flags, "-c", CHILD, image.cmd[0], str(image.task_root), "1" if repeat else "0"]
    cwd = str(image.host(image.workdir))
    if sandboxed:
        cmd = ["unshare", "--mount", "--", "/bin/sh", "-c", SANDBOX, "sandbox", *args]
        env = {**env, "COLD_START_CWD": cwd}
    else:
        cmd = ["/bin/sh", "-c", 'export COLD_START_EXEC_NS="$(date +%s%N)"; exec "$@"', "sh", *args]
    t_spawn = time.time()
    proc = subprocess.run(cmd, input=json.dumps(event).encode(), capture_output=True, env=env, cwd=cwd)
    t_end = time.time()
    if proc.returncode != 0 or not proc.stdout:
        sys.stderr.write(proc.stderr.decode(errors="replace")[-6000:])
        raise SystemExit(f"the cold process failed (exit {proc.returncode})")
    out = json.loads(proc.stdout)
    out.update(t_spawn=t_spawn, t_end=t_end, stderr=proc.stderr.decode(errors="replace"))
    return out


# ---- the request -----------------------------------------------------------------------------------


def clip_bytes(seconds: float, fmt: str) -> bytes:
    """A synthetic stereo 44.1 kHz song of ``seconds`` (tests/synth.py), encoded as ``fmt``."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.synth import synthetic_song

    bars = max(1, round(seconds / 2))  # 4/4 at 120 BPM: 2 s a bar
    return synthetic_song(bpm=120, meter=4, bars=bars, sr=44100, channels=2).to_bytes(fmt)


def http_api_event(
    method: str,
    path: str,
    body: bytes = b"",
    content_type: str | None = None,
    *,
    binary: bool = False,
    query: str = "",
    headers: dict[str, str] | None = None,
) -> dict:
    """An API Gateway HTTP API event, payload format 2.0, as Lambda delivers it.

    ``headers`` (the client's) are added lower-cased, as API Gateway does; ``binary`` bodies travel
    base64-encoded (``isBase64Encoded``).
    """
    now = time.time()
    host = "abc123.execute-api.us-east-1.amazonaws.com"
    sent = {
        "accept": "*/*",
        "user-agent": "bench/cold_start.py",
        **{k.lower(): v for k, v in (headers or {}).items()},
        "host": host,
        "x-amzn-trace-id": "Root=1-00000000-000000000000000000000000",
        "x-forwarded-for": "203.0.113.7",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    }
    if body:
        sent["content-length"] = str(len(body))
    if content_type:
        sent["content-type"] = content_type
    event = {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": sent,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": host,
            "domainPrefix": "abc123",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": sent["user-agent"],
            },
            "requestId": "cold-start-0",
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": bool(body) and binary,
    }
    if query:
        pairs = [part.partition("=") for part in query.split("&") if part]
        event["queryStringParameters"] = {k: v for k, _, v in pairs}
    if body:
        event["body"] = base64.b64encode(body).decode() if binary else body.decode()
    return event


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = "cold-start-" + hashlib.sha1(os.urandom(8)).hexdigest()
    out = io.BytesIO()
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        out.write(head.encode() + value.encode() + b"\r\n")
    for name, filename, data in files:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        out.write(head.encode() + b"Content-Type: application/octet-stream\r\n\r\n" + data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


class _ClipServer(http.server.ThreadingHTTPServer):
    daemon_threads = True


def serve_clip(data: bytes, name: str) -> tuple[_ClipServer, str]:
    """Serve ``data`` at http://127.0.0.1:<port>/<name> from a thread."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path != "/" + name:
                self.send_error(404)
                return
            self.send_response(200)
            media = {"wav": "audio/wav", "flac": "audio/flac", "ogg": "audio/ogg", "mp3": "audio/mpeg"}
            self.send_header("Content-Type", media.get(name.rpartition(".")[2], "application/octet-stream"))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = _ClipServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/{name}"


# ---- reporting -------------------------------------------------------------------------------------


def parse_importtime(stderr: str) -> list[tuple[int, int, int, str]]:
    """``(self_us, cumulative_us, depth, module)`` for each ``-X importtime`` line."""
    rows = []
    for line in stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m:
            rows.append((int(m.group(1)), int(m.group(2)), len(m.group(3)), m.group(4)))
    return rows


def import_report(rows, top: int) -> list[str]:
    lines = []
    by_package: dict[str, int] = defaultdict(int)
    for self_us, _, _, name in rows:
        by_package[name.split(".")[0]] += self_us
    total = sum(by_package.values())
    lines.append(f"  all imports, self time summed: {total / 1e6:.2f} s over {len(rows)} modules")
    lines.append("  by top-level package (self time of all its modules):")
    for name, us in sorted(by_package.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"    {us / 1e6:7.3f} s  {name}")
    lines.append("  slowest single modules (self time):")
    for self_us, _, _, name in sorted(rows, key=lambda r: -r[0])[:top]:
        lines.append(f"    {self_us / 1e6:7.3f} s  {name}")
    shallowest = min((depth for *_, depth, _ in rows), default=0)
    roots = [r for r in rows if r[2] == shallowest]
    lines.append("  imports made directly by the process (cumulative, i.e. with what they pull in):")
    for _, cum, _, name in sorted(roots, key=lambda r: -r[1])[:top]:
        lines.append(f"    {cum / 1e6:7.3f} s  {name}")
    return lines


def size_report(task_root: Path, top: int) -> tuple[int, list[str]]:
    sizes: dict[str, int] = defaultdict(int)
    pyc = files = 0
    for folder, _, names in os.walk(task_root):
        rel = os.path.relpath(folder, task_root)
        for n in names:
            size = os.lstat(os.path.join(folder, n)).st_size
            top_name = n if rel == "." else rel.split(os.sep)[0]
            sizes[top_name] += size
            pyc += size if n.endswith(".pyc") else 0
            files += 1
    total = sum(sizes.values())
    lines = [f"  {total / 1e6:.0f} MB in {files} files ({pyc / 1e6:.0f} MB of it .pyc); biggest entries:"]
    for name, size in sorted(sizes.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"    {size / 1e6:7.1f} MB  {name}")
    return total, lines


def timing_report(runs: list[dict]) -> list[str]:
    """The breakdown of each run, wall clock and CPU time, as table lines."""
    phases = [
        ("interp", "exec", "first_line"),
        ("INIT", "first_line", "handler_imported"),
        ("remix", "invoke", "done"),
        ("total", "exec", "done"),
    ]
    head = "".join(f"{name:>16}" for name, *_ in phases)
    lines = [f"  {'run':>4}{'sandbox':>9}{head}", f"  {'':>13}" + "      wall   cpu" * len(phases)]
    for i, r in enumerate(runs, 1):
        cells = "".join(
            f"{r['t_' + b] - r['t_' + a]:10.3f}{r['c_' + b] - r['c_' + a]:6.2f}" for _, a, b in phases
        )
        lines.append(f"  {i:>4}{r['t_exec'] - r['t_spawn']:9.3f}{cells}")
    lines += [
        "  seconds. sandbox: unshare and mounts before Python starts (not Lambda's);",
        "  interp: Python's start-up; INIT: importing the handler (Lambda's init phase);",
        "  remix: the first invoke, lazy imports included; total: process start to the finished remix.",
        "  cpu: the process's user + system time, which a busy machine inflates less than wall time",
        "  (numpy's threads can make it exceed wall time).",
    ]
    first = runs[0]
    if "warm_invoke_s" in first:
        warm = first["warm_invoke_s"]
        lines.append(
            f"  the same remix again, warm, in run 1's process: {warm:.3f} s; the cold one spent "
            f"{first['t_done'] - first['t_invoke'] - warm:.3f} s more, on imports and first-call costs"
        )
    return lines


def check_response(out: dict, seconds: float, fmt: str) -> list[str]:
    """Problems with the remix the handler returned (empty when it is a good one)."""
    import soundfile

    resp = out["response"]
    problems = []
    size = len(json.dumps(resp))
    if size > LAMBDA_PAYLOAD_BYTES:
        problems.append(f"response is {size} bytes: over Lambda's 6 MB payload limit")
    if resp.get("statusCode") != 200:
        return [*problems, f"status {resp.get('statusCode')}: {str(resp.get('body'))[:500]}"]
    body = base64.b64decode(resp["body"]) if resp.get("isBase64Encoded") else resp["body"].encode()
    try:
        info = soundfile.info(io.BytesIO(body))
    except Exception as exc:  # anything soundfile can't read is a broken remix
        return [*problems, f"the remix doesn't decode: {exc}"]
    if abs(info.duration - seconds) > 1.0:
        problems.append(f"the remix lasts {info.duration:.2f} s, asked for {seconds:g} s")
    out["decoded"] = f"{info.format} {info.samplerate} Hz {info.channels} ch {info.duration:.2f} s"
    out["response_bytes"] = size
    return problems


def sandbox_problems(out: dict, sandboxed: bool) -> list[str]:
    problems = []
    w = out["writable"]
    for place in ("task_root", "home", "cwd"):
        if w[place]:
            problems.append(f"{place} was writable in the cold process: not Lambda-like")
    if not w["tmp"]:
        problems.append("/tmp wasn't writable in the cold process")
    if sandboxed and w["root"]:
        problems.append("/ was writable in the sandbox")
    if out["forbidden"]:
        problems.append("imported during the cold remix (must not be): " + ", ".join(out["forbidden"]))
    if out["leaked"]:
        problems.append("loaded from outside the task root and stdlib: " + "; ".join(out["leaked"][:10]))
    if out["no_pyc"]:
        problems.append(
            f"{len(out['no_pyc'])} modules had no .pyc (compiled at every cold start): "
            + ", ".join(out["no_pyc"][:10])
        )
    if out["not_unchecked_hash"]:
        problems.append(
            f"{len(out['not_unchecked_hash'])} .pyc are not unchecked-hash: "
            + ", ".join(out["not_unchecked_hash"][:10])
        )
    return problems


# ---- main ------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_python = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    parser.add_argument(
        "--python",
        default=default_python,
        help="interpreter the image would have (Lambda's is 3.12); default: this one's base",
    )
    parser.add_argument("--base", type=Path, default=DEFAULT_BASE, help="build folder (outside the repo)")
    parser.add_argument("--reuse", action="store_true", help="use the folder built by an earlier run")
    parser.add_argument("--runs", type=int, default=3, help="timed cold starts")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the clip")
    parser.add_argument(
        "--mode",
        choices=["url", "upload"],
        default="url",
        help="url: JSON naming a URL on 127.0.0.1; upload: multipart, the clip as FLAC",
    )
    parser.add_argument("--format", default="mp3", help="output format asked for (a 30 s WAV exceeds 6 MB)")
    parser.add_argument("--inputs", type=int, default=1, help="songs in the request (the clip, repeated)")
    parser.add_argument("--duration", type=float, help="length of the remix asked for (default: --seconds)")
    parser.add_argument("--clip-format", default=None, help="encoding of the clip (url: wav, upload: flac)")
    parser.add_argument("--budget", type=float, default=3.0, help="goal for process start to first remix, s")
    parser.add_argument("--top", type=int, default=12, help="rows in the import and size tables")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    base = args.base.resolve()
    if base == ROOT or ROOT in base.parents:
        parser.error("--base must be outside the repository")
    stamp = base / STAMP
    fingerprint = build_fingerprint()
    if args.reuse and stamp.exists():
        info = json.loads(stamp.read_text())
        image = Image(root=Path(info["root"]), env=info["env"], cmd=info["cmd"], workdir=info["workdir"])
        print(f"reusing {image.task_root} (built {info['built']} with {info['python']})")
        if info["fingerprint"] != fingerprint:
            print("  note: the Dockerfile, .dockerignore or build context changed since; drop --reuse")
        args.python = info["python"]
    else:
        print(f"build: replaying Dockerfile into {base} with {args.python}")
        t = time.time()
        image = replay_dockerfile(base, args.python, log=print)
        print(f"  built in {time.time() - t:.0f} s")
        subprocess.run(["chmod", "-R", "a-w", str(image.root)], check=True)  # read-only, as /var/task
        info = {
            "root": str(image.root),
            "env": image.env,
            "cmd": image.cmd,
            "workdir": image.workdir,
            "python": args.python,
            "fingerprint": fingerprint,
            "built": time.strftime("%Y-%m-%d %H:%M"),
        }
        stamp.write_text(json.dumps(info, indent=1))
    python_version = subprocess.run(
        [args.python, "-c", "import sys; print(sys.version.split()[0])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()

    home = base / "home"  # HOME: an empty folder nobody may write to
    home.mkdir(exist_ok=True)
    home.chmod(0o555)
    sandboxed = namespace_available()
    if not sandboxed:
        print("note: no mount namespace here (needs root): the folder is read-only by file modes only")

    # The request: POST /remix of a synthetic 30 s stereo clip.
    duration = args.duration or args.seconds
    server = None
    if args.mode == "url":
        clip_format = args.clip_format or "wav"
        server, url = serve_clip(clip_bytes(args.seconds, clip_format), f"clip.{clip_format}")
        request = {"urls": [url] * args.inputs, "format": args.format, "duration": duration, "seed": 7}
        body = json.dumps(request).encode()
        event = http_api_event("POST", "/remix", body, "application/json", binary=False)
        overrides = {"MUSICREMIXER_ALLOW_PRIVATE_URLS": "1"}  # the clip is served on 127.0.0.1
    else:
        clip_format = args.clip_format or "flac"
        fields = {"format": args.format, "duration": str(duration), "seed": "7"}
        files = [("files", f"clip.{clip_format}", clip_bytes(args.seconds, clip_format))] * args.inputs
        body, ctype = multipart(fields, files)
        event = http_api_event("POST", "/remix", body, ctype, binary=True)
        overrides = {}
    if len(json.dumps(event)) > LAMBDA_PAYLOAD_BYTES:
        print(f"note: the event is {len(json.dumps(event))} bytes, over Lambda's 6 MB request limit")
    env = lambda_environment(image, home, overrides)

    runs, problems = [], []
    try:
        for i in range(args.runs):
            out = run_child(image, args.python, env, event, sandboxed=sandboxed, repeat=(i == 0))
            problems += [f"run {i + 1}: {p}" for p in check_response(out, duration, args.format)]
            problems += [f"run {i + 1}: {p}" for p in sandbox_problems(out, sandboxed)]
            runs.append(out)
        traced = run_child(image, args.python, env, event, sandboxed=sandboxed, importtime=True)
    finally:
        if server:
            server.shutdown()

    total = [r["t_done"] - r["t_exec"] for r in runs]
    print(
        f"\ncold start: Python {python_version}, {'mount namespace' if sandboxed else 'file modes only'}, "
        f"POST /remix of {args.inputs} x {args.seconds:g} s stereo clip ({args.mode}) "
        f"-> {duration:g} s of {args.format}; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print("\n".join(timing_report(runs)))
    first = runs[0]
    print(
        f"  handler: {first['handler_type']}; {first['modules']} modules loaded, "
        f"{first['modules_from_task']} from the task root; peak RSS {first['maxrss_mb']:.0f} MB"
    )
    print(f"  response: {first.get('decoded', '?')}, {first.get('response_bytes', 0)} bytes as Lambda JSON")
    print(f"  /tmp after the remix: {first['tmp_entries'] or 'empty'}")
    median = statistics.median(total)
    print(f"  median {median:.3f} s, slowest {max(total):.3f} s, goal {args.budget:g} s")

    print("\ntop imports (-X importtime, one more cold process; the flag itself slows imports):")
    for line in import_report(parse_importtime(traced["stderr"]), args.top):
        print(line)
    (base / "importtime.txt").write_text(traced["stderr"])
    print(f"  the whole -X importtime output: {base / 'importtime.txt'}")
    stray = [ln for ln in traced["stderr"].splitlines() if not ln.startswith("import time:")]
    if stray:
        print("  the process also wrote to stderr:\n    " + "\n    ".join(stray[:20]))

    size, lines = size_report(image.task_root, args.top)
    print(f"\nruntime folder {image.task_root} (the image's payload on top of {BASE_IMAGE}):")
    print("\n".join(lines))

    if args.json:
        figures = {
            "python": python_version,
            "sandboxed": sandboxed,
            "mode": args.mode,
            "seconds": args.seconds,
            "runs": [
                {k: r[k] for k in r if k.startswith(("t_", "c_")) or k in ("warm_invoke_s", "maxrss_mb")}
                for r in runs
            ],
            "total_s": total,
            "task_root_bytes": size,
            "problems": problems,
        }
        args.json.write_text(json.dumps(figures, indent=1))

    if problems:
        print("\nFAILED:\n  " + "\n  ".join(problems))
        return 1
    if median > args.budget:
        print(f"\nslower than the goal: median {median:.3f} s > {args.budget:g} s")
        return 2
    print(f"\nok: the median cold start finished its remix in under {args.budget:g} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
