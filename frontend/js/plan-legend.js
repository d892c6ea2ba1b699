// The key to the drawing of a mix, in words: the songs in playing order with the colour and
// number of their band, the ones left out, and the line styles of jumps and transitions (each
// transition listed with its time). The canvas is an image; this is the part anyone can read.

import { describeTransition, partIndexAt, songName } from "./songs.js";
import { formatClock, formatTrackTempo, plural } from "./units.js";

export class PlanLegend {
  /** @param {HTMLElement} root  holds .legend-songs and .legend-lines lists */
  constructor(root) {
    this.root = root;
    this.songList = root.querySelector(".legend-songs");
    this.lineList = root.querySelector(".legend-lines");
    this.songs = null;
    this.items = new Map(); // track → its <li>
    this.track = null;
  }

  /**
   * @param {import("./songs.js").Songs} songs
   * @param {number} jumps  jumps within songs
   */
  show(songs, jumps) {
    this.songs = songs;
    this.track = null;
    this.items.clear();
    this.root.hidden = songs.order.length < 2 && songs.leftOut.length === 0;
    const rows = songs.order.map((track, position) => {
      const spans = songs.parts.filter((part) => part.track === track);
      const when = spans.map((part) => `${formatClock(part.start)}–${formatClock(part.end)}`).join(", ");
      const item = row(`song-${position % 6}`, String(position + 1), songName(songs, track),
        [formatTrackTempo(songs.tracks[track]), when].filter(Boolean).join(" · "));
      this.items.set(track, item);
      return item;
    });
    for (const name of songs.leftOut) {
      rows.push(row("left-out", "–", name, "did not fit in the length asked, so it is not in the mix"));
    }
    this.songList.replaceChildren(...rows);

    const lines = songs.transitions.map((transition) =>
      keyLine(transition.kind === "cut" ? "key-cut" : "key-transition", `Transition: ${describeTransition(songs, transition)}`),
    );
    lines.push(keyLine("key-jump", `Jump within a song (${plural(jumps, "jump")} in this mix)`));
    this.lineList.replaceChildren(...lines);
    this.setTime(0);
  }

  /** Mark the song under the playhead. */
  setTime(seconds) {
    if (!this.songs) return;
    const track = this.songs.parts[partIndexAt(this.songs.parts, seconds)]?.track ?? null;
    if (track === this.track) return;
    this.items.get(this.track)?.removeAttribute("aria-current");
    this.items.get(track)?.setAttribute("aria-current", "true");
    this.track = track;
  }

  clear() {
    this.songs = null;
    this.items.clear();
    this.root.hidden = true;
    this.songList.replaceChildren();
    this.lineList.replaceChildren();
  }
}

function row(colourClass, badgeText, name, detail) {
  const item = document.createElement("li");
  const badge = document.createElement("span");
  badge.className = `badge ${colourClass}`;
  badge.setAttribute("aria-hidden", "true");
  badge.textContent = badgeText;
  // The name and the detail wrap together beside the badge, however long the name.
  const text = document.createElement("span");
  text.className = "legend-text";
  const title = document.createElement("span");
  title.className = "legend-name";
  title.textContent = name;
  const more = document.createElement("span");
  more.className = "legend-detail";
  more.textContent = detail;
  text.append(title, " ", more);
  item.append(badge, text);
  return item;
}

function keyLine(styleClass, text) {
  const item = document.createElement("li");
  const line = document.createElement("span");
  line.className = `key-line ${styleClass}`;
  line.setAttribute("aria-hidden", "true");
  item.append(line, text);
  return item;
}
