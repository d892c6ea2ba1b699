// The endless walk: which beat plays next, forever, along the jump graph of /analyze's plan.
//
// The rules are stated once, in docs/WALK.md; tests/endless_walk.py is the same walk in Python,
// and tests/frontend/test_jukebox_walk.py runs both on the fixture graphs of tests/fixtures/walk/
// and checks that they take the same path for the same seed and settings. Keep the three in step.
//
// Pure: no DOM, no audio, no clock. Randomness only through mulberry32(seed), and only with the
// arithmetic both languages round alike (+ − × ÷, no exp or pow), so the paths agree exactly.

// The walk's constants: the same as lib/musicremixer/walk.py's where the two share a rule.
export const PHRASE_BARS = 4; // a phrase: the shortest loop, and the least time between two jumps
export const MIN_GAP_SECONDS = 6.0; // ... and at least this long
export const HAZARD_MAX = 0.6; // chance of a jump at a bar line after a phrase, at jumpiness 1
export const HAZARD_STEP = 0.04; // ... growing by this per bar waited
export const RECENT_BEATS = 96; // what the walk remembers having played
export const RECENT_PENALTY = 0.02; // weight of a destination whose phrase was all played lately
export const RECENT_JUMPS = 8; // a jump among the last this many weighs RECENT_PENALTY more
export const DISTANCE_SCALE = 0.15; // likeness 1/2 at this context distance
export const LONG_FRACTION = 0.2; // "long jumps only": across at least this share of the song

const NEVER = -1e9;

/** mulberry32: a 32-bit seeded PRNG; each call returns a number in [0, 1). */
export function mulberry32(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.state = () => a;
  next.setState = (value) => {
    a = value >>> 0;
  };
  return next;
}

/** The walk's settings; `threshold: null` takes every jump the graph has. */
export const DEFAULT_SETTINGS = Object.freeze({
  jumpiness: 0.5,
  threshold: null,
  longOnly: false,
  homeAfter: null, // seconds of listening, then head for the ending
});

/**
 * The beats and the jumps of a plan as the walk reads them (docs/CONTRACTS.md, "The jukebox").
 * Edges that no rule could ever take are dropped here: not from a bar's last beat to a downbeat,
 * across songs, or back by less than a phrase.
 */
export function prepareGraph(plan) {
  const beats = plan.beats ?? [];
  const n = beats.length;
  if (n === 0) throw new Error("The plan has no beats.");
  const tracks = plan.tracks ?? [];
  const length = new Float64Array(n);
  const track = new Int32Array(n);
  const bar = new Int32Array(n);
  const following = new Int32Array(n);
  const first = new Int32Array(n);
  const last = new Int32Array(n);
  for (let b = 0; b < n; b += 1) {
    length[b] = beats[b].end - beats[b].start;
    track[b] = beats[b].track ?? 0;
    bar[b] = beats[b].bar_position ?? 0;
  }
  for (let b = 0; b < n; b += 1) {
    following[b] = b + 1 < n && track[b + 1] === track[b] ? b + 1 : -1;
    first[b] = b > 0 && track[b - 1] === track[b] ? first[b - 1] : b;
  }
  for (let b = n - 1; b >= 0; b -= 1) last[b] = following[b] < 0 ? b : last[b + 1];
  const median = medianOf(length);
  const meter = new Int32Array(n);
  const phrase = new Int32Array(n);
  const gap = new Int32Array(n);
  const longSpan = new Int32Array(n);
  for (let b = 0; b < n; b += 1) {
    const m = tracks[track[b]]?.meter ?? 4;
    meter[b] = m;
    phrase[b] = m * PHRASE_BARS;
    gap[b] = m * Math.max(PHRASE_BARS, Math.ceil(MIN_GAP_SECONDS / (m * median)));
    longSpan[b] = Math.max(phrase[b], Math.ceil(LONG_FRACTION * (last[b] - first[b] + 1)));
  }
  const from = Array.from({ length: n }, () => []);
  for (const edge of plan.edges ?? []) {
    const i = edge.from;
    const j = edge.to;
    if (!(i >= 0 && i < n && j >= 0 && j < n)) continue;
    const f = following[i];
    if (f < 0 || bar[f] !== 0 || bar[j] !== 0 || track[j] !== track[i]) continue;
    if (j <= i && i + 1 - j < phrase[i]) continue;
    from[i].push({ from: i, to: j, distance: Number(edge.distance) });
  }
  let maxDistance = 0;
  for (const list of from) {
    list.sort((a, b) => a.distance - b.distance || a.to - b.to);
    for (const edge of list) maxDistance = Math.max(maxDistance, edge.distance);
  }
  return { n, length, track, bar, following, first, last, meter, phrase, gap, longSpan, from, maxDistance };
}

/** numpy's median: the middle value, or the mean of the two middle ones. */
function medianOf(values) {
  const sorted = Float64Array.from(values).sort();
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** 1 for a perfect match, 1/2 at DISTANCE_SCALE, falling with the square beyond. */
export function likeness(distance) {
  const x = distance / DISTANCE_SCALE;
  return 1 / (1 + x * x);
}

/**
 * The jumps the settings allow (threshold, long jumps only), the last exit of each song, and the
 * jumps the walk may take: those, landing where it can still reach that exit a phrase later.
 */
export function usableJumps(graph, settings) {
  const threshold = settings.threshold ?? Infinity;
  const ok = graph.from.map((list) =>
    list.filter(
      (e) => e.distance <= threshold && (!settings.longOnly || Math.abs(e.to - (e.from + 1)) >= graph.longSpan[e.from]),
    ),
  );
  // An exit: a jump back (landing a phrase's spacing before it), so the walk never runs off the end.
  const lastExit = new Int32Array(graph.n).fill(-1); // per beat: its song's last exit
  for (let b = 0; b < graph.n; b += 1) {
    const exit = ok[b].some((e) => e.to <= b - graph.gap[b] + 1);
    if (exit) lastExit[graph.first[b]] = b;
  }
  for (let b = 0; b < graph.n; b += 1) lastExit[b] = lastExit[graph.first[b]];
  // With no way back at all, the song plays to its end and starts again: any jump is safe then.
  const allowed = ok.map((list) =>
    list.filter((e) => lastExit[e.to] < 0 || e.to <= lastExit[e.to] - graph.gap[e.to] + 1),
  );
  return { ok, allowed, lastExit };
}

/**
 * The walk's state and its next step. `next()` gives the beat to play after the one it gave
 * last; `seek(beat)` makes the next one `beat`; `bringHome()` heads for the song's last beat,
 * after which `next()` returns null.
 */
export class EndlessWalk {
  /**
   * @param {object} graph  from prepareGraph(plan)
   * @param {{seed: number, jumpiness?: number, threshold?: number|null, longOnly?: boolean,
   *          homeAfter?: number|null, start?: number}} options
   */
  constructor(graph, { seed = 0, start = 0, ...settings } = {}) {
    this.graph = graph;
    this.seed = seed >>> 0;
    this.rng = mulberry32(this.seed);
    this.settings = { ...DEFAULT_SETTINGS };
    this.start = start;
    this.current = -1;
    this.pending = null;
    this.since = 0; // beats played since the last jump (or the start), not counting the current one
    this.step = 0;
    this.elapsed = 0; // seconds of the beats played
    this.history = []; // [from, to] of the last RECENT_JUMPS jumps (and restarts), in order
    this.lastPlayed = new Float64Array(graph.n).fill(NEVER);
    this.homing = false;
    this.done = false;
    this.homeTable = null;
    this.configure(settings);
  }

  /** Change any of jumpiness, threshold, longOnly, homeAfter: the next choice follows them. */
  configure(settings) {
    for (const key of Object.keys(DEFAULT_SETTINGS)) {
      if (settings[key] !== undefined) this.settings[key] = settings[key];
    }
    this.settings.jumpiness = Math.min(1, Math.max(0, Number(this.settings.jumpiness)));
    this.usable = usableJumps(this.graph, this.settings);
    this.homeTable = null;
  }

  /** The next beat played after `beat`, with how it got there; `beat` is then the current one. */
  seek(beat) {
    this.pending = Math.max(0, Math.min(this.graph.n - 1, beat));
    this.done = false;
  }

  /** Head for the ending from the next choice on. */
  bringHome() {
    this.homing = true;
  }

  /**
   * The next beat: {beat, move, from}, where move is "start", "on", "jump", "restart" (off the
   * song's end to its first beat, when no jump is left to take) or "seek"; null once home.
   */
  next() {
    if (this.done) return null;
    const from = this.current;
    let beat;
    let move;
    if (this.pending !== null) {
      beat = this.pending;
      move = from < 0 ? "start" : "seek";
      this.pending = null;
      this.since = 0;
    } else if (from < 0) {
      beat = this.start;
      move = "start";
    } else {
      [beat, move] = this.decide(from);
      if (beat === null) {
        this.done = true;
        return null;
      }
    }
    this.lastPlayed[beat] = this.step;
    this.step += 1;
    this.elapsed += this.graph.length[beat];
    this.current = beat;
    return { beat, move, from };
  }

  decide(b) {
    const g = this.graph;
    const { homeAfter } = this.settings;
    if (!this.homing && homeAfter !== null && this.elapsed >= homeAfter) this.homing = true;
    if (this.homing) return this.homeMove(b);
    const f = g.following[b];
    let candidates = this.usable.allowed[b];
    const h = this.history;
    if (h.length >= 2 && h[h.length - 1][0] === b && sameJump(h[h.length - 1], h[h.length - 2])) {
      const repeated = h[h.length - 1][1];
      candidates = candidates.filter((e) => e.to !== repeated);
    }
    const count = this.since + 1;
    if (b === this.usable.lastExit[b]) {
      if (candidates.length > 0) return this.jump(b, this.pick(b, candidates, this.freshness(b, candidates)));
    } else if (candidates.length > 0 && count >= g.gap[b]) {
      const barsOver = Math.floor((count - g.gap[b]) / g.meter[b]);
      const chance = Math.min(1, this.settings.jumpiness * (HAZARD_MAX + HAZARD_STEP * barsOver));
      if (this.rng() < chance) {
        const fresh = this.freshness(b, candidates);
        // When every destination was heard lately, the walk may decline and go on.
        if (this.rng() < Math.max(...fresh)) return this.jump(b, this.pick(b, candidates, fresh));
      }
    }
    if (f >= 0) {
      this.since += 1;
      return [f, "on"];
    }
    this.since = 0;
    this.remember(b, g.first[b]);
    return [g.first[b], "restart"];
  }

  jump(b, edge) {
    this.since = 0;
    this.remember(b, edge.to);
    return [edge.to, "jump"];
  }

  remember(from, to) {
    this.history.push([from, to]);
    if (this.history.length > RECENT_JUMPS) this.history.shift();
  }

  /** How fresh each destination is: 1 unheard, down to RECENT_PENALTY; a recent jump ×RECENT_PENALTY. */
  freshness(b, candidates) {
    const g = this.graph;
    const recent = this.history;
    return candidates.map((e) => {
      const end = Math.min(e.to + g.phrase[b], g.last[e.to] + 1);
      let heard = 0;
      for (let x = e.to; x < end; x += 1) if (this.step - this.lastPlayed[x] <= RECENT_BEATS) heard += 1;
      let fresh = 1 - (1 - RECENT_PENALTY) * (heard / (end - e.to));
      if (recent.some((jump) => jump[0] === b && jump[1] === e.to)) fresh *= RECENT_PENALTY;
      return fresh;
    });
  }

  /** One of the candidates, drawn with weight likeness × freshness. */
  pick(b, candidates, fresh) {
    const weights = candidates.map((e, k) => likeness(e.distance) * fresh[k]);
    let total = 0;
    for (const w of weights) total += w;
    const r = this.rng() * total;
    let sum = 0;
    for (let k = 0; k < candidates.length; k += 1) {
      sum += weights[k];
      if (r < sum) return candidates[k];
    }
    return candidates[candidates.length - 1];
  }

  /** Homing: the first move of the quickest way to the song's last beat (ties: go on). */
  homeMove(b) {
    const g = this.graph;
    const f = g.following[b];
    if (f < 0) return [null, "home"];
    if (!this.homeTable) this.homeTable = homeTable(g, this.usable.ok);
    const table = this.homeTable;
    const count = Math.min(this.since + 1, g.gap[b]);
    let best = table.at(f, Math.min(count + 1, g.gap[f]));
    let choice = null;
    if (count >= g.gap[b]) {
      for (const e of this.usable.ok[b]) {
        const value = table.at(e.to, 1);
        if (value < best) {
          best = value;
          choice = e;
        }
      }
    }
    if (choice) return this.jump(b, choice);
    this.since += 1;
    return [f, "on"];
  }

  /** Everything the walk's future depends on, to go back to (see restore). */
  snapshot() {
    return {
      rng: this.rng.state(),
      current: this.current,
      pending: this.pending,
      since: this.since,
      step: this.step,
      elapsed: this.elapsed,
      history: this.history.map((jump) => jump.slice()),
      lastPlayed: this.lastPlayed.slice(),
      homing: this.homing,
      done: this.done,
    };
  }

  restore(state) {
    this.rng.setState(state.rng);
    this.current = state.current;
    this.pending = state.pending;
    this.since = state.since;
    this.step = state.step;
    this.elapsed = state.elapsed;
    this.history = state.history.map((jump) => jump.slice());
    this.lastPlayed.set(state.lastPlayed);
    this.homing = state.homing;
    this.done = state.done;
  }
}

function sameJump(a, b) {
  return a[0] === b[0] && a[1] === b[1];
}

/**
 * Seconds from the start of beat b to the end of its song, taking the quickest way, for every
 * beat and every count of beats since the last jump (1 … gap: a jump needs a full gap).
 * Sweeps from the last beat back until nothing changes: going on propagates in one sweep, and
 * each sweep more carries a jump back.
 */
export function homeTable(graph, ok) {
  const { n, gap, following, length } = graph;
  const offset = new Int32Array(n + 1);
  for (let b = 0; b < n; b += 1) offset[b + 1] = offset[b] + gap[b];
  const value = new Float64Array(offset[n]).fill(Infinity);
  const at = (b, c) => value[offset[b] + c - 1];
  let changed = true;
  while (changed) {
    changed = false;
    for (let b = n - 1; b >= 0; b -= 1) {
      const f = following[b];
      let jumpBest = Infinity;
      for (const e of ok[b]) jumpBest = Math.min(jumpBest, at(e.to, 1));
      for (let c = 1; c <= gap[b]; c += 1) {
        let rest = f < 0 ? 0 : at(f, Math.min(c + 1, gap[f]));
        if (c >= gap[b]) rest = Math.min(rest, jumpBest);
        const v = length[b] + rest;
        if (v < value[offset[b] + c - 1]) {
          value[offset[b] + c - 1] = v;
          changed = true;
        }
      }
    }
  }
  return { at };
}
