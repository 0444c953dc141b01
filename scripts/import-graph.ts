// The import graph of packages/*/src and its cycles. An edge is an import or re-export that
// survives compilation: `import type` and `export type` are erased, but under
// verbatimModuleSyntax `import { type A } from "./a.js"` still loads a.js (as `import {} from`),
// so it counts.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/** The modules a source text loads when it runs, as written (relative paths or package names). */
export function runtimeImports(source: string): string[] {
  const text = stripComments(source);
  const found: string[] = [];
  // import/export ... from "x", including multi-line specifier lists
  const fromRe = /(?:^|[;\n}])\s*(import|export)\s+(type\s+)?([^;"'`]*?)\s*from\s*["']([^"']+)["']/g;
  for (let m = fromRe.exec(text); m !== null; m = fromRe.exec(text)) {
    if (m[2] === undefined) found.push(m[4]!);
  }
  // a bare import, loaded for its side effects
  const bareRe = /(?:^|[;\n}])\s*import\s*["']([^"']+)["']/g;
  for (let m = bareRe.exec(text); m !== null; m = bareRe.exec(text)) found.push(m[1]!);
  return found;
}

function stripComments(s: string): string {
  // strings are kept (an import path is one); comments become spaces
  return s.replace(/("(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`)|\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (all, str: string | undefined) =>
    str !== undefined ? str : all.replace(/[^\n]/g, " "),
  );
}

export type Graph = Map<string, string[]>;

/**
 * Every .ts file under packages/<name>/src, keyed by its path from the repository root, with
 * the files it loads: relative imports resolved, and `@tapegrad/<pkg>[/sub]` resolved through
 * that package's "exports" "source" condition, so cycles across packages show up too.
 */
export function packageGraph(root: string): Graph {
  const pkgsDir = join(root, "packages");
  const entries = new Map<string, string>();
  for (const name of readdirSync(pkgsDir)) {
    const manifest = join(pkgsDir, name, "package.json");
    let pkg: { name: string; exports?: Record<string, { source?: string }> };
    try {
      pkg = JSON.parse(readFileSync(manifest, "utf8"));
    } catch {
      continue;
    }
    for (const [sub, cond] of Object.entries(pkg.exports ?? {})) {
      if (cond && typeof cond === "object" && cond.source) {
        entries.set(sub === "." ? pkg.name : `${pkg.name}/${sub.replace(/^\.\//, "")}`, resolve(pkgsDir, name, cond.source));
      }
    }
  }
  const graph: Graph = new Map();
  for (const name of readdirSync(pkgsDir)) {
    const src = join(pkgsDir, name, "src");
    for (const file of tsFiles(src)) {
      const deps: string[] = [];
      for (const spec of runtimeImports(readFileSync(file, "utf8"))) {
        let target: string | undefined;
        if (spec.startsWith(".")) target = resolve(dirname(file), spec).replace(/\.js$/, ".ts");
        else target = entries.get(spec);
        if (target !== undefined) deps.push(relative(root, target));
      }
      graph.set(relative(root, file), deps);
    }
  }
  return graph;
}

function tsFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const n of names) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (n.endsWith(".ts") && !n.endsWith(".d.ts")) out.push(p);
  }
  return out.sort();
}

/**
 * One cycle per strongly connected component (Tarjan's algorithm), each written as the path
 * that closes it: `a.ts -> b.ts -> a.ts`. Empty when the graph is acyclic.
 */
export function findCycles(graph: Graph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const members = new Set<string>();
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        members.add(w);
      } while (w !== v);
      const selfLoop = (graph.get(v) ?? []).includes(v);
      if (members.size > 1 || selfLoop) cycles.push(cycleThrough(graph, v, members));
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

/** A shortest path from v back to v inside the component (breadth first). */
function cycleThrough(graph: Graph, v: string, members: ReadonlySet<string>): string[] {
  const prev = new Map<string, string>();
  const queue = [v];
  for (let i = 0; i < queue.length; i++) {
    const u = queue[i]!;
    for (const w of graph.get(u) ?? []) {
      if (!members.has(w)) continue;
      if (w === v) {
        const path = [v];
        for (let x = u; x !== v; x = prev.get(x)!) path.push(x);
        path.push(v);
        return [v, ...path.slice(1, -1).reverse(), v];
      }
      if (!prev.has(w)) {
        prev.set(w, u);
        queue.push(w);
      }
    }
  }
  return [v, v];
}
