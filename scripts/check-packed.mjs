// Installs the packages as a user would get them: builds, `pnpm pack`s each one, installs the
// three tarballs with npm into a scratch project in a temp dir (outside the workspace, so no
// workspace link or "source" condition can help), then imports every subpath they export in
// plain Node, trains a small LSTM a few steps, gradchecks it, round-trips its weights through
// safetensors, and type-checks a TypeScript file against the packed declarations; then follows
// the README's install steps in a project made by `npm init -y` and runs its samples as written.
// Run: pnpm check:packed (or node scripts/check-packed.mjs). Exits non-zero on any failure.

import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const packages = ["tensor", "autograd", "nn"];
const pnpm = ["-y", "pnpm@12.4.2"];
const keep = process.argv.includes("--keep");

/** The first fenced block of the given language after the heading. */
function codeBlock(markdown, heading, lang) {
  const at = markdown.indexOf(heading + "\n");
  if (at < 0) throw new Error(`no heading ${JSON.stringify(heading)}`);
  const m = markdown.slice(at).match(new RegExp("```" + lang + "\\n([\\s\\S]*?)```"));
  if (!m) throw new Error(`no \`\`\`${lang} block under ${JSON.stringify(heading)}`);
  return m[1];
}

function run(cmd, args, cwd, extra = {}) {
  console.log(`$ ${[cmd, ...args].join(" ")}   (in ${cwd})`);
  execFileSync(cmd, args, { cwd, stdio: "inherit", ...extra });
}

const scratch = mkdtempSync(join(tmpdir(), "tapegrad-packed-"));
try {
  run("npx", [...pnpm, "build"], root);

  // 1. One tarball per package; pnpm pack rewrites workspace:* to the real versions.
  const tarballs = join(scratch, "tarballs");
  mkdirSync(tarballs);
  for (const p of packages) run("npx", [...pnpm, "pack", "--pack-destination", tarballs], join(root, "packages", p), { stdio: ["ignore", "ignore", "inherit"] });
  const files = readdirSync(tarballs).filter((f) => f.endsWith(".tgz"));
  if (files.length !== packages.length) throw new Error(`expected ${packages.length} tarballs, found ${files.join(", ")}`);

  // 2. A scratch project that depends on the tarballs only.
  const app = join(scratch, "app");
  mkdirSync(app);
  const dependencies = Object.fromEntries(packages.map((p) => [`@tapegrad/${p}`, `file:${join(tarballs, files.find((f) => f.includes(`-${p}-`)))}`]));
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "packed-check", private: true, type: "module", dependencies }, null, 2));
  run("npm", ["install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"], app);

  for (const p of packages) {
    const manifest = JSON.parse(readFileSync(join(app, "node_modules", "@tapegrad", p, "package.json"), "utf8"));
    for (const [dep, range] of Object.entries(manifest.dependencies ?? {})) {
      if (String(range).startsWith("workspace:")) throw new Error(`@tapegrad/${p}'s packed package.json still depends on ${dep}@${range}`);
    }
  }

  // 3. Plain Node: every subpath each package exports loads (so a later "./internal" is covered
  // too), and a real computation gives the numbers it should.
  writeFileSync(
    join(app, "check.mjs"),
    `import { readFileSync } from "node:fs";
for (const p of ${JSON.stringify(packages)}) {
  const name = "@tapegrad/" + p;
  const manifest = JSON.parse(readFileSync(new URL("./node_modules/" + name + "/package.json", import.meta.url), "utf8"));
  const subpaths = typeof manifest.exports === "object" && manifest.exports !== null && Object.keys(manifest.exports).some((k) => k.startsWith(".")) ? Object.keys(manifest.exports) : ["."];
  for (const sub of subpaths) {
    if (sub.includes("*")) continue;
    const spec = sub === "." ? name : name + sub.slice(1);
    const mod = await import(spec);
    if (Object.keys(mod).length === 0) throw new Error(spec + " exports nothing");
    console.log("imported " + spec + ": " + Object.keys(mod).length + " exports");
  }
}
const { RandomState } = await import("@tapegrad/tensor");
const { tensor, gradcheck } = await import("@tapegrad/autograd");
const nn = await import("@tapegrad/nn");

// gradcheck of a small composed expression against finite differences
const rs = new RandomState(0);
const a = tensor(rs.randn(3, 4), { requiresGrad: true });
const b = tensor(rs.randn(4, 2), { requiresGrad: true });
const report = gradcheck((x, y) => x.matmul(y).tanh().sum(), [a, b]);
if (!report.passed) throw new Error("gradcheck failed:\\n" + report);
console.log("gradcheck passed");

// a few steps of an LSTM regressor: the loss must fall
nn.manualSeed(0);
const lstm = new nn.LSTM(3, 8);
const head = new nn.Linear(8, 1);
const params = [...lstm.parameters(), ...head.parameters()];
const opt = new nn.Adam(params, { lr: 0.02 });
const x = tensor(rs.randn(5, 4, 3)); // (T, batch, features)
const y = tensor(rs.randn(4, 1));
const losses = [];
for (let step = 0; step < 40; step++) {
  const [, [hN]] = lstm.forward(x); // hN: (layers, batch, hidden)
  const loss = nn.mseLoss(head.forward(hN.reshape([4, 8])), y);
  opt.zeroGrad();
  loss.backward();
  opt.step();
  losses.push(loss.item());
}
console.log("LSTM loss " + losses[0].toFixed(4) + " -> " + losses.at(-1).toFixed(4));
if (!(losses.at(-1) < 0.5 * losses[0])) throw new Error("the LSTM did not learn: " + losses.join(", "));

// safetensors round trip: same names, same numbers
const bytes = nn.saveSafetensors(lstm);
const back = nn.loadSafetensors(bytes);
for (const [k, p] of lstm.namedParameters()) {
  const q = back[k];
  if (!q) throw new Error("safetensors lost " + k);
  const u = p.data.toArray().flat(Infinity), v = q.toArray().flat(Infinity);
  if (u.length !== v.length || u.some((e, i) => e !== v[i])) throw new Error("safetensors changed " + k);
}
console.log("safetensors round trip of " + bytes.length + " bytes");
`,
  );
  run("node", ["check.mjs"], app);

  // 4. The packed declarations satisfy tsc in a strict NodeNext project that has no "source"
  // condition and no DOM or Node typings.
  writeFileSync(
    join(app, "check.ts"),
    `import { NDArray, RandomState, zeros } from "@tapegrad/tensor";
import { Tensor, tensor, grad } from "@tapegrad/autograd";
import { LSTMCell, saveSafetensors, loadSafetensors, type StateDict } from "@tapegrad/nn";

const cell = new LSTMCell(3, 5, { dtype: "float32" });
const x: Tensor = tensor(new RandomState(1).randn(2, 3), { dtype: "float32" });
const [h, c] = cell.forward(x);
const z: NDArray = zeros([2, 5]);
const g = grad((t: Tensor) => t.mul(t).sum());
const bytes: Uint8Array = saveSafetensors(cell);
const dict: StateDict = loadSafetensors(bytes);
export const shapes: readonly (readonly number[])[] = [h.shape, c.shape, z.shape, g(x).shape];
export const keys: string[] = Object.keys(dict);
// @ts-expect-error the declarations are real types, not any: a pair of tensors is not a string
export const wrong: string = cell.forward(x);
`,
  );
  writeFileSync(
    join(app, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { target: "ES2022", lib: ["ES2022"], module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, types: [], skipLibCheck: false }, files: ["check.ts"] }, null, 2),
  );
  run(join(root, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.json"], app);

  // 5. The README's steps as a user follows them: its install commands (npm init -y makes a
  // CommonJS project; the README says to set "type": "module"), then its 15-line sample and each
  // package README's example, taken from the READMEs themselves so that they and this check agree.
  const user = join(scratch, "my-net");
  mkdirSync(user);
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const install = codeBlock(readme, "### In a project of your own", "sh");
  for (const line of install.split("\n").map((l) => l.trim()).filter(Boolean)) {
    if (line.startsWith("mkdir ") || line.startsWith("cd ")) continue; // the scratch folder is made above
    const [cmd, ...args] = line.split(/\s+/);
    if (cmd !== "npm") throw new Error(`README's install steps: unexpected command ${JSON.stringify(line)}`);
    // The README's placeholder folder is where the tarballs were packed; their names are the README's.
    run(cmd, args.map((a) => a.replace(/^\/path\/to\//, tarballs + "/")).concat(args[0] === "install" ? ["--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"] : []), user);
  }
  const samples = [["index.js", codeBlock(readme, "## Training something, in 15 lines", "ts"), /step 300: loss \d/]];
  for (const p of packages) {
    const installed = join(user, "node_modules", "@tapegrad", p);
    const own = readFileSync(join(installed, "README.md"), "utf8"); // the tarball carries its README
    samples.push([`example-${p}.js`, codeBlock(own, "## Example", "js"), /\S/]);
  }
  for (const [file, code, expected] of samples) {
    writeFileSync(join(user, file), code);
    console.log(`$ node ${file}   (in ${user})`);
    const out = execFileSync("node", [file], { cwd: user, encoding: "utf8" });
    process.stdout.write(out);
    if (!expected.test(out)) throw new Error(`${file} printed no line matching ${expected}`);
  }
  console.log("packed packages: install, import, compute and type-check OK; the READMEs' samples run as written");
} finally {
  if (keep) console.log(`kept ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
}
