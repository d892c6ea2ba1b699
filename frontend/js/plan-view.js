// The remix plan drawn the way the Infinite Jukebox drew it: the song's beats as tiles round a
// circle (clockwise from the top, coloured by cluster, a small gap between bars and a larger one
// between songs), the jumps as arcs across it, and the beat that is sounding lit up.
//
// With several songs, a band outside the tiles marks each song in its own colour, with its place
// in the playing order on a badge; the song playing has the thick band and is named in the middle.
// Transitions between songs are dashed, thicker and in their own colour, unlike the jumps within
// a song (a transition is a jump in the sequence too: `songs.steps` tells them apart).
//
// The counts it drew are on the canvas as data- attributes (beats, bars, clusters, edges, jumps,
// songs, transitions, left-out, current-beat, playing-track) and in its aria-label, so people
// using a screen reader and tests can read them. The jukebox's drawing (jukebox-view.js) reuses
// the layout and the strokes exported here.

import { partIndexAt, readSongs, songName, songPosition } from "./songs.js";
import { formatTempo, formatTrackTempo, plural } from "./units.js";

const START_ANGLE = -Math.PI / 2;
const BAR_GAP = 0.4; // in beat widths
const TRACK_GAP = 3;
const SONG_COLOURS = 6; // --song-0 … --song-5 in style.css, reused in turn past that
const TRANSITION_DASH = [9, 6]; // CSS pixels
const CUT_DASH = [3, 5];

export class PlanView {
  /** @param {HTMLCanvasElement} canvas */
  constructor(canvas) {
    this.canvas = canvas;
    this.base = document.createElement("canvas"); // everything but the highlight, drawn once
    this.plan = null;
    this.songs = null;
    this.layout = null;
    this.index = -1;
    this.playingTrack = -1;
    new ResizeObserver(() => this.render()).observe(canvas);
    matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => this.render());
  }

  /** Draw a new plan (the JSON from the API). */
  show(plan) {
    this.plan = plan;
    this.songs = readSongs(plan);
    this.layout = layOut(plan, this.songs);
    this.index = -1;
    // Until the player says otherwise, the playhead is at the start: the first part's song.
    this.playingTrack = this.songs.parts[0]?.track ?? -1;
    const { beats, bars, jumps } = this.layout;
    const { order, transitions, leftOut } = this.songs;
    const nClusters = plan.n_clusters ?? new Set(plan.beats.map((b) => b.cluster)).size;
    for (const key of Object.keys(this.canvas.dataset)) delete this.canvas.dataset[key];
    Object.assign(this.canvas.dataset, {
      beats: String(beats.length),
      bars: String(bars),
      clusters: String(nClusters),
      edges: String(plan.edges?.length ?? 0),
      jumps: String(jumps.length),
      songs: String(order.length),
      transitions: String(transitions.length),
      leftOut: String(leftOut.length),
      currentBeat: "-1",
      playingTrack: String(this.playingTrack),
    });
    let label =
      `The remix plan: ${plural(beats.length, "beat")} in ${plural(bars, "bar")}, in ${nClusters} ` +
      `groups of beats that sound alike; the remix takes ${plural(jumps.length, "jump")} out of ` +
      `${plan.edges?.length ?? 0} possible`;
    if (order.length > 1) {
      const names = order.map((track) => songName(this.songs, track)).join(", then ");
      label += ` within its ${order.length} songs, ${names}, and ${plural(transitions.length, "transition")} between them`;
    }
    this.canvas.setAttribute("aria-label", `${label}.`);
    this.render();
  }

  clear() {
    this.plan = null;
    this.songs = null;
    this.layout = null;
    this.index = -1;
    this.playingTrack = -1;
    for (const key of Object.keys(this.canvas.dataset)) delete this.canvas.dataset[key];
    this.canvas.getContext("2d").clearRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /** Light up the beat sounding at `seconds` into the remix, and the song it belongs to. */
  setTime(seconds) {
    if (!this.layout) return;
    const index = sequenceIndexAt(this.plan.sequence ?? [], seconds);
    const part = this.songs.parts[partIndexAt(this.songs.parts, seconds)];
    const track = part?.track ?? -1;
    if (index === this.index && track === this.playingTrack) return;
    this.index = index;
    this.playingTrack = track;
    this.canvas.dataset.currentBeat = String(index < 0 ? -1 : this.plan.sequence[index].beat);
    this.canvas.dataset.currentIndex = String(index);
    this.canvas.dataset.playingTrack = String(track);
    this.drawFrame();
  }

  /** Size the canvas to its box and redraw the still layer. */
  render() {
    if (!this.layout) return;
    const { size, ratio } = sizeLayers(this.canvas, this.base);
    if (size <= 0) return;
    drawBase(this.base.getContext("2d"), size, ratio, this.plan, this.songs, this.layout, colours(this.canvas));
    this.drawFrame();
  }

  drawFrame() {
    const ctx = this.canvas.getContext("2d");
    const size = this.canvas.width;
    ctx.clearRect(0, 0, size, size);
    ctx.drawImage(this.base, 0, 0);
    if (!this.layout) return;
    const ratio = window.devicePixelRatio || 1;
    const geometry = geometryFor(size, ratio, this.layout.banded);
    const palette = colours(this.canvas);
    if (this.layout.banded) drawPlaying(ctx, geometry, this.songs, this.layout, this.playingTrack, palette);
    if (this.index < 0) return;
    const sequence = this.plan.sequence;
    const beat = sequence[this.index].beat;
    // The jump or transition that led here, if the last move was one.
    if (this.index > 0 && sequence[this.index - 1].beat + 1 !== beat) {
      const transition = this.songs.transitions.find((t) => t.step === this.index);
      if (transition) {
        setTransitionStroke(ctx, palette, ratio, transition, 5.5);
      } else {
        ctx.lineWidth = 3.5 * ratio;
        ctx.strokeStyle = palette.text;
      }
      strokeArc(ctx, geometry, this.layout, sequence[this.index - 1].beat, beat);
      ctx.setLineDash([]);
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

/**
 * Angles of every beat round the circle, each song's span of them, the bar count, the jumps within
 * songs that the sequence takes, and the transitions between songs.
 */
export function layOut(plan, songs) {
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
    track: beats[i].track ?? 0,
  }));
  // Each track's beats are one run in the pool: its band spans them.
  const spans = new Map();
  for (const tile of tiles) {
    const span = spans.get(tile.track);
    if (span) span.to = tile.to;
    else spans.set(tile.track, { from: tile.from, to: tile.to });
  }
  const sequence = plan.sequence ?? [];
  const jumps = [];
  for (let i = 1; i < sequence.length; i += 1) {
    if (sequence[i].beat !== sequence[i - 1].beat + 1 && !songs.steps.has(i)) {
      jumps.push([sequence[i - 1].beat, sequence[i].beat]);
    }
  }
  const transitions = songs.transitions.map((t) => ({
    from: t.from_beat ?? sequence[t.step - 1]?.beat,
    to: t.to_beat ?? sequence[t.step]?.beat,
    transition: t,
  }));
  // Bands (and the room they take) only when there is more than one song to tell apart.
  const banded = spans.size > 1 || songs.order.length > 1;
  return { beats: tiles, bars, jumps, transitions, spans, banded };
}

/** Radii: the tiles' ring, and with several songs the bands and badges outside it. */
export function geometryFor(size, ratio, banded) {
  const centre = size / 2;
  const band = centre - 13 * ratio; // the middle of the song bands; the badges (10 px) sit on it
  const outer = banded ? band - 9 * ratio : centre - 10 * ratio;
  const radius = outer * 0.97;
  return { centre, outer, inner: outer * 0.86, radius, ratio, band, badge: 10 * ratio };
}

function drawBase(ctx, size, ratio, plan, songs, layout, palette) {
  const geometry = geometryFor(size, ratio, layout.banded);
  const nClusters = Math.max(plan.n_clusters ?? 1, 1);
  ctx.clearRect(0, 0, size, size);

  // Every jump the walk could take, faint; then the ones it took, strong; then the transitions.
  ctx.lineWidth = 1 * ratio;
  ctx.strokeStyle = palette.text;
  ctx.globalAlpha = 0.14;
  for (const edge of plan.edges ?? []) strokeArc(ctx, geometry, layout, edge.from, edge.to);
  ctx.globalAlpha = 1;
  ctx.lineWidth = 2 * ratio;
  ctx.strokeStyle = palette.accent;
  for (const [from, to] of layout.jumps) strokeArc(ctx, geometry, layout, from, to);
  for (const { from, to, transition } of layout.transitions) {
    setTransitionStroke(ctx, palette, ratio, transition, 3.5);
    strokeArc(ctx, geometry, layout, from, to);
  }
  ctx.setLineDash([]);

  // A quiet disc in the middle keeps the text readable over the arcs (three lines of it for a mix).
  ctx.globalAlpha = 0.85;
  ctx.fillStyle = palette.panel;
  ctx.beginPath();
  ctx.arc(geometry.centre, geometry.centre, geometry.inner * (layout.banded ? 0.42 : 0.34), 0, 2 * Math.PI);
  ctx.fill();
  ctx.globalAlpha = 1;

  for (const tile of layout.beats) {
    ctx.fillStyle = clusterColour(tile.cluster, nClusters);
    tilePath(ctx, geometry, tile, 0);
    ctx.fill();
  }

  if (layout.banded) {
    drawBands(ctx, geometry, songs, layout, palette);
    return; // the middle names the song playing, so it is drawn with each frame
  }
  // The middle: tempo and length.
  const lines = [
    { text: formatTempo(plan), big: true },
    { text: `${plural(layout.beats.length, "beat")} · ${plural(layout.jumps.length, "jump")}` },
  ];
  drawCentre(ctx, geometry, lines, palette);
}

/** Each song's band, thin, in its colour (a song left out: grey and dashed), with its number. */
function drawBands(ctx, geometry, songs, layout, palette) {
  const { centre, band, ratio } = geometry;
  ctx.lineCap = "butt";
  for (const [track, span] of layout.spans) {
    const position = songPosition(songs, track);
    ctx.strokeStyle = position < 0 ? palette.muted : palette.songs[position % SONG_COLOURS];
    ctx.lineWidth = 4 * ratio;
    ctx.setLineDash(position < 0 ? [4 * ratio, 4 * ratio] : []);
    ctx.beginPath();
    ctx.arc(centre, centre, band, span.from, span.to);
    ctx.stroke();
  }
  ctx.setLineDash([]);
  for (const [track, span] of layout.spans) {
    const position = songPosition(songs, track);
    if (position >= 0) drawBadge(ctx, geometry, span, String(position + 1), palette.songs[position % SONG_COLOURS], palette);
  }
}

/** The song playing: its band thick, its badge ringed, and its name in the middle. */
function drawPlaying(ctx, geometry, songs, layout, track, palette) {
  const span = layout.spans.get(track);
  const position = songPosition(songs, track);
  if (span && position >= 0) {
    const colour = palette.songs[position % SONG_COLOURS];
    ctx.strokeStyle = colour;
    ctx.lineWidth = 9 * geometry.ratio;
    ctx.beginPath();
    ctx.arc(geometry.centre, geometry.centre, geometry.band, span.from, span.to);
    ctx.stroke();
    drawBadge(ctx, geometry, span, String(position + 1), colour, palette, true);
  }
  if (track < 0) return;
  const lines = [
    { text: position < 0 ? "Playing" : `Song ${position + 1} of ${songs.order.length}`, muted: true },
    { text: songName(songs, track), big: true },
    { text: `${formatTrackTempo(songs.tracks[track])} · ${plural(songs.transitions.length, "transition")}`, muted: true },
  ];
  drawCentre(ctx, geometry, lines, palette);
}

function drawBadge(ctx, { centre, band, badge, ratio }, span, text, colour, palette, ringed = false) {
  const angle = (span.from + span.to) / 2;
  const x = centre + band * Math.cos(angle);
  const y = centre + band * Math.sin(angle);
  ctx.beginPath();
  ctx.arc(x, y, badge * (ringed ? 1.15 : 1), 0, 2 * Math.PI);
  ctx.fillStyle = colour;
  ctx.fill();
  ctx.lineWidth = (ringed ? 3 : 2) * ratio;
  ctx.strokeStyle = ringed ? palette.text : palette.panel;
  ctx.stroke();
  ctx.fillStyle = "#ffffff"; // the song colours are dark enough for white figures (style.css)
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.font = `700 ${Math.round(badge * 1.2)}px system-ui, sans-serif`;
  ctx.fillText(text, x, y + ratio * 0.5);
}

/** Lines of text in the middle, centred, each cut to fit the ring. */
export function drawCentre(ctx, geometry, lines, palette) {
  const big = Math.round(Math.max(16 * geometry.ratio, geometry.radius * 0.11));
  const small = Math.round(Math.max(12 * geometry.ratio, big * 0.55));
  const heights = lines.map((line) => (line.big ? big : small) * 1.25);
  let y = geometry.centre - heights.reduce((a, b) => a + b, 0) / 2;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  lines.forEach((line, i) => {
    ctx.font = line.big ? `600 ${big}px system-ui, sans-serif` : `${small}px system-ui, sans-serif`;
    ctx.fillStyle = line.muted ? palette.muted : palette.text;
    y += heights[i] / 2;
    ctx.fillText(fitText(ctx, line.text, geometry.inner * 1.4), geometry.centre, y);
    y += heights[i] / 2;
  });
}

function fitText(ctx, text, width) {
  if (ctx.measureText(text).width <= width) return text;
  let cut = text;
  while (cut.length > 1 && ctx.measureText(`${cut}…`).width > width) cut = cut.slice(0, -1);
  return `${cut}…`;
}

function setTransitionStroke(ctx, palette, ratio, transition, width) {
  ctx.strokeStyle = palette.transition;
  ctx.lineWidth = width * ratio;
  const dash = transition.kind === "cut" ? CUT_DASH : TRANSITION_DASH;
  ctx.setLineDash(dash.map((length) => length * ratio));
}

export function tilePath(ctx, { centre, inner, outer }, tile, grow) {
  ctx.beginPath();
  ctx.arc(centre, centre, outer + grow, tile.from, tile.to);
  ctx.arc(centre, centre, inner - grow, tile.to, tile.from, true);
  ctx.closePath();
}

/** A curve from one beat's tile to another's, bowed towards the centre like the Jukebox's. */
export function strokeArc(ctx, { centre, inner }, layout, from, to) {
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

/**
 * Size a square canvas and its offscreen still layer to the canvas's box in device pixels.
 * Returns the side in device pixels (0 while the canvas is not laid out) and the pixel ratio.
 */
export function sizeLayers(canvas, base) {
  const ratio = window.devicePixelRatio || 1;
  const size = Math.round(canvas.clientWidth * ratio);
  if (size > 0) {
    for (const c of [canvas, base]) {
      c.width = size;
      c.height = size;
    }
  }
  return { size, ratio };
}

export function clusterColour(cluster, nClusters) {
  const hue = (20 + (360 * cluster) / nClusters) % 360;
  return `hsl(${hue.toFixed(0)} 70% 55%)`;
}

/** The page's colours (style.css), so the drawing follows light and dark mode. */
export function colours(element) {
  const style = getComputedStyle(element);
  const get = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
  const text = get("--text", "#1d1d1f");
  const songs = ["#0072b2", "#c24e00", "#007a5e", "#8a6d00", "#5a4fcf", "#4f6d7a"].map((fallback, i) =>
    get(`--song-${i}`, fallback),
  );
  return {
    text,
    muted: get("--muted", "#5b5b63"),
    accent: get("--accent", "#2f5bd3"),
    panel: get("--panel", "#ffffff"),
    transition: get("--transition", "#c0357e"),
    focus: get("--focus", "#f2a900"),
    songs,
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
