"""Auth adapters: `firebase.FirebaseAuth` (cloud), `local.LocalAuth` (serve), and Telegram login
checks (`oidc`: OpenID Connect; `widget`: the legacy Login Widget) whose result is a user id."""
