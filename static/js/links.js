// App folders: choosing an app fills the mapping fields with that app's folders. Without this
// file the "Use this app's default folders" button does the same with a round trip.
(() => {
  const form = document.querySelector("form.app-folder-form");
  if (!form) return;
  const defaults = JSON.parse(form.dataset.defaults || "{}");
  const prefix = form.dataset.mappingPrefix || "map_";
  const kind = form.querySelector("select[name=kind]");
  if (!kind) return;
  kind.addEventListener("change", () => {
    const mapping = defaults[kind.value] || {};
    for (const [category, folder] of Object.entries(mapping)) {
      const input = form.querySelector(`[name="${prefix}${category}"]`);
      if (input) input.value = folder;
    }
  });
})();
