// The layering rule, checked: no import cycle in packages/*/src (type-only imports aside).

import { describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { findCycles, packageGraph, runtimeImports, type Graph } from "./import-graph.js";

const root = fileURLToPath(new URL("..", import.meta.url));

describe("import cycles", () => {
  it("packages/*/src import without cycles", () => {
    const graph = packageGraph(root);
    expect(graph.size).toBeGreaterThan(20);
    const cycles = findCycles(graph).map((c) => c.join(" -> "));
    expect(cycles, `import cycles:\n${cycles.join("\n")}`).toEqual([]);
  });

  it("reads value imports, re-exports and bare imports, and skips type-only ones", () => {
    const src = [
      `import { a } from "./a.js";`,
      `import type { B } from "./b.js";`,
      `import { type C } from "./c.js"; // still loads c.js under verbatimModuleSyntax`,
      `export { d } from "./d.js";`,
      `export type { E } from "./e.js";`,
      `export * from "./f.js";`,
      `import "./g.js";`,
      `// import { h } from "./h.js";`,
      `/* import { i } from "./i.js"; */`,
      `import {\n  j,\n  k,\n} from "./j.js";`,
      `const s = "import { l } from './l.js'";`,
    ].join("\n");
    expect(runtimeImports(src).sort()).toEqual(["./a.js", "./c.js", "./d.js", "./f.js", "./g.js", "./j.js"]);
  });

  it("finds a cycle and names its files in order, and passes an acyclic graph", () => {
    const cyclic: Graph = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts", "d.ts"]],
      ["c.ts", ["a.ts"]],
      ["d.ts", []],
    ]);
    expect(findCycles(cyclic)).toEqual([["a.ts", "b.ts", "c.ts", "a.ts"]]);
    expect(findCycles(new Map([["x.ts", ["x.ts"]]]))).toEqual([["x.ts", "x.ts"]]);
    const acyclic: Graph = new Map([
      ["a.ts", ["b.ts", "c.ts"]],
      ["b.ts", ["c.ts"]],
      ["c.ts", []],
    ]);
    expect(findCycles(acyclic)).toEqual([]);
  });
});
