import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The page of the browser section: built (minified, as a user's bundle would be) and served by bench/browser.ts.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  resolve: { conditions: ["source"] },
  worker: { format: "es" },
  build: { target: "es2022", emptyOutDir: true },
  logLevel: "warn",
});
