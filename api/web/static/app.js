// The pages' one script (a module, so only browsers that GOV.UK Frontend supports run it).
// Every page works without it; with it, GOV.UK Frontend's components start and htmx
// sends the form's CSRF token with each request it makes.
import { initAll } from "/app/static/vendor/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// Conditional reveals (GOV.UK's markup): each shows while its radio is checked. GOV.UK
// Frontend's Radios module would also set aria-expanded on the radio, which ARIA does not
// allow there (axe: aria-allowed-attr; govuk-frontend issue 979), so these radios are not
// given to it. Without this script every reveal is simply shown.
for (const group of document.querySelectorAll("[data-app-reveals]")) {
  const radios = group.querySelectorAll(":scope > .govuk-radios__item > .govuk-radios__input");
  const sync = () => {
    for (const radio of radios) {
      const reveal = document.getElementById(radio.getAttribute("aria-controls") ?? "");
      reveal?.classList.toggle("govuk-radios__conditional--hidden", !radio.checked);
    }
  };
  group.addEventListener("change", sync);
  window.addEventListener("pageshow", sync);
  sync();
}

document.body.addEventListener("htmx:configRequest", (event) => {
  const field = document.querySelector("input[name=csrf_token]");
  if (field) {
    event.detail.headers["X-CSRF-Token"] = field.value;
  }
});
