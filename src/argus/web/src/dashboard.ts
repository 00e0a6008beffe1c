// Dashboard: the figures of GET /api/v1/admin/overview as cards, charts and a latency table.
import { Chart, registerables, type ChartConfiguration } from "chart.js";
import { $, api, cell } from "./api";

Chart.register(...registerables);
Chart.defaults.animation = false;

interface RouteFigures {
  route: string; method: string; capability: string; count: number; errors: number;
  client_errors: number; p50_ms: number; p95_ms: number; p99_ms: number;
}
interface Seed000 {
  available: boolean; note: string | null;
  requests?: { total_requests: number; by_method: Record<string, number> };
  cache?: { cost_saved: number; times_saved: number };
  categories?: { category: string; count: number }[];
  inference_methods?: Record<string, number>;
}
export interface Overview {
  days: number;
  requests: { total: number; platform: number; by_capability: Record<string, number>; by_day: { day: string; by_capability: Record<string, number> }[] };
  latency: RouteFigures[];
  cache: { entries: number; hits: number; size_bytes: number; hit_rate: number };
  jobs: Record<string, number>;
  seed000: Seed000;
}

const PALETTE = ["#2f6fed", "#f59f00", "#2e7d32", "#c62828", "#7b1fa2", "#00838f", "#6d4c41", "#546e7a", "#ad1457", "#9e9d24"];
const charts = new Map<string, Chart>();

function draw(id: string, config: ChartConfiguration): void {
  charts.get(id)?.destroy();
  charts.set(id, new Chart($<HTMLCanvasElement>(id), config));
}

function setStat(id: string, value: string | number, raw?: number): void {
  const el = $(id);
  el.textContent = String(value);
  el.dataset.value = String(raw ?? value);
}

function pie(id: string, emptyId: string, entries: [string, number][]): void {
  const empty = entries.length === 0;
  $(emptyId).hidden = !empty;
  $(id).hidden = empty;
  draw(id, {
    type: "doughnut",
    data: { labels: entries.map((e) => e[0]), datasets: [{ data: entries.map((e) => e[1]), backgroundColor: PALETTE }] },
    options: { plugins: { legend: { position: "right" } } },
  });
}

export async function loadDashboard(): Promise<Overview> {
  const o = await api<Overview>("/api/v1/admin/overview");
  setStat("stat-requests", o.requests.total.toLocaleString(), o.requests.total);
  setStat("stat-platform", o.requests.platform.toLocaleString(), o.requests.platform);
  setStat("stat-hit-rate", `${(o.cache.hit_rate * 100).toFixed(1)} %`, o.cache.hit_rate);
  $("stat-cache-entries").textContent = `${o.cache.entries} entries, ${o.cache.hits} hits`;
  const seed = o.seed000;
  $("seed-note").textContent = seed.note ?? "";
  setStat("stat-classify", seed.requests ? seed.requests.total_requests : "n/a", seed.requests?.total_requests ?? -1);
  setStat("stat-cost-saved", seed.cache ? `$${seed.cache.cost_saved.toFixed(2)}` : "n/a", seed.cache?.cost_saved ?? -1);
  setStat("stat-jobs", `${o.jobs.pending ?? 0} / ${o.jobs.running ?? 0}`);

  const caps = Object.keys(o.requests.by_capability);
  draw("chart-daily", {
    type: "bar",
    data: {
      labels: o.requests.by_day.map((d) => d.day.slice(5)),
      datasets: caps.map((cap, i) => ({
        label: cap, data: o.requests.by_day.map((d) => d.by_capability[cap] ?? 0), backgroundColor: PALETTE[i % PALETTE.length],
      })),
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
  });
  pie("chart-categories", "empty-categories", (seed.categories ?? []).map((c) => [c.category, c.count]));
  pie("chart-methods", "empty-methods", Object.entries(seed.requests?.by_method ?? {}).filter((e) => e[1] > 0));
  $("methods-today").textContent = Object.entries(seed.inference_methods ?? {})
    .map(([k, v]) => `${k.replace(/_/g, " ")} ${v}`).join(" · ");
  draw("chart-jobs", {
    type: "bar",
    data: { labels: Object.keys(o.jobs), datasets: [{ label: "jobs", data: Object.values(o.jobs), backgroundColor: PALETTE }] },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });

  const body = $<HTMLTableElement>("latency-table").tBodies[0];
  body.replaceChildren();
  for (const r of o.latency) {
    const row = body.insertRow();
    for (const v of [r.route, r.method, r.capability, String(r.count), String(r.errors + r.client_errors)]) cell(row, v);
    for (const v of [r.p50_ms, r.p95_ms, r.p99_ms]) cell(row, v.toFixed(1));
  }
  $("dash-updated").textContent = `Updated ${new Date().toLocaleTimeString()}`;
  $("dashboard").dataset.loaded = "true";
  return o;
}
