import { defineConfig } from "vitest/config";

// Tests import the packages' TypeScript sources through the "source" export condition,
// so no build step stands between an edit and a test run.
export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    include: ["packages/*/test/**/*.test.ts", "examples/**/*.test.ts", "scripts/**/*.test.ts"],
    testTimeout: 60_000,
    pool: "threads",
  },
});
