// One input's disagreement between two witnesses of compareDerivatives as an SVG heatmap over
// up to two of its axes (the others folded by max), written by hand: no plotting library.

import type { DerivativeEntry } from "@tapegrad/autograd";

export type Pair = "tapeVsManual" | "manualVsFd" | "tapeVsFd";

export interface ErrorGrid {
  /** values[row][col]: max |a - b| over the entries at that (row, col); NaN where none was compared. */
  values: number[][];
  /** The input's axes shown as rows and columns (columns is null for a single axis). */
  axes: [number, number | null];
  pair: Pair;
}

const SIDES: Record<Pair, [keyof DerivativeEntry, keyof DerivativeEntry]> = {
  tapeVsManual: ["tape", "manual"],
  manualVsFd: ["manual", "fd"],
  tapeVsFd: ["tape", "fd"],
};

/** |a - b| of one pair, folded by max onto one axis (a single row) or two (rows, columns). */
export function errorGrid(entry: DerivativeEntry, pair: Pair, axes: [number] | [number, number]): ErrorGrid {
  const [sa, sb] = SIDES[pair];
  const a = entry[sa] as DerivativeEntry["tape"] | null;
  const b = entry[sb] as DerivativeEntry["tape"] | null;
  if (!a || !b) throw new Error(`errorGrid: input "${entry.name}" has no ${a ? sb : sa} gradient`);
  const shape = entry.shape;
  for (const ax of axes) if (!Number.isInteger(ax) || ax < 0 || ax >= shape.length) throw new Error(`errorGrid: axis ${ax} is not an axis of ${entry.name}'s shape [${shape.join(",")}]`);
  const [r, c] = axes.length === 2 ? axes : [null, axes[0]];
  const rows = r === null ? 1 : shape[r]!;
  const cols = shape[c]!;
  const values = Array.from({ length: rows }, () => new Array<number>(cols).fill(NaN));
  const x = a.contiguous();
  const y = b.contiguous();
  const idx = new Array<number>(shape.length).fill(0);
  for (let p = 0; p < entry.tape.size; p++) {
    const err = Math.abs(x.data[x.offset + p]! - y.data[y.offset + p]!);
    if (err === err) {
      const row = values[r === null ? 0 : idx[r]!]!;
      const k = idx[c]!;
      row[k] = row[k]! === row[k]! ? Math.max(row[k]!, err) : err;
    }
    for (let d = shape.length - 1; d >= 0 && ++idx[d]! === shape[d]!; d--) idx[d] = 0;
  }
  return { values, axes: r === null ? [c, null] : [r, c], pair };
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** white (0) to dark red (the grid's max), linear; grey where nothing was compared. */
function colour(v: number, max: number): string {
  if (v !== v) return "#dddddd";
  const t = max > 0 ? Math.min(1, v / max) : 0;
  const lerp = (from: number, to: number) => Math.round(from + (to - from) * t);
  return `rgb(${lerp(255, 165)},${lerp(255, 15)},${lerp(255, 21)})`;
}

export interface HeatmapOptions {
  title?: string;
  rowLabel?: string;
  colLabel?: string;
  cell?: number;
}

/** The grid as an SVG document: one rect per cell (with its value as a tooltip), axis labels and a scale. */
export function heatmapSvg(grid: ErrorGrid, { title = "", rowLabel = "", colLabel = "", cell = 36 }: HeatmapOptions = {}): string {
  const rows = grid.values.length;
  const cols = grid.values[0]?.length ?? 0;
  const max = Math.max(0, ...grid.values.flat().filter((v) => v === v));
  const m = { l: 70, t: 50, r: 30, b: 80 };
  const width = Math.max(m.l + cols * cell + m.r, Math.ceil(title.length * 7.8) + 20); // room for the title
  const height = m.t + rows * cell + m.b;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="14">${esc(title)}</text>`,
  ];
  grid.values.forEach((row, i) =>
    row.forEach((v, j) => {
      parts.push(
        `<rect class="cell" data-row="${i}" data-col="${j}" data-value="${v}" x="${m.l + j * cell}" y="${m.t + i * cell}" width="${cell}" height="${cell}" fill="${colour(v, max)}" stroke="#e4e4e4"><title>[${i}, ${j}]: ${v === v ? v.toExponential(3) : "not compared"}</title></rect>`,
      );
    }),
  );
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${cols * cell}" height="${rows * cell}" fill="none" stroke="#999"/>`);
  for (let j = 0; j < cols; j++) parts.push(`<text x="${m.l + (j + 0.5) * cell}" y="${m.t + rows * cell + 16}" text-anchor="middle">${j}</text>`);
  if (grid.axes[1] !== null) for (let i = 0; i < rows; i++) parts.push(`<text x="${m.l - 6}" y="${m.t + (i + 0.5) * cell + 4}" text-anchor="end">${i}</text>`);
  parts.push(`<text x="${m.l + (cols * cell) / 2}" y="${m.t + rows * cell + 36}" text-anchor="middle">${esc(colLabel)}</text>`);
  if (rowLabel) parts.push(`<text transform="translate(18 ${m.t + (rows * cell) / 2}) rotate(-90)" text-anchor="middle">${esc(rowLabel)}</text>`);
  // the scale: 0 to max
  const sw = Math.min(200, cols * cell);
  const sy = m.t + rows * cell + 50;
  parts.push(`<defs><linearGradient id="scale"><stop offset="0" stop-color="${colour(0, 1)}"/><stop offset="1" stop-color="${colour(1, 1)}"/></linearGradient></defs>`);
  parts.push(`<rect x="${m.l}" y="${sy}" width="${sw}" height="10" fill="url(#scale)" stroke="#999"/>`);
  parts.push(`<text x="${m.l}" y="${sy + 24}">0</text><text x="${m.l + sw}" y="${sy + 24}" text-anchor="end">${max.toExponential(2)}</text>`);
  parts.push("</svg>");
  return parts.join("\n");
}
