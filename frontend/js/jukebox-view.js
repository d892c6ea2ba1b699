// The jukebox's drawing: the song's beats round a circle as the remix plan draws them
// (plan-view.js), but only the jumps the walk can take at the current settings, faint; the jump
// just taken, bold; and the beat playing, unmistakable: dark, larger, with a pointer outside the
// ring and the time in the middle.
//
// It is also a control: a click (or a tap) on a beat plays from there, and from the keyboard the
// circle is a slider over the beats (arrows: a beat; Page Up/Down: a bar; Home/End), where Enter
// or Space plays from the beat chosen. Its counts are data- attributes for tests and its
// aria-valuetext says which beat is chosen.

import {
  clusterColour,
  colours,
  drawCentre,
  geometryFor,
  layOut,
  sizeLayers,
  strokeArc,
  tilePath,
} from "./plan-view.js";
import { readSongs } from "./songs.js";
import { formatClock, plural } from "./units.js";

export class JukeboxView {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {(beat: number) => void} onPick  a beat was clicked or chosen with Enter
   */
  constructor(canvas, onPick) {
    this.canvas = canvas;
    this.onPick = onPick;
    this.base = document.createElement("canvas");
    this.plan = null;
    this.layout = null;
    this.jumps = [];
    this.current = -1;
    this.lastJump = null;
    this.selected = -1;
    this.centre = [];
    new ResizeObserver(() => this.render()).observe(canvas);
    matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => this.render());
    canvas.addEventListener("click", (event) => this.click(event));
    canvas.addEventListener("keydown", (event) => this.key(event));
    canvas.addEventListener("focus", () => {
      if (this.selected < 0) this.select(Math.max(0, this.current));
      this.drawFrame();
    });
    canvas.addEventListener("blur", () => this.drawFrame());
  }

  /** A new song: its plan from /analyze. */
  show(plan) {
    this.plan = plan;
    this.layout = layOut({ ...plan, sequence: [] }, readSongs({ ...plan, sequence: [], transitions: [] }));
    this.current = -1;
    this.lastJump = null;
    this.selected = -1;
    const n = plan.beats.length;
    Object.assign(this.canvas.dataset, { beats: String(n), currentBeat: "-1", lastJump: "" });
    this.canvas.setAttribute("aria-valuemin", "1");
    this.canvas.setAttribute("aria-valuemax", String(n));
    this.select(0);
    this.render();
  }

  /** The jumps to draw: those the walk may take now ({from, to} each). */
  setJumps(jumps) {
    this.jumps = jumps;
    this.canvas.dataset.drawnJumps = String(jumps.length);
    this.render();
  }

  /** The beat sounding now, the jump that led to it if any ([from, to]), and the middle's text. */
  setPlaying(beat, lastJump, centre) {
    this.current = beat;
    if (lastJump) this.lastJump = lastJump;
    this.centre = centre;
    this.canvas.dataset.currentBeat = String(beat);
    this.canvas.dataset.lastJump = this.lastJump ? this.lastJump.join("-") : "";
    if (document.activeElement !== this.canvas) this.select(beat, { quiet: true });
    this.drawFrame();
  }

  select(beat, { quiet = false } = {}) {
    if (!this.plan) return;
    const n = this.plan.beats.length;
    this.selected = Math.max(0, Math.min(n - 1, beat));
    const b = this.plan.beats[this.selected];
    const bar = this.barOf(this.selected);
    this.canvas.setAttribute("aria-valuenow", String(this.selected + 1));
    this.canvas.setAttribute(
      "aria-valuetext",
      `beat ${this.selected + 1} of ${n}, bar ${bar}, beat ${(b.bar_position ?? 0) + 1} of the bar, at ${formatClock(b.start)}` +
        (this.selected === this.current ? ", playing" : ""),
    );
    this.canvas.dataset.selectedBeat = String(this.selected);
    if (!quiet) this.drawFrame();
  }

  barOf(beat) {
    let bars = 0;
    for (let i = 0; i <= beat; i += 1) if (i === 0 || this.plan.beats[i].bar_position === 0) bars += 1;
    return bars;
  }

  key(event) {
    if (!this.plan) return;
    const meter = this.plan.tracks?.[0]?.meter ?? 4;
    const moves = {
      ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1, PageUp: meter, PageDown: -meter,
    };
    if (event.key in moves) this.select(this.selected + moves[event.key]);
    else if (event.key === "Home") this.select(0);
    else if (event.key === "End") this.select(this.plan.beats.length - 1);
    else if (event.key === "Enter" || event.key === " ") this.onPick(this.selected);
    else return;
    event.preventDefault();
  }

  click(event) {
    if (!this.layout) return;
    const beat = this.beatAt(event.offsetX, event.offsetY);
    if (beat < 0) return;
    this.select(beat);
    this.onPick(beat);
  }

  /** The beat under a point (CSS pixels in the canvas), or -1. */
  beatAt(x, y) {
    const ratio = window.devicePixelRatio || 1;
    const size = this.canvas.width;
    const geometry = geometryFor(size, ratio, false);
    const dx = x * ratio - geometry.centre;
    const dy = y * ratio - geometry.centre;
    const r = Math.hypot(dx, dy);
    if (r < geometry.inner * 0.75 || r > geometry.outer + 14 * ratio) return -1;
    let angle = Math.atan2(dy, dx);
    const first = this.layout.beats[0].from;
    while (angle < first) angle += 2 * Math.PI;
    let best = -1;
    let distance = Infinity;
    this.layout.beats.forEach((tile, i) => {
      const d = Math.abs((tile.from + tile.to) / 2 - angle);
      if (d < distance) {
        distance = d;
        best = i;
      }
    });
    return best;
  }

  render() {
    if (!this.layout) return;
    const { size, ratio } = sizeLayers(this.canvas, this.base);
    if (size <= 0) return;
    const ctx = this.base.getContext("2d");
    const palette = colours(this.canvas);
    const geometry = geometryFor(size, ratio, false);
    ctx.clearRect(0, 0, size, size);
    ctx.lineWidth = 1 * ratio;
    ctx.strokeStyle = palette.text;
    ctx.globalAlpha = 0.22;
    for (const jump of this.jumps) strokeArc(ctx, geometry, this.layout, jump.from, jump.to);
    ctx.globalAlpha = 0.85;
    ctx.fillStyle = palette.panel;
    ctx.beginPath();
    ctx.arc(geometry.centre, geometry.centre, geometry.inner * 0.34, 0, 2 * Math.PI);
    ctx.fill();
    ctx.globalAlpha = 1;
    const nClusters = Math.max(this.plan.n_clusters ?? 1, 1);
    for (const tile of this.layout.beats) {
      ctx.fillStyle = clusterColour(tile.cluster, nClusters);
      tilePath(ctx, geometry, tile, 0);
      ctx.fill();
    }
    this.drawFrame();
  }

  drawFrame() {
    if (!this.layout) return;
    const ctx = this.canvas.getContext("2d");
    const size = this.canvas.width;
    const ratio = window.devicePixelRatio || 1;
    const geometry = geometryFor(size, ratio, false);
    const palette = colours(this.canvas);
    ctx.clearRect(0, 0, size, size);
    ctx.drawImage(this.base, 0, 0);
    if (this.lastJump) {
      ctx.lineWidth = 4 * ratio;
      ctx.strokeStyle = palette.accent;
      strokeArc(ctx, geometry, this.layout, this.lastJump[0], this.lastJump[1]);
    }
    if (document.activeElement === this.canvas && this.selected >= 0) {
      ctx.setLineDash([4 * ratio, 3 * ratio]);
      ctx.lineWidth = 3 * ratio;
      ctx.strokeStyle = palette.focus;
      tilePath(ctx, geometry, this.layout.beats[this.selected], 0.04 * geometry.radius);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    if (this.current >= 0) {
      const tile = this.layout.beats[this.current];
      ctx.fillStyle = palette.text;
      ctx.strokeStyle = palette.panel;
      ctx.lineWidth = 2 * ratio;
      tilePath(ctx, geometry, tile, 0.07 * geometry.radius);
      ctx.fill();
      ctx.stroke();
      // A needle from the middle to the beat, so the eye finds it at once.
      const angle = (tile.from + tile.to) / 2;
      const from = geometry.inner * 0.36;
      const to = geometry.inner - 0.08 * geometry.radius;
      ctx.beginPath();
      ctx.moveTo(geometry.centre + from * Math.cos(angle), geometry.centre + from * Math.sin(angle));
      ctx.lineTo(geometry.centre + to * Math.cos(angle), geometry.centre + to * Math.sin(angle));
      ctx.lineWidth = 3 * ratio;
      ctx.lineCap = "round";
      ctx.strokeStyle = palette.text;
      ctx.stroke();
      ctx.lineCap = "butt";
    }
    const lines = this.centre.length ? this.centre : [{ text: "Press Play", big: true }, { text: plural(this.plan.beats.length, "beat"), muted: true }];
    drawCentre(ctx, geometry, lines, palette);
  }
}
