// The remix plan drawn the way the Infinite Jukebox drew it: the song's beats as tiles round a
// circle (clockwise from the top, coloured by cluster, a small gap between bars and a larger one
// between songs), the jumps as arcs across it, and the beat that is sounding lit up.
//
// The counts it drew are on the canvas as data- attributes (beats, bars, clusters, edges, jumps,
// current-beat) and in its aria-label, so people using a screen reader and tests can read them.

import { formatTempo } from "./units.js";

const START_ANGLE = -Math.PI / 2;
const BAR_GAP = 0.4; // in beat widths
const TRACK_GAP = 3;

export class PlanView {
  /** @param {HTMLCanvasElement} canvas */
  constructor(canvas) {
    this.canvas = canvas;
    this.base = document.createElement("canvas"); // everything but the highlight, drawn once
    this.plan = null;
    this.layout = null;
    this.index = -1;
    new ResizeObserver(() => this.render()).observe(canvas);
    matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => this.render());
  }

  /** Draw a new plan (the JSON from the API). */
  show(plan) {
    this.plan = plan;
    this.layout = layOut(plan);
    this.index = -1;
    const { beats, bars, jumps } = this.layout;
    const nClusters = plan.n_clusters ?? new Set(plan.beats.map((b) => b.cluster)).size;
    Object.assign(this.canvas.dataset, {
      beats: String(beats.length),
      bars: String(bars),
      clusters: String(nClusters),
      edges: String(plan.edges?.length ?? 0),
      jumps: String(jumps.length),
      currentBeat: "-1",
    });
    this.canvas.setAttribute(
      "aria-label",
      `The remix plan: ${plural(beats.length, "beat")} in ${plural(bars, "bar")}, in ${nClusters} ` +
        `groups of beats that sound alike; the remix takes ${plural(jumps.length, "jump")} out of ` +
        `${plan.edges?.length ?? 0} possible.`,
    );
    this.render();
  }

  clear() {
    this.plan = null;
    this.layout = null;
    this.index = -1;
    for (const key of Object.keys(this.canvas.dataset)) delete this.canvas.dataset[key];
    this.canvas.getContext("2d").clearRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /** Light up the beat sounding at `seconds` into the remix. */
  setTime(seconds) {
    if (!this.layout) return;
    const index = sequenceIndexAt(this.plan.sequence ?? [], seconds);
    if (index === this.index) return;
    this.index = index;
    this.canvas.dataset.currentBeat = String(index < 0 ? -1 : this.plan.sequence[index].beat);
    this.canvas.dataset.currentIndex = String(index);
    this.drawFrame();
  }

  /** Size the canvas to its box and redraw the still layer. */
  render() {
    const ratio = window.devicePixelRatio || 1;
    const size = Math.round(this.canvas.clientWidth * ratio);
    if (size <= 0 || !this.layout) return;
    for (const c of [this.canvas, this.base]) {
      c.width = size;
      c.height = size;
    }
    drawBase(this.base.getContext("2d"), size, ratio, this.plan, this.layout, colours(this.canvas));
    this.drawFrame();
  }

  drawFrame() {
    const ctx = this.canvas.getContext("2d");
    const size = this.canvas.width;
    ctx.clearRect(0, 0, size, size);
    ctx.drawImage(this.base, 0, 0);
    if (this.index < 0 || !this.layout) return;
    const ratio = window.devicePixelRatio || 1;
    const geometry = geometryFor(size, ratio);
    const sequence = this.plan.sequence;
    const beat = sequence[this.index].beat;
    const palette = colours(this.canvas);
    // The jump that led here, if the last move was one.
    if (this.index > 0 && sequence[this.index - 1].beat + 1 !== beat) {
      ctx.lineWidth = 3.5 * ratio;
      ctx.strokeStyle = palette.text;
      strokeArc(ctx, geometry, this.layout, sequence[this.index - 1].beat, beat);
    }
    const tile = this.layout.beats[beat];
    ctx.fillStyle = palette.text;
    ctx.strokeStyle = palette.panel;
    ctx.lineWidth = 2 * ratio;
    tilePath(ctx, geometry, tile, 0.06 * geometry.radius);
    ctx.fill();
    ctx.stroke();
  }
}

/** Angles of every beat round the circle, the bar count, and the jumps the sequence takes. */
function layOut(plan) {
  const beats = plan.beats ?? [];
  const starts = [];
  let units = 0;
  let bars = 0;
  beats.forEach((beat, i) => {
    const previous = beats[i - 1];
    const newTrack = i > 0 && beat.track !== previous.track;
    const newBar = i === 0 || newTrack || beat.bar_position === 0 || beat.bar_position <= previous.bar_position;
    if (newTrack) units += TRACK_GAP;
    else if (newBar && i > 0) units += BAR_GAP;
    if (newBar) bars += 1;
    starts.push(units);
    units += 1;
  });
  const perUnit = (2 * Math.PI) / Math.max(units + (plan.tracks?.length > 1 ? TRACK_GAP : BAR_GAP), 1);
  const tiles = starts.map((start, i) => ({
    from: START_ANGLE + start * perUnit,
    to: START_ANGLE + (start + 0.88) * perUnit,
    cluster: beats[i].cluster ?? 0,
  }));
  const sequence = plan.sequence ?? [];
  const jumps = [];
  for (let i = 1; i < sequence.length; i += 1) {
    if (sequence[i].beat !== sequence[i - 1].beat + 1) jumps.push([sequence[i - 1].beat, sequence[i].beat]);
  }
  return { beats: tiles, bars, jumps };
}

function geometryFor(size, ratio) {
  const centre = size / 2;
  const outer = centre - 10 * ratio;
  const radius = outer * 0.97;
  return { centre, outer, inner: outer * 0.86, radius, ratio };
}

function drawBase(ctx, size, ratio, plan, layout, palette) {
  const geometry = geometryFor(size, ratio);
  const nClusters = Math.max(plan.n_clusters ?? 1, 1);
  ctx.clearRect(0, 0, size, size);

  // Every jump the walk could take, faint; then the ones it took, strong.
  ctx.lineWidth = 1 * ratio;
  ctx.strokeStyle = palette.text;
  ctx.globalAlpha = 0.14;
  for (const edge of plan.edges ?? []) strokeArc(ctx, geometry, layout, edge.from, edge.to);
  ctx.globalAlpha = 1;
  ctx.lineWidth = 2 * ratio;
  ctx.strokeStyle = palette.accent;
  for (const [from, to] of layout.jumps) strokeArc(ctx, geometry, layout, from, to);

  // A quiet disc in the middle keeps the text readable over the arcs.
  ctx.globalAlpha = 0.85;
  ctx.fillStyle = palette.panel;
  ctx.beginPath();
  ctx.arc(geometry.centre, geometry.centre, geometry.inner * 0.34, 0, 2 * Math.PI);
  ctx.fill();
  ctx.globalAlpha = 1;

  for (const tile of layout.beats) {
    ctx.fillStyle = clusterColour(tile.cluster, nClusters);
    tilePath(ctx, geometry, tile, 0);
    ctx.fill();
  }

  // The middle: tempo and length.
  ctx.fillStyle = palette.text;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  const big = Math.round(Math.max(16 * ratio, geometry.radius * 0.11));
  const small = Math.round(Math.max(12 * ratio, big * 0.55));
  ctx.font = `600 ${big}px system-ui, sans-serif`;
  ctx.fillText(formatTempo(plan), geometry.centre, geometry.centre - big * 0.6);
  ctx.font = `${small}px system-ui, sans-serif`;
  ctx.fillStyle = palette.muted;
  ctx.fillText(
    `${plural(layout.beats.length, "beat")} · ${plural(layout.jumps.length, "jump")}`,
    geometry.centre,
    geometry.centre + big * 0.6,
  );
}

function tilePath(ctx, { centre, inner, outer }, tile, grow) {
  ctx.beginPath();
  ctx.arc(centre, centre, outer + grow, tile.from, tile.to);
  ctx.arc(centre, centre, inner - grow, tile.to, tile.from, true);
  ctx.closePath();
}

/** A curve from one beat's tile to another's, bowed towards the centre like the Jukebox's. */
function strokeArc(ctx, { centre, inner }, layout, from, to) {
  const a = layout.beats[from];
  const b = layout.beats[to];
  if (!a || !b) return;
  const angleA = (a.from + a.to) / 2;
  const angleB = (b.from + b.to) / 2;
  const ax = centre + inner * Math.cos(angleA);
  const ay = centre + inner * Math.sin(angleA);
  const bx = centre + inner * Math.cos(angleB);
  const by = centre + inner * Math.sin(angleB);
  const pull = 0.25; // 0: through the centre; 1: a straight chord
  ctx.beginPath();
  ctx.moveTo(ax, ay);
  ctx.quadraticCurveTo(
    centre + pull * ((ax + bx) / 2 - centre),
    centre + pull * ((ay + by) / 2 - centre),
    bx,
    by,
  );
  ctx.stroke();
}

function plural(count, noun) {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

function clusterColour(cluster, nClusters) {
  const hue = (20 + (360 * cluster) / nClusters) % 360;
  return `hsl(${hue.toFixed(0)} 70% 55%)`;
}

function colours(element) {
  const style = getComputedStyle(element);
  const get = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
  const text = get("--text", "#1d1d1f");
  return {
    text,
    muted: get("--muted", "#5b5b63"),
    accent: get("--accent", "#2f5bd3"),
    panel: get("--panel", "#ffffff"),
  };
}

/** The index into `sequence` of the entry sounding at `seconds`: the last that starts by then. */
export function sequenceIndexAt(sequence, seconds) {
  if (sequence.length === 0 || !(seconds >= sequence[0].time)) return -1;
  let low = 0;
  let high = sequence.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (sequence[middle].time <= seconds) low = middle;
    else high = middle - 1;
  }
  return low;
}
