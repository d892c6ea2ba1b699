// What to tell a person when something goes wrong: a title that says what happened, and a detail
// that says what to do. The server's own `detail` already says both; it is shown as is, with a
// title picked from its code or HTTP status. Nothing here ever shows a stack trace.

const TITLES_BY_CODE = {
  // Seen in the browser.
  cancelled: "Cancelled",
  unreachable: "The remix server could not be reached",
  timeout: "The remix server took too long",
  bad_response: "The server's answer could not be read",
  unplayable: "This browser can't play the remix",
  // The API's codes (functions/errors.py).
  invalid_json: "The request was refused",
  invalid_request: "Check the settings",
  no_input: "Add a song first",
  too_many_inputs: "Too many songs",
  unsupported_format: "Check the format",
  unsupported_media_type: "The request was refused",
  request_too_large: "The upload is too large",
  invalid_url: "That URL can't be used",
  url_refused: "That address is not allowed",
  fetch_failed: "The song's URL did not work",
  too_many_redirects: "The song's URL did not work",
  fetch_timeout: "The song's server was too slow",
  input_too_large: "The song is too large",
  not_audio: "That doesn't look like audio",
  invalid_parameter: "Check the settings",
  undecodable_audio: "That audio could not be read",
  input_too_long: "The song is too long",
  not_remixable: "That song can't be remixed",
  remix_error: "The remix failed",
  response_too_large: "The remix would be too large to send back",
  internal_error: "The remix failed on the server",
};

const TITLES_BY_STATUS = {
  400: "The request was refused",
  408: "The request took too long",
  413: "Too large",
  415: "That doesn't look like audio we can read",
  422: "Check the settings",
  429: "Too many requests",
  502: "The song's URL did not work",
  503: "The remix service is busy",
  504: "The remix took too long",
};

// When the server (or a proxy in front of it) gave no usable detail.
const FALLBACK_DETAILS = {
  cancelled: "The remix was stopped. Your settings are kept: press Remix to start again.",
  unreachable:
    "Check your connection and try again. If you run MusicRemixer yourself, check that `make serve` is running.",
  timeout: "Try a shorter song or a shorter remix.",
  unplayable: "Download it and play it in another app, or remix again as MP3.",
  bad_response: "Try again; if it keeps happening, the service may be having trouble.",
  413: "The hosted service accepts uploads and returns remixes of a few megabytes at most. " +
    "Upload an MP3 instead of a WAV, paste a URL instead, choose MP3 output, or ask for a shorter remix.",
  415: "Use a WAV, FLAC, OGG or MP3 file.",
  422: "Check the length, seed, jumpiness and format, then try again.",
  429: "Wait a moment and try again.",
  502: "Check that the URL opens the audio file itself in your browser, then try again.",
  503: "Wait a moment and try again.",
  504: "The service stops a remix after about 26 seconds. Try a shorter song, a shorter remix, or MP3 output.",
};

/** {title, detail} for an ApiError (or any Error). */
export function describeError(error) {
  const status = error?.status ?? 0;
  const code = error?.code ?? "unknown";
  const title =
    TITLES_BY_CODE[code] ??
    TITLES_BY_STATUS[status] ??
    (status >= 500 ? "The remix failed on the server" : "Something went wrong");
  const clientSide = code in FALLBACK_DETAILS || error?.name !== "ApiError";
  let detail = clientSide ? "" : String(error?.message ?? "").trim();
  if (!detail) detail = FALLBACK_DETAILS[code] ?? FALLBACK_DETAILS[status] ?? "Try again in a moment.";
  return { title, detail };
}
