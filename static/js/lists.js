// Lists: progressive enhancement only. Without this file the bulk-action links lead to confirm
// pages and the "Add to list" menu is a plain <details> with forms.
(() => {
  document.addEventListener("click", (event) => {
    const opener = event.target.closest("[data-opens-dialog]");
    if (opener) {
      const dialog = document.getElementById(opener.dataset.opensDialog);
      if (dialog && typeof dialog.showModal === "function") {
        event.preventDefault();
        dialog.showModal();
        const first = dialog.querySelector("button, [href], input");
        if (first) first.focus();
      }
      return;
    }
    const closer = event.target.closest("dialog [data-closes-dialog]");
    if (closer) {
      event.preventDefault();
      closer.closest("dialog").close();
    }
  });
  // Return focus to the control that opened a dialog.
  document.addEventListener("close", (event) => {
    if (!(event.target instanceof HTMLDialogElement)) return;
    const opener = document.querySelector(`[data-opens-dialog="${event.target.id}"]`);
    if (opener) opener.focus();
  }, true);
})();
