// The playground page: tabs, the controls and drawing of the training worker, the tape of one
// LSTM step, the notebook table, and the compiled-against-eager panel. Everything heavy runs in
// workers: train.worker.ts, and compare.worker.ts for the panel.

import { lineChart } from "../../lib/svg.js";
import { dotToSvg } from "../../lib/graph.js";
import { PRINTED_CELL4, replayNotebook, whyPrintedDiffers } from "../../notebook/replay.js";
import notebookMd from "../../../packages/nn/docs/notebook.md?raw";
import { lstmStepGraph, type BackwardStep } from "./inside.js";
import { cellDerivation, sequenceDerivation, type DerivationView } from "./derivation.js";
import type { CompareResult, Device, DeviceSpeed, FromCompareWorker, FromWorker, Point, ToCompareWorker, ToWorker } from "./protocol.js";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const worker = new Worker(new URL("./train.worker.ts", import.meta.url), { type: "module" });
const send = (m: ToWorker, transfer: Transferable[] = []) => worker.postMessage(m, transfer);

// ---------------------------------------------------------------- tabs

const drawn = new Set<string>();
for (const b of document.querySelectorAll<HTMLButtonElement>("nav button.tab")) {
  b.onclick = () => showTab(b.dataset.tab!);
}
function showTab(name: string): void {
  for (const b of document.querySelectorAll<HTMLButtonElement>("nav button.tab")) b.classList.toggle("active", b.dataset.tab === name);
  for (const p of document.querySelectorAll<HTMLElement>(".panel")) p.classList.toggle("active", p.id === name);
  if (!drawn.has(name)) {
    drawn.add(name);
    if (name === "inside") void drawInside();
    if (name === "notebook") drawNotebook();
  }
  history.replaceState(null, "", `#${name}`);
}

// ---------------------------------------------------------------- train

let points: Point[] = [];
let unigram = NaN;
let running = false;
let lastDraw = 0;
const hidden = $<HTMLSelectElement>("hidden");
const lr = $<HTMLInputElement>("lr");
const status = $("status");
const loadMessage = $("load-message");
const deviceSelect = $<HTMLSelectElement>("device");
const gpuOption = deviceSelect.querySelector<HTMLOptionElement>('option[value="webgpu"]')!;
const deviceMessage = $("device-message");
/** the adapter's name once the worker's probe found one */
let gpuName = "";

function smoothed(): [number, number][] {
  const out: [number, number][] = [];
  let ema = NaN;
  for (const p of points) {
    ema = Number.isNaN(ema) ? p.train : 0.95 * ema + 0.05 * p.train;
    out.push([p.step, ema]);
  }
  return out;
}

function draw(stepMs?: number): void {
  const s = smoothed();
  const vals = points.filter((p) => p.val !== undefined).map((p) => [p.step, p.val!] as [number, number]);
  $("chart").innerHTML = s.length
    ? lineChart(
        [
          { name: "train (smoothed)", color: "#1f77b4", points: s },
          { name: "validation", color: "#d62728", points: vals },
        ],
        { title: "char-LSTM on Pride and Prejudice", xLabel: "step", yLabel: "bits per character", hlines: [{ y: unigram, label: "unigram entropy", color: "#888" }] },
      )
    : "<p>Press Start.</p>";
  // each step's own training loss (bits per character) of the first 100 steps, unsmoothed: the GPU page test compares devices with it
  $("chart").dataset.losses = points.slice(0, 100).map((p) => p.train).join(",");
  const last = s.at(-1);
  status.dataset.step = String(points.at(-1)?.step ?? 0);
  status.dataset.bpc = last ? String(last[1]) : "";
  status.dataset.first = points.length ? String(points[0]!.train) : "";
  status.dataset.unigram = String(unigram);
  const val = vals.at(-1);
  status.textContent = last
    ? `step ${last[0]} · train ${last[1].toFixed(3)} bpc${val ? ` · validation ${val[1].toFixed(3)}` : ""} · unigram ${unigram.toFixed(3)}${stepMs ? ` · ${stepMs.toFixed(0)} ms/step` : ""}${running ? "" : " · paused"}`
    : `ready · unigram entropy ${unigram.toFixed(3)} bits/char`;
}

function setRunning(r: boolean): void {
  running = r;
  $<HTMLButtonElement>("start").disabled = r;
  $<HTMLButtonElement>("pause").disabled = !r;
}

function addSample(text: string, step: number, label: string): void {
  const div = document.createElement("div");
  div.innerHTML = `<b>${label}, step ${step}:</b> `;
  div.append(document.createTextNode(text));
  const box = $("samples");
  box.prepend(div);
  while (box.children.length > 6) box.lastChild!.remove();
}

let lastSpeed: [number, Record<Device, DeviceSpeed>] | null = null;

function showSpeed(hiddenSize: number, speeds: Record<Device, DeviceSpeed>): void {
  lastSpeed = [hiddenSize, speeds];
  const el = $("speed");
  const rate = (d: DeviceSpeed) => (d.steps > 0 && d.seconds > 0 ? d.steps / d.seconds : NaN);
  const fmt = (v: number) => (v >= 10 ? v.toFixed(1) : v.toPrecision(3));
  const cpu = rate(speeds.cpu);
  const gpu = rate(speeds.webgpu);
  const parts = [`CPU: ${Number.isNaN(cpu) ? "not run yet" : `${fmt(cpu)} steps/s`}`];
  if (gpuName || speeds.webgpu.steps > 0) parts.push(`GPU${gpuName ? ` (${gpuName})` : ""}: ${Number.isNaN(gpu) ? "not run yet" : `${fmt(gpu)} steps/s`}`);
  el.textContent = `steps/s at hidden size ${hiddenSize}: ${parts.join(" · ")}`;
  el.dataset.hidden = String(hiddenSize);
  el.dataset.cpu = Number.isNaN(cpu) ? "" : String(cpu);
  el.dataset.webgpu = Number.isNaN(gpu) ? "" : String(gpu);
}

worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  switch (m.type) {
    case "ready":
      unigram = m.unigramBpc;
      points = [...m.history];
      hidden.value = String(m.settings.hidden);
      lr.value = String(m.settings.lr);
      setRunning(false);
      $("samples").textContent = "";
      document.body.dataset.ready = "true";
      document.body.dataset.readyCount = String(Number(document.body.dataset.readyCount ?? 0) + 1);
      draw();
      break;
    case "progress": {
      points.push(...m.points);
      setRunning(m.running);
      const now = performance.now();
      if (now - lastDraw > 250 || !m.running) {
        lastDraw = now;
        draw(m.stepMs || undefined);
      }
      break;
    }
    case "sample":
      if (m.id < 0) addSample(m.text, m.step, "sample");
      else {
        const out = $("sample-out");
        out.textContent = m.text;
        out.dataset.seed = String(m.seed);
        out.dataset.step = String(m.step);
        out.dataset.id = String(m.id);
      }
      break;
    case "saved": {
      const url = URL.createObjectURL(new Blob([m.bytes as Uint8Array<ArrayBuffer>], { type: "application/octet-stream" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = `char-lstm-step${m.step}.safetensors`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      break;
    }
    case "load-error":
      loadMessage.className = "error";
      loadMessage.textContent = `Not loaded (the current model is unchanged): ${m.message}`;
      break;
    case "error":
      loadMessage.className = "error";
      loadMessage.textContent = m.message;
      break;
    case "devices":
      if (m.gpu.available) {
        gpuName = m.gpu.name;
        gpuOption.disabled = false;
        gpuOption.title = `compile the step for WebGPU on ${m.gpu.name}` + (m.gpu.fallback ? " (a fallback adapter runs WebGPU on the CPU: right, and slower than the CPU option)" : "");
      } else {
        gpuOption.disabled = true;
        gpuOption.title = `not available: ${m.gpu.why}`;
      }
      deviceSelect.dataset.gpu = m.gpu.available ? m.gpu.name : "";
      deviceSelect.dataset.probed = "true";
      if (lastSpeed) showSpeed(...lastSpeed);
      break;
    case "device":
      deviceSelect.value = m.device;
      deviceSelect.disabled = false;
      deviceSelect.dataset.current = m.device;
      deviceSelect.dataset.changes = String(Number(deviceSelect.dataset.changes ?? 0) + 1);
      if (deviceMessage.className !== "error") deviceMessage.textContent = m.device === "webgpu" ? `on the GPU from step ${m.step + 1}` : "";
      break;
    case "device-error":
      deviceMessage.className = "error";
      deviceMessage.textContent = m.message;
      break;
    case "speed":
      showSpeed(m.hidden, { cpu: m.cpu, webgpu: m.webgpu });
      break;
  }
};

const settings = () => ({ hidden: Number(hidden.value), lr: Number(lr.value) });
$("start").onclick = () => {
  setRunning(true);
  send({ type: "start" });
};
$("pause").onclick = () => send({ type: "pause" });
$("reset").onclick = () => send({ type: "reset", settings: settings() });
hidden.onchange = () => send({ type: "reset", settings: settings() }); // a new size is a new model
lr.onchange = () => {
  const v = Number(lr.value);
  if (v > 0 && v < 10) send({ type: "set-lr", lr: v });
};
deviceSelect.onchange = () => {
  const d = deviceSelect.value as Device;
  deviceSelect.disabled = true; // until the worker says where steps run now
  deviceMessage.className = "";
  deviceMessage.textContent = d === "webgpu" ? "moving the model to the GPU…" : "bringing the model back to the CPU…";
  send({ type: "set-device", device: d });
};
$("download").onclick = () => send({ type: "save" });
let sampleId = 0;
$("sample").onclick = () => send({ type: "sample", seed: Number($<HTMLInputElement>("sample-seed").value), length: 200, temperature: 0.8, id: ++sampleId });
$<HTMLInputElement>("load").onchange = async (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (!file) return;
  loadMessage.className = "";
  loadMessage.textContent = `loading ${file.name}…`;
  const bytes = new Uint8Array(await file.arrayBuffer());
  const onReady = (ev: MessageEvent<FromWorker>) => {
    if (ev.data.type === "ready") {
      loadMessage.className = "ok";
      loadMessage.textContent = `loaded ${file.name}: step ${ev.data.step}, hidden ${ev.data.settings.hidden}`;
    }
    if (ev.data.type === "ready" || ev.data.type === "load-error") worker.removeEventListener("message", onReady);
  };
  worker.addEventListener("message", onReady);
  send({ type: "load", bytes, name: file.name }, [bytes.buffer]);
  (e.target as HTMLInputElement).value = "";
};

// ---------------------------------------------------------------- look inside

async function drawInside(): Promise<void> {
  const g = lstmStepGraph();
  $("graph").innerHTML = await dotToSvg(g.dot);
  const fmt = (v: number) => (v === 0 ? "0" : v.toPrecision(3));
  $("step-table").innerHTML =
    "<tr><th>op</th><th>output shape</th><th>|dL/d output|</th><th>first entries of the gradient</th></tr>" +
    g.rows.map((r) => `<tr><td>${r.op}</td><td>(${r.shape.join(", ")})</td><td>${fmt(r.gradNorm)}</td><td>${r.head.map(fmt).join(", ")}</td></tr>`).join("") +
    g.parameters.map((p) => `<tr><td><b>${p.name}</b>.grad</td><td>(${p.shape.join(", ")})</td><td>${fmt(p.gradNorm)}</td><td></td></tr>`).join("");
  setUpStepper(g.steps);
  $("graph").dataset.drawn = "true";
  setTimeout(runDerivation, 0);
}

// ---------------------------------------------------------------- look inside: step through backward

function setUpStepper(steps: BackwardStep[]): void {
  let at = -1;
  let timer: ReturnType<typeof setInterval> | null = null;
  const svgNode = (id: number) => [...$("graph").querySelectorAll<SVGGElement>("g.node")].find((n) => n.querySelector("title")?.textContent === `n${id}`);
  const fmt = (v: number) => (v === 0 ? "0" : v.toPrecision(4));
  const show = (k: number) => {
    at = Math.max(-1, Math.min(steps.length - 1, k));
    steps.forEach((s, i) => {
      const n = svgNode(s.id);
      n?.classList.toggle("bw-current", i === at);
      n?.classList.toggle("bw-done", i < at);
    });
    const st = $("bw-status");
    st.dataset.index = String(at);
    if (at < 0) {
      st.textContent = `${steps.length} nodes to take; press Next node`;
      $("bw-node").innerHTML = "";
      return;
    }
    const s = steps[at]!;
    const next = s.feeds.map((f) => steps.find((x) => x.id === f)?.op ?? `n${f}`);
    st.textContent = `node ${at + 1} of ${steps.length}: ${s.op} (n${s.id})` + (at === steps.length - 1 ? ", the last: the walk ends at the leaves" : "");
    st.dataset.op = s.op;
    $("bw-node").innerHTML =
      "<tr><th>output</th><th>shape</th><th>|dL/d output|</th><th>first entries of dL/d output</th></tr>" +
      s.outputs.map((o, i) => `<tr><td>${s.outputs.length > 1 ? `[${i}]` : "out"}</td><td>(${o.shape.join(", ")})</td><td>${fmt(o.gradNorm)}</td><td>${o.head.map(fmt).join(", ")}</td></tr>`).join("") +
      `<tr><td colspan="4">its VJP delivers to: ${[...next, ...s.leaves.map((l) => `<b>${l}</b>.grad`)].join(", ") || "inputs that take no gradient"}</td></tr>`;
  };
  const stop = () => {
    if (timer) clearInterval(timer);
    timer = null;
    $("bw-play").textContent = "Play";
  };
  $("bw-next").onclick = () => { stop(); show(at + 1); };
  $("bw-prev").onclick = () => { stop(); show(at - 1); };
  $("bw-first").onclick = () => { stop(); show(-1); };
  $("bw-play").onclick = () => {
    if (timer) return stop();
    if (at >= steps.length - 1) show(-1);
    $("bw-play").textContent = "Pause";
    timer = setInterval(() => (at >= steps.length - 1 ? stop() : show(at + 1)), 600);
  };
  show(-1);
}

// ---------------------------------------------------------------- look inside: your derivation

function derivationTable(v: DerivationView): string {
  const fmt = (v: number | null) => (v === null ? "—" : v === 0 ? "0" : v.toPrecision(4));
  return (
    "<tr><th>node / input</th><th>shape</th><th>|tape|</th><th>|manual|</th><th>|finite diff.|</th><th>max |tape − manual|</th><th>verdict</th><th>the line that computes it</th></tr>" +
    v.rows
      .map(
        (r) =>
          `<tr class="${r.firstWrong ? "first-wrong" : ""}${r.agree ? "" : " disagree"}" data-name="${r.name}"><td>${r.kind === "input" ? `<b>${r.name}</b>` : r.name}</td><td>(${r.shape.join(", ")})</td>` +
          `<td>${fmt(r.tape)}</td><td>${fmt(r.manual)}</td><td>${fmt(r.fd)}</td><td>${r.maxAbs === null ? "—" : r.maxAbs.toExponential(1)}</td><td class="verdict">${r.agree ? "agree" : r.verdict}</td><td class="line">${r.line}</td></tr>`,
      )
      .join("")
  );
}

function runDerivation(): void {
  const status = $("derivation-status");
  status.textContent = "comparing…";
  // let the status paint before the (synchronous) comparison
  setTimeout(() => {
    try {
      const T = Number($<HTMLSelectElement>("derivation-steps").value);
      const t0 = performance.now();
      const seq = sequenceDerivation(1, T);
      const cell = cellDerivation(1);
      $("derivation-seq").innerHTML = derivationTable(seq);
      $("derivation-cell").innerHTML = derivationTable(cell);
      const story = $("derivation-story");
      story.textContent = seq.story;
      story.className = seq.firstWrong ? "wrong" : "ok";
      story.dataset.firstWrong = seq.firstWrong?.name ?? "";
      const cs = $("derivation-cell-story");
      cs.textContent = cell.story;
      cs.className = cell.firstWrong ? "wrong" : "ok";
      status.textContent = `${seq.rows.length + cell.rows.length} gradients compared in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
      $("derivation-seq").dataset.done = "true";
    } catch (e) {
      status.textContent = `failed: ${(e as Error).message}`;
    }
  }, 0);
}
$("derivation-run").onclick = runDerivation;

// ---------------------------------------------------------------- the notebook

function drawNotebook(): void {
  const r = replayNotebook(1);
  const fmt = (v: number) => (v === 0 ? "0" : v.toPrecision(9));
  $("notebook-table").innerHTML =
    "<tr><th>entry</th><th>tape (nn.LSTM)</th><th>closed form</th><th>notebook printed</th><th>notebook as written</th><th>printed is correct?</th></tr>" +
    r.rows
      .map((row) => `<tr><td>${row.entry}</td><td>${fmt(row.tape)}</td><td>${fmt(row.closedForm)}</td><td>${row.printed}</td><td>${fmt(row.asWritten!)}</td><td class="${row.printedIsCorrect ? "" : "no"}">${row.printedIsCorrect ? "yes" : "no"}</td></tr>`)
      .join("");
  $("notebook-why").textContent = `${whyPrintedDiffers(true, true).join(" ")} Tape against closed form over every entry of every gradient: at most ${r.tapeVsClosedForm.toExponential(1)} relative (${PRINTED_CELL4.length} entries printed).`;
  $("notebook-md").textContent = notebookMd;
}

// ---------------------------------------------------------------- compiled against eager

const compareStatus = $("compare-status");
const compareStart = $<HTMLButtonElement>("compare-start");
let compareId = 0;
let progressSeen = 0;

/** One measurement in a fresh worker, ended once it answers. */
function measure(): void {
  const id = ++compareId;
  const hiddenSize = Number($<HTMLSelectElement>("compare-hidden").value);
  const trainingToo = running;
  const w = new Worker(new URL("./compare.worker.ts", import.meta.url), { type: "module" });
  compareStart.disabled = true;
  compareStatus.className = "";
  compareStatus.textContent = `starting a worker for hidden size ${hiddenSize}…`;
  const finish = () => {
    w.terminate();
    compareStart.disabled = false;
  };
  w.onmessage = (e: MessageEvent<FromCompareWorker>) => {
    const m = e.data;
    switch (m.type) {
      case "progress":
        progressSeen++;
        compareStatus.dataset.progress = String(progressSeen);
        compareStatus.textContent = `${m.phase === "warm-up" ? "warming up" : "timing"}: ${m.done} of ${m.total} steps (both modes together)`;
        break;
      case "result":
        finish();
        showComparison(m.result, trainingToo || running);
        break;
      case "error":
        finish();
        compareStatus.className = "error";
        compareStatus.textContent = `The measurement failed: ${m.message}`;
        break;
    }
  };
  w.onerror = (e) => {
    e.preventDefault();
    finish();
    compareStatus.className = "error";
    compareStatus.textContent = `The measurement worker failed: ${e.message}`;
  };
  const request: ToCompareWorker = { type: "measure", id, hidden: hiddenSize };
  w.postMessage(request);
}

function showComparison(r: CompareResult, trainingToo: boolean): void {
  const s = r.sizes;
  const ms = (v: number) => v.toFixed(2);
  $("compare-sizes").textContent =
    `Timed: vocabulary ${s.vocab}, embedding ${s.embed}, LSTM ${s.layers}×${s.hidden}, head ${s.hidden}→${s.vocab} ` +
    `(${s.parameters.toLocaleString("en")} parameters); batch ${s.batch} × ${s.seqLen} characters, ${s.dtype}.`;
  $("compare-median-label").textContent = `ms per step, median of ${r.eager.timed} after ${r.warmup} warm-up steps`;
  $("compare-eager-ms").textContent = ms(r.eager.medianMs);
  $("compare-compiled-ms").textContent = ms(r.compiled.medianMs);
  $("compare-eager-min").textContent = ms(r.eager.minMs);
  $("compare-compiled-min").textContent = ms(r.compiled.minMs);
  $("compare-ratio").textContent = r.ratio.toFixed(2);
  $("compare-ratio-note").textContent =
    r.ratio >= 1 ? `(a compiled step takes ${((100 * r.compiled.medianMs) / r.eager.medianMs).toFixed(0)}% of an eager one's time)` : "(here the compiled step is the slower one)";
  const a = r.agreement;
  const agree = $("compare-agree");
  agree.className = a.equal ? "ok" : "error";
  if (a.equal) {
    agree.textContent =
      `Same numbers: bitwise equal. After ${a.steps} steps each, all ${a.steps} losses and all ${a.values.toLocaleString("en")} values ` +
      `of the ${a.tensors} weight and Adam-state tensors are the same bits in both runs, and so are Adam's step counts.`;
  } else {
    const parts: string[] = [];
    if (a.firstLossDifference) parts.push(`the loss first differs at step ${a.firstLossDifference.step} (eager ${a.firstLossDifference.eager}, compiled ${a.firstLossDifference.compiled})`);
    else if (!a.lossesEqual) parts.push("the runs took different numbers of steps");
    if (a.differing.length) parts.push(`${a.differing.length} of ${a.tensors} tensors differ (${a.differing.slice(0, 4).map((d) => (Number.isNaN(d.maxAbs) ? d.name : `${d.name} by up to ${d.maxAbs.toExponential(2)}`)).join(", ")}${a.differing.length > 4 ? ", …" : ""})`);
    agree.textContent = `The runs differ after ${a.steps} steps: ${parts.join("; ")}. They should be bitwise equal.`;
  }
  $("compare-note").textContent =
    `The compiled step traced ${r.compileStats.traces} calls and replayed ${r.compileStats.replays}` +
    (r.compileStats.traces <= r.warmup ? " (every trace in the warm-up: each timed compiled step is a replay)." : `: ${r.compileStats.traces - r.warmup} of its timed steps traced, which makes its median slower.`) +
    (trainingToo ? " The Train tab was training during the measurement, in a worker of its own: both timings include that contention." : "");
  $("compare-plan").textContent = r.plan;
  const box = $("compare-result");
  box.hidden = false;
  box.dataset.eagerMs = String(r.eager.medianMs);
  box.dataset.compiledMs = String(r.compiled.medianMs);
  box.dataset.ratio = String(r.ratio);
  box.dataset.equal = String(a.equal);
  box.dataset.id = String(r.id);
  compareStatus.textContent = `measured at hidden size ${s.hidden}`;
}

compareStart.onclick = measure;

showTab(location.hash.slice(1) || "train");
