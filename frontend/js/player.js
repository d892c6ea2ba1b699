// The remix as something to hear and keep: the <audio> element, the download link, and the time
// that is sounding, reported once per frame while it plays (for the drawing's highlight).

export class Player {
  /**
   * @param {HTMLAudioElement} audio
   * @param {HTMLAnchorElement} link
   * @param {(seconds: number) => void} onTime
   */
  constructor(audio, link, onTime) {
    this.audio = audio;
    this.link = link;
    this.onTime = onTime;
    this.url = "";
    this.frame = 0;

    const follow = () => {
      this.onTime(this.audio.currentTime);
      this.frame = this.audio.paused ? 0 : requestAnimationFrame(follow);
    };
    audio.addEventListener("play", () => {
      cancelAnimationFrame(this.frame);
      this.frame = requestAnimationFrame(follow);
    });
    for (const type of ["pause", "seeked", "ended", "loadedmetadata"]) {
      audio.addEventListener(type, () => this.onTime(this.audio.currentTime));
    }
  }

  /**
   * Load a remix; resolves once the browser knows its length, rejects if it can't play it.
   * @param {Blob} blob
   * @param {string} filename
   */
  load(blob, filename) {
    this.clear();
    this.url = URL.createObjectURL(blob);
    this.link.href = this.url;
    this.link.download = filename;
    this.link.dataset.bytes = String(blob.size);
    this.link.textContent = `Download ${filename}`;
    return new Promise((resolve, reject) => {
      const ok = () => {
        this.audio.removeEventListener("error", bad);
        resolve(this.audio.duration);
      };
      const bad = () => {
        this.audio.removeEventListener("loadedmetadata", ok);
        const error = new Error(`This browser can't play ${blob.type || "this audio"}.`);
        error.code = "unplayable";
        reject(error);
      };
      this.audio.addEventListener("loadedmetadata", ok, { once: true });
      this.audio.addEventListener("error", bad, { once: true });
      this.audio.src = this.url;
      this.audio.load();
    });
  }

  /** Stop, and let go of the previous remix's bytes. */
  clear() {
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.audio.pause();
    if (this.url) {
      this.audio.removeAttribute("src");
      this.audio.load();
      URL.revokeObjectURL(this.url);
      this.url = "";
    }
  }
}
