// The playground: the record is checked as it is typed (POST /v1/check?explain=true), the
// codes it blames are highlighted, and the codes that may come next are suggested
// (POST /v1/complete with may), each under the packs picked. Hand-written, no dependencies, nothing fetched from elsewhere.
"use strict";

const SECTIONS = { opcs: "opcs", opcs4: "opcs", icd: "icd10", icd10: "icd10", cpt: "cpt" };
const SUGGESTIONS_SHOWN = 12;
const $ = (id) => document.getElementById(id);
const input = $("record");
let packs = [];
let latest = 0; // answers to older keystrokes are dropped
let violations = [];

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

async function call(path, body) {
  const response = await fetch(path, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json();
  if (!response.ok) throw new Error(data.detail || data.title || response.statusText);
  return data;
}

function chosenPacks() {
  const chosen = [...document.querySelectorAll("#packs input:checked")].map((box) => box.value);
  return chosen.length === packs.length ? [] : chosen;
}

// the packs picked judge everything the page asks: the check, suggestions, completions, repairs
function withPacks(path, query = new URLSearchParams()) {
  for (const pack of chosenPacks()) query.append("packs", pack);
  const asked = query.toString();
  return asked ? `${path}?${asked}` : path;
}

// The record's codes with where they stand in the text: sections split at ";", an optional
// keyword first, codes split at spaces and commas (the text format of grammar/records.lark).
function tokenize(text) {
  const uncommented = text.split("#")[0];
  const id = uncommented.match(/^\s*[^\s:;,#]+[ \t]*:/);
  let offset = id ? id[0].length : 0;
  const sections = [];
  for (const part of uncommented.slice(offset).split(";")) {
    const codes = [];
    let system = null;
    for (const match of part.matchAll(/[^\s,]+/g)) {
      const word = match[0];
      const start = offset + match.index;
      if (!codes.length && system === null && SECTIONS[word.toLowerCase()]) {
        system = SECTIONS[word.toLowerCase()];
        continue;
      }
      codes.push({ text: word, start, end: start + word.length });
    }
    sections.push({ system: system || "opcs", codes });
    offset += part.length + 1;
  }
  return { sections, id: id ? id[0] : "" };
}

function blamedBy(section, position) {
  return violations.filter((v) => v.section === section && v.positions.includes(position));
}

function renderCodes(record, parsed) {
  const codes = $("codes");
  codes.replaceChildren();
  const seen = new Set();
  for (const section of parsed.sections) {
    if (!section.codes.length) continue;
    const first = !seen.has(section.system);
    seen.add(section.system);
    codes.append(element("span", { class: "section", role: "listitem" }, section.system));
    section.codes.forEach((code, index) => {
      const blaming = first && record ? blamedBy(section.system, index + 1) : [];
      const rejected = record && record.error && record.error.column > code.start && record.error.column <= code.end + 1;
      const severity = rejected || blaming.some((v) => v.severity === "error") ? "error" : blaming.length ? "warning" : "";
      const label = blaming.length
        ? `${code.text}: ${blaming.map((v) => `${v.rule}: ${v.message}`).join("; ")}`
        : rejected ? `${code.text}: ${record.error.message}` : code.text;
      const chip = element("button", {
        type: "button", class: `code ${severity}`, role: "listitem", title: label, "aria-label": label,
        "data-section": section.system, "data-position": String(index + 1),
      }, code.text);
      if (blaming.length) {
        chip.append(element("span", { class: "rules", "aria-hidden": "true" }, blaming.map((v) => v.rule).join(", ")));
        const show = () => showViolations(blaming);
        chip.addEventListener("click", show);
        chip.addEventListener("focus", show);
        chip.addEventListener("mouseenter", show);
      } else if (rejected) {
        chip.addEventListener("click", () => showError(record.error));
        chip.addEventListener("focus", () => showError(record.error));
      }
      codes.append(chip);
    });
  }
}

function showViolations(list) {
  const detail = $("detail");
  detail.replaceChildren(...list.map((v) => {
    const parts = [
      element("h3", {}, element("span", { class: `badge ${v.severity}` }, v.severity), " ", element("code", { class: "rule-id" }, v.rule)),
      element("p", { class: "title" }, v.title),
      element("p", { class: "message" }, v.message),
      element("p", { class: "guidance" }, element("strong", {}, "Guidance: "), v.source),
    ];
    for (const also of v.also || []) {
      parts.push(element("p", { class: "also" }, element("strong", {}, "Also: "), element("code", {}, also.rule), ` ${also.source}`));
    }
    const why = v.explanation;
    if (why) {
      parts.push(element("details", {}, element("summary", {}, "Why: the rule and the facts it read"),
        element("p", {}, why.what_it_checks),
        element("p", {}, element("strong", {}, "Rule: "), element("code", {}, why.rule_file)),
        element("pre", {}, (why.rule ? why.rule + "\n\n" : "") + why.facts.join("\n"))));
    }
    return element("article", { class: "violation" }, ...parts);
  }));
}

function showError(error) {
  $("detail").replaceChildren(element("article", { class: "violation" },
    element("h3", {}, element("span", { class: "badge error" }, "rejected"), " input error"),
    element("p", { class: "message" }, `column ${error.column}: ${error.message}`)));
}

function renderViolations(record) {
  const list = $("violations");
  list.replaceChildren(...violations.map((v) => element("li", {},
    element("button", { type: "button", class: `violation-link ${v.severity}`, onclick: () => showViolations([v]) },
      element("code", { class: "rule-id" }, v.rule), ` ${v.section}:${v.positions.join(",")} ${v.message}`))));
  if (record && record.error) {
    list.append(element("li", {}, element("button", { type: "button", class: "violation-link error", onclick: () => showError(record.error) },
      element("code", { class: "rule-id" }, "input"), ` column ${record.error.column}: ${record.error.message}`)));
  }
}

async function check(text, ticket) {
  const answer = await call(withPacks("/v1/check", new URLSearchParams({ explain: "true" })), text);
  if (ticket !== latest) return;
  const record = answer.records[0];
  violations = record ? record.violations : [];
  renderCodes(record, tokenize(text));
  renderViolations(record);
  const status = !record ? "No record." : record.error ? "Rejected: the record cannot be read yet."
    : violations.length ? `${violations.length} violation${violations.length > 1 ? "s" : ""}.` : "Valid: no rule is broken.";
  $("status").textContent = status;
  $("status").className = `status ${!record ? "" : record.error ? "error" : record.valid ? "valid" : "error"}`;
  if (violations.length) showViolations(violations.slice(0, 1));
  else if (record && record.error) showError(record.error);
  else $("detail").replaceChildren(element("p", { class: "help" }, "No violation to explain."));
}

// The position being typed: a code not yet ended by a space is the prefix of the one to
// suggest; after a space, the next position of the last section.
function typing(text) {
  const parsed = tokenize(text);
  const section = parsed.sections[parsed.sections.length - 1];
  const ended = /[\s,;]$/.test(text) || !section.codes.length;
  const prefix = ended ? "" : section.codes[section.codes.length - 1].text.toUpperCase();
  const position = section.codes.length + (ended ? 1 : 0);
  const before = ended ? text : text.slice(0, section.codes[section.codes.length - 1].start);
  return { system: section.system, position, prefix, before };
}

async function suggest(text, ticket) {
  const box = $("suggestions");
  const at = typing(text);
  const asked = at.before.trim();
  if (!tokenize(asked).sections.some((s) => s.codes.length)) {
    box.replaceChildren(element("p", { class: "help" }, "Type a code to see what may follow."));
    return;
  }
  box.replaceChildren(element("p", { class: "help" }, "Looking…"));
  let answer;
  try {
    answer = await call(withPacks("/v1/complete"), { record: asked, may: true, must: true });
  } catch (error) {
    if (ticket === latest) box.replaceChildren(element("p", { class: "help" }, `No suggestions: ${error.message}`));
    return;
  }
  if (ticket !== latest) return;
  const here = (p) => p.section === at.system && p.position === at.position && p.code.toUpperCase().startsWith(at.prefix);
  const must = new Set(answer.must.filter(here).map((p) => p.code));
  const codes = [...new Set(answer.may.filter(here).map((p) => p.code))].sort((a, b) => must.has(b) - must.has(a));
  if (!codes.length) {
    box.replaceChildren(element("p", { class: "help" }, answer.conflict ? `No valid completion: ${answer.conflict.message}`
      : at.prefix ? `No valid completion has a code starting ${at.prefix} at ${at.system} position ${at.position}.`
      : `Nothing more is needed in ${at.system}.`));
    return;
  }
  box.replaceChildren(...codes.slice(0, SUGGESTIONS_SHOWN).map((code) => element("button", {
    type: "button", role: "listitem", class: `suggestion${must.has(code) ? " must" : ""}`,
    "aria-label": `${must.has(code) ? "must" : "may"} add ${code} at ${at.system} position ${at.position}`,
    onclick: () => accept(at.before, code),
  }, code, must.has(code) ? element("span", { class: "must-mark" }, " must") : "")));
  if (codes.length > SUGGESTIONS_SHOWN) box.append(element("span", { class: "more" }, `and ${codes.length - SUGGESTIONS_SHOWN} more`));
}

function accept(before, code) {
  const spaced = before === "" || /[\s,;]$/.test(before) ? before : `${before} `;
  input.value = `${spaced}${code} `;
  input.focus();
  input.setSelectionRange(input.value.length, input.value.length);
  update();
}

function use(record) {
  input.value = record;
  input.focus();
  update();
}

async function answers(kind) {
  const list = $("answers");
  const text = input.value.trim();
  if (!text) return;
  const id = tokenize(text).id.trim();
  list.replaceChildren(element("li", { class: "help" }, "Working…"));
  try {
    const answer = kind === "complete"
      ? await call(withPacks("/v1/complete"), { record: text, minimal: true, limit: 5 })
      : await call(withPacks("/v1/repair"), { record: text, limit: 5 });
    const items = kind === "complete" ? answer.completions : answer.repairs;
    if (!items.length) {
      const why = answer.conflict ? answer.conflict.message : kind === "repair" && !answer.violations.length ? "the record is already valid" : "none found";
      list.replaceChildren(element("li", { class: "help" }, `None: ${why}.`));
      return;
    }
    list.replaceChildren(...items.map((item) => {
      const shown = item.record.replace(/^[^:]*:\s*/, "");
      const edits = (item.edits || []).map((e) => `${e.kind} ${e.code}${e.replacement ? ` → ${e.replacement}` : ""}`).join(", ");
      // the record keeps the id it was typed with (the answer names it by its number when it had none)
      const used = id ? `${id} ${shown}` : shown;
      return element("li", {}, element("code", {}, shown), edits ? element("span", { class: "edits" }, ` (${edits})`) : "",
        " ", element("button", { type: "button", class: "use", "aria-label": `use ${shown}`, onclick: () => use(used) }, "Use"));
    }));
  } catch (error) {
    list.replaceChildren(element("li", { class: "error" }, error.message));
  }
}

let timer = null;
function update() {
  clearTimeout(timer);
  timer = setTimeout(() => {
    const text = input.value;
    const ticket = ++latest;
    if (!text.trim()) {
      violations = [];
      $("codes").replaceChildren();
      $("violations").replaceChildren();
      $("status").textContent = "";
      $("suggestions").replaceChildren();
      return;
    }
    check(text, ticket).catch((error) => { $("status").textContent = error.message; });
    suggest(text, ticket);
  }, 150);
}

async function start() {
  const ready = await call("/ready");
  const revision = ready.revision;
  packs = revision.packs.map((p) => p.name);
  $("revision").textContent = `${revision.sha256.slice(0, 12)} (${revision.packs.map((p) => `${p.name} ${p.version}`).join(", ")})`;
  $("revision").title = revision.sha256;
  const fieldset = $("packs");
  for (const pack of revision.packs) {
    const id = `pack-${pack.name}`;
    fieldset.append(element("span", { class: "pack" },
      element("input", { type: "checkbox", id, value: pack.name, checked: "", onchange: update }),
      element("label", { for: id }, pack.name)));
  }
  input.addEventListener("input", update);
  $("complete").addEventListener("click", () => answers("complete"));
  $("repair").addEventListener("click", () => answers("repair"));
  if (input.value) update();
}

start();
