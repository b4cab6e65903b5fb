// cachesim serve: the page's controls become KEY=VALUE settings (exactly
// what `--set` takes), each change asks the server for a quick answer and
// then the full one; a newer change supersedes the older (the server stops
// its simulation). The live view follows the server's events.
"use strict";

const TTLS = ["1s", "5s", "10s", "20s", "30s", "60s", "2m", "5m", "10m", "15m", "30m", "1h", "2h", "4h", "6h", "12h", "1d", "2d"];
const $ = (id) => document.getElementById(id);
let scenario = null;
let generation = 0;
let inFlight = null;
let timer = null;
// What the user changed: key → value (shares as fractions).
let changed = new Map();

function seconds(text) {
  const units = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };
  let total = 0;
  for (const [, n, u] of String(text).matchAll(/([\d.]+)\s*(ms|s|m|h|d)/g)) total += parseFloat(n) * units[u];
  return total;
}

function nearestTtl(text) {
  const s = seconds(text);
  let best = 0;
  TTLS.forEach((t, i) => { if (Math.abs(Math.log(seconds(t) / s)) < Math.abs(Math.log(seconds(TTLS[best]) / s))) best = i; });
  return best;
}

function percent(share) {
  return `${+(share * 100).toFixed(2)} %`;
}

// The settings the page asks for, as `--set` takes them.
function currentSets() {
  const sets = [];
  for (const [key, value] of changed) sets.push(`${key}=${value}`);
  for (const line of $("other").value.split("\n")) if (line.trim()) sets.push(line.trim());
  return sets;
}

function currentAsk() {
  return { sets: currentSets(), tolerance: parseFloat($("tolerance").value) };
}

function set(key, value, initial) {
  if (String(value) === String(initial)) changed.delete(key); else changed.set(key, value);
  $("sets").textContent = currentSets().join(", ") || "nothing";
  soon();
}

function soon() {
  clearTimeout(timer);
  timer = setTimeout(run, 150);
}

async function post(path, body, signal) {
  const response = await fetch(path, { method: "POST", body: JSON.stringify(body), signal, headers: { "Content-Type": "application/json" } });
  if (response.status === 409) return { superseded: true };
  const answer = await response.json();
  if (!response.ok) answer.error = answer.error || `HTTP ${response.status}`;
  return answer;
}

async function run() {
  const g = ++generation;
  if (inFlight) inFlight.abort();
  inFlight = new AbortController();
  const body = { ...currentAsk(), generation: g };
  state("busy", "Simulating…");
  try {
    let answer = await post("/api/whatif", { ...body, quick: true }, inFlight.signal);
    if (g !== generation || answer.superseded) return;
    if (answer.error) return failed(answer.error);
    show(answer);
    if (answer.quick) {
      state("quick", `A quick answer from ${answer.runs} runs; the full answer is on its way…`);
      answer = await post("/api/whatif", { ...body, quick: false }, inFlight.signal);
      if (g !== generation || answer.superseded) return;
      if (answer.error) return failed(answer.error);
      show(answer);
    }
    state("full", `The full answer: ${answer.runs} runs of ${answer.households.toLocaleString("en")} households, simulated in ${answer.wall_time_s.toFixed(2)} s.`);
  } catch (e) {
    if (e.name !== "AbortError") failed(String(e));
  }
}

function state(name, text) {
  $("decision").dataset.state = name;
  $("decision").dataset.generation = generation;
  $("status").textContent = text;
}

function failed(message) {
  state("error", "This setting cannot be simulated:");
  $("error").textContent = message;
  $("error").hidden = false;
}

function show(answer) {
  $("error").hidden = true;
  $("answer").textContent = answer.decision[0] || "";
  $("lines").replaceChildren(...answer.decision.slice(1).concat(answer.warnings.map((w) => `Warning: ${w}`)).map((line) => {
    const li = document.createElement("li");
    li.textContent = line;
    return li;
  }));
  for (const [name, svg] of Object.entries(answer.charts)) {
    const place = $(`chart-${name}`);
    if (place) place.innerHTML = svg;
  }
  $("fig-compare").hidden = !answer.charts.compare;
  $("previous").hidden = !answer.previous;
  if (answer.previous) $("previous").textContent = `Before (${answer.previous.label}): ${answer.previous.answer}`;
  // Shares the server rescaled to keep each layer's sum at 1.
  for (const o of answer.overrides) {
    const m = o.match(/^(\w+)\.(\d+)\.share=(.*)$/);
    const field = m && $(`share-${m[1]}-${m[2]}`);
    if (field && !changed.has(`${m[1]}.${m[2]}.share`)) field.value = +(parseFloat(m[3]) * 100).toFixed(2);
  }
}

function controls() {
  $("title").textContent = `cachesim: ${scenario.name}`;
  $("description").textContent = `${scenario.description} (${scenario.file}${scenario.command_line.length ? ", " + scenario.command_line.join(" ") : ""})`;
  const slider = $("ttl-slider");
  slider.max = TTLS.length - 1;
  const initialTtl = scenario.ttl;
  slider.value = nearestTtl(initialTtl);
  $("ttl-value").textContent = initialTtl;
  slider.addEventListener("input", () => {
    const ttl = TTLS[slider.value];
    $("ttl-value").textContent = ttl;
    set("record.ttl", ttl, nearestTtl(initialTtl) === +slider.value ? ttl : initialTtl);
  });
  $("schedule").value = scenario.schedule || "";
  $("schedule").addEventListener("change", () => set("record.schedule", $("schedule").value.trim() || "[]", scenario.schedule || "[]"));
  const server = $("server");
  if (!scenario.server) server.add(new Option("(as the file says)", ""));
  for (const s of scenario.servers) server.add(new Option(`${s.name}: ${s.summary}`, s.name));
  server.value = scenario.server || "";
  server.addEventListener("change", () => set("server", server.value, scenario.server || ""));
  $("households").value = scenario.households;
  $("households").addEventListener("change", () => set("population.households", $("households").value, scenario.households));
  $("tolerance").value = String(scenario.tolerance);
  $("tolerance").addEventListener("change", soon);
  $("other").addEventListener("change", soon);
  for (const layer of scenario.layers) {
    const box = document.createElement("fieldset");
    box.innerHTML = `<legend>${layer.label}: share of households, %</legend>`;
    layer.pools.forEach((pool, i) => {
      const row = document.createElement("label");
      row.className = "pool";
      row.textContent = pool.name + (pool.assumed ? " (assumed)" : "");
      const field = document.createElement("input");
      Object.assign(field, { type: "number", min: 0, max: 100, step: 0.1, id: `share-${layer.key}-${i}` });
      field.value = +(pool.share * 100).toFixed(2);
      field.addEventListener("change", () => {
        row.classList.add("set");
        set(`${layer.key}.${i}.share`, parseFloat(field.value) / 100, pool.share);
      });
      row.append(field);
      box.append(row);
    });
    $("layers").append(box);
  }
  $("save-toml").addEventListener("click", () => save("/api/save/scenario.toml", `${scenario.name}.toml`));
  $("save-report").addEventListener("click", () => save("/api/save/report.html", "report.html"));
  // Back to the file: the page as it first came (nothing it keeps is lost).
  $("reset").addEventListener("click", () => location.reload());
}

// The saved file as text (the buttons offer it as a download).
async function saved(path) {
  const response = await fetch(path, { method: "POST", body: JSON.stringify(currentAsk()) });
  const text = await response.text();
  if (!response.ok) throw new Error(JSON.parse(text).error);
  return text;
}

async function save(path, name) {
  try {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([await saved(path)]));
    link.download = name;
    link.click();
  } catch (e) {
    failed(e.message);
  }
}

function live() {
  $("live").hidden = false;
  const events = new EventSource("/api/live/events");
  events.onmessage = (event) => {
    const view = JSON.parse(event.data);
    $("live").dataset.requests = view.requests;
    const end = view.logs_end == null ? "" : `, the logs reaching ${view.logs_end} after the change`;
    const share = view.requests ? ` (${percent(view.old_requests / view.requests)})` : "";
    $("live-status").textContent = `${view.requests.toLocaleString("en")} requests since the change, ${view.old_requests.toLocaleString("en")} of them to the old server${share}${end}.` +
      (view.bad_lines ? ` ${view.bad_lines} lines could not be read.` : "") + (view.refitting ? " Refitting…" : "") +
      (view.refit_failed ? ` The last refit failed: ${view.refit_failed}` : "");
    if (view.band) {
      $("live-band").textContent = view.band.text;
      $("live-band").dataset.status = view.band.status;
    }
    if (view.projection) {
      $("live-projection").textContent = view.projection.text;
      $("live-keys").replaceChildren(...view.projection.keys.map((k) => Object.assign(document.createElement("li"), { textContent: k })));
      $("live-lines").replaceChildren(...view.projection.lines.map((k) => Object.assign(document.createElement("li"), { textContent: k })));
    }
    for (const [name, svg] of Object.entries(view.charts || {})) $(`chart-${name}`).innerHTML = svg;
  };
}

async function start() {
  scenario = await (await fetch("/api/scenario")).json();
  controls();
  if (scenario.live) live();
  run();
}

window.cachesim = { currentAsk, saved };
start();
