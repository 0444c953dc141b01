// pnpm docs: the API reference of the three packages with TypeDoc, to out/docs (HTML) and
// out/docs/api.json; then lists the public exports whose TSDoc has no summary yet.
// `--strict` exits non-zero while any is missing.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const typedoc = fileURLToPath(new URL("./node_modules/typedoc/bin/typedoc", import.meta.url));
execFileSync(process.execPath, [typedoc, "--options", "typedoc.json", "--json", "../../out/docs/api.json"], { cwd: here, stdio: "inherit" });

const api = JSON.parse(readFileSync(new URL("../../out/docs/api.json", import.meta.url), "utf8"));
const hasSummary = (r) =>
  [r, ...(r.signatures ?? []), ...(r.getSignature ? [r.getSignature] : [])].some((x) => x.comment?.summary?.some((p) => p.text.trim() !== ""));
const missing = [];
let total = 0;
for (const pkg of api.children ?? []) {
  for (const r of pkg.children ?? []) {
    total++;
    if (!hasSummary(r)) missing.push(`${pkg.name}: ${r.name}`);
  }
}
console.log(`docs: ${total - missing.length} of ${total} public exports have a TSDoc summary; wrote out/docs/index.html`);
if (missing.length) {
  console.log(`without a summary (${missing.length}):\n  ${missing.join("\n  ")}`);
  if (process.argv.includes("--strict")) process.exit(1);
}
