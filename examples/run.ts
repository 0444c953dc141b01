// `pnpm example <name> [options]`: runs examples/<name>/main.ts.

import { readdirSync, existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const names = readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(here, d.name, "main.ts")))
  .map((d) => d.name)
  .sort();

const [name, ...args] = process.argv.slice(2).filter((a) => a !== "--");
if (!name || name === "--help" || name === "-h" || !names.includes(name)) {
  if (name && !name.startsWith("-")) console.error(`no example named "${name}"`);
  console.log(`usage: pnpm example <name> [options]    (each example takes --help)\nexamples: ${names.join(", ")}`);
  process.exit(name && name !== "--help" && name !== "-h" ? 1 : 0);
}
// An example either exports main(argv) or, like quickstart, simply runs when imported.
const mod = (await import(pathToFileURL(join(here, name, "main.ts")).href)) as { main?(argv: string[]): Promise<unknown> };
await mod.main?.(args);
