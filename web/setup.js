// The onboarding wizard in the product's order: broker → Telegram → channels → risk → Start.
import { askToConfirm } from "./confirm.js";
import { h } from "./dom.js";
import { riskForm, readRisk, showErrors } from "./forms.js";

const STEPS = [["broker", "Connect MT5"], ["telegram", "Link Telegram"], ["channels", "Pick channels"], ["risk", "Set risk"], ["start", "Start"]];

export function renderSetup(root, state, onStop) {
  const { data } = state;
  const base = `/api/users/${encodeURIComponent(data.userId)}`;
  const step = state.me.profile.step;
  const reached = STEPS.findIndex(([name]) => name === step);
  root.replaceChildren(
    h("h1", {}, "Setup"),
    h("ol", { className: "steps" }, STEPS.map(([name, title], n) =>
      h("li", { className: n < reached || step === "done" ? "done" : n === reached ? "current" : "" }, title))),
    brokerStep(data, base, state),
    telegramStep(data, base, state),
    channelsStep(data, base, state, onStop),
    riskStep(data, base, state),
    startStep(data, base),
  );
}

function section(id, title, ...body) {
  return h("section", { id, className: "card" }, h("h2", {}, title), ...body);
}

function submitter(form, action) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showErrors(form, null);
    form.classList.add("busy");
    try { await action(); } catch (error) { showErrors(form, error); } finally { form.classList.remove("busy"); }
  });
  return form;
}

function field(name, label, attrs = {}) {
  return h("div", { className: "field" },
    h("label", { htmlFor: `f-${name}` }, label),
    h("input", { id: `f-${name}`, name, autocomplete: "off", ...attrs }),
    h("p", { className: "error", dataset: { errorFor: name } }));
}

function brokerStep(data, base, state) {
  const profile = state.me.profile;
  const result = h("div", { id: "broker-result" }, profile.account_id ? `Connected: ${profile.account_id} (${profile.margin_mode})` : "");
  const form = h("form", { id: "broker-form", noValidate: true },
    field("account_id", "MetaAPI account id", { value: profile.account_id || "" }),
    field("token", "MetaAPI token (stored encrypted)", { type: "password" }),
    h("p", { className: "error", dataset: { errorFor: "_" } }),
    h("button", {}, "Verify and connect"), result);
  return section("step-broker", "1. Connect MetaTrader 5", submitter(form, async () => {
    const answer = await data.api.post(`${base}/broker`, { account_id: form.account_id.value, token: form.token.value });
    form.token.value = "";
    result.replaceChildren(
      h("p", { className: "ok" }, `Connected: balance ${answer.balance} ${answer.currency}, ${answer.margin_mode} account.`),
      ...(answer.netting_note ? [h("p", { className: "warning", id: "netting-note" }, answer.netting_note)] : []));
  }));
}

function telegramStep(data, base, state) {
  const status = h("p", { id: "telegram-status" });
  const unlink = h("button", { id: "telegram-unlink", type: "button", className: "danger", hidden: true }, "Unlink Telegram");
  const form = h("form", { id: "telegram-form", noValidate: true });
  let stage = "phone";
  const linked = (yes, note = "") => {
    status.textContent = yes ? "Telegram is linked." : note;
    unlink.hidden = !yes;
    form.hidden = yes;
  };
  const draw = () => {
    const inputs = {
      phone: field("phone", "Phone number (international form)", { placeholder: "+447700900123" }),
      code: field("code", "Login code from the Telegram app", { inputMode: "numeric" }),
      password: field("password", "Two-step verification password", { type: "password" }),
    };
    form.replaceChildren(inputs[stage], h("p", { className: "error", dataset: { errorFor: "_" } }), h("button", {}, stage === "phone" ? "Send code" : "Continue"));
  };
  draw();
  linked(state.me.profile.telegram_linked);
  submitter(form, async () => {
    const value = form.elements[stage].value.trim();
    const answer = await data.api.post(`${base}/telegram/${stage}`, { [stage]: value });
    if (answer.stage === "linked") { stage = "phone"; linked(true); }
    else { stage = answer.stage === "password_needed" ? "password" : "code"; status.textContent = answer.hint; }
    draw();
  });
  unlink.addEventListener("click", () => askToConfirm("unlink-dialog", "UNLINK", async () => {
    const answer = await data.api.del(`${base}/telegram/session`);
    state.me.profile.telegram_linked = false;
    const channels = answer.unfollowed === 1 ? "1 channel was" : `${answer.unfollowed} channels were`;
    const ended = answer.session === "not_reached"
      ? " Telegram could not be reached to end the session: end it in Telegram, Settings → Devices."
      : answer.session === "logged_out" ? " Telegram ended the session: it opens nothing any more." : "";
    linked(false, `Telegram is not linked: your session was deleted and ${channels} unfollowed.${ended}`);
  }));
  return section("step-telegram", "2. Link Telegram", status, unlink, form);
}

function channelsStep(data, base, state, onStop) {
  const list = h("div", { id: "chat-list" });
  const error = h("p", { className: "error", id: "channels-error", role: "alert" });
  const limit = state.me.channel_limit;
  // A follow or unfollow still on its way: a redraw from a read that began before it landed
  // shows the box as the user left it, not as it was.
  const pending = new Map();
  const toggle = async (chatId, want) => {
    error.textContent = "";
    pending.set(chatId, want);
    const path = `${base}/channels/${encodeURIComponent(chatId)}`;
    try { want ? await data.api.put(path, {}) : await data.api.del(path); }
    catch (problem) {
      error.textContent = problem.message;
      const box = list.querySelector(`input[data-chat="${CSS.escape(chatId)}"]`);
      if (box) box.checked = !want;
    } finally { pending.delete(chatId); }
  };
  onStop(data.watch("chats", {}, (answer) => {
    if (!answer) return;
    list.replaceChildren(...answer.chats.map((chat) => h("label", { className: "chat" },
      h("input", { type: "checkbox", checked: pending.get(chat.chat_id) ?? chat.followed, dataset: { chat: chat.chat_id },
        onchange: (event) => toggle(chat.chat_id, event.target.checked) }),
      ` ${chat.title || chat.chat_id} `, h("span", { className: "muted" }, chat.chat_id))));
    if (!answer.chats.length) list.append(h("p", { className: "muted" }, "No chats yet: the listener lists your chats once Telegram is linked."));
  }));
  return section("step-channels", "3. Pick channels", h("p", { className: "muted" }, limit ? `Your plan follows at most ${limit} channels.` : "Your plan follows any number of channels."), list, error);
}

function riskStep(data, base, state) {
  const holder = h("div", {}, "Loading the form…");
  const previewBox = h("div", { id: "preview", className: "preview" });
  const sample = h("textarea", { id: "preview-text", rows: 3, placeholder: "Optional: paste a signal to preview, e.g. XAUUSD BUY 2650 SL 2640 TP 2660" });
  fetch("/api/schema/settings").then((r) => r.json()).then((schema) => {
    const form = riskForm(schema, state.me.settings);
    form.append(h("p", { className: "error", dataset: { errorFor: "_" } }), h("button", { id: "risk-save" }, "Save risk settings"), h("span", { id: "risk-saved", className: "ok" }));
    let timer = null;
    const preview = async () => {
      try {
        const answer = await data.api.post(`${base}/preview`, { settings: readRisk(form, state.me.settings), text: sample.value || null });
        showErrors(form, null);
        previewBox.replaceChildren(...renderPreview(answer));
      } catch (error) {
        showErrors(form, error);
        previewBox.replaceChildren(h("p", { className: "muted" }, `No preview: ${error.message}`));
      }
    };
    const soon = () => { clearTimeout(timer); timer = setTimeout(preview, 300); };
    form.addEventListener("input", soon);
    sample.addEventListener("input", soon);
    submitter(form, async () => {
      const answer = await data.api.put(`${base}/settings`, readRisk(form, state.me.settings));
      state.me.settings = answer.settings;
      form.querySelector("#risk-saved").textContent = " Saved.";
    });
    holder.replaceChildren(form);
    if (state.me.profile.account_id) preview();
  });
  return section("step-risk", "4. Set risk", holder, h("h3", {}, "Live preview on your account"), sample, previewBox);
}

function renderPreview(answer) {
  const head = h("p", {}, `Sample: ${answer.signal} (bid ${answer.quote.bid} / ask ${answer.quote.ask}), balance ${answer.balance} ${answer.currency}`);
  if (answer.skip) return [head, h("p", { className: "warning", id: "preview-skip" }, `Would be skipped: ${answer.skip.reason.replace(/_/g, " ")} — ${answer.skip.detail}`)];
  return [head, h("ul", { id: "preview-orders" }, answer.orders.map((o) =>
    h("li", {}, `${o.side} ${o.volume} ${o.symbol} ${o.type}${o.price ? ` @ ${o.price}` : ""}, SL ${o.sl ?? "none"}, TP ${o.tp ?? "none"}`))),
    h("p", {}, `Total ${answer.total_volume} lots.`)];
}

function startStep(data, base) {
  const note = h("p", { className: "error", dataset: { errorFor: "_" } });
  const form = h("form", { id: "start-form" }, h("p", {}, "Press Start to copy every new signal of your channels."), note, h("button", { id: "wizard-start" }, "Start copying"));
  return section("step-start", "5. Start", submitter(form, async () => {
    await data.api.post(`${base}/start`);
    location.hash = "#/trades";
  }));
}
