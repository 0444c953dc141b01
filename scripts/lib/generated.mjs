// Writes a generated source file, or with --check (on the command line) exits non-zero when the
// committed one differs from what the generator made now.

import { readFileSync, writeFileSync } from "node:fs";

/** Writes `text` to `target` (a path or file URL), or checks it; `what` names it in messages. */
export function writeOrCheck(target, text, what, sizes = "") {
  if (process.argv.includes("--check")) {
    let old = "";
    try {
      old = readFileSync(target, "utf8");
    } catch {}
    if (old !== text) {
      console.error(`${what} is stale: run pnpm build:wasm`);
      process.exit(1);
    }
    console.log(`${what} is up to date${sizes}`);
    return false;
  }
  writeFileSync(target, text);
  console.log(`wrote ${what}${sizes}`);
  return true;
}
