/**
 * The used-by path of issue 25 in a real browser (headless Debian Chromium, classic Notebook UI),
 * in this checkout, with the server set up as `npm run notebook` sets it up (bin/notebook.sh: the
 * save hook of bin/jupyter/ummkd_jupyter.py):
 *
 * 1. `notebooks/table1_cardiac.ipynb` opens without "(unsaved changes)".
 * 2. Its parameters cell is tweaked to α = 0.3 (the tweak of issue 25) and the notebook is run
 *    with Kernel > Restart & Run All. One run trains, joint-kd at α = 0.3 (the tweak also
 *    restricts the settings and sets the steps). Its steps are sized to this machine so that
 *    training lasts about 8 minutes, more than 6: a 300-step calibration run of the same setting
 *    from the CLI measures the pace first (at least 6000 steps; a fixed 6000 trained only 348 s on
 *    a fast CI machine). UMMKD_UI_TRAIN_STEPS=N fixes the steps and skips the 6-minute check.
 *    Training runs in a child process of the
 *    kernel (not in the kernel: issue 25's runs died there after ~3 minutes with "Socket is busy
 *    writing"), with progress in the cell.
 * 3. Kernel > Interrupt after 200 s of training (UMMKD_UI_TRAIN_BEFORE_INTERRUPT_S), past the old
 *    ~3-minute failure, once the run has a checkpoint: the child is gone within 10 s, no lock
 *    file is left, the cell says it was interrupted, and the kernel survives (it used to die: a SIGINT
 *    listener added during tslab's vm run left Node's default SIGINT action; bin/kernel-sigint.cjs).
 * 4. Run All again: the run resumes from its checkpoint ("resuming at step X of N"), every code
 *    cell runs, the comparison with the committed results is shown, nothing is written to stderr.
 * 5. The parameters cell is set back and the notebook saved: `git status` of notebooks/ and
 *    results/ is what it was before (the source notebook is saved byte-identical, outputs
 *    stripped; the tweak's folder is gitignored).
 *
 * Runs and checkpoints of the tweak go to a temporary cache (UMMKD_CACHE, UMMKD_TRAIN_DIR), so
 * every run of this test trains. One engine thread (UMMKD_THREADS=1): on a shared machine the
 * native engine's second OpenMP thread spin-waits and makes training several times slower.
 * 8-25 minutes, depending on the load (0.08-0.2 s a step); the resume is bounded by the pace
 * measured before the interrupt (twice the steps left at that pace, plus 10 minutes) and fails
 * early, with the last progress line, if no step is made for 10 minutes. vitest.config.ts runs this
 * file after all others, alone. UMMKD_BROWSER_SHOTS=DIR saves
 * screenshots. Skips (tagged) without Chromium, the notebook UI or the kernel (npm run setup).
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { cacheGet } from "../../lib/experiment/cache.ts";
import { DONE_SENTINEL } from "../../lib/notebooks/notebook-source.ts";
import { REQUIRES } from "../requires.ts";
import { ROOT } from "../reliability/helpers.ts";
import { browserTestsUnavailable, CHROMIUM, startNotebookServer, type NotebookServer } from "./jupyter-server.ts";

// page-side code (run in Chromium by page.evaluate); the project compiles without the DOM lib
declare const window: any;
declare const document: any;

const why = browserTestsUnavailable();
if (why) console.warn(`test/notebooks/ui-training: skipped: ${why}`);
/** Steps fixed by UMMKD_UI_TRAIN_STEPS (then no calibration and no 6-minute check). */
const FORCED = process.env.UMMKD_UI_TRAIN_STEPS ? Number(process.env.UMMKD_UI_TRAIN_STEPS) : undefined;
/** Training the steps are sized for (issue 25: the failure it guards against came after ~3 minutes of training in the UI; the check asks for 6). */
const TARGET_TRAIN_S = 480;
/**
 * Steps of the one run that trains (joint-kd at α = 0.3) for about TARGET_TRAIN_S on this machine:
 * the pace of a 300-step run of the same setting and engine thread count from the CLI (its record's
 * train.wallS, validation included), rounded up to 500 steps, at least 6000 and at most 40000.
 */
function calibratedSteps(tmp: string): { steps: number; paceS: number } {
  const env = { ...process.env, UMMKD_THREADS: "1", UMMKD_CACHE: join(tmp, "calibration", "runs"), UMMKD_TRAIN_DIR: join(tmp, "calibration", "train") };
  execFileSync(process.execPath, ["bin/ummkd.js", "experiment", "--config", "data/configs/table1_cardiac.json", "--profile", "cpu", "--settings", "joint-kd", "--alphas", "0.3", "--seeds", "0", "--steps", "300", "--train-only", "--force"], { cwd: ROOT, env, stdio: "ignore" });
  const [hash] = readdirSync(env.UMMKD_CACHE).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -".json".length));
  const { train } = cacheGet<{ train: { steps: number; wallS: number } }>(hash!, env.UMMKD_CACHE)!;
  const paceS = train.wallS / train.steps;
  return { steps: Math.min(40_000, Math.max(6000, Math.ceil(TARGET_TRAIN_S / paceS / 500) * 500)), paceS };
}
/** Seconds of training before Kernel > Interrupt: past the old ~3-minute failure. */
const TRAIN_BEFORE_INTERRUPT_S = Number(process.env.UMMKD_UI_TRAIN_BEFORE_INTERRUPT_S ?? 200);
/** The parameters cell's seeds line; the tweak sets seeds: [0] (Table I's cpu grid has 3 seeds: one run is enough here). */
const SEEDS_DEFAULT = "seeds: undefined as number[] | undefined,";
const SHOTS = process.env.UMMKD_BROWSER_SHOTS;
const NOTEBOOK = "notebooks/table1_cardiac.ipynb";

type Out = { output_type: string; name?: string; text?: string; ename?: string; evalue?: string; data?: Record<string, unknown> };
const textOf = (o: Out) => (o.output_type === "error" ? `${o.ename}: ${o.evalue}` : o.text ?? String(o.data?.["text/plain"] ?? ""));

/** git status (porcelain) of what the notebook UI could touch. */
const gitStatus = () => execFileSync("git", ["status", "--porcelain", "--", "notebooks", "results/table1_cardiac", "results/runs"], { cwd: ROOT }).toString();

/** Pids of this test's training children (`ummkd experiment --plans FILE --train-only`, FILE's plans with α 0.3). */
function trainingChildren(): number[] {
  const pids: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0");
      const file = argv.includes("--train-only") && argv.includes("--plans") ? argv[argv.indexOf("--plans") + 1] : undefined;
      const plans = file ? (JSON.parse(readFileSync(file, "utf8")) as { plans: { plan: { train: { alpha: number } } }[] }).plans : [];
      if (plans.some((p) => p.plan.train.alpha === 0.3)) pids.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return pids;
}

/** The last "step k/N" of the cell outputs' text. */
function lastStep(text: string): number | undefined {
  const m = [...text.matchAll(/step (\d+)\/(\d+)/g)].at(-1);
  return m ? Number(m[1]) : undefined;
}

/** Lock files under the training folder. */
function locks(trainDir: string): string[] {
  if (!existsSync(trainDir)) return [];
  return readdirSync(trainDir, { recursive: true }).map(String).filter((f) => f.endsWith(".lock"));
}

/** Checkpoint steps present under the training folder (<hash>/checkpoint*). */
function checkpointed(trainDir: string): boolean {
  if (!existsSync(trainDir)) return false;
  return readdirSync(trainDir, { recursive: true }).map(String).some((f) => /(^|\/)checkpoint\/trainer\.json$/.test(f));
}

describe.skipIf(why !== null)(`${REQUIRES.notebooks} the notebook UI trains a tweak in a child process, survives an interrupt and leaves git clean`, () => {
  let server: NotebookServer;
  let browser: Browser;
  let page: Page;
  let tmp: string;
  let statusBefore: string;
  let original: string;
  let STEPS: number;
  let TWEAK: string;
  let VARIANT: string;
  let calibration = "";

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "ummkd-ui-"));
    statusBefore = gitStatus();
    original = readFileSync(join(ROOT, NOTEBOOK), "utf8");
    if (FORCED) STEPS = FORCED;
    else {
      const c = calibratedSteps(tmp);
      STEPS = c.steps;
      calibration = ` (calibrated: ${c.paceS.toFixed(3)} s a step in a 300-step CLI run)`;
    }
    TWEAK = `alpha: 0.3, steps: ${STEPS}, settings: ["joint-kd"] as const,`;
    VARIANT = join(ROOT, "results", "table1_cardiac", `cpu-alpha0.3-settings_joint-kd-seeds0-steps${STEPS}`);
    rmSync(VARIANT, { recursive: true, force: true });
    // as bin/notebook.sh starts it: the save hook on PYTHONPATH; the tweak's runs in a fresh cache
    server = await startNotebookServer(
      ROOT,
      { PATH: "/usr/bin:/bin", PYTHONPATH: join(ROOT, "bin", "jupyter"), UMMKD_THREADS: "1", UMMKD_CACHE: join(tmp, "runs"), UMMKD_TRAIN_DIR: join(tmp, "train") },
      ["--ContentsManager.pre_save_hook=ummkd_jupyter.strip_source_notebook"],
    );
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"], timeout: 180_000 });
    page = await browser.newPage({ viewport: { width: 1300, height: 2400 } });
    page.setDefaultTimeout(180_000);
  }, 420_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    for (const pid of trainingChildren()) process.kill(pid, "SIGKILL");
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const outputs = (): Promise<Out[][]> => page.evaluate(() => (window as any).Jupyter.notebook.get_cells().map((c: any) => (c.output_area ? c.output_area.outputs : [])));
  const shot = async (name: string) => {
    if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  };

  it("trains α = 0.3 at cpu through Restart & Run All, is interrupted and resumed, and shows the comparison", { timeout: 5_000_000 }, async () => {
    const t0 = Date.now();
    await page.goto(server.notebookUrl(NOTEBOOK));
    await page.waitForFunction(() => (window as any).Jupyter?.notebook?._fully_loaded === true, undefined, { timeout: 180_000 });
    await page.waitForSelector("#kernel_indicator_icon.kernel_idle_icon", { timeout: 300_000 });
    await page.waitForTimeout(1000);
    expect(await page.evaluate(() => (window as any).Jupyter.notebook.dirty), "a freshly opened notebook shows no '(unsaved changes)'").toBe(false);

    // the tweak: α = 0.3, and the steps of each run (the parameters cell is the third cell)
    await page.evaluate(({ tweak, seedsDefault }) => {
      const nb = (window as any).Jupyter.notebook;
      nb.set_autosave_interval(0);
      const cell = nb.get_cells().find((c: any) => c.get_text().includes("const params = {"));
      cell.set_text(cell.get_text().replace("alpha: 0.5,", tweak).replace(seedsDefault, "seeds: [0],"));
    }, { tweak: TWEAK, seedsDefault: SEEDS_DEFAULT });

    // Kernel > Restart & Run All; interrupt once the run has trained TRAIN_BEFORE_INTERRUPT_S and has a checkpoint
    await page.evaluate(() => (window as any).Jupyter.notebook.restart_run_all({ confirm: false }));
    let trainingStarted = 0;
    for (;;) {
      await page.waitForTimeout(2000);
      const text = (await outputs()).flat().map(textOf).join("\n");
      const step = lastStep(text);
      if (step !== undefined && !trainingStarted) trainingStarted = Date.now();
      if (step !== undefined && (Date.now() - trainingStarted) / 1000 >= TRAIN_BEFORE_INTERRUPT_S && checkpointed(join(tmp, "train"))) break;
      expect(text, "no error before the interrupt").not.toMatch(/Error|busy writing/);
      if (step !== undefined) expect(step, `the run finished within ${TRAIN_BEFORE_INTERRUPT_S} s: raise UMMKD_UI_TRAIN_STEPS`).toBeLessThan(STEPS);
      expect(Date.now() - t0, `training did not run ${TRAIN_BEFORE_INTERRUPT_S} s; outputs:\n${text}`).toBeLessThan(900_000);
    }
    expect(trainingChildren().length, "training runs in a child process of the kernel").toBeGreaterThan(0);
    await shot("ui_training_before_interrupt");
    const tInterrupt = Date.now();
    await page.evaluate(() => (window as any).Jupyter.notebook.kernel.interrupt());
    let childGoneS = NaN;
    while (Date.now() - tInterrupt < 60_000) {
      if (Number.isNaN(childGoneS) && trainingChildren().length === 0) childGoneS = (Date.now() - tInterrupt) / 1000;
      if (!Number.isNaN(childGoneS) && locks(join(tmp, "train")).length === 0) break;
      await page.waitForTimeout(200);
    }
    const stoppedS = (Date.now() - tInterrupt) / 1000;
    const diag = `child gone after ${childGoneS} s, locks ${locks(join(tmp, "train"))} after ${stoppedS} s; outputs:\n${(await outputs()).flat().map(textOf).join("\n")}\nserver log:\n${server.log().slice(-3000)}`;
    expect(childGoneS, `the training child stops within 10 s of Kernel > Interrupt: ${diag}`).toBeLessThan(10);
    expect(stoppedS, `no lock is left 10 s after Kernel > Interrupt: ${diag}`).toBeLessThan(10);
    await page.waitForSelector("#kernel_indicator_icon.kernel_idle_icon", { timeout: 60_000 });
    const interrupted = (await outputs()).flat().map(textOf).join("\n");
    expect(interrupted, "the interrupted cell says so").toMatch(/interrupt/i);
    // the kernel survived the interrupt (it used to die: bin/kernel-sigint.cjs); a restart would
    // have renumbered the cells and lost the setup cell's state
    expect(server.log(), "the kernel was not restarted").not.toMatch(/KernelRestarter: restarting kernel/);
    await shot("ui_training_interrupted");
    const trainedBeforeS = (tInterrupt - trainingStarted) / 1000;
    // this machine's pace before the interrupt bounds the resume (a fixed bound failed CI once on a
    // loaded machine): the steps left at that pace, twice over, plus 10 minutes
    const stepAtInterrupt = lastStep(interrupted) ?? 1;
    const paceS = trainedBeforeS / Math.max(1, stepAtInterrupt);
    const resumeBudgetS = Math.max(1200, 2 * (STEPS - stepAtInterrupt) * paceS + 600);

    // Run All (no restart): resumes from the checkpoint and runs to the end
    const tResume = Date.now();
    await page.evaluate(() => (window as any).Jupyter.notebook.execute_all_cells());
    let flat: Out[] = [];
    let progress = { step: -1, at: Date.now() };
    for (;;) {
      await page.waitForTimeout(3000);
      flat = (await outputs()).flat();
      if (flat.some((o) => o.output_type === "stream" && o.text?.includes(DONE_SENTINEL))) break;
      if (flat.some((o) => o.output_type === "error")) break;
      if (/kernel_dead|kernel_disconnected/.test(await page.evaluate(() => document.querySelector("#kernel_indicator_icon")?.className ?? ""))) break;
      const text = flat.map(textOf).join("\n");
      const step = lastStep(text) ?? -1;
      if (step !== progress.step) progress = { step, at: Date.now() };
      const diag = () =>
        `at ${paceS.toFixed(3)} s a step before the interrupt (step ${stepAtInterrupt} of ${STEPS}); last progress: ${text.split("\n").filter((l) => /step \d+\//.test(l)).at(-1) ?? "(none)"}\nserver log:\n${server.log().slice(-3000)}`;
      expect((Date.now() - progress.at) / 1000, `Run All after the interrupt made no progress for 10 minutes, ${diag()}`).toBeLessThan(600);
      expect((Date.now() - tResume) / 1000, `Run All after the interrupt did not finish in ${resumeBudgetS.toFixed(0)} s, ${diag()}`).toBeLessThan(resumeBudgetS);
    }
    const resumedS = (Date.now() - tResume) / 1000;
    await shot("ui_training_done");
    const all = flat.map(textOf).join("\n");
    const errors = flat.filter((o) => o.output_type === "error" || (o.output_type === "stream" && o.name === "stderr"));
    expect(errors.map(textOf).join("\n"), "no error or stderr output").toBe("");
    expect(all).toContain(DONE_SENTINEL);
    expect(all, "the resume is announced").toMatch(new RegExp(`resuming at step \\d+ of ${STEPS}`));
    expect(all, "run k of n").toMatch(/run 1 of 1 to train/);
    const counts: (number | null)[] = await page.evaluate(() => (window as any).Jupyter.notebook.get_cells().filter((c: any) => c.cell_type === "code").map((c: any) => c.input_prompt_number ?? null));
    expect(counts.every((n) => typeof n === "number"), `every code cell ran: ${JSON.stringify(counts)}`).toBe(true);
    const titles: string[] = await page.evaluate(() => [...document.querySelectorAll(".output_html h4")].map((h: any) => h.textContent));
    expect(titles.some((t) => /beside the committed results/.test(t)), `the comparison table is shown: ${titles.join(" | ")}`).toBe(true);
    expect(existsSync(join(VARIANT, "vs_committed.csv"))).toBe(true);
    const trainS = JSON.parse(readFileSync(join(VARIANT, "run.json"), "utf8")).runs.filter((r: { cached: boolean; alpha: number }) => r.alpha === 0.3).reduce((a: number, r: { trainWallS: number }) => a + r.trainWallS, 0);
    if (FORCED === undefined) expect(trainedBeforeS + trainS, "at least 6 minutes of training in all (issue 25): raise the steps").toBeGreaterThanOrEqual(360);
    console.log(`ui-training: ${STEPS} steps per run${FORCED ? " (forced)" : calibration}; trained ${trainedBeforeS.toFixed(0)} s before the interrupt, stopped ${stoppedS.toFixed(1)} s after it, then Run All took ${resumedS.toFixed(0)} s (training after the resume ${trainS.toFixed(0)} s); total ${((Date.now() - t0) / 1000).toFixed(0)} s`);

    // set the parameters back and save: the hook strips the outputs, the file is the committed one
    await page.evaluate(({ tweak, seedsDefault }) => {
      const nb = (window as any).Jupyter.notebook;
      const cell = nb.get_cells().find((c: any) => c.get_text().includes("const params = {"));
      cell.set_text(cell.get_text().replace(tweak, "alpha: 0.5,").replace("seeds: [0],", seedsDefault));
      return nb.save_notebook();
    }, { tweak: TWEAK, seedsDefault: SEEDS_DEFAULT });
    await page.waitForFunction(() => !(window as any).Jupyter.notebook.dirty, undefined, { timeout: 30_000 });
    expect(readFileSync(join(ROOT, NOTEBOOK), "utf8") === original, "the saved source notebook is byte-identical to the committed one").toBe(true);
    expect(gitStatus(), "git status of notebooks/ and results/ is unchanged").toBe(statusBefore);
    await shot("ui_training_saved");
  });
});
