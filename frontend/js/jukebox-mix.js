// The mixer: where each beat lies in the decoded song, the crossfade of every jump, and a walk of
// any length rendered to a WAV file, here in the browser.
//
// A jump's seam is the server's (lib/musicremixer/render.py): the incoming run of beats is slid up
// to 12 ms to where its waveform best continues the outgoing one (the whole run moves, so no beat
// changes length), and the two are crossfaded over 40 ms centred on the beat boundary with gains
// that keep a² + b² + 2·r·a·b = 1 (r: how alike the two stretches are; equal power when they are
// unrelated), with a smooth dip where the mix would pass the louder stretch's peak. Between seams
// the samples are the decoded song's, untouched. The live player (jukebox-player.js) plays the
// same seams through gain curves; the export writes them.

export const CROSSFADE_SECONDS = 0.04;
export const MAX_SHIFT_SECONDS = 0.012;
export const FADE_OUT_SECONDS = 3.0; // an export of a fixed length fades out over its last seconds
const LIMITER_SMOOTHING_SECONDS = 0.005;

/** Each beat's first and last-plus-one sample in `buffer`, as the server rounds them (numpy: half to even). */
export function beatSamples(plan, sampleRate) {
  const beats = plan.beats;
  const start = new Int32Array(beats.length);
  const end = new Int32Array(beats.length);
  beats.forEach((beat, i) => {
    start[i] = roundHalfEven(beat.start * sampleRate);
    end[i] = roundHalfEven(beat.end * sampleRate);
  });
  return { start, end };
}

/** Math.round rounds x.5 up; numpy.round (and so the server) rounds it to the even neighbour. */
export function roundHalfEven(x) {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction !== 0.5) return Math.round(x);
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * The seam of a jump: the outgoing run's audio ends at source sample `outEnd`, the incoming run
 * starts at source sample `inStart` (before sliding). Returns {shift, lead, trail, fall, rise}:
 * the incoming run starts at `inStart + shift`; the crossfade runs from `lead` samples before the
 * boundary to `trail` after it, with gains `fall` (outgoing) and `rise` (incoming).
 *
 * @param {Float32Array[]} channels  the decoded song
 * @param {number} half  half a crossfade, in samples (already capped to the beats' lengths)
 */
export function seam(channels, sampleRate, outEnd, inStart, half) {
  const length = channels[0].length;
  const maxShift = Math.round(MAX_SHIFT_SECONDS * sampleRate);
  let shift = bestShift(channels, outEnd, inStart, half, maxShift);
  shift = Math.max(Math.min(0, -inStart), Math.min(shift, Math.max(0, length - inStart - 1)));
  const start = inStart + shift;
  const after = length - outEnd;
  let trail = Math.max(0, Math.min(after, half));
  const lead = Math.max(0, Math.min(2 * half - trail, start));
  trail = Math.max(0, Math.min(2 * half - lead, after));
  const n = lead + trail;
  const outgoing = channels.map((c) => stretch(c, outEnd - lead, n));
  const incoming = channels.map((c) => stretch(c, start - lead, n));
  const r = correlation(outgoing, incoming);
  const fall = new Float32Array(n);
  const rise = new Float32Array(n);
  for (let k = 0; k < n; k += 1) {
    const phase = ((k + 0.5) / n) * (Math.PI / 2);
    const s = Math.sin(phase);
    const c = Math.cos(phase);
    const norm = 1 / Math.sqrt(1 + 2 * r * s * c);
    fall[k] = c * norm;
    rise[k] = s * norm;
  }
  limitPeaks(outgoing, incoming, fall, rise, sampleRate);
  return { shift, lead, trail, fall, rise };
}

/** Half a crossfade between a beat `a` and `b`: 20 ms, but at most a quarter of either beat. */
export function halfCrossfade(sampleRate, outBeatSamples, inBeatSamples) {
  return Math.min(Math.round((CROSSFADE_SECONDS * sampleRate) / 2), outBeatSamples >> 2, inBeatSamples >> 2);
}

function stretch(channel, start, length) {
  const out = new Float32Array(Math.max(length, 0));
  const lo = Math.max(start, 0);
  const hi = Math.min(start + length, channel.length);
  if (hi > lo) out.set(channel.subarray(lo, hi), lo - start);
  return out;
}

function mono(channels, start, length) {
  const out = new Float32Array(Math.max(length, 0));
  for (const channel of channels) {
    const part = stretch(channel, start, length);
    for (let i = 0; i < out.length; i += 1) out[i] += part[i] / channels.length;
  }
  return out;
}

/** The slide of the incoming run whose waveform best continues the outgoing one (render._best_shift). */
function bestShift(channels, outEnd, inStart, half, maxShift) {
  if (half <= 0) return 0;
  const reference = mono(channels, outEnd - half, 2 * half);
  const region = mono(channels, inStart - half - maxShift, 2 * half + 2 * maxShift);
  let refEnergy = 0;
  for (const x of reference) refEnergy += x * x;
  let energy = 0;
  for (let i = 0; i < 2 * half; i += 1) energy += region[i] * region[i];
  if (refEnergy <= 0) return 0;
  let best = 0;
  let bestScore = -Infinity;
  for (let k = 0; k <= 2 * maxShift; k += 1) {
    if (k > 0) energy += region[k + 2 * half - 1] ** 2 - region[k - 1] ** 2;
    let dot = 0;
    for (let i = 0; i < 2 * half; i += 1) dot += region[k + i] * reference[i];
    const score = dot / Math.sqrt(Math.max(energy, 1e-12));
    if (score > bestScore) {
      bestScore = score;
      best = k;
    }
  }
  return best - maxShift;
}

function correlation(a, b) {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let c = 0; c < a.length; c += 1) {
    for (let i = 0; i < a[c].length; i += 1) {
      ab += a[c][i] * b[c][i];
      aa += a[c][i] * a[c][i];
      bb += b[c][i] * b[c][i];
    }
  }
  if (aa <= 0 || bb <= 0) return 0;
  return Math.min(1, Math.max(0, ab / Math.sqrt(aa * bb)));
}

/**
 * Where the mix would pass the louder stretch's peak, lower both gains by a smooth dip (never
 * below equal gain, a + b = 1, which cannot pass it), as render.crossfade does.
 */
function limitPeaks(outgoing, incoming, fall, rise, sampleRate) {
  const n = fall.length;
  if (n === 0) return;
  let ceiling = 0;
  for (const part of [...outgoing, ...incoming]) for (const x of part) ceiling = Math.max(ceiling, Math.abs(x));
  const need = new Float64Array(n).fill(1);
  let over = false;
  for (let k = 0; k < n; k += 1) {
    let peak = 0;
    for (let c = 0; c < outgoing.length; c += 1) peak = Math.max(peak, Math.abs(outgoing[c][k] * fall[k] + incoming[c][k] * rise[k]));
    if (peak > ceiling) {
      need[k] = ceiling / peak;
      over = true;
    }
  }
  if (!over) return;
  const width = Math.max(3, Math.round(LIMITER_SMOOTHING_SECONDS * sampleRate) | 1);
  const halfWidth = width >> 1;
  const padded = (i) => (i < 0 || i >= n ? 1 : need[i]);
  const floor = new Float64Array(n + 2 * width);
  for (let i = -width; i < n + width; i += 1) {
    let m = 1;
    for (let j = i - halfWidth; j <= i + halfWidth; j += 1) m = Math.min(m, padded(j));
    floor[i + width] = m;
  }
  const kernel = [];
  let sum = 0;
  for (let j = 1; j <= width; j += 1) {
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * j) / (width + 1));
    kernel.push(w);
    sum += w;
  }
  for (let k = 0; k < n; k += 1) {
    let smooth = 0;
    for (let j = 0; j < width; j += 1) smooth += floor[k + width + j - halfWidth] * kernel[j];
    const dip = Math.min(smooth / sum, need[k]);
    const factor = Math.max(dip, 1 / (fall[k] + rise[k]));
    if (factor < 1) {
      fall[k] *= factor;
      rise[k] *= factor;
    }
  }
}

/**
 * The beats of a walk lasting `seconds` from its start: `walker` is a fresh EndlessWalk.
 * @returns {number[]} beats, in playing order
 */
export function walkFor(walker, graph, seconds) {
  const beats = [];
  let elapsed = 0;
  while (elapsed < seconds) {
    const step = walker.next();
    if (step === null) break;
    beats.push(step.beat);
    elapsed += graph.length[step.beat];
  }
  return beats;
}

/**
 * Render `beats` of the song to a 16-bit PCM WAV of exactly `seconds` (the last FADE_OUT_SECONDS
 * fading out), at the song's rate and channels.
 *
 * @param {AudioBuffer} buffer  the decoded song
 * @param {{start: Int32Array, end: Int32Array}} bounds  from beatSamples
 * @param {{negative: number, positive: number}} scale  float to 16-bit, as the decoder read them
 *   (audio-file.js' pcm16Scale): a 16-bit song's samples come out as they went in
 * @returns {Blob}
 */
export function renderWav(buffer, bounds, beats, seconds, scale = { negative: 32768, positive: 32768 }) {
  const sr = buffer.sampleRate;
  const channels = Array.from({ length: buffer.numberOfChannels }, (_, c) => buffer.getChannelData(c));
  const total = Math.round(seconds * sr);
  const C = channels.length;
  const pcm = new Int16Array(total * C);
  const fadeFrom = total - Math.min(total, Math.round(Math.min(FADE_OUT_SECONDS, seconds / 4) * sr));
  const gainAt = (o) => (o < fadeFrom ? 1 : Math.cos(((o - fadeFrom) / Math.max(1, total - fadeFrom)) * (Math.PI / 2)));
  const put = (o, c, x) => {
    if (o < 0 || o >= total) return;
    const y = x * gainAt(o);
    const v = Math.round(y * (y < 0 ? scale.negative : scale.positive));
    pcm[o * C + c] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  };

  // Runs of consecutive beats; each run k starts at source sample starts[k] (after its slide).
  const runs = [];
  for (let i = 0; i < beats.length; i += 1) {
    const beat = beats[i];
    const previous = runs[runs.length - 1];
    if (previous && beat === previous.last + 1 && bounds.start[beat] === bounds.end[previous.last]) previous.last = beat;
    else runs.push({ first: beat, last: beat });
  }
  let position = 0; // output sample where the current run's boundary lies
  let sourceStart = runs.length ? bounds.start[runs[0].first] : 0;
  let seamIn = null; // the seam at the start of the current run
  for (let k = 0; k < runs.length; k += 1) {
    const run = runs[k];
    const runLength = bounds.end[run.last] - bounds.start[run.first];
    const next = runs[k + 1];
    let seamOut = null;
    if (next) {
      const outEnd = sourceStart + runLength;
      const half = halfCrossfade(sr, bounds.end[run.last] - bounds.start[run.last], bounds.end[next.first] - bounds.start[next.first]);
      seamOut = seam(channels, sr, outEnd, bounds.start[next.first], half);
    }
    // The body: after the incoming crossfade's trail, before the outgoing one's lead.
    const from = seamIn ? seamIn.trail : 0;
    const to = runLength - (seamOut ? seamOut.lead : 0);
    for (let c = 0; c < C; c += 1) {
      const data = channels[c];
      for (let t = from; t < to; t += 1) put(position + t, c, data[sourceStart + t] ?? 0);
    }
    if (seamOut) {
      const boundary = position + runLength;
      const outEnd = sourceStart + runLength;
      const inStart = bounds.start[next.first] + seamOut.shift;
      for (let c = 0; c < C; c += 1) {
        const data = channels[c];
        for (let t = -seamOut.lead; t < seamOut.trail; t += 1) {
          const k2 = t + seamOut.lead;
          const a = data[outEnd + t] ?? 0;
          const b = data[inStart + t] ?? 0;
          put(boundary + t, c, a * seamOut.fall[k2] + b * seamOut.rise[k2]);
        }
      }
      position = boundary;
      sourceStart = inStart;
    }
    seamIn = seamOut;
  }
  return wavBlob(pcm, sr, C);
}

/** A RIFF WAVE file of 16-bit PCM samples (interleaved). */
export function wavBlob(pcm, sampleRate, channels) {
  const header = new DataView(new ArrayBuffer(44));
  const bytes = pcm.length * 2;
  const text = (at, s) => [...s].forEach((ch, i) => header.setUint8(at + i, ch.charCodeAt(0)));
  text(0, "RIFF");
  header.setUint32(4, 36 + bytes, true);
  text(8, "WAVE");
  text(12, "fmt ");
  header.setUint32(16, 16, true);
  header.setUint16(20, 1, true); // PCM
  header.setUint16(22, channels, true);
  header.setUint32(24, sampleRate, true);
  header.setUint32(28, sampleRate * channels * 2, true);
  header.setUint16(32, channels * 2, true);
  header.setUint16(34, 16, true);
  text(36, "data");
  header.setUint32(40, bytes, true);
  return new Blob([header, pcm], { type: "audio/wav" }); // little-endian hosts: every browser we know
}
