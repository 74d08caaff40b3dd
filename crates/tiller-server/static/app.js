// Small progressive enhancements; every page works without them.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // The new-entry form shows only the fields of the chosen kind.
  const kind = document.querySelector("[data-kind-select]");
  if (kind) {
    const sync = () => {
      for (const p of kind.form.querySelectorAll("[data-kinds]")) {
        const on = p.dataset.kinds.split(" ").includes(kind.value);
        p.hidden = !on;
        for (const el of p.querySelectorAll("input,select")) el.disabled = !on;
      }
    };
    kind.addEventListener("change", sync);
    sync();
  }
});
