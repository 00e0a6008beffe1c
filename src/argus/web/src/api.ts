// The admin token (sessionStorage) and fetch helpers that send it; a 401 sends the user back to
// the login form.
const TOKEN_KEY = "argus-admin-token";

export class ApiError extends Error {
  constructor(public status: number, message: string) {
    super(message);
  }
}

export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (value: string): void => sessionStorage.setItem(TOKEN_KEY, value),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

let onUnauthorized: () => void = () => undefined;
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

/** The message of an Argus (`{error: {message}}`) or seed (`{detail}`) error body. */
export function messageOf(body: unknown, fallback: string): string {
  if (body && typeof body === "object") {
    const b = body as { error?: { message?: string }; detail?: unknown };
    if (b.error?.message) return b.error.message;
    if (typeof b.detail === "string") return b.detail;
    if (Array.isArray(b.detail)) return b.detail.map((d: { msg?: string }) => d.msg ?? "").join("; ");
  }
  return fallback;
}

export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const t = token.get();
  if (t) headers.set("Authorization", `Bearer ${t}`);
  const response = await fetch(path, { ...init, headers });
  if (response.status === 401 && t) {
    token.clear();
    onUnauthorized();
  }
  return response;
}

export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await request(path, init);
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  if (!response.ok) throw new ApiError(response.status, messageOf(body, `${response.status} ${response.statusText}`));
  return body as T;
}

export function postJson<T>(path: string, payload: unknown): Promise<T> {
  return api<T>(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload) });
}

/** Shorthand for document.getElementById with a type. */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`no #${id}`);
  return el as T;
}

export function cell(row: HTMLTableRowElement, content: string | Node): HTMLTableCellElement {
  const td = row.insertCell();
  if (typeof content === "string") td.textContent = content;
  else td.appendChild(content);
  return td;
}

export function when(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString() : "–";
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
