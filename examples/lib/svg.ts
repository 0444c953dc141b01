// Tiny SVG charts (a line chart and a scatter with a background field), written by hand so
// the examples need no plotting library and the output opens in any browser.

export interface Series {
  name: string;
  color: string;
  points: readonly (readonly [number, number])[];
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const step0 = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-12; v += step) out.push(+v.toPrecision(12));
  return out;
}

export function lineChart(series: readonly Series[], { title = "", xLabel = "", yLabel = "", width = 640, height = 400, hlines = [] as { y: number; label: string; color: string }[] } = {}): string {
  const pts = series.flatMap((s) => s.points);
  const ys = [...pts.map((p) => p[1]), ...hlines.map((h) => h.y)];
  const xs = pts.map((p) => p[0]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs, Math.min(...xs) + 1)];
  const pad = (Math.max(...ys) - Math.min(...ys)) * 0.05 || 1;
  const [y0, y1] = [Math.min(...ys) - pad, Math.max(...ys) + pad];
  const m = { l: 60, r: 20, t: 40, b: 50 };
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (width - m.l - m.r);
  const sy = (y: number) => height - m.b - ((y - y0) / (y1 - y0)) * (height - m.t - m.b);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="100%" height="100%" fill="white"/>`);
  parts.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`);
  for (const t of niceTicks(y0, y1)) {
    parts.push(`<line x1="${m.l}" x2="${width - m.r}" y1="${sy(t)}" y2="${sy(t)}" stroke="#eee"/>`);
    parts.push(`<text x="${m.l - 6}" y="${sy(t) + 4}" text-anchor="end">${t}</text>`);
  }
  for (const t of niceTicks(x0, x1)) parts.push(`<text x="${sx(t)}" y="${height - m.b + 16}" text-anchor="middle">${t}</text>`);
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${width - m.l - m.r}" height="${height - m.t - m.b}" fill="none" stroke="#999"/>`);
  parts.push(`<text x="${(m.l + width - m.r) / 2}" y="${height - 12}" text-anchor="middle">${esc(xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${(m.t + height - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  for (const h of hlines) {
    parts.push(`<line x1="${m.l}" x2="${width - m.r}" y1="${sy(h.y)}" y2="${sy(h.y)}" stroke="${h.color}" stroke-dasharray="6 4"/>`);
    parts.push(`<text x="${width - m.r - 4}" y="${sy(h.y) - 4}" text-anchor="end" fill="${h.color}">${esc(h.label)}</text>`);
  }
  series.forEach((s, i) => {
    if (s.points.length) {
      const d = s.points.map((p, k) => `${k ? "L" : "M"}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join("");
      parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.8"/>`);
    }
    parts.push(`<rect x="${m.l + 10}" y="${m.t + 8 + i * 18}" width="12" height="3" fill="${s.color}"/>`);
    parts.push(`<text x="${m.l + 28}" y="${m.t + 13 + i * 18}">${esc(s.name)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}

/** Points coloured by class over a grid of predicted classes (a decision boundary). */
export function decisionBoundary(
  points: readonly { x: number; y: number; label: number }[],
  grid: { x0: number; x1: number; y0: number; y1: number; n: number; cls: (x: number, y: number) => number },
  { title = "", size = 480, colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"] } = {},
): string {
  const { x0, x1, y0, y1, n, cls } = grid;
  const sx = (x: number) => ((x - x0) / (x1 - x0)) * size;
  const sy = (y: number) => size - ((y - y0) / (y1 - y0)) * size;
  const cell = size / n;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size + 30}" font-family="sans-serif" font-size="14">`, `<rect width="100%" height="100%" fill="white"/>`];
  parts.push(`<g transform="translate(0 30)">`);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const c = cls(x0 + ((i + 0.5) / n) * (x1 - x0), y0 + ((j + 0.5) / n) * (y1 - y0));
      parts.push(`<rect x="${(i * cell).toFixed(1)}" y="${(size - (j + 1) * cell).toFixed(1)}" width="${cell.toFixed(1)}" height="${cell.toFixed(1)}" fill="${colors[c % colors.length]}" fill-opacity="0.18"/>`);
    }
  }
  for (const p of points) parts.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="2.6" fill="${colors[p.label % colors.length]}"/>`);
  parts.push(`</g><text x="${size / 2}" y="20" text-anchor="middle">${esc(title)}</text></svg>`);
  return parts.join("\n");
}
