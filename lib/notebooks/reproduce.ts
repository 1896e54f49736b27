/**
 * The main job: `npm run reproduce [-- --profile P] [--data DIR] [--only a,b] [--force]`.
 *
 * Executes every notebook headless (lib/notebooks/execute.ts) at the profile (default quick),
 * writing the executed copies to `notebooks/executed/<profile>/` (tables and figures visible;
 * smoke/quick folders are gitignored, cpu is committed) and each notebook's results to
 * `results/<notebook>/<profile>/`. Prints one line per notebook with its wall time, and exits
 * non-zero if any notebook failed (with the failing cell's error).
 * The source notebooks in notebooks/ stay unexecuted.
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { writeJsonAtomic } from "../util/atomic.ts";
import { executeNotebook, type ExecuteResult } from "./execute.ts";
import { NOTEBOOKS } from "./artefacts/index.ts";
import { resolveProfileName } from "../plan/profiles.ts";
import { REPO_ROOT as ROOT } from "../util/repo-root.ts";


export async function reproduce(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      profile: { type: "string" },
      data: { type: "string" },
      only: { type: "string" },
      force: { type: "boolean", default: false },
      out: { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log("usage: npm run reproduce -- [--profile smoke|quick|cpu|paper] [--data DIR] [--only nb1,nb2] [--force] [--out DIR]");
    return 0;
  }
  const profile = resolveProfileName(values.profile ?? null);
  const only = values.only ? values.only.split(",").map((s) => s.trim()) : [...NOTEBOOKS];
  for (const n of only) if (!(NOTEBOOKS as readonly string[]).includes(n)) throw new Error(`--only: unknown notebook '${n}' (known: ${NOTEBOOKS.join(", ")})`);
  const outDir = resolve(values.out ?? join(ROOT, "notebooks", "executed", profile));
  const env: Record<string, string> = {};
  if (values.data) env.UMMKD_DATA = resolve(values.data);
  if (values.force) env.UMMKD_FORCE = "1";
  console.log(`reproduce: profile ${profile}, ${only.length} notebooks -> ${outDir}`);
  const results: ExecuteResult[] = [];
  const t0 = Date.now();
  for (const name of only) {
    const r = await executeNotebook(join(ROOT, "notebooks", `${name}.ipynb`), { outDir, profile, env });
    results.push(r);
    console.log(`${r.ok ? "ok  " : "FAIL"} ${name.padEnd(24)} ${r.wallS.toFixed(1).padStart(7)} s`);
    if (!r.ok) for (const e of r.errors) console.log(`     ${e.trim().split("\n").slice(-12).join("\n     ")}`);
  }
  const failed = results.filter((r) => !r.ok).length;
  const total = (Date.now() - t0) / 1000;
  writeJsonAtomic(join(outDir, "reproduce.json"), {
    profile, finishedAt: new Date().toISOString(), totalS: total,
    notebooks: results.map((r) => ({ notebook: r.notebook.replace(ROOT + "/", ""), ok: r.ok, wallS: r.wallS, errors: r.errors })),
  });
  console.log(`reproduce: ${results.length - failed} passed, ${failed} failed, ${total.toFixed(0)} s`);
  return failed ? 1 : 0;
}

if (process.argv[1] && /reproduce\.ts$/.test(process.argv[1])) {
  reproduce(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(`reproduce: ${(e as Error).message}`);
      process.exit(2);
    },
  );
}
