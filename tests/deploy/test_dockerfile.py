"""The Dockerfile: the pinned runtime dependencies, the package, compiled .pyc, the handler as CMD.

No Docker engine runs here; bench/cold_start.py replays the Dockerfile and times a cold start from
it. These tests check the file itself, and that the replay understands every instruction in it.
"""

from __future__ import annotations

import importlib
import inspect
import re
import shlex
import tomllib

import pytest

from bench.cold_start import (
    BASE_IMAGE,
    context_files,
    dockerignore_rules,
    is_ignored,
    parse_cmd,
    parse_env,
)
from tests.deploy.config import ROOT, dockerfile

REPLAYED = {"FROM", "ENV", "WORKDIR", "COPY", "RUN", "CMD"}  # what bench/cold_start.py carries out


def runs() -> list[list[str]]:
    return [shlex.split(i.args) for i in dockerfile() if i.op == "RUN"]


def pip_installs() -> list[list[str]]:
    return [words for words in runs() if words[:2] == ["pip", "install"]]


def test_lambda_python_base_image():
    assert [i.args for i in dockerfile() if i.op == "FROM"] == [BASE_IMAGE]


def test_every_instruction_is_replayed_by_the_cold_start_script():
    assert {i.op for i in dockerfile()} <= REPLAYED


def test_cmd_names_the_handler_around_mangum():
    from mangum import Mangum

    (cmd,) = [parse_cmd(i.args) for i in dockerfile() if i.op == "CMD"]
    assert len(cmd) == 1, "the Lambda runtime takes one module.attribute"
    module, _, attr = cmd[0].rpartition(".")
    handler = getattr(importlib.import_module(module), attr)
    # A function of (event, context) that checks the event, then hands it to the module's Mangum.
    assert callable(handler) and list(inspect.signature(handler).parameters) == ["event", "context"]
    assert isinstance(importlib.import_module(module).mangum, Mangum)


def test_installs_the_pinned_requirements_then_the_package_without_deps():
    requirements, package = pip_installs()
    assert requirements[requirements.index("-r") + 1] == "requirements.txt"
    assert "--no-deps" in package and package[-1] == "."
    for words in (requirements, package):
        assert words[words.index("--target") + 1] == "${LAMBDA_TASK_ROOT}"
        assert "--no-cache-dir" in words  # pip's cache would only add to the image
    for i in dockerfile():
        assert "requirements-dev" not in i.args, "dev tools (librosa, pytest, ...) stay out of the image"


def test_requirements_are_the_one_pinned_list():
    lines = [ln.split("#")[0].strip() for ln in (ROOT / "requirements.txt").read_text().splitlines()]
    pins = [ln for ln in lines if ln]
    assert pins and all(re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.]+", pin) for pin in pins), pins
    names = {re.split(r"[=\[]", pin)[0].lower() for pin in pins}
    # The runtime pipeline imports neither (docs/DEPLOY.md, "Cold start"): they'd cost seconds.
    assert not names & {"librosa", "numba", "llvmlite"}
    assert {"mangum", "fastapi", "python-multipart"} <= names
    # The local install reads the same list.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["tool"]["setuptools"]["dynamic"]["dependencies"] == {"file": ["requirements.txt"]}


def test_pyc_are_compiled_after_the_last_install():
    words = runs()
    last_pip = max(i for i, w in enumerate(words) if w[:2] == ["pip", "install"])
    compiles = [i for i, w in enumerate(words) if w[:3] == ["python", "-m", "compileall"]]
    assert compiles and compiles[-1] > last_pip
    command = words[compiles[-1]]
    assert command[-1] == "${LAMBDA_TASK_ROOT}"
    assert command[command.index("--invalidation-mode") + 1] == "unchecked-hash"


def test_numba_cache_guard_points_at_tmp():
    env = {}
    for i in dockerfile():
        if i.op == "ENV":
            env.update(parse_env(i.args))
    assert env["NUMBA_CACHE_DIR"].startswith("/tmp/")
    assert "PYTHONDONTWRITEBYTECODE" not in env


def test_ends_in_the_task_root():
    workdirs = [i.args for i in dockerfile() if i.op == "WORKDIR"]
    assert workdirs[-1] == "${LAMBDA_TASK_ROOT}", "Lambda runs the handler from the task root"


def test_build_context_holds_what_is_copied_and_nothing_else():
    rules = dockerignore_rules((ROOT / ".dockerignore").read_text())
    context = context_files(ROOT, rules)
    for i in dockerfile():
        if i.op == "COPY":
            *sources, _ = shlex.split(i.args)
            for src in sources:
                assert any(f == src or f.startswith(src.rstrip("/") + "/") for f in context), src
    for path in (
        ".venv/bin/python",
        ".git/HEAD",
        "tests/synth.py",
        "frontend/index.html",
        "bench/cold_start.py",
    ):
        assert is_ignored(path, rules), f"{path} would be sent to Docker"
    assert not any("__pycache__" in f or f.endswith(".pyc") for f in context)
    size = sum((ROOT / f).stat().st_size for f in context)
    assert size < 5_000_000, f"the build context is {size} bytes"


@pytest.mark.parametrize("package_root", ["functions", "lib/musicremixer"])
def test_the_built_package_holds_every_module(package_root):
    # `pip install .` (not editable, as in the image) installs only the packages pyproject.toml
    # lists: a subpackage missing there imports fine in the editable dev install and fails on Lambda.
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = setuptools.get("packages")
    if not isinstance(packages, list):
        pytest.skip("packages are found automatically")
    dirs = {v: k for k, v in setuptools.get("package-dir", {}).items()}
    top = dirs.get(package_root, package_root.replace("/", "."))
    root = ROOT / package_root
    found = {
        ".".join([top, *p.parent.relative_to(root).parts])
        for p in root.rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert found <= set(packages), (
        f"pyproject.toml [tool.setuptools] packages misses {sorted(found - set(packages))}"
    )
