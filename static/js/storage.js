// Storage page: open confirmation forms that htmx loads into the page's <dialog>.
// Without JavaScript the same links lead to confirmation pages; nothing here is required.
(() => {
  const dialog = () => document.getElementById("storage-dialog");

  document.addEventListener("htmx:afterSwap", (event) => {
    const box = dialog();
    if (!box || event.detail.target.id !== "storage-dialog-body") return;
    if (!box.open) box.showModal();
    const field = box.querySelector("input:not([type=hidden]), button[type=submit]");
    if (field) field.focus();
  });

  document.addEventListener("click", (event) => {
    const box = dialog();
    if (box && box.open && event.target.closest("[data-dialog-close]")) {
      event.preventDefault();
      box.close();
    }
  });

  // The server sends HX-Trigger: storage-changed after a successful rename, delete or clean-up.
  document.body.addEventListener("storage-changed", () => {
    const box = dialog();
    if (box && box.open) box.close();
  });
})();
