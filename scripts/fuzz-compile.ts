// Runs compile's differential fuzz properties longer than CI does:
//   pnpm fuzz:compile [--runs N] [--seed S] [--only programs|training]
// Each property draws cases, runs each eagerly and compiled, and holds them equal bitwise (or a
// refusal); each case twice, the second time with the size thresholds of the speed paths at
// their minimum (fused loops as wasm from one element, a program's arrays in a wasm arena
// whatever their size), which the small cases here would otherwise never reach. On a failure it prints fast-check's shrunk counterexample as a vitest block to paste
// into the property's regression file, and exits 1. Bad flags: one line, exit 2.

import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import fc from "fast-check";
import { setWasmMinElements } from "../packages/tensor/src/wasm/fused-wasm.js";
import { setArenaMinBytes } from "../packages/tensor/src/wasm/arena.js";

/** What a fuzz property file exports: cases, a check that throws on a divergence, and a printer. */
export interface FuzzProperty<T> {
  name: string;
  arbitrary: fc.Arbitrary<T>;
  /** throws (a Divergence) when the compiled step differs; fc.pre discards a case eager cannot run */
  check(c: T): void;
  /** a ready-to-paste vitest block that rebuilds the case */
  paste(c: T): string;
  /** optional: a smaller case that still fails, after fast-check's own shrinking */
  minimize?(c: T): T;
}

interface Flags {
  runs: number;
  seed: number;
  only: string | null;
}

const USAGE = "usage: pnpm fuzz:compile [--runs N] [--seed S] [--only programs|training]";

function parseFlags(argv: readonly string[]): Flags | string {
  const flags: Flags = { runs: 1000, seed: Date.now() % 2_147_483_647, only: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") continue; // pnpm passes a separator through
    const eq = arg.indexOf("=");
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    if (name !== "--runs" && name !== "--seed" && name !== "--only") return `fuzz:compile: unknown flag ${JSON.stringify(arg)}; ${USAGE}`;
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === "") return `fuzz:compile: ${name} needs a value; ${USAGE}`;
    if (name === "--only") {
      if (value !== "programs" && value !== "training") return `fuzz:compile: --only must be programs or training, got ${JSON.stringify(value)}`;
      flags.only = value;
      continue;
    }
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n)) return `fuzz:compile: ${name} must be an integer, got ${JSON.stringify(value)}`;
    if (name === "--runs" && n < 1) return `fuzz:compile: --runs must be at least 1, got ${n}`;
    if (name === "--seed" && (n < -2_147_483_648 || n > 2_147_483_647)) return `fuzz:compile: --seed must be a 32-bit integer, got ${n}`;
    if (name === "--runs") flags.runs = n;
    else flags.seed = n;
  }
  return flags;
}

const root = fileURLToPath(new URL("..", import.meta.url));

/** The properties, each from its own file: the training one only once that file exists. */
async function loadProperties(): Promise<FuzzProperty<unknown>[]> {
  const props: FuzzProperty<unknown>[] = [];
  const programs = await import("../packages/autograd/test/fuzz/programs.js");
  props.push(programs.programsProperty as unknown as FuzzProperty<unknown>);
  const trainingFile = `${root}packages/nn/test/fuzz/training.ts`;
  if (existsSync(trainingFile)) {
    const mod = (await import(pathToFileURL(trainingFile).href)) as { trainingProperty?: FuzzProperty<unknown> };
    if (mod.trainingProperty) props.push(mod.trainingProperty);
    else console.warn("fuzz:compile: packages/nn/test/fuzz/training.ts exports no trainingProperty yet; skipping it");
  }
  return props;
}

async function main(): Promise<number> {
  const flags = parseFlags(process.argv.slice(2));
  if (typeof flags === "string") {
    console.error(flags);
    return 2;
  }
  const props = (await loadProperties()).filter((p) => flags.only === null || p.name === flags.only);
  if (props.length === 0) {
    console.error(`fuzz:compile: no property named ${flags.only} (its file may not exist yet)`);
    return 2;
  }
  let failed = 0;
  for (const prop of props) {
    const t0 = performance.now();
    let cases = 0;
    let discarded = 0;
    const details = fc.check(
      fc.property(prop.arbitrary, (c) => {
        cases++;
        try {
          prop.check(c);
          const [elements, bytes] = [setWasmMinElements(1), setArenaMinBytes(0)];
          try {
            prop.check(c);
          } finally {
            setWasmMinElements(elements);
            setArenaMinBytes(bytes);
          }
        } catch (e) {
          if (fc.PreconditionFailure.isFailure(e)) discarded++;
          throw e;
        }
      }),
      { seed: flags.seed, numRuns: flags.runs },
    );
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    if (!details.failed) {
      console.log(`fuzz:compile ${prop.name}: ${flags.runs} runs passed (seed ${flags.seed}, ${discarded} discarded, ${secs} s)`);
      continue;
    }
    failed++;
    console.log(fc.defaultReportMessage(details));
    const shrunk: unknown = details.counterexample?.[0];
    if (shrunk !== undefined) {
      let c: unknown = shrunk;
      if (prop.minimize) {
        try {
          c = prop.minimize(shrunk);
        } catch (e) {
          console.warn(`fuzz:compile: minimize failed (${String(e)}); printing fast-check's counterexample`);
        }
      }
      console.log(`\nfuzz:compile ${prop.name}: failed (seed ${flags.seed}, ${cases} cases, ${secs} s); the shrunk counterexample as a regression test:\n`);
      console.log(prop.paste(c));
    }
  }
  return failed > 0 ? 1 : 0;
}

process.exitCode = await main();
