// Uploads: files dropped onto any page, or chosen on the Upload page, go up in chunks through the
// uploads API (/api/v1/uploads, see API.md) and show their progress in a small panel.
// Resumable: each upload's id is kept in localStorage under the file's name, size and modification
// time, so after a dropped connection, a pause or a page reload the same file continues from the
// offset the server reports. Without this file the Upload page's form posts the files normally.
(() => {
  "use strict";

  const panel = document.getElementById("upload-panel");
  if (!panel) return;
  const list = panel.querySelector("[data-upload-list]");
  const announcer = panel.querySelector("[data-upload-announce]");
  const overlay = document.getElementById("upload-drop-overlay");
  const api = panel.dataset.api;
  const MAX_RETRIES = 8;
  const queue = [];
  let running = null;

  // A translated text from the panel's data-text-* attributes, with __NAME__-style values filled in.
  function text(key, values = {}) {
    let result = panel.dataset[`text${key}`] || "";
    for (const [name, value] of Object.entries(values)) result = result.split(`__${name.toUpperCase()}__`).join(value);
    return result;
  }

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (error) { return ""; }
  }

  function announce(message) { announcer.textContent = message; }

  const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

  class UploadError extends Error {}

  async function callApi(method, url, body) {
    const headers = { Accept: "application/json", "X-CSRFToken": csrfToken() };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(url, { method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body) });
    const data = response.status === 204 ? {} : await response.json().catch(() => ({}));
    return { response, data };
  }

  function errorMessage(data) {
    return (data && data.error && data.error.message) || text("Network");
  }

  // --- one file ----------------------------------------------------------------------------------
  class Item {
    constructor(file) {
      this.file = file;
      this.key = `modella-upload:${file.name}:${file.size}:${file.lastModified}`;
      this.id = null;
      this.offset = 0;
      this.chunk = 8 * 1024 * 1024;
      this.state = "waiting";
      this.xhr = null;
      this.announced = 0;
      this.render();
    }

    render() {
      const row = document.createElement("li");
      row.className = "upload-item";
      const name = document.createElement("span");
      name.className = "upload-name";
      name.textContent = this.file.name;
      this.bar = document.createElement("progress");
      this.bar.max = 100;
      this.bar.value = 0;
      this.bar.setAttribute("aria-label", text("ProgressLabel", { name: this.file.name }));
      this.status = document.createElement("span");
      this.status.className = "upload-status";
      this.toggle = document.createElement("button");
      this.toggle.type = "button";
      this.toggle.className = "button small";
      this.toggle.addEventListener("click", () => (this.state === "paused" ? this.resume() : this.pause()));
      this.cancelButton = document.createElement("button");
      this.cancelButton.type = "button";
      this.cancelButton.className = "button small danger";
      this.cancelButton.textContent = text("Cancel");
      this.cancelButton.addEventListener("click", () => this.cancel());
      const actions = document.createElement("span");
      actions.className = "upload-actions";
      actions.append(this.toggle, this.cancelButton);
      row.append(name, this.bar, this.status, actions);
      this.row = row;
      list.append(row);
      this.show("waiting");
    }

    percent(bytes = this.offset) {
      return this.file.size ? Math.floor((100 * bytes) / this.file.size) : 100;
    }

    show(state, extra = {}) {
      this.state = state;
      this.row.dataset.state = state;
      const percent = String(this.percent());
      const labels = {
        waiting: text("Waiting"), uploading: text("Uploading", { percent }), paused: text("Paused", { percent }),
        retrying: text("Retrying"), done: text("Done", { path: extra.path || "" }),
        failed: text("Failed", { error: extra.error || "" }), cancelled: text("Cancelled"),
      };
      this.status.textContent = labels[state];
      this.toggle.textContent = state === "paused" ? text("Resume") : text("Pause");
      this.toggle.setAttribute("aria-label", `${this.toggle.textContent} ${this.file.name}`);
      this.cancelButton.setAttribute("aria-label", `${text("Cancel")} ${this.file.name}`);
      const finished = ["done", "failed", "cancelled"].includes(state);
      this.toggle.hidden = finished;
      this.cancelButton.hidden = finished;
    }

    progress(bytes) {
      this.bar.value = this.percent(bytes);
      if (this.state === "uploading") {
        // The last byte sent: the server now hashes, places and identifies the file.
        this.status.textContent = bytes >= this.file.size ? text("Finishing")
          : text("Uploading", { percent: String(this.percent(bytes)) });
      }
      const quarter = Math.floor(this.percent(bytes) / 25);
      if (quarter > this.announced && quarter < 4) {
        this.announced = quarter;
        announce(text("AnnounceProgress", { name: this.file.name, percent: String(quarter * 25) }));
      }
    }

    // The upload's id and offset: the saved one when the server still has it, else a new one.
    async prepare() {
      const saved = localStorage.getItem(this.key);
      if (saved) {
        const { response, data } = await callApi("GET", `${api}/${saved}`);
        if (response.ok && data.status === "uploading") {
          Object.assign(this, { id: saved, offset: data.offset, chunk: data.chunk_size || this.chunk });
          return;
        }
        localStorage.removeItem(this.key);
      }
      const { response, data } = await callApi("POST", api, { filename: this.file.name, size: this.file.size });
      if (!response.ok) throw new UploadError(errorMessage(data));
      Object.assign(this, { id: data.id, offset: data.offset, chunk: data.chunk_size || this.chunk });
      localStorage.setItem(this.key, this.id);
    }

    // One chunk: resolves with the server's answer {status, data}; rejects on a network failure.
    sendChunk() {
      return new Promise((resolve, reject) => {
        const xhr = new XMLHttpRequest();
        this.xhr = xhr;
        const end = Math.min(this.file.size, this.offset + this.chunk);
        xhr.open("PATCH", `${api}/${this.id}`);
        xhr.setRequestHeader("Upload-Offset", String(this.offset));
        xhr.setRequestHeader("Content-Type", "application/octet-stream");
        xhr.setRequestHeader("Accept", "application/json");
        xhr.setRequestHeader("X-CSRFToken", csrfToken());
        xhr.upload.addEventListener("progress", (event) => this.progress(this.offset + event.loaded));
        xhr.addEventListener("load", () => {
          let data = {};
          try { data = JSON.parse(xhr.responseText || "{}"); } catch (error) { data = {}; }
          resolve({ status: xhr.status, data });
        });
        xhr.addEventListener("error", () => reject(new Error("network")));
        xhr.addEventListener("abort", () => reject(new Error("abort")));
        xhr.send(this.file.slice(this.offset, end));
      });
    }

    async run() {
      this.show("uploading");
      announce(text("AnnounceStart", { name: this.file.name }));
      let retries = 0;
      try {
        await this.prepare();
        this.progress(this.offset);
        while (this.state === "uploading") {
          let answer;
          try {
            answer = await this.sendChunk();
          } catch (error) {
            if (this.state !== "uploading") return; // paused or cancelled: abort() lands here
            if (++retries > MAX_RETRIES) { this.show("paused"); return; }
            this.show("retrying");
            await sleep(Math.min(30000, 500 * 2 ** retries));
            const { response, data } = await callApi("GET", `${api}/${this.id}`).catch(() => ({ response: {} }));
            if (response.ok) this.offset = data.offset;
            if (this.state === "retrying") this.show("uploading");
            continue;
          }
          const { status, data } = answer;
          if (status === 200) {
            retries = 0;
            this.offset = data.offset;
            this.progress(this.offset);
            if (data.status === "completed") return this.finished(data);
          } else if (status === 409 && data.error && data.error.details && "offset" in data.error.details) {
            this.offset = data.error.details.offset; // continue from where the server stands
            if (data.error.code === "upload_busy") await sleep(1000);
            if (this.offset >= this.file.size) {
              const latest = await callApi("GET", `${api}/${this.id}`);
              if (latest.data.status === "completed") return this.finished(latest.data);
            }
          } else {
            throw new UploadError(errorMessage(data));
          }
        }
      } catch (error) {
        const message = error instanceof UploadError ? error.message : text("Network");
        if (this.id) localStorage.removeItem(this.key);
        this.show("failed", { error: message });
        announce(text("AnnounceFailed", { name: this.file.name, error: message }));
      }
    }

    finished(data) {
      localStorage.removeItem(this.key);
      this.bar.value = 100;
      this.show("done", { path: data.path });
      announce(text("AnnounceDone", { name: this.file.name }));
      document.body.dispatchEvent(new CustomEvent("storage-changed", { bubbles: true }));
    }

    pause() {
      if (this.state !== "uploading" && this.state !== "retrying" && this.state !== "waiting") return;
      this.show("paused");
      if (this.xhr) this.xhr.abort();
      announce(this.status.textContent);
    }

    resume() {
      if (this.state !== "paused") return;
      this.show("waiting");
      enqueue(this);
    }

    async cancel() {
      const wasRunning = this.state;
      this.show("cancelled");
      if (this.xhr) this.xhr.abort();
      const index = queue.indexOf(this);
      if (index >= 0) queue.splice(index, 1);
      localStorage.removeItem(this.key);
      if (this.id && wasRunning !== "done") await callApi("DELETE", `${api}/${this.id}`).catch(() => null);
      announce(`${text("Cancelled")}: ${this.file.name}`);
    }
  }

  // --- the queue: one file at a time, in the order they were given --------------------------------
  function enqueue(item) {
    if (!queue.includes(item)) queue.push(item);
    next();
  }

  async function next() {
    if (running) return;
    const item = queue.shift();
    if (!item) return;
    if (item.state !== "waiting") { next(); return; }
    running = item;
    try { await item.run(); } finally { running = null; next(); }
  }

  function addFiles(files) {
    if (!files || !files.length) return;
    panel.hidden = false;
    for (const file of Array.from(files)) enqueue(new Item(file));
  }

  panel.querySelector("[data-upload-hide]").addEventListener("click", () => { panel.hidden = true; });

  // --- the Upload page's form: chunked instead of one multipart request -------------------------
  document.addEventListener("submit", (event) => {
    const form = event.target.closest("[data-upload-form]");
    if (!form) return;
    const input = form.querySelector("input[type=file]");
    if (!input || !input.files.length) return;
    event.preventDefault();
    addFiles(input.files);
    input.value = "";
  });

  // --- dropping files anywhere on the page ---------------------------------------------------------
  let depth = 0;
  const carriesFiles = (event) => event.dataTransfer && Array.from(event.dataTransfer.types || []).includes("Files");
  document.addEventListener("dragenter", (event) => {
    if (!carriesFiles(event)) return;
    depth += 1;
    overlay.hidden = false;
  });
  document.addEventListener("dragleave", (event) => {
    if (!carriesFiles(event)) return;
    depth = Math.max(0, depth - 1);
    if (depth === 0) overlay.hidden = true;
  });
  document.addEventListener("dragover", (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault(); // allows the drop instead of the browser opening the file
    event.dataTransfer.dropEffect = "copy";
  });
  document.addEventListener("drop", (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    depth = 0;
    overlay.hidden = true;
    addFiles(event.dataTransfer.files);
  });
})();
