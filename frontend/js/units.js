// Numbers for people: bytes, seconds, counts, tempo, and reading a length typed as "90", "1:30" or "1:30.5".

/** "4.5 MB", "820 kB", "12 bytes" (decimal units, as the limits are stated). */
export function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return "?";
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(bytes >= 1e7 ? 0 : 1)} MB`;
  if (bytes >= 1e3) return `${Math.round(bytes / 1e3)} kB`;
  return `${bytes} bytes`;
}

/** "45 s", "3:05", "1:02:03". */
export function formatSeconds(seconds) {
  if (!Number.isFinite(seconds)) return "?";
  const total = Math.round(seconds);
  if (total < 60) return `${total} s`;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** A moment in the remix, as a player shows it: "0:04", "3:05", "1:02:03". */
export function formatClock(seconds) {
  if (!Number.isFinite(seconds)) return "?";
  const total = Math.floor(seconds + 1e-6);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** "2.1 s" for the few seconds a crossfade lasts, where whole seconds say too little. */
export function formatShortSeconds(seconds) {
  if (!Number.isFinite(seconds)) return "?";
  return seconds < 10 ? `${Number(seconds.toFixed(1))} s` : formatSeconds(seconds);
}

/** "1 beat", "2 beats". */
export function plural(count, noun) {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/**
 * Seconds from "90", "90.5", "1:30" or "1:02:03"; null for empty; NaN when it can't be read.
 */
export function parseSeconds(text) {
  const value = text.trim();
  if (value === "") return null;
  if (!/^\d+(\.\d+)?$|^\d+(:\d{1,2}){1,2}(\.\d+)?$/.test(value)) return Number.NaN;
  return value.split(":").reduce((total, part) => total * 60 + Number(part), 0);
}

/** The plan's tempo as a reader sees it: "120 BPM", or "free time" for music without a steady beat. */
export function formatTempo(plan) {
  const first = (plan.tracks ?? [])[0];
  if (first?.free_time || !(plan.tempo > 0)) return "free time";
  return `${Math.round(plan.tempo)} BPM`;
}

/** One track's tempo: "128 BPM", or "free time". */
export function formatTrackTempo(track) {
  if (!track || track.free_time || !(track.tempo > 0)) return "free time";
  return `${Math.round(track.tempo)} BPM`;
}
