"""Auth adapters: `firebase.FirebaseAuth` (cloud), `local.LocalAuth` (serve), and Telegram login
checks (`oidc`: OpenID Connect; `widget`: the legacy Login Widget) whose result is a user id;
`push_token` checks the OIDC tokens Pub/Sub and Cloud Scheduler send to the functions."""
