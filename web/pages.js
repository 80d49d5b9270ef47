// The live pages: account, trades, signal log, activity. Each re-renders when its data changes.
import { askToConfirm } from "./confirm.js";
import { h, table, when } from "./dom.js";

const reason = (text) => (text || "").replace(/_/g, " ");

export function renderAccount(root, state, onStop) {
  const body = h("div", { id: "account" }, "Loading…");
  let stop = null;
  const read = () => {
    if (stop) stop();
    stop = state.data.watch("account", {}, show);
  };
  // Built once and only shown or hidden: live updates redraw the facts below many times a
  // second during a replay, and a button replaced between press and release loses the click.
  const actions = h("div", { id: "broker-actions", hidden: true }, disconnectCard(state, read));
  root.replaceChildren(h("h1", {}, "Account"), body, actions);
  onStop(() => stop && stop());
  function show(account, error) {
    if (error) return body.replaceChildren(h("p", { className: "error" }, error.message));
    actions.hidden = account.connection === "not_connected";
    if (account.connection === "not_connected") return body.replaceChildren(noBroker());
    if (account.connection !== "connected") return body.replaceChildren(h("p", { className: "warning" }, `Not connected: ${account.detail}`));
    body.replaceChildren(
      h("dl", { className: "facts" },
        h("dt", {}, "Connection"), h("dd", { id: "connection" }, account.connection),
        h("dt", {}, "Balance"), h("dd", { id: "balance" }, `${account.balance} ${account.currency}`),
        h("dt", {}, "Equity"), h("dd", { id: "equity" }, `${account.equity} ${account.currency}`),
        h("dt", {}, "Account"), h("dd", {}, `${account.account_id} (${account.margin_mode})`)),
      h("h2", {}, "Open copied positions"),
      table([["Symbol", (p) => p.symbol], ["Side", (p) => p.side], ["Volume", (p) => p.volume], ["Open", (p) => p.open_price],
        ["SL", (p) => p.sl ?? "—"], ["TP", (p) => p.tp ?? "—"], ["P&L", (p) => p.pnl]], account.positions, "No copied positions are open."));
  }
  read();
}

function noBroker() {
  return h("div", { id: "no-broker", className: "card" },
    h("p", { className: "warning" }, "No MetaTrader account is connected: new signals are skipped (broker not connected) until you connect one in ",
      h("a", { href: "#/setup" }, "Setup"), "."),
    h("p", { className: "muted" }, "Positions and orders already on your account were left as they are; the copier does not manage them."));
}

function disconnectCard(state, reread) {
  const base = `/api/users/${encodeURIComponent(state.data.userId)}`;
  const button = h("button", { id: "broker-disconnect", type: "button", className: "danger" }, "Disconnect");
  button.addEventListener("click", () => askToConfirm("disconnect-dialog", "DISCONNECT", async () => {
    await state.data.api.del(`${base}/broker`);
    reread(); // at once (the cloud module polls the account only every few seconds)
  }));
  return h("section", { className: "card" }, h("h2", {}, "MetaTrader account"),
    h("p", { className: "muted" }, "Disconnecting removes your MetaAPI token from the copier. Open positions are not touched."), button);
}

export function renderTrades(root, state, onStop) {
  const body = h("div", { id: "trades" });
  root.replaceChildren(h("h1", {}, "Trades"), h("p", { className: "muted" }, "Everything done for you, skips included, each with the message that caused it."), body);
  onStop(state.data.watch("trades", {}, (answer, error) => {
    if (error) return body.replaceChildren(h("p", { className: "error" }, error.message));
    body.replaceChildren(table([
      ["When", (t) => when(t.recorded_at)], ["Message", (t) => h("pre", { className: "message" }, t.text || `${t.chat_id} #${t.message_id}`)],
      ["Action", (t) => t.kind], ["Symbol", (t) => `${t.side} ${t.symbol}`.trim()], ["Lots", (t) => t.volume],
      ["Outcome", (t) => h("span", { className: `status ${t.status}` }, t.status)],
      ["Why", (t) => (t.reason ? h("span", { className: "reason" }, `${reason(t.reason)}: ${t.detail}`) : t.detail)],
    ], answer.trades.map((t) => ({ ...t, dataset: { status: t.status, reason: t.reason } })), "No trades yet: they appear here as your channels post."));
  }));
}

export function renderLog(root, state, onStop) {
  const picker = h("select", { id: "log-chat" });
  const body = h("div", { id: "signal-log" });
  root.replaceChildren(h("h1", {}, "Signal log"), h("p", { className: "muted" }, "Every message of your channels: what was read, and beside it what was done for you and why."), picker, body);
  let stopLog = null;
  const open = (chat) => {
    if (stopLog) stopLog();
    stopLog = state.data.watch("log", { chat }, (answer, error) => {
      if (error) return body.replaceChildren(h("p", { className: "error" }, error.message));
      body.replaceChildren(table([
        ["When", (e) => when(e.date)], ["Message", (e) => h("pre", { className: "message" }, e.text)],
        ["Read as", (e) => h("div", {}, h("strong", {}, e.kind === "none" ? `nothing (${reason(e.reason)})` : e.kind), h("ul", { className: "explain" }, (e.explain || []).map((line) => h("li", {}, line))))],
        ["Done for you", (e) => (e.outcomes.length ? h("ul", { className: "outcomes" }, e.outcomes.map((o) => h("li", { className: `status ${o.status}` }, `${o.status}${o.reason ? ` — ${reason(o.reason)}: ${o.detail}` : ""}`))) : h("span", { className: "muted" }, "—"))],
      ], answer.entries.map((e) => ({ ...e, dataset: { kind: e.kind, message: String(e.message_id) } })), "No messages yet."));
    });
  };
  onStop(() => stopLog && stopLog());
  onStop(state.data.watch("chats", {}, (answer) => {
    if (!answer) return;
    const followed = answer.chats.filter((c) => c.followed);
    const current = picker.value;
    picker.replaceChildren(...followed.map((c) => new Option(c.title || c.chat_id, c.chat_id)));
    if (!followed.length) return body.replaceChildren(h("p", { className: "muted" }, "Follow a channel in Setup to see its log."));
    picker.value = followed.some((c) => c.chat_id === current) ? current : followed[0].chat_id;
    if (picker.value !== current) open(picker.value);
  }));
  picker.addEventListener("change", () => open(picker.value));
}

export function renderActivity(root, state, onStop) {
  const body = h("div", { id: "activity" });
  root.replaceChildren(h("h1", {}, "Activity"), h("p", { className: "muted" }, "Every change to your credentials, links, settings and controls: who, what, when and from where."), body);
  onStop(state.data.watch("activity", {}, (answer, error) => {
    if (error) return body.replaceChildren(h("p", { className: "error" }, error.message));
    body.replaceChildren(table([["When", (a) => when(a.at)], ["What", (a) => reason(a.action)],
      ["Details", (a) => Object.entries(a.detail || {}).map(([k, v]) => `${k}: ${v}`).join(", ")], ["From", (a) => a.ip]],
    answer.activity, "Nothing yet."));
  }));
}
