// Cloud data module: Firestore listeners on the documents the rules let the user read, shaped
// like the local API's answers so one UI serves both. The account (broker) comes from the API.
import { initializeApp } from "https://www.gstatic.com/firebasejs/13.2.0/firebase-app.js";
import {
  getFirestore, connectFirestoreEmulator, doc, collection, query, where, orderBy, limit, onSnapshot,
} from "/__/firebase/13.2.0/firebase-firestore.js";
import { makeApi } from "./api.js";

const ACCOUNT_EVERY_MS = 10000;

export async function connect({ firebaseConfig, userId, getToken, emulator }) {
  const app = initializeApp(firebaseConfig, `copier-${userId}`);
  const db = getFirestore(app);
  if (emulator) {
    connectFirestoreEmulator(db, emulator.host, emulator.port, { mockUserToken: emulator.mockUserToken });
  }
  const api = makeApi(getToken);
  const user = (...path) => doc(db, "users", userId, ...path);
  const mine = (...path) => collection(db, "users", userId, ...path);
  const listen = (ref, map, callback) =>
    onSnapshot(ref, (snap) => callback(map(snap), null), (error) => callback(null, error));

  const topics = {
    profile(params, callback) {
      let top = null, profile = null;
      const emit = () => top !== null && profile !== null && callback(shapeUser(userId, top, profile), null);
      const a = listen(user(), (s) => s.data() || {}, (v, e) => (e ? callback(null, e) : ((top = v), emit())));
      const b = listen(user("web", "profile"), (s) => s.data() || {}, (v, e) => (e ? callback(null, e) : ((profile = v), emit())));
      return () => { a(); b(); };
    },
    trades(params, callback) {
      const q = query(mine("trades"), orderBy("recorded_at", "desc"), limit(200));
      return listen(q, (s) => ({ trades: s.docs.map((d) => tradeRow(d.data())) }), callback);
    },
    usage(params, callback) {
      const period = new Date().toISOString().slice(0, 10);
      return listen(user("usage", period), (s) => ({ period, used: 0, missed: 0, ...(s.data() || {}) }), callback);
    },
    bot(params, callback) {
      return listen(user("bot", "status"), (s) => s.data() || { state: "unlinked", detail: "" }, callback);
    },
    activity(params, callback) {
      const q = query(mine("activity"), orderBy("at", "desc"), limit(100));
      return listen(q, (s) => ({ activity: s.docs.map((d) => d.data()) }), callback);
    },
    chats(params, callback) {
      let chats = null, followed = null;
      const emit = () => chats && followed && callback({ chats: chats.map((c) => ({ ...c, followed: followed.has(c.chat_id) })) }, null);
      const a = listen(mine("chats"), (s) => s.docs.map((d) => ({ chat_id: d.id, ...d.data() })), (v, e) => (e ? callback(null, e) : ((chats = v), emit())));
      const b = listen(mine("channels"), (s) => new Set(s.docs.map((d) => d.id)), (v, e) => (e ? callback(null, e) : ((followed = v), emit())));
      return () => { a(); b(); };
    },
    log(params, callback) {
      let entries = null, outcomes = null;
      const emit = () => entries && outcomes && callback({ entries: entries.map((e) => ({ ...e, outcomes: outcomes.get(e.key) || [] })) }, null);
      const q = query(collection(db, "chats", params.chat, "log"), orderBy("message_id", "desc"), limit(50));
      const a = listen(q, (s) => s.docs.map((d) => ({ key: d.id, ...d.data() })), (v, e) => (e ? callback(null, e) : ((entries = v), emit())));
      const t = query(mine("trades"), where("intent.chat_id", "==", params.chat));
      const b = listen(t, (s) => groupByMessage(s.docs.map((d) => tradeRow(d.data()))), (v, e) => (e ? callback(null, e) : ((outcomes = v), emit())));
      return () => { a(); b(); };
    },
    account(params, callback) {
      const read = () => api.get(`/api/users/${encodeURIComponent(userId)}/account`).then((v) => callback(v, null), (e) => callback(null, e));
      read();
      const timer = setInterval(read, ACCOUNT_EVERY_MS);
      return () => clearInterval(timer);
    },
  };

  return {
    mode: "cloud",
    userId,
    api,
    watch(topic, params, callback) { return topics[topic](params || {}, callback); },
    start(onState) { onState("live"); },
    close() {},
  };
}

function shapeUser(userId, top, profile) {
  return {
    user_id: userId, mode: "cloud", profile: { user_id: userId, step: "broker", ...profile },
    plan: top.plan || "free", channel_limit: (top.plan || "free") === "free" ? 2 : null,
    active: Boolean(top.active), paused_reason: top.paused_reason || "", settings: top.settings || {},
  };
}

export function tradeRow(record) {
  const intent = record.intent || {}, result = record.result || {};
  const signal = record.current || intent.signal || null;
  const volume = (result.fills || []).reduce((sum, f) => sum + Number(f.volume || 0), 0);
  return {
    intent_id: intent.id, kind: intent.kind, chat_id: intent.chat_id, message_id: intent.message_id,
    version: intent.version, status: result.status, reason: result.reason || "", detail: result.detail || "",
    symbol: result.symbol || (signal ? signal.symbol : ""), side: signal ? signal.side : "",
    volume: String(volume), recorded_at: record.recorded_at, text: "",
  };
}

function groupByMessage(rows) {
  const map = new Map();
  for (const row of rows) {
    const key = `${row.chat_id}:${row.message_id}:${row.version}`;
    if (!map.has(key)) map.set(key, []);
    map.get(key).push(row);
  }
  return map;
}
