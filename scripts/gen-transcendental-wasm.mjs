// Writes packages/tensor/src/kernels/transcendental-wasm-module.ts: a WebAssembly SIMD module (base64) that runs the
// exp/tanh/sigmoid cores of transcendental.ts two float64 lanes at a time, with the same
// operations in the same order on the same constants, so that it gives the TypeScript kernels'
// bits (the float32 kernels compute in float64 there too, then round once). The tables and
// constants are read from transcendental-tables.ts and baked in as a data segment.
//
// Where a lane needs a table entry it loads it alone (wasm has no gather); 2^k is built from
// its bits, which equals the TypeScript kernels' POW2 entry wherever k is a normal exponent,
// the only place these cores look it up (sigmoid's g is clamped to 2^-1022 there, which
// leaves every result unchanged: see sigmoid below).
//
// Run: node scripts/gen-transcendental-wasm.mjs [--check] [--wat=FILE] (pnpm build:wasm runs it)
// (--check exits non-zero when the committed module differs from a fresh build).

import { readFileSync, writeFileSync } from "node:fs";
import wabtInit from "wabt";
import { writeOrCheck } from "./lib/generated.mjs";

const here = new URL("../packages/tensor/src/kernels/", import.meta.url);
const tablesText = readFileSync(new URL("transcendental-tables.ts", here), "utf8");
const num = (name) => {
  const m = tablesText.match(new RegExp(`export const ${name} = (-?[0-9.e+-]+);`));
  if (!m) throw new Error(`no constant ${name} in transcendental-tables.ts`);
  return Number(m[1]);
};
const arr = (name) => {
  const m = tablesText.match(new RegExp(`export const ${name} = new Float64Array\\(\\[([^\\]]*)\\]\\);`));
  if (!m) throw new Error(`no table ${name} in transcendental-tables.ts`);
  const v = m[1].split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number);
  if (v.length !== 128) throw new Error(`${name}: expected 128 entries, found ${v.length}`);
  return v;
};

// ---------------------------------------------------------------- memory layout (bytes)
const EXP2 = 0; // EXP2_128
const EXP2_LO = 1024; // EXP2_128_LO
const CONSTS = 2048; // v128 constants, 16 bytes each
const WORK = 4096; // where the TypeScript side stages its chunks
const CHUNK_BYTES = 32768;

// ---------------------------------------------------------------- a tiny expression language
// Every value is a v128 expression (text). Constants live in memory and are loaded into locals
// before each loop: as v128.const, V8 rebuilds each one inside the loop on every iteration.
const constSlots = new Map(); // key -> { local, bytes }
function constant(key, bytes) {
  if (!constSlots.has(key)) constSlots.set(key, { local: `$k${constSlots.size}`, bytes });
  return `(local.get ${constSlots.get(key).local})`;
}
const F = (v) => {
  const b = new DataView(new ArrayBuffer(16));
  b.setFloat64(0, v, true);
  b.setFloat64(8, v, true);
  return constant(`f64 ${Object.is(v, -0) ? "-0" : v}`, new Uint8Array(b.buffer));
};
const I = (v) => {
  const b = new DataView(new ArrayBuffer(16));
  for (let i = 0; i < 4; i++) b.setInt32(4 * i, v, true);
  return constant(`i32 ${v}`, new Uint8Array(b.buffer));
};
const op = (name) => (...args) => `(${name} ${args.join(" ")})`;
const add = op("f64x2.add"), sub = op("f64x2.sub"), mul = op("f64x2.mul"), div = op("f64x2.div"), neg = op("f64x2.neg");
// pmin(a, b) = b < a ? b : a and pmax(a, b) = a < b ? b : a: the ternaries of the TypeScript
// clamps exactly, NaN and -0 included
const pmin = op("f64x2.pmin"), pmax = op("f64x2.pmax");
const iand = op("v128.and"), iandnot = op("v128.andnot"), iadd = op("i32x4.add"), isub = op("i32x4.sub"), imax = op("i32x4.max_s");
const ishr = (a, n) => `(i32x4.shr_s ${a} (i32.const ${n}))`;
const ishl = (a, n) => `(i32x4.shl ${a} (i32.const ${n}))`;
/** kd | 0 for an integral kd in int32 range, in lanes 0 and 1 of an i32x4. */
const toInt = (kd) => `(i32x4.trunc_sat_f64x2_s_zero ${kd})`;
/** 2^e for a normal exponent e in lanes 0 and 1 of an i32x4, built from its bits. */
const pow2 = (e) => `(i64x2.shl (i64x2.extend_low_i32x4_s ${iadd(e, I(1023))}) (i32.const 52))`;
/** table[j] per lane, j in lanes 0 and 1 of an i32x4 (byte offsets j * 8 into the table at base). */
const lookup = (base, jBytes) =>
  `(v128.load64_lane offset=${base} 1 (i32x4.extract_lane 1 ${jBytes}) (v128.load64_zero offset=${base} (i32x4.extract_lane 0 ${jBytes})))`;

class Body {
  constructor(suffix) {
    this.suffix = suffix;
    this.lines = [];
    this.locals = [];
  }
  /** Binds e to a fresh local; returns its reading. */
  let(name, e) {
    const l = `$${name}${this.suffix}`;
    this.locals.push(l);
    this.lines.push(`(local.set ${l} ${e})`);
    return `(local.get ${l})`;
  }
}

const SHIFT = 6755399441055744;
const INV_LN2N = num("INV_LN2N"), LN2N_HI = num("LN2N_HI"), LN2N_LO = num("LN2N_LO");
const INV_LN2N_2 = 2 * INV_LN2N;
/** 0.5 + r/6 + r^2 (1/24 + r/120 + r^2/720), as the TypeScript writes it. */
const poly5 = (r, r2) => add(add(F(0.5), mul(r, F(1 / 6))), mul(r2, add(add(F(1 / 24), mul(r, F(1 / 120))), mul(r2, F(1 / 720)))));

// Each core mirrors its namesake in transcendental.ts line by line.
const CORES = {
  exp64(b, x) {
    const xc = b.let("xc", pmax(pmin(x, F(710)), F(-746)));
    const kd = b.let("kd", sub(add(mul(xc, F(INV_LN2N)), F(SHIFT)), F(SHIFT)));
    const ki = b.let("ki", toInt(kd));
    const r = b.let("r", sub(sub(xc, mul(kd, F(LN2N_HI))), mul(kd, F(LN2N_LO))));
    const r2 = b.let("r2", mul(r, r));
    const p = b.let("p", add(r, mul(r2, poly5(r, r2))));
    const t = b.let("t", lookup(EXP2, ishl(iand(ki, I(127)), 3)));
    const e = b.let("e", ishr(ki, 7));
    const e1 = b.let("e1", ishr(e, 1));
    return mul(mul(add(t, mul(t, p)), pow2(e1)), pow2(isub(e, e1)));
  },
  exp32(b, x) {
    const xc = b.let("xc", pmax(pmin(x, F(89)), F(-104)));
    const kd = b.let("kd", sub(add(mul(xc, F(INV_LN2N)), F(SHIFT)), F(SHIFT)));
    const ki = b.let("ki", toInt(kd));
    const r = b.let("r", sub(xc, mul(kd, F(LN2N_HI))));
    const p = b.let("p", add(r, mul(mul(r, r), add(F(0.5), mul(r, F(1 / 6))))));
    const t = b.let("t", lookup(EXP2, ishl(iand(ki, I(127)), 3)));
    return mul(add(t, mul(t, p)), pow2(ishr(ki, 7)));
  },
  tanh64(b, x) {
    const xc = b.let("xc", pmax(pmin(x, F(20)), F(-20)));
    const kd = b.let("kd", sub(add(mul(xc, F(INV_LN2N_2)), F(SHIFT)), F(SHIFT)));
    const ki = b.let("ki", toInt(kd));
    const r = b.let("r", sub(mul(F(2), xc), mul(kd, F(LN2N_HI))));
    const sc = b.let("sc", pow2(ishr(ki, 7)));
    const j = b.let("j", ishl(iand(ki, I(127)), 3));
    const s = b.let("s", mul(lookup(EXP2, j), sc));
    const A = b.let("A", sub(s, F(1)));
    const al = b.let("al", sub(s, add(A, F(1))));
    const sl = b.let("sl", add(mul(lookup(EXP2_LO, j), sc), al));
    const r2 = b.let("r2", mul(r, r));
    const q2 = b.let("q2", mul(r2, poly5(r, r2)));
    const h = b.let("h", add(A, r));
    const bb = b.let("bb", sub(h, A));
    const l = b.let("l", add(sub(A, sub(h, bb)), sub(r, bb)));
    const c = b.let("c", add(add(mul(A, r), mul(sub(sl, mul(s, mul(kd, F(LN2N_LO)))), add(F(1), r))), mul(s, q2)));
    const uh = b.let("uh", add(h, c));
    const ul = b.let("ul", add(sub(c, sub(uh, h)), l));
    const d = b.let("d", add(uh, F(2)));
    const db = b.let("db", sub(d, uh));
    const dl = b.let("dl", add(add(sub(uh, sub(d, db)), sub(F(2), db)), ul));
    const t = b.let("t", div(uh, d));
    const y = b.let("y", add(t, div(sub(ul, mul(t, dl)), add(d, dl))));
    return `(v128.bitselect ${x} ${y} (f64x2.eq ${x} ${F(0)}))`; // x === 0 ? x : y
  },
  tanh32(b, x) {
    const xc = b.let("xc", pmax(pmin(x, F(10)), F(-10)));
    const kd = b.let("kd", sub(add(mul(xc, F(INV_LN2N_2)), F(SHIFT)), F(SHIFT)));
    const ki = b.let("ki", toInt(kd));
    const r = b.let("r", sub(mul(F(2), xc), mul(kd, F(LN2N_HI))));
    const p = b.let("p", mul(r, add(F(1), mul(r, add(F(0.5), mul(r, F(1 / 6)))))));
    const s = b.let("s", mul(lookup(EXP2, ishl(iand(ki, I(127)), 3)), pow2(ishr(ki, 7))));
    const u = b.let("u", add(neg(sub(F(1), s)), mul(s, p)));
    return div(u, add(u, F(2)));
  },
  sigmoid64(b, x) {
    const xc = b.let("xc", pmax(pmin(neg(x), F(746)), F(-746)));
    const kd = b.let("kd", sub(add(mul(xc, F(INV_LN2N)), F(SHIFT)), F(SHIFT)));
    const ki = b.let("ki", toInt(kd));
    const r = b.let("r", sub(sub(xc, mul(kd, F(LN2N_HI))), mul(kd, F(LN2N_LO))));
    const r2 = b.let("r2", mul(r, r));
    const p = b.let("p", add(r, mul(r2, poly5(r, r2))));
    const e = b.let("e", ishr(ki, 7));
    const m = b.let("m", ishr(iandnot(e, ishr(e, 31)), 1));
    const f = b.let("f", pow2(isub(I(0), m)));
    // 2^(e - m) below 2^-1022 (x > 709) only scales s below 2^-1021, where 1 + s and the
    // result round to 1 whatever it is: clamped, it stays a normal exponent
    const g = b.let("g", pow2(imax(isub(e, m), I(-1022))));
    const j = b.let("j", ishl(iand(ki, I(127)), 3));
    const s = b.let("s", mul(lookup(EXP2, j), g));
    const sp = b.let("sp", mul(s, p));
    const s1 = b.let("s1", add(s, sp));
    const d = b.let("d", add(f, s1));
    const db = b.let("db", sub(d, s1));
    const dl = b.let("dl", add(add(sub(s1, sub(d, db)), sub(f, db)), add(sub(sp, sub(s1, s)), mul(lookup(EXP2_LO, j), g))));
    const q = b.let("q", div(F(1), d));
    return mul(sub(q, mul(q, mul(q, dl))), f);
  },
  sigmoid32(b, x) {
    const xc = b.let("xc", pmax(pmin(neg(x), F(104)), F(-104)));
    const kd = b.let("kd", sub(add(mul(xc, F(INV_LN2N)), F(SHIFT)), F(SHIFT)));
    const ki = b.let("ki", toInt(kd));
    const r = b.let("r", sub(xc, mul(kd, F(LN2N_HI))));
    const p = b.let("p", add(r, mul(mul(r, r), add(F(0.5), mul(r, F(1 / 6))))));
    const t = b.let("t", lookup(EXP2, ishl(iand(ki, I(127)), 3)));
    return div(F(1), add(F(1), mul(add(t, mul(t, p)), pow2(ishr(ki, 7)))));
  },
};

// ---------------------------------------------------------------- the functions

/**
 * name(src, dst, n): n elements (a multiple of 4) from byte src to byte dst (src = dst
 * allowed), four per iteration as two f64x2 chains (two independent chains hide latency; V8
 * spills more with four). float32: each half promoted, then rounded once to float32 (demote
 * rounds to nearest even, as a Float32Array store does).
 */
function kernel(name, core, f32) {
  constSlots.clear();
  const bodies = [];
  let store;
  if (!f32) {
    const lo = new Body("_a"), hi = new Body("_b");
    const yl = core(lo, "(v128.load (local.get $src))");
    const yh = core(hi, "(v128.load offset=16 (local.get $src))");
    bodies.push(lo, hi);
    store = `(v128.store (local.get $dst) ${yl}) (v128.store offset=16 (local.get $dst) ${yh})`;
  } else {
    const lo = new Body("_a"), hi = new Body("_b");
    const xl = lo.let("x", "(f64x2.promote_low_f32x4 (local.get $v))");
    const yl = core(lo, xl);
    const xh = hi.let("x", "(f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))");
    const yh = core(hi, xh);
    bodies.push(lo, hi);
    store = `(v128.store (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (f32x4.demote_f64x2_zero ${yl}) (f32x4.demote_f64x2_zero ${yh})))`;
  }
  const step = f32 ? 16 : 32;
  const width = f32 ? 2 : 3; // log2 of the element size
  const consts = [...constSlots.values()];
  const locals = [...(f32 ? ["$v"] : []), ...bodies.flatMap((b) => b.locals), ...consts.map((c) => c.local)];
  return {
    consts,
    text: `
  (func (export "${name}") (param $src i32) (param $dst i32) (param $n i32) (local $end i32) ${locals.map((l) => `(local ${l} v128)`).join(" ")}
    ${consts.map((c) => `(local.set ${c.local} (v128.load offset=${CONSTS} (i32.const ${0})))`).join("\n    ")}
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const ${width}))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      ${f32 ? "(local.set $v (v128.load (local.get $src)))" : ""}
      ${bodies.flatMap((b) => b.lines).join("\n      ")}
      ${store}
      (local.set $src (i32.add (local.get $src) (i32.const ${step})))
      (local.set $dst (i32.add (local.get $dst) (i32.const ${step})))
      (br $next))))`,
  };
}

// The constants of all functions share one area: each function's slots are renumbered into it.
const allConsts = new Map(); // key bytes (hex) -> byte offset
const funcs = [];
for (const [name, f32] of [["exp64", false], ["exp32", true], ["tanh64", false], ["tanh32", true], ["sigmoid64", false], ["sigmoid32", true]]) {
  const k = kernel(`${name.replace(/(64|32)$/, "")}_f${name.endsWith("32") ? 32 : 64}`, CORES[name], f32);
  let text = k.text;
  for (const c of k.consts) {
    const key = Buffer.from(c.bytes).toString("hex");
    if (!allConsts.has(key)) allConsts.set(key, 16 * allConsts.size);
    text = text.replace(`(local.set ${c.local} (v128.load offset=${CONSTS} (i32.const 0)))`, `(local.set ${c.local} (v128.load offset=${CONSTS + allConsts.get(key)} (i32.const 0)))`);
  }
  funcs.push(text);
}
if (CONSTS + 16 * allConsts.size > WORK) throw new Error("constants overflow their area");

const bytesHex = (floats) => {
  const b = new DataView(new ArrayBuffer(8 * floats.length));
  floats.forEach((v, i) => b.setFloat64(8 * i, v, true));
  return [...new Uint8Array(b.buffer)].map((x) => "\\" + x.toString(16).padStart(2, "0")).join("");
};
const constData = [...allConsts.keys()].map((h) => h.replace(/../g, (x) => "\\" + x)).join("");

const wat = `(module
  (memory (export "memory") 1)
  (data (i32.const ${EXP2}) "${bytesHex(arr("EXP2_128"))}")
  (data (i32.const ${EXP2_LO}) "${bytesHex(arr("EXP2_128_LO"))}")
  (data (i32.const ${CONSTS}) "${constData}")
${funcs.join("\n")}
)
`;

const wabt = await wabtInit();
const mod = wabt.parseWat("transcendental.wat", wat, { simd: true });
mod.validate({ simd: true });
const bytes = mod.toBinary({}).buffer;
mod.destroy();

const lines = Buffer.from(bytes).toString("base64").match(/.{1,100}/g) ?? [];
const out =
  "// Generated by scripts/gen-transcendental-wasm.mjs from the cores of transcendental.ts\n" +
  `// and the tables of transcendental-tables.ts: do not edit. A WebAssembly SIMD module (${bytes.length} bytes).\n\n` +
  `/** Byte offset in the module's memory where chunks are staged, and the room there. */\n` +
  `export const WORK_OFFSET = ${WORK};\nexport const WORK_BYTES = ${CHUNK_BYTES};\n\n` +
  "export const TRANSCENDENTAL_WASM_BASE64 =\n" +
  lines.map((l, i) => `  "${l}"${i === lines.length - 1 ? ";" : " +"}`).join("\n") +
  "\n";

if (writeOrCheck(new URL("transcendental-wasm-module.ts", here), out, "transcendental-wasm-module.ts", ` (${bytes.length} bytes)`)) {
  const watPath = process.argv.find((a) => a.startsWith("--wat="));
  if (watPath) writeFileSync(watPath.slice(6), wat); // the text, to read (not kept)
}
