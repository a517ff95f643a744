// Progressive enhancement only: every control works without this file.
document.documentElement.classList.add("js");
document.addEventListener("change", (event) => {
  const select = event.target.closest("[data-autosubmit]");
  if (select && select.form) select.form.requestSubmit();
});
