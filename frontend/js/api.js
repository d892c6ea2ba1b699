// Talking to the MusicRemixer API: where it is, its limits, and one remix request with progress.
//
// The API lives under `api/` next to the page unless <meta name="musicremixer-api"> says otherwise.
// A remix (or an analysis) is one HTTP request; the stages reported here are the ones the browser
// can see: uploading (with bytes), waiting while the server works, downloading, then decoding.

/** An error the page can explain: `code` is stable, `message` is for people. */
export class ApiError extends Error {
  constructor(message, { status = 0, code = "unknown", cause } = {}) {
    super(message, { cause });
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

/** The API's base URL, resolved against the page. */
export function apiBase() {
  const meta = document.querySelector('meta[name="musicremixer-api"]');
  const base = meta?.content?.trim() || "api/";
  return new URL(base.endsWith("/") ? base : `${base}/`, document.baseURI);
}

/** GET limits: { max_inputs, max_input_bytes, max_input_seconds, max_response_bytes, formats, ... }. */
export async function fetchLimits({ signal } = {}) {
  let response;
  try {
    response = await fetch(new URL("limits", apiBase()), {
      headers: { Accept: "application/json" },
      signal,
    });
  } catch (error) {
    throw new ApiError("The remix server could not be reached.", { code: "unreachable", cause: error });
  }
  if (!response.ok) {
    throw new ApiError(`The server answered ${response.status} for its limits.`, {
      status: response.status,
      code: "limits_unavailable",
    });
  }
  return response.json();
}

/**
 * POST remix and get the plan and the audio in one response.
 *
 * @param {object} request
 * @param {string[]} request.urls
 * @param {File[]} request.files
 * @param {{duration: number|null, seed: number, jumpiness: number, format: string, keep_order: true|null}}
 *   request.options  null ones are left out (multipart sends the rest as text: keep_order=true)
 * @param {object} hooks
 * @param {AbortSignal} [hooks.signal]  aborts the request
 * @param {(p: {stage: string, loaded?: number, total?: number}) => void} [hooks.onProgress]
 * @returns {Promise<{plan: object, blob: Blob, mediaType: string, filename: string}>}
 */
export async function requestRemix(request, hooks = {}) {
  const data = await post("remix", request, hooks);
  if (!data?.plan || !data?.audio?.base64) {
    throw new ApiError("The server's answer had no remix in it.", { code: "bad_response" });
  }
  return withAudio(data, hooks);
}

/**
 * POST analyze: the plan alone, or with `options.audio_copy` the plan and the song itself
 * (OGG Vorbis that fits the response) as {plan, blob, mediaType, filename}.
 */
export async function requestAnalysis(request, hooks = {}) {
  const data = await post("analyze", request, hooks);
  if (request.options?.audio_copy) {
    if (!data?.plan || !data?.audio?.base64) {
      throw new ApiError("The server's answer had no song in it.", { code: "bad_response" });
    }
    return withAudio(data, hooks);
  }
  if (!Array.isArray(data?.beats)) throw new ApiError("The server's answer had no plan in it.", { code: "bad_response" });
  return { plan: data, blob: null, mediaType: "", filename: "" };
}

function withAudio(data, { onProgress = () => {} } = {}) {
  onProgress({ stage: "decode" });
  try {
    const mediaType = data.audio.media_type || "application/octet-stream";
    const blob = new Blob([base64ToBytes(data.audio.base64)], { type: mediaType });
    return { plan: data.plan, blob, mediaType, filename: data.audio.filename || "" };
  } catch (error) {
    throw new ApiError("The server's answer could not be read.", { code: "bad_response", cause: error });
  }
}

/** One POST to the API with JSON (URLs only) or multipart (files), reporting progress; resolves to the JSON answer. */
function post(path, { urls, files, options }, { signal, onProgress = () => {} } = {}) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new ApiError("Cancelled.", { code: "cancelled" }));
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open("POST", new URL(path, apiBase()));
    xhr.setRequestHeader("Accept", "application/json");
    xhr.responseType = "text";

    const abort = () => xhr.abort();
    signal?.addEventListener("abort", abort, { once: true });
    const done = () => signal?.removeEventListener("abort", abort);

    let body;
    if (files.length > 0) {
      body = new FormData();
      for (const file of files) body.append("files", file, file.name);
      for (const url of urls) body.append("urls", url);
      for (const [key, value] of Object.entries(options)) {
        if (value !== null && value !== undefined && value !== "") body.append(key, String(value));
      }
      xhr.upload.addEventListener("progress", (event) => {
        onProgress({ stage: "upload", loaded: event.loaded, total: event.lengthComputable ? event.total : 0 });
      });
    } else {
      const json = { urls };
      for (const [key, value] of Object.entries(options)) {
        if (value !== null && value !== undefined && value !== "") json[key] = value;
      }
      body = JSON.stringify(json);
      xhr.setRequestHeader("Content-Type", "application/json");
    }

    // Once the request body is sent, the server is working until the first byte of the answer.
    xhr.upload.addEventListener("load", () => onProgress({ stage: "server" }));
    xhr.addEventListener("loadstart", () => onProgress({ stage: files.length > 0 ? "upload" : "server" }));
    xhr.addEventListener("progress", (event) => {
      onProgress({ stage: "download", loaded: event.loaded, total: event.lengthComputable ? event.total : 0 });
    });

    xhr.addEventListener("abort", () => {
      done();
      reject(new ApiError("Cancelled.", { code: "cancelled" }));
    });
    xhr.addEventListener("error", () => {
      done();
      reject(new ApiError("The remix server could not be reached.", { code: "unreachable" }));
    });
    xhr.addEventListener("timeout", () => {
      done();
      reject(new ApiError("The remix server took too long to answer.", { code: "timeout" }));
    });
    xhr.addEventListener("load", () => {
      done();
      const data = parseJson(xhr.responseText);
      if (xhr.status < 200 || xhr.status >= 300) {
        reject(errorFromResponse(xhr.status, data, xhr.responseText));
        return;
      }
      if (data === null) {
        reject(new ApiError("The server's answer could not be read.", { status: xhr.status, code: "bad_response" }));
        return;
      }
      resolve(data);
    });

    xhr.send(body);
  });
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** Turn an error answer (ours: {detail, code}; a proxy's: anything) into an ApiError. */
function errorFromResponse(status, data, text) {
  const code = typeof data?.code === "string" ? data.code : `http_${status}`;
  let detail = data?.detail;
  if (Array.isArray(detail)) {
    // FastAPI's validation errors: [{loc: [...], msg: "..."}]
    detail = detail
      .map((item) => {
        const where = Array.isArray(item?.loc) ? item.loc.filter((part) => part !== "body").join(".") : "";
        return where ? `${where}: ${item?.msg}` : String(item?.msg ?? "");
      })
      .join("; ");
  } else if (typeof detail !== "string") {
    detail = "";
  }
  if (!detail && text && !data && text.length < 200 && !/[<>]/.test(text)) detail = text.trim();
  return new ApiError(detail, { status, code });
}

/** Decode base64 to bytes without fetch() (the CSP's connect-src does not allow data: URLs). */
function base64ToBytes(base64) {
  if (typeof Uint8Array.fromBase64 === "function") return Uint8Array.fromBase64(base64);
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
