// `pnpm example <name> [options]`: runs examples/<name>/main.ts.

import { existsSync, readFileSync, readdirSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join } from "node:path";
import { UsageError, suggest } from "./lib/cli.js";

const here = dirname(fileURLToPath(import.meta.url));
const names = readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(here, d.name, "main.ts")))
  .map((d) => d.name)
  .sort();

const [name, ...args] = process.argv.slice(2).filter((a) => a !== "--");
if (!name || name === "--help" || name === "-h" || !names.includes(name)) {
  if (name && !name.startsWith("-")) console.error(`no example named "${name}"${suggest(name, names).replace("--", "")}`);
  console.log(`usage: pnpm example <name> [options]    (each example takes --help)\nexamples: ${names.join(", ")}`);
  process.exit(name && name !== "--help" && name !== "-h" ? 2 : 0);
}
// An example either exports main(argv) or, like quickstart, simply runs when imported: that one
// takes no options, and saying so beats running it with the options ignored.
const file = join(here, name, "main.ts");
if (args.length && !/export (async )?function main\(/.test(readFileSync(file, "utf8"))) {
  if (args.length === 1 && (args[0] === "--help" || args[0] === "-h")) {
    console.log(`usage: pnpm example ${name}    (it takes no options)`);
    process.exit(0);
  }
  console.error(`${name}: takes no options, got ${args.join(" ")}`);
  process.exit(2);
}
const mod = (await import(pathToFileURL(file).href)) as { main?(argv: string[]): Promise<unknown> };
try {
  await mod.main?.(args);
} catch (e) {
  // A user's mistake is one line and exit code 2; anything else is a bug and keeps its stack.
  if (!(e instanceof UsageError)) throw e;
  console.error(`${name}: ${e.message}`);
  process.exit(2);
}
