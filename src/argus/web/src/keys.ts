// Keys and jobs: create (secret shown once) and revoke API keys; recent jobs of every tenant.
import { $, ApiError, api, cell, postJson, request, when } from "./api";

interface KeyInfo {
  id: number; tenant: string; name: string; prefix: string; rate_limit_per_min: number | null;
  created_at: string; last_used_at: string | null; revoked_at: string | null;
}
interface JobSummary {
  job_id: string; kind: string; status: string; progress: { done: number; total: number };
  error: string | null; created_at: string;
}

async function loadKeys(): Promise<void> {
  const keys = await api<KeyInfo[]>("/api/v1/keys");
  const body = $<HTMLTableElement>("keys-table").tBodies[0];
  body.replaceChildren();
  for (const k of keys) {
    const row = body.insertRow();
    row.dataset.keyId = String(k.id);
    row.dataset.revoked = String(k.revoked_at !== null);
    for (const v of [String(k.id), k.name, k.tenant, k.prefix, String(k.rate_limit_per_min ?? "default"), when(k.created_at), when(k.last_used_at)]) cell(row, v);
    cell(row, k.revoked_at ? `revoked ${when(k.revoked_at)}` : "live");
    const action = cell(row, "");
    if (!k.revoked_at) {
      const button = document.createElement("button");
      button.className = "danger";
      button.textContent = "Revoke";
      button.dataset.revoke = String(k.id);
      button.addEventListener("click", async () => {
        if (!confirm(`Revoke key ${k.name} (${k.prefix}…)? Requests with it will be refused.`)) return;
        try {
          await api(`/api/v1/keys/${k.id}`, { method: "DELETE" });
        } catch (e) {
          $("key-error").textContent = (e as ApiError).message;
        }
        await loadKeys();
      });
      action.appendChild(button);
    }
  }
}

async function showJob(id: string): Promise<void> {
  const pre = $("job-detail");
  const files = $("job-files");
  pre.hidden = false;
  files.replaceChildren();
  try {
    const job = await api<{ files?: { name: string; url: string }[] }>(`/api/v1/jobs/${id}`);
    pre.textContent = JSON.stringify(job, null, 2);
    for (const f of job.files ?? []) {
      // Output files need the admin token, so they are fetched and opened as blobs.
      const link = document.createElement("a");
      link.href = "#";
      link.textContent = f.name;
      link.dataset.file = f.name;
      link.addEventListener("click", async (e) => {
        e.preventDefault();
        const blob = await (await request(f.url)).blob();
        window.open(URL.createObjectURL(blob), "_blank");
      });
      files.append(link, " ");
    }
  } catch (e) {
    pre.textContent = `Job ${id}: ${(e as Error).message} (jobs of other tenants are visible to their own keys).`;
  }
}

async function loadJobs(): Promise<void> {
  const jobs = await api<JobSummary[]>("/api/v1/admin/jobs?limit=50");
  const body = $<HTMLTableElement>("jobs-table").tBodies[0];
  body.replaceChildren();
  for (const j of jobs) {
    const row = body.insertRow();
    row.dataset.jobId = j.job_id;
    const link = document.createElement("a");
    link.href = `#job-${j.job_id}`;
    link.textContent = j.job_id;
    link.addEventListener("click", (e) => { e.preventDefault(); void showJob(j.job_id); });
    cell(row, link);
    for (const v of [j.kind, j.status, `${j.progress.done}/${j.progress.total}`, when(j.created_at), j.error ?? ""]) cell(row, v);
  }
  if (!jobs.length) cell(body.insertRow(), "No jobs yet.");
}

export async function loadKeysAndJobs(): Promise<void> {
  await Promise.all([loadKeys(), loadJobs()]);
}

export function initKeys(): void {
  $("key-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    $("key-error").textContent = "";
    const rate = $<HTMLInputElement>("key-rate").value;
    try {
      const created = await postJson<{ secret: string }>("/api/v1/keys", {
        name: $<HTMLInputElement>("key-name").value,
        tenant: $<HTMLInputElement>("key-tenant").value,
        rate_limit_per_min: rate ? Number(rate) : null,
      });
      $("key-secret").textContent = created.secret;
      $("key-secret-box").hidden = false;
      await loadKeys();
    } catch (err) {
      $("key-error").textContent = (err as Error).message;
    }
  });
}
