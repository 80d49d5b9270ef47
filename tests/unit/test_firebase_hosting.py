"""firebase.json: every page Firebase Hosting serves carries the security headers, the page's
own inline script is the only one the CSP lets run, and /api/** reaches the `api` function."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CONFIG = json.loads((ROOT / "firebase.json").read_text(encoding="utf-8"))
HOSTING: dict[str, Any] = CONFIG["hosting"]


def _headers_for(path: str) -> dict[str, str]:
    # Hosting applies every matching block; a later block's value for a key wins.
    found: dict[str, str] = {}
    for block in HOSTING["headers"]:
        glob = block["source"].replace("@(js|css)", "{js,css}")
        if _matches(path, glob):
            found.update({h["key"].lower(): h["value"] for h in block["headers"]})
    return found


def _matches(path: str, glob: str) -> bool:
    options = re.findall(r"\{([^}]*)\}", glob)
    if not options:
        return fnmatch(path, glob) or (glob.startswith("**/") and fnmatch(path, glob[3:]))
    head, _, tail = glob.partition("{" + options[0] + "}")
    return any(_matches(path, head + choice + tail) for choice in options[0].split(","))


def _csp(path: str) -> dict[str, list[str]]:
    policy = _headers_for(path)["content-security-policy"]
    directives = [d.split() for d in policy.split(";") if d.strip()]
    return {name: values for name, *values in directives}


PAGES = ["/index.html", "/app.js", "/style.css", "/", "/api/users/tg1"]


def test_every_served_path_carries_the_security_headers() -> None:
    for path in PAGES:
        headers = _headers_for(path)
        csp = _csp(path)

        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "no-referrer", path
        assert headers["x-frame-options"] == "DENY", path
        assert csp["frame-ancestors"] == ["'none'"], path
        assert csp["default-src"] == ["'self'"] and csp["object-src"] == ["'none'"], path
        assert csp["base-uri"] == ["'none'"], path


def test_the_csp_lets_only_the_pages_own_inline_scripts_run() -> None:
    page = (ROOT / HOSTING["public"] / "index.html").read_text(encoding="utf-8")
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", page, re.S)
    hashes = {
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in inline
    }
    script_src = _csp("/index.html")["script-src"]

    assert inline, "the page has its import map inline"
    assert set(script_src) == {"'self'"} | hashes  # no 'unsafe-inline', no stale hash
    assert "'unsafe-eval'" not in script_src


def test_api_paths_are_rewritten_to_the_api_function_before_anything_else() -> None:
    rewrites = HOSTING["rewrites"]
    first = next(r for r in rewrites if _matches("/api/users/tg1/settings", r["source"]))

    assert first["source"] == "/api/**"
    assert first["function"]["functionId"] == "api"


def test_hosting_serves_the_dashboard_folder_and_deploys_the_rules_and_indexes() -> None:
    assert HOSTING["public"] == "web" and (ROOT / "web" / "index.html").is_file()
    assert "firebase.json" in HOSTING["ignore"]
    assert CONFIG["firestore"] == {"rules": "firestore.rules", "indexes": "firestore.indexes.json"}
    assert all((ROOT / name).is_file() for name in CONFIG["firestore"].values())
