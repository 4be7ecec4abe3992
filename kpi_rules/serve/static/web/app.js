// kpi-rules web app: a little progressive enhancement; every page works without it.
// Text from the server is only ever set with textContent, never as HTML.

function problemList(target, problems) {
  target.replaceChildren();
  if (!problems.length) return;
  const list = document.createElement("ul");
  list.className = "problems";
  for (const p of problems) {
    const item = document.createElement("li");
    const where = document.createElement("code");
    where.className = "where";
    where.textContent = `${p.line ?? ""}:${p.column ?? ""}`;
    item.append(where, ` ${p.code ?? ""} ${p.message ?? ""}`);
    list.append(item);
  }
  target.append(list);
}

function runForm(form) {
  const file = form.querySelector("#data");
  const period = form.querySelector("#period");
  const status = form.querySelector("#run-status");
  const bar = form.querySelector("#run-progress");
  const csrf = form.querySelector("input[name=csrf]").value;
  const options = ["header_row", "sheet", "encoding", "columns"].map((n) => form.elements.namedItem(n));
  const readPeriods = async () => {
    form.dataset.problem = "";
    status.textContent = "";
    if (!file.files.length) return;
    const body = new FormData();
    body.append("csrf", csrf);
    body.append("data", file.files[0]);
    for (const o of options) body.append(o.name, o.value);  // the periods as the upload will read them
    const answer = await fetch("/run/periods", { method: "POST", body, credentials: "same-origin" });
    const found = await answer.json().catch(() => ({ periods: [] }));
    const chosen = period.value;  // kept when the file, read again with other options, still holds it
    const periods = found.periods || [];
    period.replaceChildren(new Option("—", ""));
    for (const p of periods) period.append(new Option(p, p));
    if (periods.length) period.value = periods.includes(chosen) ? chosen : periods[periods.length - 1];
    status.textContent = found.problem || "";
    form.dataset.problem = found.problem || "";
  };
  file.addEventListener("change", readPeriods);
  for (const o of options) o.addEventListener("change", readPeriods);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (form.dataset.problem) {  // the file is known to be unreadable: say so again, send nothing
      status.textContent = form.dataset.problem;
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    bar.hidden = false;
    bar.value = 0;
    status.textContent = form.dataset.uploading;
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) bar.value = Math.round((100 * e.loaded) / e.total);
    });
    xhr.upload.addEventListener("load", () => {
      bar.removeAttribute("value");
      status.textContent = form.dataset.evaluating;
    });
    xhr.addEventListener("load", () => {
      if (xhr.status === 200 && xhr.responseURL.includes("/evaluations/")) {
        window.location.assign(xhr.responseURL);
        return;
      }
      bar.hidden = true;
      const page = new DOMParser().parseFromString(xhr.responseText, "text/html");
      const said = page.querySelector(".problem");
      status.textContent = said ? said.textContent : `${xhr.status} ${xhr.statusText}`;
    });
    xhr.send(new FormData(form));
  });
}

function whatIf(form) {
  const source = form.querySelector("#source");
  const target = document.querySelector("#problems");
  let timer = 0;
  source.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const answer = await fetch("/whatif/validate", {
        method: "POST", body: source.value, credentials: "same-origin",
        headers: { "Content-Type": "text/plain", "X-CSRF-Token": source.dataset.csrf },
      });
      if (!answer.ok) return;
      const result = await answer.json();
      problemList(target, result.problems || []);
      target.dataset.valid = String(result.valid);
    }, 400);
  });
}

const run = document.querySelector("#run-form");
if (run) runForm(run);
const whatif = document.querySelector("#whatif-form");
if (whatif) whatIf(whatif);
