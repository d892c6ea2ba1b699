"""The page's walker (frontend/js/jukebox-walk.js) in chromium, against the reference walker
(tests/endless_walk.py) on the same fixture graphs: the same rules, and the very same path for the
same seed, settings and actions (a change of settings, a click on a beat, "Bring it home")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests import endless_walk
from tests.endless_walk import EndlessWalk, Settings, prepare_graph, rule_breaks

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "walk"
NAMES = sorted(path.stem for path in FIXTURES.glob("*.json"))
STEPS = 800

# Each case: settings at the start, then actions at given steps (before that step's beat is drawn).
CASES: list[dict[str, Any]] = [
    {"seed": 1, "settings": {}},
    {"seed": 2, "settings": {"jumpiness": 1.0}},
    {"seed": 3, "settings": {"jumpiness": 0.0}},
    {"seed": 4, "settings": {"jumpiness": 0.9, "threshold": 0.045}},
    {"seed": 5, "settings": {"jumpiness": 1.0, "longOnly": True}},
    {"seed": 6, "settings": {"homeAfter": 75.0}},
    {
        "seed": 123456,
        "settings": {"jumpiness": 0.7},
        "actions": [
            {"at": 100, "configure": {"threshold": 0.04, "jumpiness": 1.0}},
            {"at": 180, "seek": 33},
            {"at": 260, "configure": {"longOnly": True, "threshold": None}},
            {"at": 400, "home": True},
        ],
    },
]

JS_RUN = """async ({fixtures, cases, steps}) => {
  const walk = await import("./js/jukebox-walk.js");
  const out = {};
  for (const [name, plan] of Object.entries(fixtures)) {
    const graph = walk.prepareGraph(plan);
    out[name] = cases.map((c) => {
      const walker = new walk.EndlessWalk(graph, { seed: c.seed, ...c.settings });
      const path = [];
      for (let k = 0; k < steps; k += 1) {
        for (const action of c.actions ?? []) {
          if (action.at !== k) continue;
          if (action.configure) walker.configure(action.configure);
          if (action.seek !== undefined) walker.seek(action.seek);
          if (action.home) walker.bringHome();
        }
        const step = walker.next();
        if (step === null) break;
        path.push([step.beat, step.move]);
      }
      return path;
    });
  }
  return out;
}"""

_PY_NAMES = {
    "jumpiness": "jumpiness",
    "threshold": "threshold",
    "longOnly": "long_only",
    "homeAfter": "home_after",
}


def python_path(plan: dict[str, Any], case: dict[str, Any], steps: int) -> list[list[Any]]:
    settings = Settings(**{_PY_NAMES[k]: v for k, v in case["settings"].items()})
    walker = EndlessWalk(prepare_graph(plan), seed=case["seed"], settings=settings)
    path = []
    for k in range(steps):
        for action in case.get("actions", []):
            if action["at"] != k:
                continue
            if "configure" in action:
                walker.configure(**{_PY_NAMES[key]: v for key, v in action["configure"].items()})
            if "seek" in action:
                walker.seek(action["seek"])
            if action.get("home"):
                walker.bring_home()
        step = walker.next()
        if step is None:
            break
        path.append([step.beat, step.move])
    return path


@pytest.fixture(scope="module")
def fixtures() -> dict[str, dict[str, Any]]:
    return {name: json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8")) for name in NAMES}


@pytest.fixture(scope="module")
def js_paths(browser, server, fixtures) -> dict[str, list[list[list[Any]]]]:
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(server.url)
        return page.evaluate(JS_RUN, {"fixtures": fixtures, "cases": CASES, "steps": STEPS})
    finally:
        context.close()


@pytest.mark.parametrize("name", NAMES)
def test_the_page_walks_the_same_path_as_the_reference(name, fixtures, js_paths):
    for case, js in zip(CASES, js_paths[name], strict=True):
        expected = python_path(fixtures[name], case, STEPS)
        assert js == expected, (name, case, _first_difference(js, expected))


@pytest.mark.parametrize("name", NAMES)
def test_the_pages_paths_keep_the_rules(name, fixtures, js_paths):
    graph = prepare_graph(fixtures[name])
    for case, js in zip(CASES, js_paths[name], strict=True):
        if case.get("actions"):
            continue  # a click on a beat is the listener's jump, not the walk's
        settings = Settings(**{_PY_NAMES[k]: v for k, v in case["settings"].items()})
        steps = [(beat, move) for beat, move in js]
        assert rule_breaks(graph, settings, steps) == [], (name, case)
        if settings.home_after is None:
            assert len(steps) == STEPS, "an endless walk never stops by itself"
        else:
            assert steps[-1][0] == graph.n - 1, "home: it ends on the song's last beat"


def test_the_paths_are_not_trivial(js_paths):
    """Jumps, restarts, a seek and a homecoming all happen somewhere in the cases compared."""
    moves = {move for paths in js_paths.values() for path in paths for _, move in path}
    assert moves == {"start", "on", "jump", "restart", "seek"}
    song = js_paths["song_4_4"]
    assert sum(move == "jump" for _, move in song[0]) >= 20
    assert len(song[-1]) < STEPS and song[-1][-1][0] == 95  # brought home after step 400


def test_the_same_prng_and_constants(page, server):
    page.goto(server.url)
    js = page.evaluate(
        """async () => {
            const walk = await import("./js/jukebox-walk.js");
            const rng = walk.mulberry32(987654321);
            const draws = Array.from({length: 1000}, () => rng());
            const names = ["PHRASE_BARS", "MIN_GAP_SECONDS", "HAZARD_MAX", "HAZARD_STEP", "RECENT_BEATS",
                           "RECENT_PENALTY", "RECENT_JUMPS", "DISTANCE_SCALE", "LONG_FRACTION"];
            return {draws, constants: Object.fromEntries(names.map((n) => [n, walk[n]]))};
        }"""
    )
    reference = endless_walk.Mulberry32(987654321)
    assert js["draws"] == [reference() for _ in range(1000)]
    for name, value in js["constants"].items():
        assert value == getattr(endless_walk, name), name


def _first_difference(a: list, b: list) -> tuple[int, Any, Any] | None:
    for k, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return k, a[max(0, k - 3) : k + 3], b[max(0, k - 3) : k + 3]
    return None if len(a) == len(b) else (min(len(a), len(b)), len(a), len(b))
