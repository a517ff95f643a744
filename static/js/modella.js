// Progressive enhancement only: every control works without this file.
// Sections: base · dialogs (details, queue, Download model) · carousel · filter sheet · focus.
document.documentElement.classList.add("js");

// --- base ----------------------------------------------------------------------------------------
document.addEventListener("change", (event) => {
  const select = event.target.closest("[data-autosubmit]");
  if (select && select.form) select.form.requestSubmit();
});

// --- dialogs: links with data-dialog="<id>" open a native <dialog> (htmx fills its body) ---------
// showModal() makes the rest of the page inert (focus stays inside) and Escape closes it; we add
// closing on a click outside, returning focus to the opener, and emptying the body on close so
// a polling fragment inside (the queue) stops.
const openers = new WeakMap();

function focusInside(container) {
  const target = container.querySelector("[data-autofocus], [autofocus]") ||
    container.querySelector("h2, h1");
  if (!target) return;
  if (!target.matches("input, select, textarea, button, a[href]")) target.setAttribute("tabindex", "-1");
  target.focus();
}

document.addEventListener("click", (event) => {
  const opener = event.target.closest("[data-dialog]");
  if (opener) {
    const dialog = document.getElementById(opener.dataset.dialog);
    if (dialog && typeof dialog.showModal === "function") {
      openers.set(dialog, opener);
      if (!dialog.open) dialog.showModal();
      // htmx (hx-get on the same link) loads the content and cancels the navigation.
    }
    return;
  }
  const closer = event.target.closest("[data-close-dialog]");
  if (closer && closer.closest("dialog")) {
    event.preventDefault();
    closer.closest("dialog").close();
    return;
  }
  // A click on the backdrop lands on the <dialog> element itself (its content fills the box).
  if (event.target.matches("dialog[open]")) event.target.close();
});

document.addEventListener("close", (event) => {
  const dialog = event.target;
  if (!(dialog instanceof HTMLDialogElement)) return;
  const body = dialog.querySelector("[data-dialog-body]");
  if (body) body.replaceChildren();
  const opener = openers.get(dialog);
  if (opener && opener.isConnected) opener.focus();
  else {
    const same = opener && opener.id && document.getElementById(opener.id);
    (same || document.getElementById("main")).focus();
  }
}, true);

document.body.addEventListener("modella:close-dialog", () => {
  document.querySelectorAll("dialog[open]").forEach((dialog) => dialog.close());
});

// Focus moves into a dialog's new content once htmx has settled it: only then are its own
// triggers (e.g. the Download model field's live check) wired up, so typing at once is not lost.
document.body.addEventListener("htmx:afterSettle", (event) => {
  if (event.detail.target.matches("[data-dialog-body]")) focusInside(event.detail.target);
});

document.body.addEventListener("htmx:afterSwap", (event) => {
  const target = event.detail.target;
  // The Download model input: mark it invalid while the server shows an error for it.
  const input = document.getElementById("id_input");
  if (input && target.id === "add-result") {
    input.toggleAttribute("aria-invalid", Boolean(document.getElementById("add-input-error")));
    if (input.hasAttribute("aria-invalid")) input.setAttribute("aria-invalid", "true");
  }
});

// --- carousel: scroll buttons (swipe is native scroll-snap) ---------------------------------------
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-scroll]");
  if (!button) return;
  const track = document.getElementById(button.dataset.scroll);
  if (!track) return;
  const reduce = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  track.scrollBy({ left: Number(button.dataset.direction) * track.clientWidth * 0.8, behavior: reduce ? "auto" : "smooth" });
});

// --- filter sheet: a bottom sheet on phones, always open on wider screens -------------------------
const narrow = window.matchMedia("(max-width: 480px)");
function placeFilterSheet() {
  const sheet = document.getElementById("filter-sheet");
  if (sheet) sheet.open = !narrow.matches;
}
narrow.addEventListener("change", placeFilterSheet);
document.addEventListener("DOMContentLoaded", placeFilterSheet);
document.addEventListener("submit", (event) => {
  const sheet = document.getElementById("filter-sheet");
  if (sheet && narrow.matches && event.target.id === "filters") sheet.open = false;
});

// --- focus: the onboarding tour's current step takes focus when the page loads --------------------
document.addEventListener("DOMContentLoaded", () => {
  const step = document.querySelector("main [data-autofocus]:not(dialog *)");
  if (step) {
    step.focus();
    step.scrollIntoView({ block: "center" });
  }
});
// Lists: after the "Add to list" menu swapped itself, keep keyboard focus on it.
document.addEventListener("htmx:afterSettle", () => {
  const summary = document.querySelector("[data-focus-after-swap]");
  if (summary) { summary.removeAttribute("data-focus-after-swap"); summary.focus(); }
});
// Lists: Escape closes an open "Add to list" menu (templates/lists/_add_to_list.html).
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const menu = event.target.closest && event.target.closest("details.add-to-list-menu[open]");
  if (menu) { menu.open = false; menu.querySelector("summary").focus(); }
});
// Will it fit: Escape hides a shown "Fits" tooltip without moving focus (WCAG 1.4.13); the first
// Escape is spent on the tooltip, so a dialog around it closes only on the next one.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const shown = [...document.querySelectorAll(".fit-cell:hover, .fit-cell:focus-within")]
    .filter((cell) => !cell.classList.contains("tip-dismissed") && cell.querySelector(".fit-tip").offsetWidth > 1);
  if (!shown.length) return;
  shown.forEach((cell) => cell.classList.add("tip-dismissed"));
  event.preventDefault();
  event.stopImmediatePropagation();
}, true);
for (const leaving of ["focusout", "mouseleave"]) {
  document.addEventListener(leaving, (event) => {
    const cell = event.target.closest && event.target.closest(".fit-cell");
    if (cell && !cell.matches(":focus-within")) cell.classList.remove("tip-dismissed");
  }, true);
}
