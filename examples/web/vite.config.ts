import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The playground: `pnpm web` serves it, `pnpm web:build` writes a static site to out/web/
// (relative URLs, so any static server or folder path can host it).
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  resolve: { conditions: ["source"] },
  worker: { format: "es" },
  server: { fs: { allow: [fileURLToPath(new URL("../..", import.meta.url))] } },
  build: { outDir: fileURLToPath(new URL("../../out/web", import.meta.url)), emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 4096 },
});
