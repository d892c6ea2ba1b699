// Checks made in the browser before anything is uploaded: the request must make sense and fit the
// limits the server announced (GET api/limits). Each problem says what won't fit and what to do.
// The server checks everything again; these only save a person a wasted upload.

import { formatBytes, formatSeconds, parseSeconds } from "./units.js";

const AUDIO_EXTENSIONS = ["wav", "wave", "flac", "ogg", "oga", "opus", "mp3"];
// Bytes per second of output, to foresee a remix the service could not send back (WAV: 44.1 kHz,
// stereo, 16 bit; the lossy and FLAC sizes vary too much to refuse anything on a guess).
const WAV_BYTES_PER_SECOND = 44_100 * 2 * 2;

/**
 * Read and check the form's values against the limits.
 *
 * @param {object} values  from RemixForm.values()
 * @param {object|null} limits  from GET api/limits, or null when they could not be read
 * @param {(number|null)[]} fileSeconds  each file's length as the browser read it (null: unknown)
 * @returns {{problems: {title: string, detail: string}[], request: object|null}}
 */
export function checkRequest(values, limits, fileSeconds = []) {
  const problems = [];
  const { urls, files } = values;
  const say = (title, detail) => problems.push({ title, detail });

  if (urls.length === 0 && files.length === 0) {
    say("Add a song first", "Paste a song's URL, or choose or drop an audio file.");
  }

  for (const text of urls) {
    let url = null;
    try {
      url = new URL(text);
    } catch {
      url = null;
    }
    if (!url || !["http:", "https:"].includes(url.protocol) || !url.hostname) {
      say(
        "That URL can't be used",
        `“${text}” is not a web address. Paste a link that starts with https:// (or http://) ` +
          "and opens the audio file itself.",
      );
    }
  }

  const maxInputs = limits?.max_inputs;
  if (Number.isFinite(maxInputs) && urls.length + files.length > maxInputs) {
    say(
      "Too many songs",
      `You gave ${urls.length + files.length} songs; the service remixes at most ${maxInputs} at once. ` +
        "Remove some, then try again.",
    );
  }

  const maxBytes = limits?.max_input_bytes;
  const maxSeconds = limits?.max_input_seconds;
  files.forEach((file, index) => {
    const extension = file.name.includes(".") ? file.name.split(".").pop().toLowerCase() : "";
    if (!AUDIO_EXTENSIONS.includes(extension) && !file.type.startsWith("audio/")) {
      say(`“${file.name}” doesn't look like audio`, "Choose a WAV, FLAC, OGG or MP3 file instead.");
    }
    if (Number.isFinite(maxBytes) && file.size > maxBytes) {
      say(
        `“${file.name}” is too large`,
        `It is ${formatBytes(file.size)}; the service takes at most ${formatBytes(maxBytes)} per song. ` +
          "Convert it to MP3 (a 4-minute MP3 is about 4 MB) or trim it, then try again.",
      );
    }
    const seconds = fileSeconds[index];
    if (Number.isFinite(maxSeconds) && Number.isFinite(seconds) && seconds > maxSeconds + 0.5) {
      say(
        `“${file.name}” is too long`,
        `It lasts ${formatSeconds(seconds)}; the service takes songs up to ${formatSeconds(maxSeconds)}. ` +
          "Trim it, then try again.",
      );
    }
  });

  // A platform in front of the function may carry less than the function takes (a Lambda request
  // is at most 6 MB): the limits say so as max_upload_bytes, and a URL is then the way round it.
  const maxUpload = limits?.max_upload_bytes;
  const uploadBytes = files.reduce((sum, file) => sum + file.size, 0);
  const eachFits = !Number.isFinite(maxBytes) || files.every((file) => file.size <= maxBytes);
  if (Number.isFinite(maxUpload) && eachFits && uploadBytes > maxUpload) {
    say(
      files.length === 1 ? `“${files[0].name}” is too large to upload` : "The files are too large to upload together",
      `${files.length === 1 ? "It is" : "They add up to"} ${formatBytes(uploadBytes)}; one upload can carry at most ` +
        `${formatBytes(maxUpload)}. Use MP3 files, or paste URLs to the songs instead.`,
    );
  }

  const duration = parseSeconds(values.durationText);
  const maxDuration = limits?.max_duration_s ?? 3600;
  if (Number.isNaN(duration)) {
    say("Check the length", "Type the length in seconds (90) or minutes and seconds (1:30), or leave it empty.");
  } else if (duration !== null && (duration <= 0 || duration > maxDuration)) {
    say(
      "Check the length",
      `A remix can last from a few seconds up to ${formatSeconds(maxDuration)}; leave it empty for the song's length.`,
    );
  }

  const seed = values.seedText === "" ? null : Number(values.seedText);
  if (seed !== null && !(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 31)) {
    say("Check the seed", "The seed is a whole number of 0 or more; press “New seed” for a random one.");
  }

  const formats = Array.isArray(limits?.formats) ? limits.formats : null;
  if (formats && !formats.includes(values.format)) {
    say("Check the format", `The service writes ${formats.join(", ")}.`);
  }

  // Foresee a WAV the service could not send back (only where the length is known).
  const maxResponse = limits?.max_response_bytes;
  const songSeconds =
    urls.length === 0 && fileSeconds.length > 0 && fileSeconds.every(Number.isFinite)
      ? fileSeconds.reduce((a, b) => a + b, 0)
      : null;
  const outputSeconds = Number.isFinite(duration) ? duration : songSeconds;
  if (values.format === "wav" && Number.isFinite(maxResponse) && Number.isFinite(outputSeconds)) {
    const estimate = outputSeconds * WAV_BYTES_PER_SECOND;
    if (estimate > maxResponse) {
      const fits = Math.floor(maxResponse / WAV_BYTES_PER_SECOND);
      say(
        "The remix would be too large to send back",
        `A ${formatSeconds(outputSeconds)} WAV is about ${formatBytes(estimate)}; the service sends back at most ` +
          `${formatBytes(maxResponse)} (about ${formatSeconds(fits)} of WAV). Choose MP3, or a shorter length.`,
      );
    }
  }

  // The order only means something with two songs or more; for one, the option is left out, so a
  // server that does not know it yet (it refuses unknown fields) still remixes a single song.
  const keepOrder = values.keepOrder === true && urls.length + files.length >= 2;

  if (problems.length > 0) return { problems, request: null };
  return {
    problems,
    request: {
      urls,
      files,
      options: {
        duration: Number.isFinite(duration) ? duration : null,
        seed,
        jumpiness: values.jumpiness,
        format: values.format,
        keep_order: keepOrder ? true : null,
      },
    },
  };
}

/** A file's length in seconds as the browser reads it from its header, or null if it can't. */
export function probeSeconds(file, { timeoutMs = 4000 } = {}) {
  return new Promise((resolve) => {
    const audio = new Audio();
    const url = URL.createObjectURL(file);
    let timer = 0;
    let finished = false;
    const finish = (seconds) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      audio.removeAttribute("src");
      audio.load();
      URL.revokeObjectURL(url);
      resolve(Number.isFinite(seconds) && seconds > 0 ? seconds : null);
    };
    timer = setTimeout(() => finish(null), timeoutMs);
    audio.preload = "metadata";
    audio.addEventListener("loadedmetadata", () => finish(audio.duration), { once: true });
    audio.addEventListener("error", () => finish(null), { once: true });
    audio.src = url;
  });
}
