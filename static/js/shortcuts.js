// Keyboard shortcuts. Every one is a shortcut for a control that exists without it: the keys click
// the same links (so htmx and modella.js do exactly what a click does), and the help is a page
// at /shortcuts/ that the footer link opens as a <dialog> here.
// The list people read is templates/modella/_shortcuts_help.html; keep the two in step.
(() => {
  "use strict";

  // An action to finish after going to the Models page travels in the URL's fragment: sessionStorage
  // written just before a navigation is sometimes not yet seen by the next page in Chromium.
  const PENDING_PREFIX = "#shortcut-";
  const SEQUENCE_TIMEOUT_MS = 1500;        // how long "g" waits for its second key
  const NOT_TYPING_INPUTS = new Set(["button", "checkbox", "radio", "submit", "reset", "image", "range", "color", "file"]);

  const helpDialog = () => document.getElementById("shortcuts-dialog");
  // WCAG 2.1.4: the user can turn single-key shortcuts off in Settings (or in the help itself).
  const enabled = () => document.documentElement.dataset.shortcuts === "on";

  function isTypingTarget(element) {
    if (!(element instanceof Element)) return false;
    if (element.isContentEditable) return true;
    if (element.matches("textarea, select")) return true;
    return element.matches("input") && !NOT_TYPING_INPUTS.has((element.type || "text").toLowerCase());
  }

  // --- help overlay --------------------------------------------------------------------------------
  let returnFocusTo = null;

  function openHelp(opener) {
    const dialog = helpDialog();
    if (!dialog || dialog.open) return;
    returnFocusTo = opener || document.activeElement;
    dialog.showModal();
  }

  function restoreFocus() {
    // Runs at the dialog itself, after modella.js's document-level close handler moved focus to <main>.
    const target = returnFocusTo;
    returnFocusTo = null;
    if (target && target !== document.body && target.isConnected) target.focus();
    else if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest("[data-shortcuts-help]");
    if (!link || !helpDialog()) return;
    event.preventDefault();  // without JavaScript the link opens the /shortcuts/ page instead
    openHelp(link);
  });

  // --- actions -------------------------------------------------------------------------------------
  function homeUrl() {
    const dialog = helpDialog();
    return dialog ? dialog.dataset.homeUrl : "/";
  }

  // On a page without the control, go to the Models page and finish there (see runPending).
  function goHomeAndRun(action) {
    window.location.assign(homeUrl() + PENDING_PREFIX + action);
  }

  function clickControl(name) {
    const control = document.querySelector(`[data-shortcut="${name}"]`);
    if (!control) return false;
    control.click();
    return true;
  }

  function focusSearch() {
    const field = document.querySelector('[data-shortcut="search"]') ||
      document.querySelector('main input[type="search"]');
    if (!field) return false;
    field.focus();
    field.select();
    return true;
  }

  const ACTIONS = {
    search: focusSearch,
    download: () => clickControl("download"),
    queue: () => clickControl("queue"),
  };

  function run(action) {
    if (!ACTIONS[action]()) goHomeAndRun(action);
  }

  function runPending() {
    if (!location.hash.startsWith(PENDING_PREFIX)) return;
    const action = location.hash.slice(PENDING_PREFIX.length);
    history.replaceState(history.state, "", location.pathname + location.search);  // a reload does not repeat it
    if (Object.hasOwn(ACTIONS, action)) ACTIONS[action]();
  }

  // --- Models page: j/k move between the model cards, Enter opens the focused card's details ---------
  function moveCard(step) {
    const cards = [...document.querySelectorAll('[data-shortcut="card"]')];
    if (!cards.length) return;
    const current = cards.findIndex((card) => card.contains(document.activeElement));
    const next = current === -1 ? 0 : Math.min(cards.length - 1, Math.max(0, current + step));
    cards[next].focus({ preventScroll: true });
    cards[next].scrollIntoView({ block: "nearest" });
  }

  function openCardDetails(card) {
    const details = card.querySelector('[data-dialog="details-dialog"]');
    if (!details) return;
    // Right after the list refreshed itself, htmx wires the new links up only when the swap settles:
    // a click before that would leave the page for the details page. Wiring twice is a no-op.
    if (window.htmx) window.htmx.process(details);
    details.click();
  }

  // --- "g" then a letter: go to a page; the targets come from the help's data-shortcut-go rows ------
  let sequenceTimer = null;

  function startSequence() {
    clearTimeout(sequenceTimer);
    sequenceTimer = setTimeout(() => { sequenceTimer = null; }, SEQUENCE_TIMEOUT_MS);
  }

  function finishSequence(key) {
    clearTimeout(sequenceTimer);
    sequenceTimer = null;
    const dialog = helpDialog();
    const row = dialog && [...dialog.querySelectorAll("[data-shortcut-go]")].find((el) => el.dataset.shortcutGo === key);
    if (row) window.location.assign(row.dataset.url);
    return Boolean(row);
  }

  // --- the keys ------------------------------------------------------------------------------------
  document.addEventListener("keydown", (event) => {
    if (!enabled() || !helpDialog()) return;
    if (event.defaultPrevented || event.isComposing || event.repeat) return;
    // Modifiers belong to the browser and the system (Ctrl+D bookmarks, Ctrl+Q quits).
    if (event.ctrlKey || event.altKey || event.metaKey) return;
    if (isTypingTarget(event.target)) return;
    // While a dialog is open its own keys apply (Escape closes it); the page behind is inert.
    if (document.querySelector("dialog[open]")) return;

    const key = event.key;
    if (sequenceTimer) {
      if (finishSequence(key)) event.preventDefault();
      return;
    }
    if (key === "Enter") {
      const card = event.target.closest && event.target.closest('[data-shortcut="card"]');
      // Only the card itself: Enter on a button inside the card keeps doing what the button does.
      if (card && card === event.target) {
        event.preventDefault();
        openCardDetails(card);
      }
      return;
    }
    const handlers = {
      "/": () => run("search"),
      "d": () => run("download"),
      "q": () => run("queue"),
      "?": () => openHelp(),
      "g": startSequence,
      "j": () => moveCard(1),
      "k": () => moveCard(-1),
    };
    if (!handlers[key]) return;
    event.preventDefault();  // "/" would start the browser's quick find, and a key must not also scroll
    handlers[key]();
  });

  document.addEventListener("DOMContentLoaded", () => {
    const dialog = helpDialog();
    if (dialog) dialog.addEventListener("close", restoreFocus);
  });
  // Only once the page has loaded: Chromium settles a new page's focus during loading and would
  // undo an earlier focus(); htmx (loaded before this file) has wired the links up by then.
  window.addEventListener("load", () => setTimeout(runPending, 0), { once: true });
})();
