// A compact stand-in for a song too large to upload: what the analysis needs and no more.
//
// The server's analysis folds every song to mono at 22.05 kHz before it looks at it (README, "Beats
// and bars"), so the stand-in is that: the channels averaged as the server averages them,
// resampled to 22.05 kHz by an OfflineAudioContext, and encoded as Opus by WebCodecs'
// AudioEncoder into an Ogg file (RFC 7845), which the server's decoder (libsndfile) reads. At
// 32 kb/s a 6-minute song is 1.4 MB; tests/frontend/test_jukebox.py and tests/lib/test_standin.py
// measure that its beats and plan match the original's. The page plays the original, decoded
// here; only the stand-in travels.

import { ApiError } from "./api.js";

export const STANDIN_RATE = 48_000;
export const STANDIN_BITRATE = 32_000; // b/s
export const MIN_BITRATE = 12_000; // below this the analysis would no longer be the song's
const OPUS_FRAME_US = 20_000;
const PAGE_PACKETS = 50; // one Ogg page a second

/** Whether this browser can make a stand-in (WebCodecs' Opus encoder). */
export async function canMakeStandIn() {
  if (typeof AudioEncoder === "undefined") return false;
  try {
    const { supported } = await AudioEncoder.isConfigSupported({
      codec: "opus", sampleRate: STANDIN_RATE, numberOfChannels: 1, bitrate: STANDIN_BITRATE,
    });
    return Boolean(supported);
  } catch {
    return false;
  }
}

/**
 * The stand-in of a decoded song, as an Ogg Opus File of at most `maxBytes`.
 *
 * @param {AudioBuffer} buffer  the song as decoded
 * @param {string} name  the song's file name; the stand-in is called "<stem>.opus"
 * @param {number} maxBytes  what one upload may carry
 * @returns {Promise<File>}
 */
export async function makeStandIn(buffer, name, maxBytes) {
  // Leave room for the Ogg pages' headers (about 1 %) and a little more.
  const fits = Math.floor((maxBytes * 8 * 0.95) / buffer.duration / 1000) * 1000;
  const bitrate = Math.min(STANDIN_BITRATE, fits);
  if (bitrate < MIN_BITRATE) {
    throw new ApiError(
      "The song is too long to analyse from here: even a compact copy of it would be over " +
        `${(maxBytes / 1e6).toFixed(1)} MB. Trim it, or give its URL instead.`,
      { code: "request_too_large" },
    );
  }
  const mono = await monoAt22k(buffer);
  const packets = await encodeOpus(mono, bitrate);
  const bytes = oggOpus(packets.head, packets.frames, mono.length);
  const stem = name.replace(/\.[^.]*$/, "") || "song";
  return new File([bytes], `${stem}.opus`, { type: "audio/ogg" });
}

/** The channels averaged (as the server folds them), resampled to 22.05 kHz. */
async function monoAt22k(buffer) {
  const { numberOfChannels: channels, length, sampleRate } = buffer;
  const mean = new Float32Array(length);
  for (let c = 0; c < channels; c += 1) {
    const data = buffer.getChannelData(c);
    for (let i = 0; i < length; i += 1) mean[i] += data[i];
  }
  if (channels > 1) for (let i = 0; i < length; i += 1) mean[i] /= channels;
  if (sampleRate === STANDIN_RATE) return mean;
  const frames = Math.max(1, Math.round((length * STANDIN_RATE) / sampleRate));
  const context = new OfflineAudioContext(1, frames, STANDIN_RATE);
  const source = context.createBufferSource();
  const folded = context.createBuffer(1, length, sampleRate);
  folded.copyToChannel(mean, 0);
  source.buffer = folded;
  source.connect(context.destination);
  source.start();
  return (await context.startRendering()).getChannelData(0);
}

/** Opus packets of 20 ms from WebCodecs, and the identification header it describes them with. */
async function encodeOpus(samples, bitrate) {
  const frames = [];
  let head = null;
  let failure = null;
  const encoder = new AudioEncoder({
    output: (chunk, metadata) => {
      const data = new Uint8Array(chunk.byteLength);
      chunk.copyTo(data);
      frames.push({ data, duration: chunk.duration ?? OPUS_FRAME_US });
      const description = metadata?.decoderConfig?.description;
      if (description && !head) head = new Uint8Array(ArrayBuffer.isView(description) ? description.buffer : description).slice();
    },
    error: (error) => {
      failure = error;
    },
  });
  encoder.configure({ codec: "opus", sampleRate: STANDIN_RATE, numberOfChannels: 1, bitrate });
  // A frame of silence after the end, so the encoder's lookahead lets the last samples out; the
  // last page's granule position trims it off again.
  const padded = new Float32Array(samples.length + STANDIN_RATE / 50);
  padded.set(samples);
  const block = STANDIN_RATE; // a second at a time
  for (let at = 0; at < padded.length; at += block) {
    const data = padded.slice(at, Math.min(padded.length, at + block));
    encoder.encode(new AudioData({
      format: "f32-planar", sampleRate: STANDIN_RATE, numberOfChannels: 1, numberOfFrames: data.length,
      timestamp: Math.round((at * 1e6) / STANDIN_RATE), data,
    }));
  }
  await encoder.flush();
  encoder.close();
  if (failure) throw failure;
  return { head: head ?? opusHead(312, STANDIN_RATE), frames };
}

function opusHead(preSkip, inputRate) {
  const head = new Uint8Array(19);
  head.set([...("OpusHead")].map((c) => c.charCodeAt(0)));
  const view = new DataView(head.buffer);
  head[8] = 1; // version
  head[9] = 1; // channels
  view.setUint16(10, preSkip, true);
  view.setUint32(12, inputRate, true);
  return head;
}

/**
 * An Ogg Opus file (RFC 7845): the identification header, a comment header, then the packets,
 * PAGE_PACKETS to a page, each page's granule position the 48 kHz samples decoded by its end
 * (pre-skip included), the last one trimmed to the input's length.
 */
export function oggOpus(head, frames, inputFrames) {
  const serial = 0x4d52_4a42; // "MRJB"
  const preSkip = new DataView(head.buffer, head.byteOffset).getUint16(10, true);
  const vendor = new TextEncoder().encode("MusicRemixer stand-in");
  const tags = new Uint8Array(8 + 4 + vendor.length + 4);
  tags.set(new TextEncoder().encode("OpusTags"));
  new DataView(tags.buffer).setUint32(8, vendor.length, true);
  tags.set(vendor, 12);
  const pages = [];
  let sequence = 0;
  pages.push(oggPage([head], 0, serial, sequence++, 0x02));
  pages.push(oggPage([tags], 0, serial, sequence++, 0));
  const total = preSkip + Math.round((inputFrames * 48_000) / STANDIN_RATE);
  let granule = 0; // samples decoded by the end of each page, the pre-skip among them
  for (let k = 0; k < frames.length; k += PAGE_PACKETS) {
    const group = frames.slice(k, k + PAGE_PACKETS);
    for (const frame of group) granule += Math.round((frame.duration * 48_000) / 1e6);
    const last = k + PAGE_PACKETS >= frames.length;
    pages.push(oggPage(group.map((f) => f.data), last ? Math.min(granule, total) : granule, serial, sequence++, last ? 0x04 : 0));
  }
  return new Blob(pages, { type: "audio/ogg" });
}

function oggPage(packets, granule, serial, sequence, flags) {
  const lacing = [];
  for (const packet of packets) {
    let left = packet.length;
    while (left >= 255) {
      lacing.push(255);
      left -= 255;
    }
    lacing.push(left);
  }
  if (lacing.length > 255) throw new Error("an Ogg page holds at most 255 segments");
  const bodyLength = packets.reduce((sum, p) => sum + p.length, 0);
  const page = new Uint8Array(27 + lacing.length + bodyLength);
  const view = new DataView(page.buffer);
  page.set([0x4f, 0x67, 0x67, 0x53]); // "OggS"
  page[5] = flags;
  view.setUint32(6, granule % 2 ** 32, true);
  view.setUint32(10, Math.floor(granule / 2 ** 32), true);
  view.setUint32(14, serial, true);
  view.setUint32(18, sequence, true);
  page[26] = lacing.length;
  page.set(lacing, 27);
  let at = 27 + lacing.length;
  for (const packet of packets) {
    page.set(packet, at);
    at += packet.length;
  }
  view.setUint32(22, crc32(page), true);
  return page;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i += 1) {
    let r = i << 24;
    for (let k = 0; k < 8; k += 1) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

/** Ogg's CRC-32: polynomial 0x04c11db7, not reflected, initial 0. */
function crc32(bytes) {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]) >>> 0;
  return crc >>> 0;
}
