// Try it: one uploaded image through /analyze_image_upload/ with the ticked operations, boxes drawn
// on a canvas (also kept in its data-boxes attribute), and a plate anonymisation shown beside it.
import { $, ApiError, api, messageOf, request, sleep } from "./api";

const OPERATIONS: Record<string, string[]> = {
  faces: ["detect_faces"],
  nsfw: ["detect_nsfw"],
  ocr: ["ocr"],
  plates: ["detect_plates"],
  category: ["classify_photo_category"],
  embeddings: ["embed_face", "embed_clip_vit_b_32"],
};
const COLOURS: Record<string, string> = {
  detect_faces: "#00e676", detect_nsfw: "#ff1744", ocr: "#2979ff", detect_plates: "#ffea00",
};

interface OpResult { status: string; data: unknown; error_message: string | null }
interface Drawn { op: string; label: string; box: number[] }

/** Every `{box: [x0, y0, x1, y1]}` inside an operation's data, with its label or text. */
function boxesIn(op: string, data: unknown, out: Drawn[]): void {
  if (Array.isArray(data)) {
    for (const item of data) boxesIn(op, item, out);
  } else if (data && typeof data === "object") {
    const d = data as Record<string, unknown>;
    const box = d.box;
    if (Array.isArray(box) && box.length === 4 && box.every((v) => typeof v === "number")) {
      const label = String(d.label ?? d.text ?? op);
      out.push({ op, label: d.score !== undefined ? `${label} ${Number(d.score).toFixed(2)}` : label, box: box as number[] });
    }
    for (const [key, value] of Object.entries(d)) if (key !== "box" && typeof value === "object") boxesIn(op, value, out);
  }
}

async function loadImage(file: File): Promise<HTMLImageElement> {
  const img = new Image();
  img.src = URL.createObjectURL(file);
  await img.decode();
  return img;
}

function drawBoxes(img: HTMLImageElement, boxes: Drawn[]): void {
  const canvas = $<HTMLCanvasElement>("tryit-canvas");
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  ctx.drawImage(img, 0, 0);
  const line = Math.max(2, Math.round(Math.max(canvas.width, canvas.height) / 250));
  ctx.lineWidth = line;
  ctx.font = `${line * 6}px system-ui, sans-serif`;
  const taken: number[][] = [];
  for (const b of boxes) {
    const [x0, y0, x1, y1] = b.box;
    const colour = COLOURS[b.op] ?? "#ffffff";
    ctx.strokeStyle = colour;
    ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
    const width = ctx.measureText(b.label).width + line * 2;
    // The label sits above the box, or below it when another label already took that place.
    let top = Math.max(0, y0 - line * 7);
    if (taken.some(([tx, ty, tw]) => Math.abs(ty - top) < line * 7 && tx < x0 + width && x0 < tx + tw)) top = y1;
    taken.push([x0, top, width]);
    ctx.fillStyle = colour;
    ctx.fillRect(x0, top, width, line * 7);
    ctx.fillStyle = "#000";
    ctx.fillText(b.label, x0 + line, top + line * 6);
  }
  canvas.dataset.boxes = JSON.stringify(boxes);
  canvas.dataset.state = "done";
  $("tryit-legend").replaceChildren(
    ...Object.entries(COLOURS).map(([op, colour]) => {
      const span = document.createElement("span");
      span.innerHTML = `<i class="swatch" style="background:${colour}"></i>${op}`;
      return span;
    }),
  );
}

function summarise(data: unknown): string {
  if (Array.isArray(data) && data.length > 16 && data.every((v) => typeof v === "number")) {
    return `[${data.length} floats: ${data.slice(0, 4).map((v: number) => v.toFixed(3)).join(", ")}, …]`;
  }
  // Indented, with short lists of numbers (boxes, points) kept on one line.
  return JSON.stringify(data, null, 1).replace(/\[\s*(-?[\d.e+-]+(?:,\s*-?[\d.e+-]+)*)\s*\]/g, (_m, inner: string) =>
    `[${inner.split(/,\s*/).join(", ")}]`);
}

function showResults(results: Record<string, OpResult>): void {
  const box = $("tryit-results");
  box.replaceChildren();
  for (const [op, r] of Object.entries(results)) {
    const div = document.createElement("div");
    div.className = "result";
    div.dataset.op = op;
    div.dataset.status = r.status;
    const head = document.createElement("div");
    head.innerHTML = `<span class="op"></span> <span class="${r.status === "success" ? "ok" : "bad"}">${r.status}</span>`;
    head.querySelector(".op")!.textContent = op;
    div.appendChild(head);
    const pre = document.createElement("pre");
    pre.textContent = r.status === "success" ? summarise(r.data) : r.error_message ?? "";
    div.appendChild(pre);
    box.appendChild(div);
  }
}

async function analyse(file: File): Promise<void> {
  const ticked = [...document.querySelectorAll<HTMLInputElement>("#tryit-ops input:checked")].map((i) => i.value);
  const tasks = ticked.flatMap((k) => OPERATIONS[k] ?? []).map((type) => ({ operation_id: type, type }));
  const form = new FormData();
  form.append("image_file", file);
  form.append("tasks_json", JSON.stringify(tasks));
  const [img, answer] = await Promise.all([
    loadImage(file),
    api<{ results: Record<string, OpResult> }>("/analyze_image_upload/", { method: "POST", body: form }),
  ]);
  const boxes: Drawn[] = [];
  for (const [op, r] of Object.entries(answer.results)) if (r.status === "success") boxesIn(op, r.data, boxes);
  drawBoxes(img, boxes);
  showResults(answer.results);
}

interface AnonymizeJob {
  status: string; error: string | null;
  items: { status: string; error: string | null; url: string | null; detections: { label: string }[] }[];
}

async function anonymise(file: File): Promise<void> {
  const status = $("anon-status");
  const result = $<HTMLImageElement>("anon-result");
  result.hidden = true;
  const form = new FormData();
  form.append("files", file);
  form.append("targets", $<HTMLSelectElement>("anon-targets").value);
  const mode = $<HTMLSelectElement>("anon-mode").value;
  if (mode) form.append("mode", mode);
  const started = await request("/api/v1/anonymize", { method: "POST", body: form });
  if (started.status === 404 || started.status === 405) {
    status.textContent = "This server has no anonymisation API (/api/v1/anonymize) yet.";
    return;
  }
  const body = await started.json().catch(() => null);
  if (!started.ok) throw new ApiError(started.status, messageOf(body, `anonymisation refused (${started.status})`));
  const id = (body as { job_id: string }).job_id;
  for (let i = 0; i < 600; i++) {
    const job = await api<AnonymizeJob>(`/api/v1/anonymize/${id}`);
    status.textContent = `Job ${id}: ${job.status}`;
    if (["completed", "failed", "cancelled"].includes(job.status)) {
      const item = job.items[0];
      if (!item?.url) {
        status.textContent = `Job ${id} ${job.status}: ${item?.error ?? job.error ?? "no result image"}`;
        return;
      }
      const image = await request(item.url);
      result.src = URL.createObjectURL(await image.blob());
      await result.decode();
      result.hidden = false;
      const hidden = item.detections.map((d) => d.label);
      status.textContent = `Job ${id} completed: hid ${hidden.length} region(s)${hidden.length ? ` (${hidden.join(", ")})` : ""}.`;
      status.dataset.hidden = String(hidden.length);
      return;
    }
    await sleep(500);
  }
}

export function initTryIt(): void {
  const file = (): File | null => $<HTMLInputElement>("tryit-file").files?.[0] ?? null;
  const status = $("tryit-status");
  const run = async (work: (f: File) => Promise<void>, label: string): Promise<void> => {
    const f = file();
    if (!f) { status.textContent = "Choose an image first."; return; }
    status.textContent = `${label}…`;
    try {
      await work(f);
      status.textContent = "";
    } catch (e) {
      status.textContent = `${label} failed: ${(e as Error).message}`;
      $<HTMLCanvasElement>("tryit-canvas").dataset.state = "error";
    }
  };
  $("tryit-form").addEventListener("submit", (e) => { e.preventDefault(); void run(analyse, "Analysing"); });
  $("tryit-anonymize").addEventListener("click", () => void run(anonymise, "Anonymising"));
}
