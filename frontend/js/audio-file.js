// A song's file decoded in the browser at its own sample rate and channel count.
//
// decodeAudioData resamples to its context's rate, so the rate is read from the file's header
// first (WAV, FLAC, OGG Vorbis/Opus, MP3) and the file is decoded in an OfflineAudioContext of
// that rate: the samples are then the file's own, as the server's decoder reads them.

import { ApiError } from "./api.js";

const OPUS_RATE = 48_000; // Opus always decodes at 48 kHz

/** Decode `bytes` (ArrayBuffer) to an AudioBuffer at the file's own rate; throws a readable Error. */
export async function decodeSong(bytes, name = "the file") {
  const header = probeHeader(new Uint8Array(bytes));
  const rate = header?.sampleRate && header.sampleRate >= 3000 && header.sampleRate <= 768_000 ? header.sampleRate : 48_000;
  const context = new OfflineAudioContext(1, 1, rate);
  try {
    // decodeAudioData detaches its argument: give it a copy, the caller may still send the bytes.
    return await context.decodeAudioData(bytes.slice(0));
  } catch (error) {
    throw new ApiError(`This browser could not decode ${name}: use a WAV, FLAC, OGG or MP3 file.`, {
      code: "undecodable_audio",
      cause: error,
    });
  }
}

/**
 * How this browser turns 16-bit samples into floats, as {negative, positive}: the factors that
 * turn them back. Chromium divides negative ones by 32768 and positive ones by 32767, others may
 * divide both by 32768; a WAV written back with the same factors has the very samples it came from.
 */
export async function pcm16Scale() {
  const wav = new DataView(new ArrayBuffer(48));
  const text = (at, s) => [...s].forEach((ch, i) => wav.setUint8(at + i, ch.charCodeAt(0)));
  text(0, "RIFF");
  wav.setUint32(4, 40, true);
  text(8, "WAVEfmt ");
  wav.setUint32(16, 16, true);
  wav.setUint16(20, 1, true);
  wav.setUint16(22, 1, true);
  wav.setUint32(24, 8000, true);
  wav.setUint32(28, 16000, true);
  wav.setUint16(32, 2, true);
  wav.setUint16(34, 16, true);
  text(36, "data");
  wav.setUint32(40, 4, true);
  wav.setInt16(44, 32767, true);
  wav.setInt16(46, -32768, true);
  try {
    const decoded = await new OfflineAudioContext(1, 1, 8000).decodeAudioData(wav.buffer);
    const [high, low] = decoded.getChannelData(0);
    return { negative: -32768 / low, positive: 32767 / high };
  } catch {
    return { negative: 32768, positive: 32768 };
  }
}

/** {sampleRate, channels} from a file's first bytes, or null when the format is not one we know. */
export function probeHeader(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = (at, length) => String.fromCharCode(...bytes.subarray(at, at + length));
  if (bytes.length >= 12 && (text(0, 4) === "RIFF" || text(0, 4) === "RF64") && text(8, 4) === "WAVE") {
    for (let at = 12; at + 8 <= bytes.length; ) {
      const size = view.getUint32(at + 4, true);
      if (text(at, 4) === "fmt " && at + 16 <= bytes.length) {
        return { sampleRate: view.getUint32(at + 12, true), channels: view.getUint16(at + 10, true) };
      }
      at += 8 + size + (size % 2);
    }
    return null;
  }
  if (bytes.length >= 26 && text(0, 4) === "fLaC") {
    // STREAMINFO: 20 bits of rate, 3 bits of channels − 1, after min/max block and frame sizes.
    const at = 8 + 10;
    const rate = (bytes[at] << 12) | (bytes[at + 1] << 4) | (bytes[at + 2] >> 4);
    return { sampleRate: rate, channels: ((bytes[at + 2] >> 1) & 7) + 1 };
  }
  if (bytes.length >= 47 && text(0, 4) === "OggS") {
    const packet = 27 + bytes[26];
    if (text(packet, 8) === "OpusHead") return { sampleRate: OPUS_RATE, channels: bytes[packet + 9] };
    if (bytes[packet] === 1 && text(packet + 1, 6) === "vorbis") {
      return { sampleRate: view.getUint32(packet + 12, true), channels: bytes[packet + 11] };
    }
    return null;
  }
  return probeMp3(bytes, view);
}

const MP3_RATES = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] };

function probeMp3(bytes, view) {
  let at = 0;
  if (bytes.length >= 10 && bytes[0] === 0x49 && bytes[1] === 0x44 && bytes[2] === 0x33) {
    // ID3v2: a syncsafe size after the 10-byte header (pictures can make it large).
    const size = ((bytes[6] & 127) << 21) | ((bytes[7] & 127) << 14) | ((bytes[8] & 127) << 7) | (bytes[9] & 127);
    at = 10 + size;
  }
  for (const end = Math.min(bytes.length, at + (1 << 16)); at + 4 <= end; at += 1) {
    const word = view.getUint32(at);
    if ((word >>> 21) !== 0x7ff) continue;
    const version = (word >>> 19) & 3;
    const layer = (word >>> 17) & 3;
    const rateIndex = (word >>> 10) & 3;
    if (version === 1 || layer === 0 || rateIndex === 3 || ((word >>> 12) & 15) === 15) continue;
    return { sampleRate: MP3_RATES[version][rateIndex], channels: ((word >>> 6) & 3) === 3 ? 1 : 2 };
  }
  return null;
}
