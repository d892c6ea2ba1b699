// Honest progress: the stage the browser can see, how far along it is when that is known, and the
// time so far. The server does not report its own steps, so its part is shown as one stage.

import { formatBytes, formatSeconds } from "./units.js";

const STAGES = {
  check: "Checking your songs…",
  upload: "Uploading…",
  server: "Remixing on the server…",
  download: "Receiving the remix…",
  decode: "Decoding the audio…",
  playback: "Getting the player ready…",
  // The jukebox's.
  "decode-song": "Decoding the song…",
  standin: "Making a compact copy of it for the analysis…",
  analyze: "Analysing on the server…",
  receive: "Receiving the song…",
};

export class Progress {
  constructor(root) {
    this.root = root;
    this.stageText = root.querySelector("#progress-stage");
    this.elapsedText = root.querySelector("#progress-elapsed");
    this.bar = root.querySelector("#progress-bar");
    this.timer = 0;
    this.startedAt = 0;
    this.stage = "";
    this.stageStartedAt = 0;
    this.detail = "";
  }

  start() {
    this.startedAt = performance.now();
    this.root.hidden = false;
    this.stage = "";
    this.update({ stage: "check" });
    clearInterval(this.timer);
    this.timer = setInterval(() => this.tick(), 250);
  }

  /** @param {{stage: string, loaded?: number, total?: number}} p */
  update({ stage, loaded = 0, total = 0 }) {
    if (stage !== this.stage) {
      this.stage = stage;
      this.stageStartedAt = performance.now();
      this.stageText.textContent = STAGES[stage] ?? stage;
      this.root.dataset.stage = stage;
    }
    if (total > 0) {
      this.bar.max = total;
      this.bar.value = loaded;
      this.detail = `${Math.floor((100 * loaded) / total)}% of ${formatBytes(total)}`;
    } else {
      this.bar.removeAttribute("value"); // indeterminate
      this.detail = stage === "download" && loaded > 0 ? formatBytes(loaded) : "";
    }
    this.tick();
  }

  tick() {
    const now = performance.now();
    const total = formatSeconds((now - this.startedAt) / 1000);
    let text = `${total} so far`;
    if (this.stage === "server" || this.stage === "analyze") text = `${formatSeconds((now - this.stageStartedAt) / 1000)} on the server, ${total} in all`;
    if (this.detail) text = `${this.detail}; ${text}`;
    this.elapsedText.textContent = text;
  }

  /** Hide, and return the seconds it ran. */
  stop() {
    clearInterval(this.timer);
    this.timer = 0;
    this.root.hidden = true;
    delete this.root.dataset.stage;
    return (performance.now() - this.startedAt) / 1000;
  }
}
