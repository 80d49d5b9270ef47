// Local data module: reads through the API and refreshes when the server's change feed
// (server-sent events over fetch, so the token stays in a header) names a topic.
import { makeApi } from "./api.js";

const SPACING_MS = 500;
const TOPIC_PATHS = {
  profile: "", trades: "/trades", usage: "/usage", bot: "/bot", activity: "/activity",
  chats: "/chats", account: "/account",
};

export async function connect({ userId, token }) {
  const api = makeApi(async () => token);
  const base = `/api/users/${encodeURIComponent(userId)}`;
  const watchers = new Set();
  const abort = new AbortController();

  function pathOf(topic, params) {
    if (topic === "log") return `${base}/log?chat=${encodeURIComponent(params.chat)}`;
    return base + TOPIC_PATHS[topic];
  }
  // One read at a time per watcher, at most one every SPACING_MS: a burst of changes (a fast
  // replay names a topic many times a second) costs one read now and one for the rest, not one
  // each, so the page never floods its own API's rate limits.
  async function refresh(watcher) {
    if (watcher.busy) { watcher.again = true; return; }
    watcher.busy = true;
    const began = Date.now();
    try {
      watcher.callback(await api.get(pathOf(watcher.topic, watcher.params)), null);
    } catch (error) {
      watcher.callback(null, error);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, SPACING_MS - (Date.now() - began))));
    watcher.busy = false;
    if (watcher.again && watchers.has(watcher)) { watcher.again = false; refresh(watcher); }
  }
  async function follow(onState) {
    while (!abort.signal.aborted) {
      try {
        const response = await fetch(`${base}/events`, {
          headers: { Authorization: `Bearer ${token}`, Accept: "text/event-stream" },
          signal: abort.signal, cache: "no-store",
        });
        if (!response.ok) throw new Error(`events: HTTP ${response.status}`);
        onState("live");
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let cut;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const data = block.split("\n").find((line) => line.startsWith("data: "));
            if (!data) continue;
            const topics = new Set(JSON.parse(data.slice(6)));
            for (const watcher of watchers) if (topics.has(watcher.topic)) refresh(watcher);
          }
        }
      } catch (error) {
        if (abort.signal.aborted) return;
        onState("reconnecting");
      }
      await new Promise((resolve) => setTimeout(resolve, 2000));
      for (const watcher of watchers) refresh(watcher); // catch up on what a gap missed
    }
  }

  return {
    mode: "local",
    userId,
    api,
    watch(topic, params, callback) {
      const watcher = { topic, params: params || {}, callback };
      watchers.add(watcher);
      refresh(watcher);
      return () => watchers.delete(watcher);
    },
    start(onState) { follow(onState); },
    close() { abort.abort(); },
  };
}
