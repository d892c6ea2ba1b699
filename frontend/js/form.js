// The form: the songs (URLs and files, chosen or dropped), the remix options, and reading them.

import { formatBytes } from "./units.js";

const MAX_SEED = 999_999;

export class RemixForm {
  /** @param {HTMLFormElement} form */
  constructor(form) {
    this.form = form;
    this.urls = form.querySelector("#urls");
    this.fileInput = form.querySelector("#files");
    this.dropZone = form.querySelector("#drop-zone");
    this.fileList = form.querySelector("#file-list");
    this.keepOrder = form.querySelector("#keep-order");
    this.duration = form.querySelector("#duration");
    this.jumpiness = form.querySelector("#jumpiness");
    this.jumpinessValue = form.querySelector("#jumpiness-value");
    this.seed = form.querySelector("#seed");
    this.newSeedButton = form.querySelector("#new-seed");
    this.format = form.querySelector("#format");
    this.submitButton = form.querySelector("#remix-button");
    /** @type {File[]} */
    this.files = [];

    // Choosing or dropping files replaces the list, as a file picker does; each file can still be
    // removed on its own. The input is emptied so that choosing the same file again still counts.
    this.fileInput.addEventListener("change", () => {
      this.setFiles(this.fileInput.files);
      this.fileInput.value = "";
    });
    this.jumpiness.addEventListener("input", () => this.showJumpiness());
    this.newSeedButton.addEventListener("click", () => this.newSeed());
    this.listenForDrops();
    this.showJumpiness();
    if (this.seed.value === "") this.newSeed();
  }

  /** Offer only the formats the server can write. */
  setFormats(formats) {
    if (!Array.isArray(formats) || formats.length === 0) return;
    for (const option of [...this.format.options]) {
      if (!formats.includes(option.value)) option.remove();
    }
    if (this.format.selectedIndex < 0 || !formats.includes(this.format.value)) {
      this.format.value = formats.includes("mp3") ? "mp3" : formats[0];
    }
  }

  newSeed() {
    const random = new Uint32Array(1);
    crypto.getRandomValues(random);
    this.seed.value = String(random[0] % MAX_SEED + 1);
  }

  showJumpiness() {
    this.jumpinessValue.value = Number(this.jumpiness.value).toFixed(2);
  }

  /** The files are now these (a file given twice counts once). */
  setFiles(fileList) {
    this.files = [];
    for (const file of fileList) {
      const known = this.files.some(
        (f) => f.name === file.name && f.size === file.size && f.lastModified === file.lastModified,
      );
      if (!known) this.files.push(file);
    }
    this.renderFiles();
  }

  removeFile(index) {
    this.files.splice(index, 1);
    this.renderFiles();
    // Keep keyboard focus somewhere sensible after the button it was on disappears.
    const buttons = this.fileList.querySelectorAll("button");
    (buttons[Math.min(index, buttons.length - 1)] ?? this.fileInput).focus();
  }

  renderFiles() {
    const items = this.files.map((file, index) => {
      const item = document.createElement("li");
      const name = document.createElement("span");
      name.className = "file-name";
      name.textContent = file.name;
      const size = document.createElement("span");
      size.className = "file-size";
      size.textContent = formatBytes(file.size);
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "secondary";
      remove.textContent = "Remove";
      remove.setAttribute("aria-label", `Remove ${file.name}`);
      remove.addEventListener("click", () => this.removeFile(index));
      item.append(name, size, remove);
      return item;
    });
    this.fileList.replaceChildren(...items);
  }

  listenForDrops() {
    const zone = this.dropZone;
    const over = (event) => {
      if (![...(event.dataTransfer?.types ?? [])].includes("Files")) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      zone.classList.add("dragging");
    };
    zone.addEventListener("dragenter", over);
    zone.addEventListener("dragover", over);
    zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("dragging");
      if (this.fileInput.disabled) return;
      if (event.dataTransfer?.files?.length) this.setFiles(event.dataTransfer.files);
    });
    // A file dropped next to the zone should not navigate away from the page.
    window.addEventListener("dragover", (event) => event.preventDefault());
    window.addEventListener("drop", (event) => event.preventDefault());
  }

  /** The values as typed: {urls, files, keepOrder, durationText, seedText, jumpiness, format}. */
  values() {
    return {
      urls: this.urls.value.split(/\r?\n/).map((u) => u.trim()).filter(Boolean),
      files: [...this.files],
      keepOrder: this.keepOrder.checked,
      durationText: this.duration.value,
      seedText: this.seed.value.trim(),
      jumpiness: Number(this.jumpiness.value),
      format: this.format.value,
    };
  }

  /** Disable every control while a remix runs (the Cancel button lives outside this set). */
  setBusy(busy) {
    for (const element of this.form.querySelectorAll("input, textarea, select, button")) {
      if (element.id === "cancel-button") continue;
      element.disabled = busy;
    }
    this.dropZone.classList.toggle("disabled", busy);
    this.form.setAttribute("aria-busy", String(busy));
  }
}
