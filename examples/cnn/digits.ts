// Digit images made on the spot from a 5x7 bitmap font (drawn for this repo): each glyph is
// placed at a random offset in a 12x12 frame, sometimes thickened, scaled in brightness and
// covered in Gaussian noise. Nothing is downloaded; a seed gives the same images every time.

import * as nd from "@tapegrad/tensor";
import { RandomState } from "@tapegrad/tensor";

/** Rows of 5 pixels, top to bottom; "#" is ink. */
const FONT: readonly string[][] = [
  [".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."],
  ["..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."],
  [".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"],
  [".###.", "#...#", "....#", "..##.", "....#", "#...#", ".###."],
  ["...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."],
  ["#####", "#....", "####.", "....#", "....#", "#...#", ".###."],
  ["..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."],
  ["#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."],
  [".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."],
  [".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."],
];

export const SIZE = 12;

export interface Digits {
  /** (n, 1, SIZE, SIZE) */
  images: nd.NDArray;
  labels: Int32Array;
}

/** n images with labels drawn uniformly from 0-9; noise is the std of the added Gaussian noise. */
export function makeDigits(n: number, seed: number, noise = 0.15, dtype: nd.DType = "float32"): Digits {
  const rng = new RandomState(seed);
  const labels = Int32Array.from(rng.randint(0, 10, [n]).data);
  const px = new Float64Array(n * SIZE * SIZE);
  const shifts = rng.randint(0, SIZE - 7 + 1, [n, 2]).data; // rows then cols: glyph 7 high, 5 wide
  const u = rng.rand(n, 3).data;
  const gauss = rng.randn(n, SIZE, SIZE).data;
  for (let i = 0; i < n; i++) {
    const glyph = FONT[labels[i]!]!;
    const r0 = shifts[2 * i]!;
    const c0 = Math.min(shifts[2 * i + 1]!, SIZE - 5);
    const bold = u[3 * i]! < 0.3;
    const ink = 0.6 + 0.4 * u[3 * i + 1]!;
    const base = i * SIZE * SIZE;
    for (let r = 0; r < 7; r++) {
      for (let c = 0; c < 5; c++) {
        if (glyph[r]![c] !== "#") continue;
        px[base + (r0 + r) * SIZE + c0 + c] = ink;
        if (bold && c0 + c + 1 < SIZE) px[base + (r0 + r) * SIZE + c0 + c + 1] = ink;
      }
    }
    for (let k = 0; k < SIZE * SIZE; k++) px[base + k] = px[base + k]! + noise * gauss[i * SIZE * SIZE + k]!;
  }
  const images = nd.array(px, [n, 1, SIZE, SIZE]);
  return { images: dtype === "float64" ? images : images.astype(dtype), labels };
}
