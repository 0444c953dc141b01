// pnpm docs: the API reference of the three packages with TypeDoc, to out/docs (HTML) and
// out/docs/api.json; then lists the public exports whose TSDoc has no summary yet, and keeps the
// README's count of documented exports equal to what this tool counts (rewriting it; under
// `--strict`, as CI runs it, a stale count fails, as does any export without a summary).
//
// Two conversions differ from TypeDoc's defaults, done here so that the sources need no
// doc-tool tags:
// - an exported const whose value is a function (`export const exp = kernel("exp", ...)`) is
//   listed as a function, with its signatures, as TypeDoc's @function tag would make it;
// - members named with a leading underscore (`_grad`, `_valueFree`) are internals, left out as
//   @internal ones are (excludeInternal in typedoc.json).

import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Application, Context, Converter, PackageJsonReader, ReflectionKind, TSConfigReader, TypeDocReader } from "typedoc";

const here = fileURLToPath(new URL(".", import.meta.url));
const strict = process.argv.includes("--strict");
const jsonPath = fileURLToPath(new URL("../../out/docs/api.json", import.meta.url));
const readmePath = fileURLToPath(new URL("../../README.md", import.meta.url));

// TypeDoc converts a callable const as a function when its comment carries @function; this adds
// that modifier to the comment of every exported const whose type has call signatures and no
// construct signatures (TypeDoc checks the signatures itself before reading the modifier).
const getComment = Context.prototype.getComment;
Context.prototype.getComment = function (symbol, kind) {
  const comment = getComment.call(this, symbol, kind);
  if (comment && kind === ReflectionKind.Variable && !comment.hasModifier("@function")) {
    const type = this.checker.getTypeOfSymbol(symbol);
    if (type.getCallSignatures().length && !type.getConstructSignatures().length) comment.modifierTags.add("@function");
  }
  return comment;
};

process.chdir(here); // typedoc.json's paths are relative to this folder
const app = await Application.bootstrapWithPlugins({ options: "typedoc.json", json: jsonPath }, [
  new TypeDocReader(),
  new PackageJsonReader(),
  new TSConfigReader(),
]);
app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
  const project = context.project;
  for (const r of project.getReflectionsByKind(ReflectionKind.All)) {
    if (r.name.startsWith("_") && r.parent && r.parent !== project && !r.kindOf(ReflectionKind.Module)) project.removeReflection(r);
  }
});
const project = await app.convert();
if (!project || app.logger.hasErrors()) process.exit(1);
await app.generateOutputs(project);
if (app.logger.hasErrors()) process.exit(1);

const api = JSON.parse(readFileSync(jsonPath, "utf8"));
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
const documented = total - missing.length;
console.log(`docs: ${documented} of ${total} public exports have a TSDoc summary; wrote out/docs/index.html`);
let failed = false;
if (missing.length) {
  console.log(`without a summary (${missing.length}):\n  ${missing.join("\n  ")}`);
  failed = true;
}

// What the two conversions above promise, held on the written JSON: no underscore member
// anywhere, and no export listed as a variable whose type is a function.
const leaks = [];
const walk = (r, path) => {
  for (const c of r.children ?? []) {
    if (c.name.startsWith("_")) leaks.push(`${path}.${c.name} (an internal)`);
    walk(c, `${path}.${c.name}`);
  }
};
for (const pkg of api.children ?? []) {
  walk(pkg, pkg.name);
  for (const r of pkg.children ?? []) {
    if (r.kind === ReflectionKind.Variable && r.type?.type === "reflection" && r.type.declaration?.signatures?.length) leaks.push(`${pkg.name}: ${r.name} (a function listed as a variable)`);
  }
}
if (leaks.length) {
  console.log(`listed wrongly (${leaks.length}):\n  ${leaks.join("\n  ")}`);
  failed = true;
}

// The README quotes the count; it is this tool's, never typed by hand.
const COUNT = /Every public export has a summary \((\d+) of (\d+)\)/;
const readme = readFileSync(readmePath, "utf8");
const quoted = readme.match(COUNT);
if (!quoted) {
  console.log('README.md: no sentence "Every public export has a summary (N of N)" to keep in step');
  failed = true;
} else if (Number(quoted[1]) !== documented || Number(quoted[2]) !== total) {
  if (strict) {
    console.log(`README.md says ${quoted[1]} of ${quoted[2]} documented exports; this tool counts ${documented} of ${total}: run \`pnpm run docs\` to update it`);
    failed = true;
  } else {
    writeFileSync(readmePath, readme.replace(COUNT, `Every public export has a summary (${documented} of ${total})`));
    console.log(`README.md: the count of documented exports is now ${documented} of ${total} (was ${quoted[1]} of ${quoted[2]})`);
  }
}
if (failed && strict) process.exit(1);
