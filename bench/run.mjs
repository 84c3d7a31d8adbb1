// Benchmark harness: runs every suite in bench/suites (or those named on the command line),
// prints one table with the machine and Node version, and writes bench/results/latest.json.
// Suites export `name` and `async run(ctx)` returning rows {metric, value, unit, target?}.
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(join(here, "suites"))
  .filter((f) => f.endsWith(".mjs"))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

const machine = {
  node: process.version,
  cpus: `${cpus().length} × ${cpus()[0]?.model ?? "?"}`,
  memGiB: Math.round(totalmem() / 2 ** 30),
  platform: `${process.platform}-${process.arch}`,
  date: new Date().toISOString(),
};
console.log(`keel bench — node ${machine.node}, ${machine.cpus}, ${machine.memGiB} GiB, ${machine.platform}`);

const results = [];
for (const file of files) {
  const suite = await import(pathToFileURL(join(here, "suites", file)).href);
  process.stdout.write(`\n## ${suite.name ?? file}\n`);
  const ctx = { root: join(here, ".."), log: (msg) => process.stdout.write(`  … ${msg}\n`) };
  try {
    const rows = await suite.run(ctx);
    for (const row of rows) results.push({ suite: suite.name ?? file, ...row });
    printRows(rows);
  } catch (err) {
    console.log(`  suite failed: ${err?.stack ?? err}`);
    results.push({ suite: suite.name ?? file, metric: "error", value: String(err?.message ?? err) });
  }
}

mkdirSync(join(here, "results"), { recursive: true });
writeFileSync(join(here, "results", "latest.json"), `${JSON.stringify({ machine, results }, null, 2)}\n`);
console.log(`\nresults written to bench/results/latest.json`);

function printRows(rows) {
  const w = Math.max(10, ...rows.map((r) => r.metric.length));
  for (const r of rows) {
    const value = typeof r.value === "number" ? fmt(r.value) : String(r.value);
    const target = r.target === undefined ? "" : `   target ${r.target}`;
    const verdict = r.ok === undefined ? "" : r.ok ? "  ok" : "  MISSED";
    console.log(
      `  ${r.metric.padEnd(w)}  ${value.padStart(10)} ${(r.unit ?? "").padEnd(6)}${target}${verdict}`,
    );
  }
}

function fmt(n) {
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2);
}
