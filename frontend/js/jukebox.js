// The jukebox: one song played forever in the browser, along the jump graph that /analyze gives.
//
// loadSong gets the two things it needs: the plan (the analysis) and the song's samples.
// - A file is decoded here. It is sent for analysis as it is when it fits one upload; a larger one
//   is sent as a compact stand-in (standin.js): the analysis only needs mono at 22.05 kHz.
// - A URL is fetched by the function, which sends back the plan and the song itself as OGG that
//   fits the response (audio_copy): the page can't fetch other sites (its CSP allows only its own
//   origin, and most hosts send no CORS headers).
// Jukebox then wires the walker (jukebox-walk.js), the scheduler (jukebox-player.js), the mixer
// (jukebox-mix.js), the drawing (jukebox-view.js) and the controls (jukebox-controls.js).

import { ApiError, requestAnalysis } from "./api.js";
import { decodeSong, pcm16Scale } from "./audio-file.js";
import { JukeboxControls } from "./jukebox-controls.js";
import { beatSamples, renderWav, walkFor } from "./jukebox-mix.js";
import { JukeboxPlayer } from "./jukebox-player.js";
import { JukeboxView } from "./jukebox-view.js";
import { EndlessWalk, prepareGraph, usableJumps } from "./jukebox-walk.js";
import { canMakeStandIn, makeStandIn } from "./standin.js";
import { formatBytes, formatClock, formatSeconds, formatTrackTempo, plural } from "./units.js";

const MULTIPART_ROOM = 64 * 1024; // the form's boundaries and fields around an upload

/**
 * The plan and the decoded song for the jukebox.
 *
 * @param {{url: string|null, file: File|null}} song
 * @param {object|null} limits  GET api/limits
 * @returns {Promise<{plan: object, buffer: AudioBuffer, name: string, url: string|null, standIn: File|null}>}
 */
export async function loadSong({ url, file }, limits, { signal, onProgress = () => {} } = {}) {
  const stage = (p) => {
    const names = { server: "analyze", download: "receive" };
    onProgress({ ...p, stage: names[p.stage] ?? p.stage });
  };
  if (url) {
    const answer = await requestAnalysis({ urls: [url], files: [], options: { audio_copy: true } }, { signal, onProgress: stage });
    onProgress({ stage: "decode-song" });
    const buffer = await decodeSong(await answer.blob.arrayBuffer(), "the song's copy");
    return { plan: answer.plan, buffer, name: answer.plan.tracks?.[0]?.name || url, url, standIn: null };
  }
  onProgress({ stage: "decode-song" });
  const bytes = await file.arrayBuffer();
  const buffer = await decodeSong(bytes, `“${file.name}”`);
  const maxSeconds = limits?.max_input_seconds;
  if (Number.isFinite(maxSeconds) && buffer.duration > maxSeconds + 0.5) {
    throw new ApiError(`It lasts ${formatSeconds(buffer.duration)}; the service analyses songs up to ${formatSeconds(maxSeconds)}. Trim it, then try again.`, {
      code: "input_too_long",
    });
  }
  const cap = Math.min(limits?.max_input_bytes ?? Infinity, (limits?.max_upload_bytes ?? Infinity) - MULTIPART_ROOM);
  let upload = file;
  let standIn = null;
  if (file.size > cap) {
    if (!(await canMakeStandIn())) {
      throw new ApiError(
        `“${file.name}” is ${formatBytes(file.size)}, more than one upload can carry (${formatBytes(cap)}), and this ` +
          "browser can't make a compact copy of it (it needs WebCodecs' Opus encoder). Use a recent Chrome, Edge or " +
          "Firefox, convert the song to MP3, or give its URL.",
        { code: "request_too_large" },
      );
    }
    onProgress({ stage: "standin" });
    standIn = await makeStandIn(buffer, file.name, cap);
    upload = standIn;
  }
  if (signal?.aborted) throw new ApiError("Cancelled.", { code: "cancelled" });
  const answer = await requestAnalysis({ urls: [], files: [upload], options: {} }, { signal, onProgress: stage });
  return { plan: answer.plan, buffer, name: file.name, url: null, standIn };
}

export class Jukebox {
  /** @param {HTMLElement} root  the #jukebox section */
  constructor(root) {
    this.root = root;
    this.heading = root.querySelector("#jukebox-heading");
    this.controls = new JukeboxControls(root, {
      onSettings: (settings) => this.tune(settings),
      onPlay: () => this.toggle(),
      onHome: () => this.bringHome(),
      onShare: () => this.shareLink(),
      onExport: () => this.download(),
    });
    this.view = new JukeboxView(root.querySelector("#jukebox-canvas"), (beat) => this.playFrom(beat));
    this.song = null;
    this.player = null;
    this.walker = null;
    this.exportUrl = "";
  }

  /**
   * Show a loaded song, ready to play.
   * @param {{plan, buffer, name, url, standIn}} song  from loadSong
   * @param {{seed: number, settings?: object}} options
   */
  open(song, { seed, settings = {} }) {
    this.close();
    const graph = prepareGraph(song.plan);
    this.song = { ...song, graph, bounds: beatSamples(song.plan, song.buffer.sampleRate), seed: seed >>> 0 };
    const track = song.plan.tracks?.[0];
    const all = usableJumps(graph, { threshold: null, longOnly: false }).allowed.flat().length;
    const summary = [
      formatTrackTempo(track),
      formatSeconds(song.buffer.duration),
      plural(graph.n, "beat"),
      `${plural(all, "jump")} to choose from`,
      `seed ${this.song.seed}`,
    ];
    if (song.standIn) summary.push(`analysed from a ${formatBytes(song.standIn.size)} copy`);
    this.controls.setSong({
      name: song.name,
      summary: `${summary.join(" · ")}.`,
      maxDistance: graph.maxDistance,
      countJumps: (s) => usableJumps(graph, s).allowed.flat().length,
      sampleRate: song.buffer.sampleRate,
      channels: song.buffer.numberOfChannels,
      shareable: Boolean(song.url),
    });
    this.controls.apply({ jumpiness: 0.5, threshold: null, longOnly: false, homeAfter: null, ...settings });
    this.view.show(song.plan);
    this.root.hidden = false;
    this.startOver();
    this.tune(this.controls.settings());
    this.controls.say("Press Play to start: it plays until you stop it or bring it home.");
  }

  /** A fresh walk and player from the first beat, with the seed and the tuning shown. */
  startOver() {
    const { graph, plan, buffer, seed } = this.song;
    this.player?.close();
    this.walker = new EndlessWalk(graph, { seed, ...this.controls.settings() });
    this.stats = { beats: 0, jumps: 0, homing: false };
    this.player = new JukeboxPlayer(buffer, plan, this.walker, {
      onBeat: (entry) => this.heard(entry),
      onEnded: () => this.ended(),
    });
    this.showStats(-1);
  }

  tune(settings) {
    if (!this.song) return;
    this.walker?.configure(settings);
    const jumps = usableJumps(this.song.graph, settings).allowed.flat();
    this.view.setJumps(jumps);
  }

  async toggle() {
    if (!this.player) return;
    if (this.player.ended) {
      this.startOver();
    }
    if (this.player.playing) {
      await this.player.pause();
      this.controls.setPlaying(false, false);
      this.controls.say("Paused.");
      return;
    }
    await this.player.play();
    this.controls.setPlaying(true, false);
    this.controls.say("Playing.");
  }

  bringHome() {
    if (!this.walker || this.player?.ended) return;
    this.walker.bringHome();
    this.stats.homing = true;
    this.controls.say("Heading home: it goes to the song's ending by the quickest way and stops there.");
    if (!this.player.playing) this.toggle();
  }

  playFrom(beat) {
    if (!this.player) return;
    if (this.player.ended) this.startOver();
    this.player.seek(beat);
    this.controls.say(`Playing from beat ${beat + 1}.`);
    if (!this.player.playing) this.toggle();
  }

  heard(entry) {
    const { graph, plan } = this.song;
    this.stats.beats += 1;
    const jumped = entry.move === "jump" || entry.move === "restart";
    if (jumped) this.stats.jumps += 1;
    if (!this.stats.homing && this.walker.homing) {
      this.stats.homing = true;
      this.controls.say("Heading home: it goes to the song's ending by the quickest way and stops there.");
    }
    this.showStats(entry.beat, jumped ? [entry.from, entry.beat] : null);
    this.root.dispatchEvent(
      new CustomEvent("jukebox:beat", { detail: { beat: entry.beat, move: entry.move, from: entry.from, n: graph.n, track: plan.beats[entry.beat].track } }),
    );
  }

  showStats(beat, lastJump = null) {
    const { graph, name } = this.song;
    const elapsed = this.player?.elapsed() ?? 0;
    const where = beat < 0 ? "not yet" : `${name}, beat ${beat + 1} of ${graph.n} (bar ${this.view.barOf(beat)})`;
    this.controls.showStats({ elapsed, beats: this.stats.beats, jumps: this.stats.jumps, where });
    if (beat >= 0) {
      this.view.setPlaying(beat, lastJump, [
        { text: formatClock(elapsed), big: true },
        { text: `beat ${beat + 1} of ${graph.n}`, muted: true },
        { text: plural(this.stats.jumps, "jump"), muted: true },
      ]);
    }
  }

  ended() {
    this.controls.setPlaying(false, true);
    this.controls.say(`Home: it stopped on the song's last beat after ${formatClock(this.player.elapsed())}.`);
    this.root.dataset.ended = "true";
  }

  shareLink() {
    if (!this.song?.url) return;
    const s = this.controls.settings();
    const params = new URLSearchParams({ jukebox: this.song.url, seed: String(this.song.seed), jumpiness: String(s.jumpiness) });
    if (s.threshold !== null) params.set("threshold", String(s.threshold));
    if (s.longOnly) params.set("long", "1");
    if (s.homeAfter !== null) params.set("home", String(s.homeAfter));
    const link = `${location.origin}${location.pathname}?${params}`;
    this.controls.showShare(link, "Copied: it opens this song with this seed and tuning, from the start.");
    navigator.clipboard?.writeText(link).catch(() => {
      this.controls.showShare(link, "Select the link and copy it: it opens this song with this seed and tuning.");
    });
  }

  /** "Download N minutes": the walk from the start with this seed and tuning, rendered here. */
  async download() {
    if (!this.song) return;
    const minutes = this.controls.exportMinutes();
    const { exportStatus, exportLink, exportButton } = this.controls;
    if (!Number.isFinite(minutes)) {
      exportStatus.textContent = "Type how many minutes to download: a number from 0.1 to 60.";
      return;
    }
    exportButton.disabled = true;
    exportStatus.textContent = `Making ${formatSeconds(minutes * 60)} of WAV…`;
    await new Promise((resolve) => setTimeout(resolve, 30)); // let the page say so first
    try {
      const { graph, buffer, bounds, seed, name } = this.song;
      const settings = { ...this.controls.settings(), homeAfter: null };
      const beats = walkFor(new EndlessWalk(graph, { seed, ...settings }), graph, minutes * 60);
      const blob = renderWav(buffer, bounds, beats, minutes * 60, await pcm16Scale());
      let jumps = 0;
      for (let i = 1; i < beats.length; i += 1) if (beats[i] !== beats[i - 1] + 1) jumps += 1;
      if (this.exportUrl) URL.revokeObjectURL(this.exportUrl);
      this.exportUrl = URL.createObjectURL(blob);
      const stem = name.replace(/^.*[\\/]/, "").replace(/\.[^.]+$/, "").replace(/[^\w.-]+/g, "-") || "song";
      exportLink.href = this.exportUrl;
      exportLink.download = `${stem}-jukebox-${seed}-${String(minutes).replace(".", "_")}min.wav`;
      exportLink.textContent = `Save ${exportLink.download} (${formatBytes(blob.size)})`;
      exportLink.dataset.beats = String(beats.length);
      exportLink.dataset.jumps = String(jumps);
      exportLink.hidden = false;
      exportStatus.textContent = `Made ${formatSeconds(minutes * 60)} of WAV, ${formatBytes(blob.size)}, with ${plural(jumps, "jump")}.`;
      exportLink.click();
    } catch (error) {
      console.error(error);
      exportStatus.textContent = "The download could not be made in this browser (it may be out of memory): try fewer minutes.";
    } finally {
      exportButton.disabled = false;
    }
  }

  close() {
    this.player?.close();
    this.player = null;
    this.walker = null;
    delete this.root.dataset.ended;
  }
}

/** A share link's song and settings, or null: ?jukebox=<url>&seed=&jumpiness=&threshold=&long=&home=. */
export function readShareLink(search = location.search) {
  const params = new URLSearchParams(search);
  const url = params.get("jukebox");
  if (!url) return null;
  const number = (key) => {
    const value = params.get(key);
    return value === null || value === "" || !Number.isFinite(Number(value)) ? undefined : Number(value);
  };
  const settings = {};
  const jumpiness = number("jumpiness");
  if (jumpiness !== undefined) settings.jumpiness = Math.min(1, Math.max(0, jumpiness));
  const threshold = number("threshold");
  if (threshold !== undefined) settings.threshold = Math.max(0, threshold);
  if (params.get("long") === "1") settings.longOnly = true;
  const home = number("home");
  if (home !== undefined && home > 0) settings.homeAfter = home;
  const seed = number("seed");
  return { url, seed: Number.isInteger(seed) && seed >= 0 ? seed : undefined, settings };
}
