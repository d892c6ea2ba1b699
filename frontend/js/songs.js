// The songs of a plan: the order they play in, which one is playing when, the transitions between
// them, and the ones that did not fit (docs/CONTRACTS.md, "The plan"). Pure functions of the plan.
//
// A plan from a server that predates several-song mixes has no "order" or "parts": its parts are
// then read off the sequence (a run of beats from one track is that track's part), with no
// transitions, so the page still names what plays.

import { formatClock, formatShortSeconds } from "./units.js";

/**
 * @typedef {{track: number, start: number, end: number}} Part
 * @typedef {{from: number, to: number, at: number, length: number, kind: string, step: number,
 *            from_beat: number, to_beat: number}} Transition
 * @typedef {{tracks: object[], order: number[], parts: Part[], transitions: Transition[],
 *            leftOut: string[], steps: Set<number>}} Songs
 */

/** @returns {Songs} */
export function readSongs(plan) {
  const tracks = plan.tracks ?? [];
  const parts = Array.isArray(plan.parts) && plan.parts.length > 0 ? plan.parts : partsFromSequence(plan);
  const order = Array.isArray(plan.order) ? plan.order : [...new Set(parts.map((part) => part.track))];
  const transitions = Array.isArray(plan.transitions) ? plan.transitions : [];
  const leftOut = Array.isArray(plan.left_out) ? plan.left_out : [];
  // A transition is also a jump in the sequence (its beats are not consecutive); its step tells them apart.
  const steps = new Set(transitions.map((transition) => transition.step));
  return { tracks, order, parts, transitions, leftOut, steps };
}

function partsFromSequence(plan) {
  const beats = plan.beats ?? [];
  const parts = [];
  for (const entry of plan.sequence ?? []) {
    const track = beats[entry.beat]?.track ?? 0;
    if (parts.length > 0 && parts[parts.length - 1].track === track) continue;
    if (parts.length > 0) parts[parts.length - 1].end = entry.time;
    parts.push({ track, start: entry.time, end: plan.duration ?? entry.time });
  }
  return parts;
}

/** The track's name as the listener gave it. */
export function songName(songs, track) {
  return songs.tracks[track]?.name || `song ${track + 1}`;
}

/** Where a track comes in the playing order, from 0; -1 for a song left out. */
export function songPosition(songs, track) {
  return songs.order.indexOf(track);
}

/** The index into `parts` of the part sounding at `seconds` (the first before it starts, the last after). */
export function partIndexAt(parts, seconds) {
  if (parts.length === 0) return -1;
  let index = 0;
  for (let i = 1; i < parts.length; i += 1) {
    if (parts[i].start <= seconds) index = i;
    else break;
  }
  return index;
}

/** "b.mp3 (song 2 of 3)": what the "now playing" line and the drawing's centre say. */
export function describePlaying(songs, track) {
  const position = songPosition(songs, track);
  const name = songName(songs, track);
  return position < 0 ? name : `${name} (song ${position + 1} of ${songs.order.length})`;
}

/** "b.mp3 and c.mp3" */
export function listNames(names) {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/** One transition for people: "1:35, b.mp3 → a.mp3, blended over 2 s" or "… a cut (tempos too far apart)". */
export function describeTransition(songs, transition) {
  const how =
    transition.kind === "cut"
      ? "a cut on the downbeat (the tempos are too far apart to blend)"
      : `blended over ${formatShortSeconds(transition.length)}`;
  return `${formatClock(transition.at)}, ${songName(songs, transition.from)} → ${songName(songs, transition.to)}, ${how}`;
}
