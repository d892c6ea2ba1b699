// The page's wiring: read the limits, then on Remix check the form, send one request, and show
// the answer (player, download, drawing) or say plainly what went wrong. Each job is its own module.

import { ApiError, fetchLimits, requestRemix } from "./api.js";
import { checkRequest, probeSeconds } from "./checks.js";
import { RemixForm } from "./form.js";
import { Jukebox, loadSong, readShareLink } from "./jukebox.js";
import { describeError } from "./messages.js";
import { NowPlaying } from "./now-playing.js";
import { PlanLegend } from "./plan-legend.js";
import { PlanView } from "./plan-view.js";
import { Player } from "./player.js";
import { Progress } from "./progress.js";
import { listNames, readSongs, songName } from "./songs.js";
import { formatBytes, formatSeconds, formatTempo, formatTrackTempo, plural } from "./units.js";

const $ = (selector) => document.querySelector(selector);

const form = new RemixForm($("#remix-form"));
const progress = new Progress($("#progress"));
const planView = new PlanView($("#plan-canvas"));
const planLegend = new PlanLegend($("#plan-legend"));
const nowPlaying = new NowPlaying($("#now-playing"));
const player = new Player($("#player"), $("#download"), (seconds) => {
  planView.setTime(seconds);
  planLegend.setTime(seconds);
  nowPlaying.setTime(seconds);
});
const jukebox = new Jukebox($("#jukebox"));
const cancelButton = $("#cancel-button");
const message = $("#message");
const result = $("#result");

let limits = null;
let controller = null;

form.form.addEventListener("submit", (event) => {
  event.preventDefault();
  remix();
});
$("#again-button").addEventListener("click", () => {
  form.newSeed();
  remix();
});
$("#jukebox-button").addEventListener("click", () => openJukebox());
cancelButton.addEventListener("click", () => controller?.abort());
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && controller) controller.abort();
});

const shared = readShareLink();
if (shared) {
  // A share link: the same song, seed and tuning, ready to play.
  form.urls.value = shared.url;
  if (shared.seed !== undefined) form.seed.value = String(shared.seed);
  if (shared.settings.jumpiness !== undefined) {
    form.jumpiness.value = String(shared.settings.jumpiness);
    form.showJumpiness();
  }
  loadLimits().then(() => openJukebox(shared.settings));
} else {
  loadLimits();
}

async function loadLimits() {
  const hint = $("#limits-hint");
  try {
    limits = await fetchLimits();
  } catch {
    hint.textContent = "The service's limits could not be read; it will check your songs when you press Remix.";
    return;
  }
  form.setFormats(limits.formats);
  const parts = [];
  if (Number.isFinite(limits.max_inputs)) {
    parts.push(limits.max_inputs === 1 ? "One song at a time" : `Up to ${limits.max_inputs} songs`);
  }
  if (Number.isFinite(limits.max_input_bytes)) parts.push(`each at most ${formatBytes(limits.max_input_bytes)}`);
  if (Number.isFinite(limits.max_input_seconds)) parts.push(`and ${formatSeconds(limits.max_input_seconds)} long`);
  let text = parts.length > 0 ? `${parts.join(", ").replace(", and", " and")}.` : "";
  if (Number.isFinite(limits.max_response_bytes)) {
    text += ` A remix comes back at most ${formatBytes(limits.max_response_bytes)}: choose MP3 for a whole song.`;
  }
  hint.textContent = text.trim() || "Songs are checked when you press Remix.";
}

/**
 * One request at a time: the form busy and cancellable, the limits known, while `work(signal)` runs;
 * whatever it throws is shown as a message.
 */
async function runRequest(work) {
  if (controller) return;
  controller = new AbortController();
  const { signal } = controller;
  hideMessage();
  form.setBusy(true);
  cancelButton.hidden = false;
  cancelButton.focus();
  progress.start();
  try {
    if (!limits) await loadLimits();
    await work(signal);
  } catch (error) {
    if (!error?.code) console.error(error);
    showProblems([describeError(error)], error?.code === "cancelled" ? "info" : "error");
  } finally {
    progress.stop();
    controller = null;
    cancelButton.hidden = true;
    form.setBusy(false);
    if (!message.hidden) message.focus();
  }
}

function remix() {
  return runRequest(async (signal) => {
    const values = form.values();
    const fileSeconds = await Promise.all(values.files.map((file) => probeSeconds(file)));
    if (signal.aborted) throw new ApiError("Cancelled.", { code: "cancelled" });
    const { problems, request } = checkRequest(values, limits, fileSeconds);
    if (problems.length > 0) {
      showProblems(problems);
      return;
    }
    const answer = await requestRemix(request, { signal, onProgress: (p) => progress.update(p) });
    progress.update({ stage: "playback" });
    const plan = answer.plan;
    const filename = answer.filename || fallbackName(values, plan, request.options.format);
    result.hidden = false;
    const seconds = await player.load(answer.blob, filename);
    const songs = readSongs(plan);
    planView.show(plan);
    planLegend.show(songs, Number(planView.canvas.dataset.jumps));
    nowPlaying.show(songs);
    const took = progress.stop();
    showSummary(values, plan, songs, seconds, answer.blob.size, took);
    $("#result-heading").focus();
  });
}

/** Play forever: one song, analysed by the server, played and tuned here. */
function openJukebox(settings = {}) {
  return runRequest(async (signal) => {
    if (form.seed.value.trim() === "") form.newSeed();
    const values = form.values();
    const problems = jukeboxProblems(values);
    if (problems.length > 0) {
      showProblems(problems);
      return;
    }
    const song = await loadSong({ url: values.urls[0] ?? null, file: values.files[0] ?? null }, limits, {
      signal,
      onProgress: (p) => progress.update(p),
    });
    if (signal.aborted) throw new ApiError("Cancelled.", { code: "cancelled" });
    player.clear();
    jukebox.open(song, { seed: Number(values.seedText), settings: { jumpiness: values.jumpiness, ...settings } });
    progress.stop();
    $("#jukebox-heading").focus();
  });
}

/** What stops the jukebox before it asks the server anything. */
function jukeboxProblems(values) {
  const count = values.urls.length + values.files.length;
  if (count > 1) {
    return [{ title: "The jukebox plays one song", detail: "Give one URL or one file (to mix several songs, use Remix)." }];
  }
  // The URL and the seed are checked as for a remix; a file's size is not (a large one goes as a stand-in).
  const { problems } = checkRequest({ ...values, files: [], durationText: "", format: limits?.formats?.[0] ?? "mp3" }, limits, []);
  if (values.files.length === 1) {
    const file = values.files[0];
    const rest = problems.filter((problem) => problem.title !== "Add a song first");
    const extension = file.name.includes(".") ? file.name.split(".").pop().toLowerCase() : "";
    if (!["wav", "wave", "flac", "ogg", "oga", "opus", "mp3"].includes(extension) && !file.type.startsWith("audio/")) {
      rest.push({ title: `“${file.name}” doesn't look like audio`, detail: "Choose a WAV, FLAC, OGG or MP3 file instead." });
    }
    return rest;
  }
  return problems;
}

/**
 * One line: what was made ("3:24 mix of 3 songs, 2 transitions: b.mp3 (128 BPM) → a.mp3 (120 BPM) → …",
 * or "0:24 remix of groove.wav · 120 BPM" for one song), the songs that did not fit, and the settings.
 */
function showSummary(values, plan, songs, seconds, bytes, took) {
  const what = [];
  if (songs.order.length > 1) {
    const chain = songs.order.map((track) => `${songName(songs, track)} (${formatTrackTempo(songs.tracks[track])})`);
    let text =
      `${formatSeconds(seconds)} mix of ${plural(songs.order.length, "song")}, ` +
      `${plural(songs.transitions.length, "transition")}: ${chain.join(" → ")}`;
    if (songs.leftOut.length > 0) text += `; ${listNames(songs.leftOut)} did not fit`;
    what.push(text);
  } else {
    const track = songs.order[0] ?? 0;
    let text = `${formatSeconds(seconds)} remix of ${songs.tracks.length > 0 ? songName(songs, track) : "your song"}`;
    if (songs.leftOut.length > 0) text += `; ${listNames(songs.leftOut)} did not fit`;
    what.push(text, songs.tracks[track] ? formatTrackTempo(songs.tracks[track]) : formatTempo(plan));
  }
  const parts = [
    ...what,
    `seed ${plan.seed ?? values.seedText}`,
    `jumpiness ${Number(plan.jumpiness ?? values.jumpiness).toFixed(2)}`,
    `${values.format.toUpperCase()}, ${formatBytes(bytes)}`,
    `made in ${formatSeconds(took)}`,
  ];
  $("#result-summary").textContent = `${parts.join(" · ")}.`;
  if (Number.isInteger(plan.seed)) form.seed.value = String(plan.seed);
}

function fallbackName(values, plan, format) {
  const first = plan.tracks?.[plan.order?.[0] ?? 0]?.name || values.files[0]?.name || "song";
  const stem = first.replace(/^.*[\\/]/, "").replace(/\.[^.]+$/, "").replace(/[^\w.-]+/g, "-") || "song";
  return `${stem}-remix-${plan.seed ?? values.seedText}.${format}`;
}

function showProblems(problems, kind = "error") {
  const title = problems.length === 1 ? problems[0].title : `${problems.length} things to fix first`;
  $("#message-title").textContent = title;
  const detail = $("#message-detail");
  if (problems.length === 1) {
    detail.textContent = problems[0].detail;
  } else {
    const list = document.createElement("ul");
    for (const problem of problems) {
      const item = document.createElement("li");
      const strong = document.createElement("strong");
      strong.textContent = `${problem.title}. `;
      item.append(strong, problem.detail);
      list.append(item);
    }
    detail.replaceChildren(list);
  }
  message.classList.toggle("info", kind === "info");
  message.dataset.kind = kind;
  message.hidden = false;
}

function hideMessage() {
  message.hidden = true;
  delete message.dataset.kind;
  $("#message-title").textContent = "";
  $("#message-detail").replaceChildren();
}
