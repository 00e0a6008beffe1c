// Entry point: login form, section switching and each section's first load.
import { $, api, ApiError, messageOf, postJson, token, whenUnauthorized } from "./api";
import { loadDashboard } from "./dashboard";
import { initKeys, loadKeysAndJobs } from "./keys";
import { loadModels } from "./models";
import { initTryIt } from "./tryit";

const SECTIONS = ["dashboard", "tryit", "models", "keys"] as const;
type Section = (typeof SECTIONS)[number];
const LOADERS: Record<Section, () => Promise<unknown>> = {
  dashboard: loadDashboard, tryit: async () => undefined, models: loadModels, keys: loadKeysAndJobs,
};

function show(section: Section | "login"): void {
  const loggedIn = section !== "login";
  $("nav").hidden = !loggedIn;
  $("login").hidden = loggedIn;
  for (const s of SECTIONS) $(s).hidden = s !== section;
  document.querySelectorAll<HTMLButtonElement>("nav button[data-section]").forEach((b) =>
    b.classList.toggle("active", b.dataset.section === section));
  document.body.dataset.section = section;
  if (loggedIn) {
    LOADERS[section]().catch((e: Error) => {
      if (!(e instanceof ApiError && e.status === 401)) console.error(e);
    });
  }
}

async function login(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const error = $("login-error");
  error.textContent = "";
  try {
    const answer = await postJson<{ access_token: string }>("/api/v1/auth/login", {
      username: $<HTMLInputElement>("login-username").value,
      password: $<HTMLInputElement>("login-password").value,
    });
    token.set(answer.access_token);
    show("dashboard");
  } catch (e) {
    error.textContent = e instanceof ApiError ? e.message : messageOf(null, "Cannot reach the server.");
  }
}

/** First run: with no admin password yet, the set-up form replaces the sign-in form. */
async function offerSetup(): Promise<boolean> {
  const state = await api<{ needed: boolean; username: string }>("/api/v1/auth/setup").catch(() => null);
  if (!state?.needed) return false;
  const fromLink = /^#setup=(.+)$/.exec(location.hash);
  if (fromLink) $<HTMLInputElement>("setup-token").value = decodeURIComponent(fromLink[1]);
  $<HTMLInputElement>("setup-username").value = state.username;
  $("login-form").hidden = true;
  $("setup-form").hidden = false;
  show("login");
  return true;
}

async function setup(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const error = $("setup-error");
  error.textContent = "";
  const password = $<HTMLInputElement>("setup-password").value;
  if (password !== $<HTMLInputElement>("setup-again").value) {
    error.textContent = "The two passwords differ.";
    return;
  }
  try {
    const answer = await postJson<{ access_token: string }>("/api/v1/auth/setup", {
      token: $<HTMLInputElement>("setup-token").value.trim(),
      password,
    });
    token.set(answer.access_token);
    history.replaceState(null, "", location.pathname);  // the spent token leaves the address bar
    $("setup-form").hidden = true;
    $("login-form").hidden = false;
    show("dashboard");
  } catch (e) {
    error.textContent = e instanceof ApiError ? e.message : messageOf(null, "Cannot reach the server.");
  }
}

function start(): void {
  whenUnauthorized(() => {
    show("login");
    $("login-error").textContent = "Your session ended: sign in again.";
  });
  $<HTMLFormElement>("login-form").addEventListener("submit", (e) => void login(e));
  $<HTMLFormElement>("setup-form").addEventListener("submit", (e) => void setup(e));
  document.querySelectorAll<HTMLButtonElement>("nav button[data-section]").forEach((b) =>
    b.addEventListener("click", () => show(b.dataset.section as Section)));
  $("logout").addEventListener("click", async () => {
    await postJson("/api/v1/auth/logout", {}).catch(() => undefined);
    token.clear();
    show("login");
  });
  $("dash-refresh").addEventListener("click", () => void loadDashboard());
  initTryIt();
  initKeys();
  if (token.get()) show("dashboard");
  else void offerSetup().then((offered) => { if (!offered) show("login"); });
}

start();
