// Models: the catalog (GET /api/v1/models) and pulls started and followed through the admin API.
import { $, ApiError, api, cell, sleep } from "./api";

interface ModelInfo {
  name: string; task: string; license: string; builtin: boolean; installed: boolean; loaded: boolean;
  providers: string[]; memory_mb: number; pull_command: string | null; download: Pull | null;
}
interface Pull { status: string; bytes_done: number; bytes_total: number | null; error: string | null }

function pill(yes: boolean): HTMLElement {
  const span = document.createElement("span");
  span.className = `pill ${yes ? "yes" : "no"}`;
  span.textContent = yes ? "yes" : "no";
  return span;
}

async function follow(name: string, box: HTMLElement): Promise<void> {
  const bar = document.createElement("progress");
  const text = document.createElement("span");
  box.replaceChildren(bar, text);
  for (;;) {
    const p = await api<Pull>(`/api/v1/admin/models/${name}/pull`);
    if (p.bytes_total) { bar.max = p.bytes_total; bar.value = p.bytes_done; }
    text.textContent = ` ${(p.bytes_done / 1e6).toFixed(1)} MB ${p.status}`;
    box.dataset.pull = p.status;
    if (p.status === "failed") {
      // A stopped bar, not an indeterminate one still moving, then a way to try again.
      const stopped = document.createElement("span");
      stopped.className = "error";
      stopped.textContent = `failed: ${p.error ?? "unknown error"} `;
      const retry = document.createElement("button");
      retry.textContent = "Retry";
      retry.className = "secondary";
      retry.dataset.retry = name;
      retry.addEventListener("click", () => void pull(name, box, retry));
      box.replaceChildren(stopped, retry);
      return;
    }
    if (p.status === "completed") { await loadModels(); return; }
    await sleep(1000);
  }
}

/** Start (or restart) a pull and follow it in ``box``; errors go to #models-error. */
async function pull(name: string, box: HTMLElement, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  $("models-error").textContent = "";
  try {
    await api(`/api/v1/admin/models/${name}/pull`, { method: "POST" });
    await follow(name, box);
  } catch (e) {
    $("models-error").textContent = `${name}: ${(e as ApiError).message}`;
    button.disabled = false;
  }
}

export async function loadModels(): Promise<void> {
  const list = await api<{ models: ModelInfo[]; available_providers: string[] }>("/api/v1/models");
  $("models-providers").textContent = `Execution providers available: ${list.available_providers.join(", ")}`;
  const body = $<HTMLTableElement>("models-table").tBodies[0];
  body.replaceChildren();
  for (const m of list.models) {
    const row = body.insertRow();
    row.dataset.model = m.name;
    cell(row, m.name);
    cell(row, m.task);
    cell(row, pill(m.installed));
    cell(row, pill(m.loaded));
    cell(row, m.providers.join(", ") || "–");
    cell(row, `${m.memory_mb.toFixed(0)} MB`);
    cell(row, m.license);
    const action = cell(row, m.builtin ? "built-in" : "");
    if (!m.installed && m.download?.status === "running") {
      // a pull started by a request's first use of the model (or by this page earlier)
      void follow(m.name, action);
    } else if (!m.installed && m.builtin) {
      action.textContent = `not installed: ${m.pull_command ?? ""}`;
    } else if (!m.installed) {
      const button = document.createElement("button");
      button.textContent = "Pull";
      button.className = "secondary";
      button.addEventListener("click", () => void pull(m.name, action, button));
      action.appendChild(button);
    }
  }
}
