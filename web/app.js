// The dashboard: one UI over two data modules (local: API + server-sent events; cloud:
// Firestore listeners). Pages: setup wizard, account, trades, signal log, activity.
import { makeApi } from "./api.js";
import { askToConfirm } from "./confirm.js";
import { h } from "./dom.js";
import { renderSetup } from "./setup.js";
import { renderAccount, renderTrades, renderLog, renderActivity } from "./pages.js";

const PAGES = ["setup", "account", "trades", "log", "activity"];
const state = { data: null, me: null, unwatch: [] };

async function signIn(config) {
  const match = location.hash.match(/^#login=([A-Za-z0-9_-]+)$/);
  if (match) {
    history.replaceState(null, "", location.pathname);
    const answer = await makeApi(async () => null).post("/api/auth/local", { code: match[1] });
    sessionStorage.setItem("session", JSON.stringify({ token: answer.token, userId: answer.user_id }));
  }
  const saved = JSON.parse(sessionStorage.getItem("session") || "null");
  if (saved) {
    const { connect } = await import("./data-local.js");
    return connect(saved);
  }
  if (config.mode === "cloud") {
    const { cloudSession } = await import("./login-cloud.js");
    return cloudSession(config);
  }
  return null;
}

function show(page) {
  for (const name of ["login", ...PAGES]) document.getElementById(`page-${name}`).hidden = name !== page;
  for (const link of document.querySelectorAll("#nav a")) link.classList.toggle("current", link.dataset.page === page);
}

function route() {
  if (!state.data) return show("login");
  const page = (location.hash.match(/^#\/(\w+)/) || [])[1];
  const chosen = PAGES.includes(page) ? page : state.me && state.me.profile.step === "done" ? "trades" : "setup";
  for (const stop of state.unwatch.splice(0)) stop();
  show(chosen);
  const root = document.getElementById(`page-${chosen}`);
  const render = { setup: renderSetup, account: renderAccount, trades: renderTrades, log: renderLog, activity: renderActivity }[chosen];
  render(root, state, (stop) => state.unwatch.push(stop));
}

function header() {
  const { data } = state;
  const base = `/api/users/${encodeURIComponent(data.userId)}`;
  document.getElementById("nav").hidden = false;
  document.getElementById("status").hidden = false;
  const control = (id, action) => document.getElementById(id).addEventListener("click", async () => {
    try { await data.api.post(`${base}/${action}`); } catch (error) { alert(error.message); }
  });
  control("start", "start");
  control("stop", "stop");
  control("resume", "resume");
  document.getElementById("kill").addEventListener("click", () => askToConfirm("kill-dialog", "KILL",
    () => data.api.post(`${base}/kill`, { confirm: "KILL" })));
  data.watch("profile", {}, (me) => {
    if (!me) return;
    state.me = me;
    const badge = document.getElementById("state-badge");
    const paused = me.paused_reason;
    badge.textContent = paused ? `paused: ${paused.replace(/_/g, " ")}` : me.active ? "copying" : "stopped";
    badge.className = `badge ${paused ? "paused" : me.active ? "on" : "off"}`;
    document.getElementById("start").hidden = me.active;
    document.getElementById("stop").hidden = !me.active;
    // A removed broker account is lifted by connecting one (Setup), not by Resume.
    document.getElementById("resume").hidden = !paused || paused === "broker_not_connected";
  });
  data.watch("usage", {}, (usage) => {
    if (!usage) return;
    const limit = usage.limit === null || usage.limit === undefined ? "∞" : usage.limit;
    document.getElementById("quota").textContent = `today ${usage.used}/${limit}` + (usage.missed ? `, ${usage.missed} missed for quota` : "");
  });
  data.watch("bot", {}, (bot) => {
    if (bot) document.getElementById("bot").textContent = `Telegram: ${bot.state}${bot.detail ? ` (${bot.detail})` : ""}`;
  });
}

async function main() {
  const config = await fetch("/api/config", { cache: "no-store" }).then((r) => r.json());
  document.getElementById("telegram-login").hidden = !config.telegram_login;
  try {
    state.data = await signIn(config);
  } catch (error) {
    document.getElementById("login-error").textContent = error.message;
  }
  if (!state.data) return show("login");
  state.data.start((live) => { document.getElementById("live").textContent = `updates: ${live}`; });
  state.me = await state.data.api.get(`/api/users/${encodeURIComponent(state.data.userId)}`);
  header();
  window.addEventListener("hashchange", route);
  route();
}

main();
