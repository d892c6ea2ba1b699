// "Now playing: b.mp3 (song 2 of 3)": the song of a mix under the playhead, in words. It is a
// polite live region, so a screen reader says it when the song changes; the text changes only
// then, never with each beat. A single song needs no such line (the summary names it).

import { describePlaying, partIndexAt } from "./songs.js";

export class NowPlaying {
  /** @param {HTMLElement} element  holds a .swatch and a .now-playing-text */
  constructor(element) {
    this.element = element;
    this.swatch = element.querySelector(".swatch");
    this.text = element.querySelector(".now-playing-text");
    this.songs = null;
    this.track = null;
  }

  /** @param {import("./songs.js").Songs} songs */
  show(songs) {
    this.songs = songs;
    this.track = null;
    this.element.hidden = songs.order.length < 2;
    this.setTime(0);
  }

  setTime(seconds) {
    if (!this.songs) return;
    const part = this.songs.parts[partIndexAt(this.songs.parts, seconds)];
    if (!part || part.track === this.track) return;
    this.track = part.track;
    const position = this.songs.order.indexOf(part.track);
    this.swatch.className = `swatch ${position < 0 ? "left-out" : `song-${position % 6}`}`;
    this.text.textContent = `Now playing: ${describePlaying(this.songs, part.track)}`;
    this.element.dataset.track = String(part.track);
  }

  clear() {
    this.songs = null;
    this.track = null;
    this.element.hidden = true;
    this.text.textContent = "";
    delete this.element.dataset.track;
  }
}
