// Bundles the dashboard into a static folder (default: ../BertIgGrpc.Server/wwwroot).
// Usage: node build.mjs [--outdir DIR]. Run `npm run generate` first (npm run build does both).
import { build } from "esbuild";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
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
await copyFile(path.join(here, "src", "index.html"), path.join(outdir, "index.html"));
// The report's stylesheet joins the page's: the server's Content-Security-Policy (style-src 'self') refuses inline
// <style>, and report.css stays a single source (downloaded reports embed it as text).
const css = await Promise.all(["styles.css", "report.css"].map((file) => readFile(path.join(here, "src", file), "utf8")));
await writeFile(path.join(outdir, "styles.css"), css.join("\n"));
console.log(`dashboard built into ${outdir}`);
