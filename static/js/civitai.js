// Civitai pages: progressive enhancement only. Without this file the trigger words are plain
// selectable text, the images a plain list, and "Load more" / "Back to top" ordinary links.
(() => {
  "use strict";

  // --- copy buttons --------------------------------------------------------------------------
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    // http:// on a LAN address: the async clipboard is unavailable, the old way still works.
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    area.remove();
    return ok ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-copy], [data-copy-all]");
    if (!button) return;
    const group = button.closest("[data-copy-group]");
    const text = button.hasAttribute("data-copy-all") && group
      ? Array.from(group.querySelectorAll("[data-copy]"), (b) => b.dataset.copy).join(", ")
      : button.dataset.copy;
    const status = group && group.querySelector(".copy-status");
    copyText(text).then(() => {
      button.dataset.copied = "true";
      if (status) status.textContent = `${group.dataset.copiedLabel || "✓"} ${text}`;
      setTimeout(() => { delete button.dataset.copied; }, 2000);
    }, () => {
      if (status) status.textContent = group.dataset.failedLabel || "✗";
    });
  });

  // --- image galleries: one image at a time, arrow keys, swipe, prev/next ------------------------
  function setupGallery(list) {
    if (list.dataset.ready) return;
    const items = Array.from(list.children);
    if (items.length < 2) return;
    list.dataset.ready = "true";
    list.classList.add("is-carousel");
    list.tabIndex = 0;
    const controls = document.createElement("div");
    controls.className = "civitai-gallery-controls";
    const prev = document.createElement("button");
    const next = document.createElement("button");
    const where = document.createElement("span");
    prev.type = next.type = "button";
    prev.className = next.className = "button small";
    prev.textContent = "‹";
    next.textContent = "›";
    prev.setAttribute("aria-label", list.dataset.prevLabel || "Previous image");
    next.setAttribute("aria-label", list.dataset.nextLabel || "Next image");
    where.setAttribute("aria-live", "polite");
    controls.append(prev, where, next);
    list.after(controls);
    let index = 0;
    function show(i) {
      index = (i + items.length) % items.length;
      items.forEach((item, n) => { item.hidden = n !== index; });
      where.textContent = `${index + 1} / ${items.length}`;
    }
    prev.addEventListener("click", () => show(index - 1));
    next.addEventListener("click", () => show(index + 1));
    list.addEventListener("keydown", (event) => {
      if (event.key === "ArrowRight") { show(index + 1); event.preventDefault(); }
      if (event.key === "ArrowLeft") { show(index - 1); event.preventDefault(); }
    });
    let startX = null;
    list.addEventListener("touchstart", (event) => { startX = event.changedTouches[0].clientX; }, { passive: true });
    list.addEventListener("touchend", (event) => {
      if (startX === null) return;
      const delta = event.changedTouches[0].clientX - startX;
      startX = null;
      if (Math.abs(delta) > 40) show(index + (delta < 0 ? 1 : -1));
    }, { passive: true });
    show(0);
  }

  function enhance(root) {
    root.querySelectorAll("[data-gallery]").forEach(setupGallery);
  }

  // --- back to top: shown once the user has scrolled ---------------------------------------------
  function toggleBackToTop() {
    document.querySelectorAll("[data-back-to-top]").forEach((link) => {
      link.classList.toggle("is-visible", window.scrollY > 600);
    });
  }
  document.addEventListener("click", (event) => {
    const link = event.target.closest("[data-back-to-top]");
    if (!link) return;
    event.preventDefault();
    window.scrollTo({ top: 0, behavior: "smooth" });
    const target = document.getElementById("top");
    if (target) target.focus({ preventScroll: true });
  });

  window.addEventListener("scroll", toggleBackToTop, { passive: true });
  document.addEventListener("DOMContentLoaded", () => { enhance(document); toggleBackToTop(); });
  // htmx swapped in a version panel or more cards.
  document.addEventListener("htmx:load", (event) => enhance(event.target));
  document.addEventListener("htmx:afterSwap", () => {
    const heading = document.querySelector("#version-panel #version-heading");
    if (heading && document.activeElement && document.activeElement.closest("#version-panel") === null) {
      heading.focus({ preventScroll: true });
    }
  });
})();
