// The pages' one script (a module, so only browsers that GOV.UK Frontend supports run it).
// Every page works without it; with it, GOV.UK Frontend's components start and htmx
// sends the form's CSRF token with each request it makes.
import { initAll } from "/app/static/vendor/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

document.body.addEventListener("htmx:configRequest", (event) => {
  const field = document.querySelector("input[name=csrf_token]");
  if (field) {
    event.detail.headers["X-CSRF-Token"] = field.value;
  }
});
