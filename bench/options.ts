// The command line of `pnpm bench`.

export type Section = "tensor" | "tape" | "lstm" | "conv" | "main" | "browser" | "webgpu";
export const SECTIONS: readonly Section[] = ["tensor", "tape", "lstm", "conv", "main", "browser", "webgpu"];
export type SizeName = "S" | "M" | "L";
export type Dtype = "float64" | "float32";

export interface BenchOptions {
  sections: Section[];
  quick: boolean;
  json: boolean;
  /** Write bench/RESULTS.md (the committed record) from this run. */
  writeResults: boolean;
  /** Run the numpy peer (python3). */
  numpy: boolean;
  /** Run the TensorFlow.js peers. */
  tfjs: boolean;
  sizes: SizeName[];
  dtypes: Dtype[];
  /** Timed runs per row at size L (after `lWarmup` warm-up runs): a step there takes seconds. */
  lRuns: number;
  lWarmup: number;
  /** Peak-RSS runs of the L step, one child process each. */
  memory: boolean;
  memoryT: number[];
  memorySize: SizeName;
  /** The main section: training steps per run, runs per row, and whether to add a pair on default threads. */
  mainSteps: number;
  mainRuns: number;
  mainThreads: boolean;
  /** Also run the main job with relaxed SIMD on (Node 20's flag). */
  mainRelaxed: boolean;
}

export const USAGE = `pnpm bench [sections...] [options]

sections: tensor, tape, lstm, conv, main, browser, webgpu (default: all; or --sections=tensor,lstm)
  (webgpu: the LSTM step on a GPU through Dawn, beside tfjs-webgpu; skipped without an adapter,
  S only on a fallback one such as SwiftShader)

  --quick            a reduced set, for a smoke test (S and M only, short timings)
  --json             also write bench/results.json
  --write-results    also write bench/RESULTS.md (machine, notes and this run's tables)
  --sizes=S,M,L      LSTM sizes (default S,M,L; --quick: S,M)
  --no-L             shorthand for leaving L out of --sizes
  --dtypes=float64,float32
  --l-runs=N         timed runs per row at size L (default 3)
  --l-warmup=N       warm-up runs per row at size L (default 1)
  --no-memory        skip the peak-RSS runs of the LSTM step
  --memory-T=64,512  sequence lengths of the peak-RSS runs (default 64,512; --quick: 8,32)
  --memory-size=L    size of the peak-RSS runs (default L; --quick: M)
  --main-steps=N     training steps of each main-job run (default 800, the demo's; --quick: 100)
  --main-runs=N      runs of each main-job row, alternating tapegrad and PyTorch (default 1)
  --main-threads     also run the main job on each one's default threads
  --main-relaxed     also run tapegrad's main job with --experimental-wasm-relaxed-simd (Node 20, 21)
  --no-numpy         skip the numpy peer (and the PyTorch peers)
  --no-tfjs          skip the TensorFlow.js peers (tfjs-webgpu too)
  --help
`;

function list<T extends string>(flag: string, value: string, allowed: readonly T[]): T[] {
  const items = value.split(",").map((s) => s.trim()).filter(Boolean);
  for (const i of items) if (!allowed.includes(i as T)) throw new Error(`${flag}: unknown value "${i}" (expected ${allowed.join(", ")})`);
  return items as T[];
}

function int(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag}: expected an integer >= ${min}, got "${value}"`);
  return n;
}

export function parseOptions(argv: readonly string[]): BenchOptions | "help" {
  const quick = argv.includes("--quick");
  const o: BenchOptions = {
    sections: [],
    quick,
    json: false,
    writeResults: false,
    numpy: true,
    tfjs: true,
    sizes: quick ? ["S", "M"] : ["S", "M", "L"],
    dtypes: ["float64", "float32"],
    lRuns: 3,
    lWarmup: 1,
    memory: true,
    memoryT: quick ? [8, 32] : [64, 512],
    memorySize: quick ? "M" : "L",
    mainSteps: quick ? 100 : 800,
    mainRuns: 1,
    mainThreads: false,
    mainRelaxed: false,
  };
  let noL = false;
  for (const arg of argv) {
    const [flag, value = ""] = arg.split(/=(.*)/s, 2) as [string, string?];
    switch (flag) {
      case "--":
      case "--quick":
        break;
      case "--help":
      case "-h":
        return "help";
      case "--json": o.json = true; break;
      case "--write-results": o.writeResults = true; break;
      case "--no-numpy": o.numpy = false; break;
      case "--no-tfjs": o.tfjs = false; break;
      case "--no-memory": o.memory = false; break;
      case "--no-L": noL = true; break;
      case "--sections": o.sections.push(...list(flag, value, SECTIONS)); break;
      case "--sizes": o.sizes = list(flag, value, ["S", "M", "L"] as const); break;
      case "--dtypes": o.dtypes = list(flag, value, ["float64", "float32"] as const); break;
      case "--l-runs": o.lRuns = int(flag, value, 1); break;
      case "--l-warmup": o.lWarmup = int(flag, value, 0); break;
      case "--memory-T": o.memoryT = value.split(",").map((v) => int(flag, v, 1)); break;
      case "--main-steps": o.mainSteps = int(flag, value, 1); break;
      case "--main-runs": o.mainRuns = int(flag, value, 1); break;
      case "--main-threads": o.mainThreads = true; break;
      case "--main-relaxed": o.mainRelaxed = true; break;
      case "--memory-size": o.memorySize = list(flag, value, ["S", "M", "L"] as const)[0] ?? o.memorySize; break;
      default:
        if (SECTIONS.includes(arg as Section)) o.sections.push(arg as Section);
        else throw new Error(`unknown argument "${arg}"\n\n${USAGE}`);
    }
  }
  if (noL) o.sizes = o.sizes.filter((s) => s !== "L");
  if (o.sections.length === 0) o.sections = [...SECTIONS];
  return o;
}
