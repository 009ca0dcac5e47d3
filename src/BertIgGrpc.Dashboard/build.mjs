// Bundles the dashboard into a static folder (default: ../BertIgGrpc.Server/wwwroot).
// Usage: node build.mjs [--outdir DIR]. Run `npm run generate` first (npm run build does both).
import { build } from "esbuild";
import { copyFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const flag = process.argv.indexOf("--outdir");
const outdir = path.resolve(flag >= 0 && process.argv[flag + 1] ? process.argv[flag + 1] : path.join(here, "../BertIgGrpc.Server/wwwroot"));

await mkdir(outdir, { recursive: true });
await build({
  entryPoints: [path.join(here, "src/main.ts")],
  outfile: path.join(outdir, "app.js"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2022"],
  minify: true,
  sourcemap: false,
  legalComments: "none",
  loader: { ".css": "text" },
  logLevel: "warning",
});
for (const file of ["index.html", "styles.css"]) {
  await copyFile(path.join(here, "src", file), path.join(outdir, file));
}
console.log(`dashboard built into ${outdir}`);
