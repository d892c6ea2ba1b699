// The scheduler: plays the walk through Web Audio, beat by beat, ahead of time and sample-accurate.
//
// A run of consecutive beats is one AudioBufferSourceNode playing the decoded song from the run's
// first sample (start(when, offset)): its beats come out exactly as decoded. At a jump the walker
// is asked a little ahead of time (HORIZON_S); the outgoing node is stopped half a crossfade after
// the boundary and the incoming one started half a crossfade before it, and their GainNodes follow
// the seam's curves (jukebox-mix.js, the server's crossfade). All times are whole sample frames of
// an AudioContext running at the song's own rate, counted from the first beat.
//
// What is heard is reported as it is heard: each beat once its start time has passed on the audio
// clock (onBeat), and the end once the last beat has played (onEnded).

import { beatSamples, halfCrossfade, seam } from "./jukebox-mix.js";

const HORIZON_S = 0.3; // decide this far ahead: settings apply within it
const HIDDEN_HORIZON_S = 3.0; // a hidden tab's timers run once a second at best
const TICK_MS = 40;
const START_DELAY_S = 0.08;
const SEEK_FADE_S = 0.03;

export class JukeboxPlayer {
  /**
   * @param {AudioBuffer} buffer  the decoded song
   * @param {object} plan  /analyze's plan (beats' start and end)
   * @param {import("./jukebox-walk.js").EndlessWalk} walker
   * @param {{onBeat: (event: object) => void, onEnded: () => void}} hooks
   */
  constructor(buffer, plan, walker, { onBeat = () => {}, onEnded = () => {} } = {}) {
    this.buffer = buffer;
    this.sr = buffer.sampleRate;
    this.channels = Array.from({ length: buffer.numberOfChannels }, (_, c) => buffer.getChannelData(c));
    this.bounds = beatSamples(plan, this.sr);
    this.walker = walker;
    this.onBeat = onBeat;
    this.onEnded = onEnded;
    this.context = null;
    this.queue = []; // beats scheduled and not yet heard: {beat, move, from, at (frame), after (walker state)}
    this.voices = []; // the nodes playing or about to: {node, gain, startAt, stopAt}
    this.voice = null; // the node carrying the current run: its last beat, and the run's slide (samples)
    this.cursor = 0; // frame where the next beat starts
    this.origin = 0; // frame of the first beat
    this.endAt = null;
    this.timer = 0;
    this.frame = 0;
    this.playing = false;
    this.ended = false;
    this.heardState = walker.snapshot(); // the walker's state after the last beat heard
  }

  /** Start (the first time, on a click: browsers let audio start only then) or resume. */
  async play() {
    if (this.ended) return;
    if (!this.context) {
      this.context = createContext(this.sr);
      await this.context.resume();
      this.origin = Math.ceil((this.context.currentTime + START_DELAY_S) * this.sr);
      this.cursor = this.origin;
    } else {
      await this.context.resume();
    }
    this.playing = true;
    clearInterval(this.timer);
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.tick();
    const follow = () => {
      this.report();
      this.frame = this.playing ? requestAnimationFrame(follow) : 0;
    };
    cancelAnimationFrame(this.frame);
    this.frame = requestAnimationFrame(follow);
  }

  async pause() {
    this.playing = false;
    clearInterval(this.timer);
    cancelAnimationFrame(this.frame);
    if (this.context) await this.context.suspend();
  }

  /** Seconds heard since the first beat (the audio clock stops while paused). */
  elapsed() {
    if (!this.context) return 0;
    const end = this.endAt === null ? Infinity : this.endAt;
    return Math.max(0, Math.min(this.context.currentTime * this.sr, end) - this.origin) / this.sr;
  }

  /** Play from `beat` now: what was scheduled after this moment is dropped, the walk goes on from there. */
  seek(beat) {
    if (!this.context || this.ended) {
      this.walker.seek(beat);
      return;
    }
    const now = Math.ceil((this.context.currentTime + START_DELAY_S) * this.sr);
    const cut = Math.max(now, this.origin);
    // Undo the walker's steps that will not be heard, then let it go on from the chosen beat.
    const kept = this.queue.filter((entry) => entry.at < cut);
    const last = kept[kept.length - 1];
    const state = last ? last.after : this.heardState;
    if (state) this.walker.restore(state);
    this.queue = kept;
    this.walker.seek(beat);
    const fade = Math.round(SEEK_FADE_S * this.sr);
    for (const voice of this.voices) {
      if (voice.startAt >= cut) {
        voice.node.stop(); // never heard
        continue;
      }
      voice.gain.gain.cancelAndHoldAtTime(cut / this.sr);
      voice.gain.gain.linearRampToValueAtTime(0, (cut + fade) / this.sr);
      voice.node.stop((cut + fade) / this.sr);
    }
    this.voices = this.voices.filter((voice) => voice.startAt < cut);
    this.voice = null;
    this.cursor = cut;
    this.endAt = null;
    this.tick();
  }

  /** Schedule beats until the horizon. */
  tick() {
    if (!this.context || !this.playing) return;
    const horizon = document.hidden ? HIDDEN_HORIZON_S : HORIZON_S;
    const until = (this.context.currentTime + horizon) * this.sr;
    while (this.endAt === null && this.cursor < until) {
      const step = this.walker.next();
      if (step === null) {
        this.endAt = this.cursor;
        break;
      }
      this.schedule(step);
      this.queue.push({ ...step, at: this.cursor, after: this.walker.snapshot() });
      this.cursor += this.bounds.end[step.beat] - this.bounds.start[step.beat];
    }
    this.voices = this.voices.filter((voice) => voice.stopAt === null || voice.stopAt > this.context.currentTime * this.sr);
  }

  schedule(step) {
    const { start, end } = this.bounds;
    const at = this.cursor;
    const beat = step.beat;
    const voice = this.voice;
    if (voice && step.move === "on" && start[beat] === end[voice.lastBeat]) {
      voice.lastBeat = beat; // the run goes on: the node is already playing it
      return;
    }
    if (!voice) {
      // The first beat, or the first after a click: a short fade in, no seam to match.
      const first = this.startVoice(at, start[beat], 0);
      const fade = Math.round(SEEK_FADE_S * this.sr);
      first.gain.gain.setValueAtTime(0, at / this.sr);
      first.gain.gain.linearRampToValueAtTime(1, (at + fade) / this.sr);
      first.lastBeat = beat;
      this.voice = first;
      return;
    }
    const half = halfCrossfade(this.sr, end[voice.lastBeat] - start[voice.lastBeat], end[beat] - start[beat]);
    // The outgoing run was slid by its own seam: its audio ends at its last beat's end plus that.
    const joint = seam(this.channels, this.sr, end[voice.lastBeat] + voice.shift, start[beat], half);
    const from = (at - joint.lead) / this.sr;
    const length = (joint.lead + joint.trail) / this.sr;
    const incoming = this.startVoice(at - joint.lead, start[beat] + joint.shift - joint.lead, 0);
    if (joint.lead + joint.trail > 1) {
      voice.gain.gain.setValueCurveAtTime(joint.fall, from, length);
      incoming.gain.gain.setValueCurveAtTime(joint.rise, from, length);
    }
    incoming.gain.gain.setValueAtTime(1, (at + joint.trail + 1) / this.sr); // just after the curve
    voice.node.stop((at + joint.trail) / this.sr);
    voice.stopAt = at + joint.trail;
    incoming.lastBeat = beat;
    incoming.shift = joint.shift;
    this.voice = incoming;
  }

  startVoice(frame, sourceFrame, initialGain) {
    const node = this.context.createBufferSource();
    node.buffer = this.buffer;
    const gain = this.context.createGain();
    gain.gain.value = initialGain;
    node.connect(gain).connect(this.context.destination);
    const lead = Math.max(0, -sourceFrame); // nothing before the song's first sample
    node.start((frame + lead) / this.sr, (sourceFrame + lead) / this.sr);
    const voice = { node, gain, startAt: frame, stopAt: null, lastBeat: -1, shift: 0 };
    this.voices.push(voice);
    return voice;
  }

  /** Tell the page about every beat whose start has passed on the audio clock, and the end. */
  report() {
    if (!this.context) return;
    const now = this.context.currentTime * this.sr;
    while (this.queue.length > 0 && this.queue[0].at <= now) {
      const entry = this.queue.shift();
      this.heardState = entry.after;
      this.onBeat(entry);
    }
    if (this.endAt !== null && !this.ended && now >= this.endAt && this.queue.length === 0) {
      this.ended = true;
      this.playing = false;
      clearInterval(this.timer);
      this.onEnded();
    }
  }

  /** Stop everything and let the audio context go. */
  close() {
    this.playing = false;
    clearInterval(this.timer);
    cancelAnimationFrame(this.frame);
    this.context?.close();
    this.context = null;
  }
}

function createContext(sampleRate) {
  try {
    return new AudioContext({ sampleRate, latencyHint: "playback" });
  } catch {
    return new AudioContext({ latencyHint: "playback" }); // a rate it can't run at: it resamples
  }
}
