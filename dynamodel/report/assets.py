"""The report's stylesheet and script, inlined in the page so it opens with no network.

Colours come in a light and a dark set (``prefers-color-scheme``); every text colour keeps a
contrast of at least 4.5:1 on its background (WCAG AA). The script holds no user text: it
reads element ids and ``data-`` attributes only, so nothing declared can end up in code.
"""

from __future__ import annotations

__all__ = ["SCRIPT", "STYLE"]

STYLE = """
:root {
  color-scheme: light dark;
  --bg: #f6f8fa; --surface: #ffffff; --fg: #1f2328; --muted: #59636e; --border: #d1d9e0;
  --accent: #0969da; --code: #eff2f5; --hit: #fff8c5; --hit-col: #f3f7fd; --focus: #0969da;
  --sparse-bg: #fff1c2; --sparse: #6f4400; --sharded-bg: #f3e8ff; --sharded: #6e40c9;
  --copy-bg: #dafbe1; --copy: #116329; --native-bg: #ddf4ff; --native: #0550ae;
  --lsi-bg: #d5f5ef; --lsi: #0a5c52; --item-bg: #ffe7f1; --item: #99124a;
  --guard-bg: #eaeef2; --guard: #3d444d; --system: #6b737c;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --surface: #161b22; --fg: #e6edf3; --muted: #9198a1; --border: #3d444d;
    --accent: #4493f8; --code: #222a35; --hit: #3a3000; --hit-col: #18243a; --focus: #58a6ff;
    --sparse-bg: #3d2c00; --sparse: #f2cc60; --sharded-bg: #2e1f4d; --sharded: #d2a8ff;
    --copy-bg: #12361f; --copy: #7ee787; --native-bg: #0c2d57; --native: #8dcbff;
    --lsi-bg: #0b3a35; --lsi: #5fd9c4; --item-bg: #4a1430; --item: #ffa3d1;
    --guard-bg: #2f353d; --guard: #d1d7e0; --system: #8b949e;
  }
}
* { box-sizing: border-box; }
html { background: var(--bg); color: var(--fg); }
body {
  margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif;
  background: var(--bg); color: var(--fg);
}
code, .mono, .k, .av, .ix-keys { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
code { background: var(--code); padding: 1px 5px; border-radius: 4px; overflow-wrap: anywhere; }
a { color: var(--accent); }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.skip { position: absolute; left: -999px; top: 8px; background: var(--surface); padding: 6px 10px; z-index: 2; }
.skip:focus { left: 8px; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; border-radius: 4px; }
header { background: var(--surface); border-bottom: 1px solid var(--border); padding: 20px 32px 12px; }
header h1 { margin: 0; font-size: 22px; font-weight: 600; }
header h1 .app { color: var(--accent); }
header .sub { margin: 4px 0 12px; color: var(--muted); }
nav ul { display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 0; padding: 0; list-style: none; }
nav a { text-decoration: none; font-weight: 500; }
nav a:hover { text-decoration: underline; }
main { max-width: 1480px; margin: 0 auto; padding: 20px 32px 40px; }
section { margin-bottom: 28px; }
h2 { font-size: 18px; margin: 0 0 4px; font-weight: 600; }
h3 { font-size: 15px; margin: 0 0 6px; font-weight: 600; }
h4 { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 12px 0 6px; }
.lede { margin: 0 0 12px; color: var(--muted); max-width: 100ch; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; margin-bottom: 20px; }
.card { background: var(--surface); border: 1px solid var(--border); border-radius: 8px; padding: 10px 14px; }
.card .label { color: var(--muted); font-size: 12px; }
.card .value { font-size: 20px; font-weight: 600; }
.card .hint { color: var(--muted); font-size: 12px; }
dl.legend { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 6px 22px; margin: 0; padding: 10px 14px; background: var(--surface); border: 1px solid var(--border); border-radius: 8px; }
dl.legend div { display: flex; align-items: baseline; gap: 6px; padding: 0; border: 0; }
dl.legend dt { flex: none; }
dl.legend dd { margin: 0; color: var(--muted); font-size: 12.5px; }
.scroll { overflow-x: auto; background: var(--surface); border: 1px solid var(--border); border-radius: 8px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 8px 10px; border-bottom: 1px solid var(--border); }
thead th { background: var(--surface); font-size: 12px; color: var(--muted); font-weight: 600; white-space: nowrap; }
tbody tr:last-child > * { border-bottom: 0; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.matrix th[scope=col] { min-width: 220px; color: var(--fg); }
.matrix th[scope=col]:first-child { min-width: 150px; }
.matrix td, .matrix th[scope=row] { border-right: 1px solid var(--border); }
.ix-name { display: block; font-size: 14px; font-weight: 600; color: var(--fg); }
.ix-kind { color: var(--muted); font-weight: 400; font-size: 12px; margin-right: 6px; }
.ix-keys { display: block; color: var(--muted); font-weight: 400; }
.ix-proj, .count { display: block; color: var(--muted); font-weight: 400; font-size: 12px; }
h3 .ix-keys, h3 .count { display: inline; margin-left: 8px; }
.ent-name { display: block; font-weight: 600; }
.note { display: block; color: var(--muted); font-weight: 400; font-size: 12px; }
.kv { display: flex; gap: 6px; align-items: baseline; margin: 2px 0; }
.k { color: var(--muted); min-width: 56px; font-size: 11.5px; flex: none; }
.same { color: var(--muted); font-size: 12px; }
.empty { color: var(--muted); text-align: center; vertical-align: middle; }
.marks { margin-top: 4px; display: flex; flex-wrap: wrap; gap: 4px; }
.mark { display: inline-block; font-size: 11.5px; font-weight: 600; line-height: 1.5; padding: 0 7px; border-radius: 10px; white-space: nowrap; margin: 2px 2px 0 0; }
th[scope=row] .mark { display: table; margin-top: 4px; }
.m-sparse { background: var(--sparse-bg); color: var(--sparse); }
.m-sharded { background: var(--sharded-bg); color: var(--sharded); }
.m-copy { background: var(--copy-bg); color: var(--copy); }
.m-native { background: var(--native-bg); color: var(--native); }
.m-lsi { background: var(--lsi-bg); color: var(--lsi); }
.m-item { background: var(--item-bg); color: var(--item); }
.m-guard { background: var(--guard-bg); color: var(--guard); }
.matrix .hit-col { background: var(--hit-col); }
.matrix td.hit { background: var(--hit); box-shadow: inset 3px 0 0 var(--accent); }
.patterns .cond { color: var(--fg); max-width: 44ch; overflow-wrap: anywhere; }
.patterns tbody tr.selected > * { background: var(--hit-col); }
.patterns tbody tr.selected th { box-shadow: inset 3px 0 0 var(--accent); }
button.pattern {
  font: inherit; font-weight: 600; color: var(--accent); background: none; border: 0; padding: 2px 4px;
  margin: -2px -4px; cursor: pointer; text-align: left;
}
button.pattern:hover { text-decoration: underline; }
button.pattern[aria-pressed=true] { color: var(--fg); }
.kind { font-size: 11.5px; padding: 0 6px; border-radius: 4px; border: 1px solid var(--border); color: var(--muted); white-space: nowrap; }
.panel { margin-top: 12px; background: var(--surface); border: 1px solid var(--border); border-radius: 8px; padding: 14px 18px; }
.panel h3 { font-size: 16px; display: flex; align-items: center; gap: 8px; }
.reason { margin: 6px 0 4px; }
.detail-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 0 28px; }
dl { margin: 0; }
dl div { display: grid; grid-template-columns: 150px 1fr; gap: 8px; padding: 3px 0; border-bottom: 1px dashed var(--border); }
dt { color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
.keys-of { display: inline-block; vertical-align: top; margin: 0 24px 8px 0; }
.index-samples { margin-bottom: 18px; }
.items .pk { background: var(--code); white-space: nowrap; }
.items td.mono { white-space: nowrap; }
.items tr.first > * { border-top: 2px solid var(--border); }
.attrs { line-height: 1.9; }
.attr { display: inline-block; margin: 0 12px 0 0; white-space: nowrap; }
.an { color: var(--muted); font-size: 12px; }
.an::after { content: ":"; }
.is-system .an, .is-system .av { color: var(--system); }
.is-copy .av { color: var(--copy); }
.is-native .av { color: var(--native); }
.attr .mark { margin-left: 4px; }
.none { color: var(--muted); font-style: italic; }
.costs ul { margin: 4px 0 0; padding-left: 20px; color: var(--muted); }
footer { color: var(--muted); font-size: 12px; padding: 0 32px 24px; max-width: 1480px; margin: 0 auto; }
@media print { .scroll { overflow: visible; } .detail[hidden] { display: block; } }
"""

SCRIPT = """
(function () {
  "use strict";
  var buttons = Array.prototype.slice.call(document.querySelectorAll("button.pattern"));
  function mark(selector, name, on) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), function (el) {
      el.classList.toggle(name, on);
    });
  }
  function select(button) {
    buttons.forEach(function (other) {
      var on = other === button;
      other.setAttribute("aria-pressed", on ? "true" : "false");
      other.closest("tr").classList.toggle("selected", on);
      document.getElementById(other.getAttribute("data-detail")).hidden = !on;
    });
    mark(".matrix .hit", "hit", false);
    mark(".matrix .hit-col", "hit-col", false);
    var column = button.getAttribute("data-column");
    if (column) { mark(".matrix ." + column, "hit-col", true); }
    (button.getAttribute("data-cells") || "").split(" ").forEach(function (id) {
      var cell = id && document.getElementById(id);
      if (cell) { cell.classList.add("hit"); }
    });
  }
  buttons.forEach(function (button, i) {
    button.addEventListener("click", function () { select(button); });
    button.addEventListener("keydown", function (event) {
      var to = null;
      if (event.key === "ArrowDown") { to = buttons[Math.min(i + 1, buttons.length - 1)]; }
      else if (event.key === "ArrowUp") { to = buttons[Math.max(i - 1, 0)]; }
      else if (event.key === "Home") { to = buttons[0]; }
      else if (event.key === "End") { to = buttons[buttons.length - 1]; }
      if (to) { event.preventDefault(); to.focus(); }
    });
  });
  if (buttons.length) { select(buttons[0]); }
}());
"""
