/** The page's style, inlined into every report.html. */
export const REPORT_CSS = `
:root { color-scheme: light; --fg: #1b1b1b; --muted: #5b5b5b; --line: #d9d9d9; --accent: #0072b2; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 "DejaVu Sans", system-ui, sans-serif; color: var(--fg); background: #fafafa; }
main, #run-detail { max-width: 1180px; margin: 0 auto; padding: 20px 28px 60px; background: #fff; min-height: 100vh; }
h1 { font-size: 1.6em; margin: 0.2em 0; }
h2 { font-size: 1.3em; border-bottom: 1px solid var(--line); padding-bottom: 4px; margin-top: 1.8em; }
h3 { font-size: 1.05em; margin: 1.2em 0 0.4em; }
.description, .caption, figcaption { color: var(--muted); }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; font-size: 0.9em; margin: 8px 0; }
.meta dt { color: var(--muted); }
.meta dd { margin: 0; font-family: "DejaVu Sans Mono", monospace; }
nav { display: flex; flex-wrap: wrap; gap: 6px 14px; padding: 8px 0; border-top: 1px solid var(--line); border-bottom: 1px solid var(--line); }
a { color: var(--accent); }
.controls { display: flex; flex-wrap: wrap; gap: 8px 18px; margin: 4px 0 8px; }
fieldset { border: 1px solid var(--line); border-radius: 4px; padding: 2px 10px 6px; margin: 0; }
fieldset legend { font-size: 0.85em; color: var(--muted); padding: 0 4px; }
fieldset label { margin-right: 12px; white-space: nowrap; font-size: 0.9em; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.88em; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 10px; text-align: left; white-space: nowrap; }
td:not(.num) { white-space: normal; max-width: 36em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th button { font: inherit; font-weight: bold; background: none; border: 0; padding: 0; cursor: pointer; color: inherit; }
th[aria-sort="ascending"] button::after { content: " ▲"; }
th[aria-sort="descending"] button::after { content: " ▼"; }
tbody tr:hover { background: #f1f6fb; }
figure { margin: 12px 0; }
figure img { max-width: 100%; image-rendering: pixelated; border: 1px solid var(--line); }
pre { background: #f4f4f4; padding: 10px; overflow-x: auto; font-size: 0.85em; }
.vega-embed { max-width: 100%; }
`;
