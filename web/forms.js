// Forms drawn from the API's JSON Schema (pydantic), and field errors shown beside their input.
const RISK_FIELDS = [
  ["risk_mode", "Position size"], ["lot", "Fixed lot"], ["risk_percent", "Risk per signal (%)"],
  ["max_lot", "Max lot"], ["tp_split", "TP split (weights, e.g. 50,30,20)"],
  ["breakeven_on_tp1", "Move SL to break-even at TP1"], ["breakeven_buffer_pips", "Break-even buffer (pips)"],
  ["max_signal_age_s", "Max signal age (seconds)"], ["symbol_map", "Symbol overrides (XAUUSD=GOLD, one a line)"],
];

function resolve(schema, node) {
  if (node && node.$ref) return resolve(schema, schema.$defs[node.$ref.split("/").pop()]);
  if (node && node.anyOf) {
    const real = node.anyOf.filter((n) => n.type !== "null");
    return { ...resolve(schema, real[0]), nullable: real.length < node.anyOf.length, default: node.default };
  }
  return node || {};
}

function kindOf(node) {
  if (node.enum) return "enum";
  if (node.type === "boolean") return "boolean";
  if (node.type === "integer") return "integer";
  if (node.type === "array") return "list";
  if (node.type === "object") return "map";
  return "text"; // numbers and decimals travel as text, so nothing is rounded
}

export function riskForm(schema, values) {
  const form = document.createElement("form");
  form.id = "risk-form";
  form.noValidate = true;
  for (const [name, label] of RISK_FIELDS) {
    const raw = schema.properties[name];
    if (!raw) continue;
    const node = { ...resolve(schema, raw), default: raw.default ?? resolve(schema, raw).default };
    const kind = kindOf(node);
    const value = values[name] ?? node.default;
    const row = document.createElement("div");
    row.className = "field";
    row.dataset.kind = kind;
    let input;
    if (kind === "enum") {
      input = document.createElement("select");
      for (const option of node.enum) input.add(new Option(option.replace("_", " "), option, false, option === value));
    } else if (kind === "map") {
      input = document.createElement("textarea");
      input.rows = 2;
      input.value = Object.entries(value || {}).map(([k, v]) => `${k}=${v}`).join("\n");
    } else {
      input = document.createElement("input");
      if (kind === "boolean") { input.type = "checkbox"; input.checked = Boolean(value); }
      else { input.value = kind === "list" ? (value || []).join(",") : value ?? ""; input.inputMode = "decimal"; }
    }
    input.name = name;
    input.id = `risk-${name}`;
    const labelEl = document.createElement("label");
    labelEl.htmlFor = input.id;
    labelEl.textContent = label;
    const error = document.createElement("p");
    error.className = "error";
    error.dataset.errorFor = name;
    row.append(labelEl, input, error);
    form.append(row);
  }
  return form;
}

export function readRisk(form, base) {
  const out = { ...base };
  for (const row of form.querySelectorAll(".field")) {
    const input = row.querySelector("[name]");
    const { kind } = row.dataset;
    if (kind === "boolean") out[input.name] = input.checked;
    else if (kind === "integer") out[input.name] = /^-?\d+$/.test(input.value.trim()) ? Number(input.value) : input.value;
    else if (kind === "list") out[input.name] = input.value.split(",").map((s) => s.trim()).filter(Boolean);
    else if (kind === "map") out[input.name] = Object.fromEntries(input.value.split("\n").map((l) => l.split("=").map((s) => s.trim())).filter((p) => p.length === 2 && p[0]));
    else out[input.name] = input.value.trim();
  }
  return out;
}

export function showErrors(scope, error) {
  for (const el of scope.querySelectorAll("[data-error-for]")) el.textContent = "";
  if (!error) return;
  let shown = false;
  for (const item of error.fields || []) {
    const name = String(item.field || "").replace(/^(settings|body)\./, "").split(".")[0];
    const slot = scope.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
    if (slot) { slot.textContent = item.message; shown = true; }
  }
  const general = scope.querySelector('[data-error-for="_"]');
  if (!shown && general) general.textContent = error.message;
}
