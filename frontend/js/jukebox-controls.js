// The jukebox's controls: Play/Pause, Bring it home, the live tuning (jumpiness, similarity
// threshold, long jumps only, home after N minutes, reset), the download, the share link, and the
// readable state (listening time, beats, jumps, where it is). Reading and writing them only; what
// they do is wired in jukebox.js.

import { formatClock, parseSeconds } from "./units.js";

const DEFAULT_JUMPINESS = 0.5;

export class JukeboxControls {
  /**
   * @param {HTMLElement} root  the #jukebox section
   * @param {{onSettings: (settings: object) => void, onPlay: () => void, onHome: () => void,
   *          onShare: () => void, onExport: () => void}} hooks
   */
  constructor(root, hooks) {
    const $ = (selector) => root.querySelector(selector);
    this.root = root;
    this.hooks = hooks;
    this.song = $("#jukebox-song");
    this.summary = $("#jukebox-summary");
    this.play = $("#jukebox-play");
    this.home = $("#jukebox-home");
    this.share = $("#jukebox-share");
    this.shareRow = $("#jukebox-share-row");
    this.shareLink = $("#jukebox-share-link");
    this.shareNote = $("#jukebox-share-note");
    this.shareHint = $("#jukebox-share-hint");
    this.status = $("#jukebox-status");
    this.elapsed = $("#jukebox-elapsed");
    this.beats = $("#jukebox-beats");
    this.jumps = $("#jukebox-jumps");
    this.where = $("#jukebox-where");
    this.jumpiness = $("#jukebox-jumpiness");
    this.jumpinessValue = $("#jukebox-jumpiness-value");
    this.threshold = $("#jukebox-threshold");
    this.thresholdValue = $("#jukebox-threshold-value");
    this.longOnly = $("#jukebox-long");
    this.homeAfter = $("#jukebox-home-after");
    this.reset = $("#jukebox-reset");
    this.minutes = $("#jukebox-minutes");
    this.exportButton = $("#jukebox-export");
    this.exportHint = $("#jukebox-export-hint");
    this.exportStatus = $("#jukebox-export-status");
    this.exportLink = $("#jukebox-export-link");
    this.maxDistance = 1;
    this.countJumps = () => 0;

    const changed = () => {
      this.showValues();
      hooks.onSettings(this.settings());
    };
    for (const input of [this.jumpiness, this.threshold, this.longOnly]) input.addEventListener("input", changed);
    this.longOnly.addEventListener("change", changed);
    this.homeAfter.addEventListener("change", changed);
    this.reset.addEventListener("click", () => {
      this.apply({ jumpiness: DEFAULT_JUMPINESS, threshold: null, longOnly: false, homeAfter: null });
      changed();
    });
    this.play.addEventListener("click", () => hooks.onPlay());
    this.home.addEventListener("click", () => hooks.onHome());
    this.share.addEventListener("click", () => hooks.onShare());
    this.exportButton.addEventListener("click", () => hooks.onExport());
    this.minutes.addEventListener("input", () => this.showExportHint());
  }

  /**
   * A new song: the threshold's range is the graph's distances; `countJumps(settings)` says how
   * many jumps a setting leaves, for the slider's readout.
   */
  setSong({ name, summary, maxDistance, countJumps, sampleRate, channels, shareable }) {
    this.song.textContent = name;
    this.summary.textContent = summary;
    this.maxDistance = maxDistance > 0 ? maxDistance : 1;
    this.threshold.max = String(this.maxDistance);
    this.threshold.step = String(this.maxDistance / 200);
    this.countJumps = countJumps;
    this.sampleRate = sampleRate;
    this.channels = channels;
    this.share.disabled = !shareable;
    this.shareHint.hidden = shareable;
    this.shareRow.hidden = true;
    this.exportLink.hidden = true;
    this.exportStatus.textContent = "";
    this.showValues();
    this.showExportHint();
    this.setPlaying(false, false);
  }

  /** The tuning now: {jumpiness, threshold (null: all), longOnly, homeAfter (seconds or null)}. */
  settings() {
    const threshold = Number(this.threshold.value);
    const minutes = parseSeconds(this.homeAfter.value.replace(",", "."));
    return {
      jumpiness: Number(this.jumpiness.value),
      // The slider's steps may stop a hair short of its max (floating point): the max is "all".
      threshold: threshold >= this.maxDistance - Number(this.threshold.step) / 2 ? null : threshold,
      longOnly: this.longOnly.checked,
      // "2" means two minutes here; "1:30" a minute and a half.
      homeAfter: Number.isFinite(minutes) && minutes > 0 ? (this.homeAfter.value.includes(":") ? minutes : minutes * 60) : null,
    };
  }

  /** Set the tuning (a share link's, or the defaults). */
  apply({ jumpiness, threshold, longOnly, homeAfter }) {
    if (jumpiness !== undefined) this.jumpiness.value = String(jumpiness);
    if (threshold !== undefined) this.threshold.value = String(threshold === null ? this.maxDistance : threshold);
    if (longOnly !== undefined) this.longOnly.checked = Boolean(longOnly);
    if (homeAfter !== undefined) this.homeAfter.value = homeAfter === null ? "" : String(Math.round((homeAfter / 60) * 100) / 100);
    this.showValues();
  }

  showValues() {
    this.jumpinessValue.value = Number(this.jumpiness.value).toFixed(2);
    const settings = this.settings();
    const count = this.countJumps(settings);
    const all = this.countJumps({ ...settings, threshold: null, longOnly: false });
    const text = settings.threshold === null ? `all ${count}` : `${count} of ${all}`;
    this.thresholdValue.value = `${text} jumps`;
    this.threshold.setAttribute(
      "aria-valuetext",
      `${Number(this.threshold.value).toFixed(3)}: ${count} of ${all} jumps can be taken`,
    );
  }

  showExportHint() {
    const minutes = Number(this.minutes.value.replace(",", "."));
    if (!(minutes > 0) || !this.sampleRate) {
      this.exportHint.textContent = "Type a number of minutes, such as 5 or 10.";
      return;
    }
    const bytes = minutes * 60 * this.sampleRate * this.channels * 2;
    const rate = `${(this.sampleRate / 1000).toLocaleString("en", { maximumFractionDigits: 2 })} kHz`;
    const layout = this.channels === 1 ? "mono" : this.channels === 2 ? "stereo" : `${this.channels} channels`;
    this.exportHint.textContent =
      `Made here in your browser from this seed and tuning, from the start; it fades out at the end. ` +
      `${minutes} min at ${rate} ${layout} is ${Math.round(bytes / 1e6)} MB. ` +
      "For MP3 or OGG, use Remix above with a length.";
  }

  /** Minutes asked for the download, or NaN. */
  exportMinutes() {
    const minutes = Number(this.minutes.value.replace(",", "."));
    return minutes > 0 && minutes <= 60 ? minutes : Number.NaN; // an hour of 44.1 kHz stereo is 635 MB
  }

  setPlaying(playing, ended) {
    this.play.textContent = playing ? "Pause" : ended ? "Play again" : "Play";
    this.play.setAttribute("aria-pressed", String(playing));
    this.home.disabled = ended;
  }

  /** The readable state: listening time, beats played, jumps taken, where it is. */
  showStats({ elapsed, beats, jumps, where }) {
    this.elapsed.textContent = formatClock(elapsed);
    this.beats.textContent = String(beats);
    this.jumps.textContent = String(jumps);
    this.where.textContent = where;
    this.root.dataset.beatsPlayed = String(beats);
    this.root.dataset.jumpsTaken = String(jumps);
  }

  say(text) {
    this.status.textContent = text;
  }

  showShare(link, note) {
    this.shareRow.hidden = false;
    this.shareLink.value = link;
    this.shareNote.textContent = note;
    this.shareLink.focus();
    this.shareLink.select();
  }
}
