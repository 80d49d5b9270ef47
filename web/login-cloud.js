// Cloud sign-in: Log In With Telegram (OpenID Connect, verified by the API), then Firebase Auth
// with the custom token the API minted; API calls carry the Firebase ID token.
import { initializeApp } from "https://www.gstatic.com/firebasejs/13.2.0/firebase-app.js";
import { getAuth, onAuthStateChanged, signInWithCustomToken } from "/__/firebase/13.2.0/firebase-auth.js";
import { makeApi } from "./api.js";

export async function cloudSession() {
  const firebaseConfig = await fetch("/__/firebase/init.json").then((r) => r.json());
  const auth = getAuth(initializeApp(firebaseConfig));
  const api = makeApi(async () => null);
  const params = new URLSearchParams(location.search);
  if (params.get("code") && params.get("state")) {
    history.replaceState(null, "", location.pathname);
    const answer = await api.post("/api/auth/telegram/callback", { code: params.get("code"), state: params.get("state") });
    await signInWithCustomToken(auth, answer.token);
  }
  const user = await new Promise((resolve) => { const stop = onAuthStateChanged(auth, (u) => { stop(); resolve(u); }); });
  const button = document.getElementById("telegram-login");
  button.addEventListener("click", async () => {
    const answer = await api.post("/api/auth/telegram/start");
    location.assign(answer.url);
  });
  if (!user) return null;
  const { connect } = await import("./data-cloud.js");
  return connect({ firebaseConfig, userId: user.uid, getToken: () => user.getIdToken() });
}
