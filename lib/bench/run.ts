/**
 * `npm run bench`: runs every `lib/bench/*.bench.ts` module's exported `bench()` in turn (each
 * writes its own CSV/JSON under results/bench/ atomically), then prints a summary. A failing
 * benchmark is reported and the others still run; the exit code is 1 if any failed.
 * `UMMKD_BENCH_ONLY=train-step,metrics` runs a subset (names without `.bench.ts`).
 */
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const DIR = dirname(fileURLToPath(import.meta.url));

export async function runAll(): Promise<number> {
  const only = process.env.UMMKD_BENCH_ONLY?.split(",").map((s) => s.trim()).filter(Boolean);
  const files = readdirSync(DIR)
    .filter((f) => f.endsWith(".bench.ts"))
    .filter((f) => !only || only.includes(f.replace(/\.bench\.ts$/, "")))
    .sort();
  const summary: string[] = [];
  if (files.length === 0) summary.push(`no lib/bench/*.bench.ts matched${only ? ` UMMKD_BENCH_ONLY=${only.join(",")}` : ""}`);
  let failed = 0;
  for (const f of files) {
    const t = performance.now();
    console.log(`\n=== bench ${f} ===`);
    try {
      const mod = (await import(pathToFileURL(join(DIR, f)).href)) as { bench?: () => Promise<void> };
      if (typeof mod.bench !== "function") throw new Error(`${f} does not export async function bench()`);
      await mod.bench();
      summary.push(`ok     ${f} (${((performance.now() - t) / 1000).toFixed(1)} s)`);
    } catch (e) {
      failed++;
      summary.push(`FAILED ${f}: ${String((e as Error)?.message ?? e).split("\n")[0]}`);
      console.error(e);
    }
  }
  console.log(`\n=== bench summary ===\n${summary.join("\n")}\nresults in results/bench/`);
  return failed ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exitCode = await runAll();
}
