/**
 * The notebook UI's pieces that need no browser (issue 25): which processes are notebook kernels
 * (training then goes to a child), the removal of a dead training child's locks, the throttled
 * progress view, "run k of n to train" with the ETA of all runs, the pipeline-check labels of
 * smoke/quick runs, and the comparison's label for uncommitted (quick) results.
 */
import { describe, it, expect } from "vitest";
import { mkdirSync, mkdtempSync, writeFileSync, existsSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { childArgs, inNotebookKernel, isTslabKernelArgv, removeLocksOf } from "../../lib/notebooks/subprocess.ts";
import { labelPipelineCheck, progressView } from "../../lib/notebooks/notebook.ts";
import { runsProgress } from "../../lib/experiment/runner.ts";
import { comparisonTable } from "../../lib/notebooks/variants.ts";
import type { SummaryRow } from "../../lib/experiment/summary.ts";
import type { HashedPlan } from "../../lib/plan/plan.ts";
import type { TrainProgress } from "../../lib/train/types.ts";

describe("training in a child of the kernel (lib/notebooks/subprocess.ts)", () => {
  it("recognises the project's kernel launcher (bin/tslab-kernel.cjs), which the old check missed", () => {
    expect(isTslabKernelArgv(["/usr/bin/node", "/work/main/bin/tslab-kernel.cjs", "kernel", "--config-path", "/r/k.json"])).toBe(true);
    expect(inNotebookKernel()).toBe(false); // vitest is no kernel
  });

  it("hands the child its plans as a file, not as flags (`ummkd experiment --plans FILE --train-only`)", () => {
    const a = childArgs("p.json");
    expect(a.slice(a.indexOf("experiment"))).toEqual(["experiment", "--plans", "p.json", "--train-only"]);
  });

  it("removes the locks a dead child held and leaves everyone else's", () => {
    const root = mkdtempSync(join(tmpdir(), "ummkd-locks-"));
    const lock = (pid: number) => JSON.stringify({ pid, hostname: hostname(), startedAt: "x", token: "t" });
    mkdirSync(join(root, "h1"));
    writeFileSync(join(root, "h1.lock"), lock(4242424));
    writeFileSync(join(root, "h1", "run.lock"), lock(4242424));
    writeFileSync(join(root, "h2.lock"), lock(process.pid));
    expect(removeLocksOf(4242424, root).sort()).toEqual([join(root, "h1", "run.lock"), join(root, "h1.lock")].sort());
    expect(existsSync(join(root, "h2.lock"))).toBe(true);
  });
});

describe("progress in the notebook", () => {
  it("updates one display at most once per interval, keeping the lines worth keeping", () => {
    const shown: string[] = [];
    const view = progressView((t) => shown.push(t), "table1_cardiac", 60_000);
    view.line("[ummkd] engine: native (2 threads)");
    for (let i = 1; i <= 500; i++) view.line(`ours a=0.3 s=0 step ${i}/500 (…)`);
    view.line("ours a=0.3 s=0 resuming at step 300 of 500 (checkpoint x)");
    view.flush();
    expect(shown.length).toBe(2); // the first line at once, then one flush: not 502 messages
    expect(shown[1]).toBe("table1_cardiac: [ummkd] engine: native (2 threads)\ntable1_cardiac: ours a=0.3 s=0 resuming at step 300 of 500 (checkpoint x)\ntable1_cardiac: ours a=0.3 s=0 step 500/500 (…)");
  });

  it("keeps the child's closing summary, '1 run (…)' as well as 'N runs (…)', so it does not replace the last progress line", () => {
    for (const summary of ["1 run (1 trained, 0 from the cache) in 367.6 s", "7 runs (7 trained, 0 from the cache) in 9.1 s"]) {
      const shown: string[] = [];
      const view = progressView((t) => shown.push(t), "t", 60_000);
      view.line("joint-kd a=0.3 s=0 step 6000/6000 (…) run 1 of 1 to train");
      view.line(summary);
      view.flush();
      expect(shown.at(-1)).toBe(`t: ${summary}\nt: joint-kd a=0.3 s=0 step 6000/6000 (…) run 1 of 1 to train`);
    }
  });

  it("says run k of n to train and the ETA of all runs (later runs at this run's rate)", () => {
    const plan = (hash: string, steps: number) => ({ hash, plan: { train: { steps } } }) as unknown as HashedPlan;
    const f = runsProgress([plan("a", 100), plan("b", 200), plan("c", 300)], "b");
    const p = (step: number, etaS: number) => ({ step, totalSteps: 200, etaS }) as TrainProgress;
    expect(f(p(100, 50))).toBe("run 2 of 3 to train, all runs ETA 3m20s"); // 50 s + 300 steps x 0.5 s
    expect(f(p(200, 0))).toBe("run 2 of 3 to train, all runs ETA 2m30s"); // last known rate
    expect(runsProgress([plan("a", 100)], "a")(p(50, 10))).toBe("run 1 of 1 to train");
  });
});

describe("smoke/quick results are labelled a pipeline check", () => {
  const nb = () => ({
    profile: "quick",
    tables: [{ title: "Table I", html: "<table></table>", csv: "" }],
    figures: [{ name: "f", title: "Figure", svg: "" }],
    notes: ["Data: synthetic.", "Ours vs each setting, paired t-test over 8 test cases: joint +1.0 points (p = 0.01). Significant at 0.05: joint.", "With one trained model per setting there is no test over models"],
  });

  it("labels every table, figure and the notes, and drops significance statements", () => {
    const r = labelPipelineCheck(nb() as never) as ReturnType<typeof nb> & { pipelineCheck?: string };
    expect(r.pipelineCheck).toMatch(/^PIPELINE CHECK \(profile quick\): numbers meaningless/);
    expect(r.tables[0]!.title).toMatch(/^PIPELINE CHECK/);
    expect(r.tables[0]!.html).toMatch(/PIPELINE CHECK.*<table>/);
    expect(r.figures[0]!.title).toMatch(/^\[pipeline check, numbers meaningless\]/);
    expect(r.notes[0]).toMatch(/^PIPELINE CHECK/);
    expect(r.notes.join("\n")).not.toMatch(/signific|p = /i);
  });

  it("leaves cpu results alone", () => {
    const r = labelPipelineCheck({ ...nb(), profile: "cpu" } as never) as ReturnType<typeof nb> & { pipelineCheck?: string };
    expect(r.pipelineCheck).toBeUndefined();
    expect(r.notes).toEqual(nb().notes);
  });

  it("a quick variant is compared with an earlier quick run, not 'committed' results", () => {
    const root = mkdtempSync(join(tmpdir(), "ummkd-vs-"));
    mkdirSync(join(root, "table1_cardiac", "quick"), { recursive: true });
    writeFileSync(join(root, "table1_cardiac", "quick", "summary.csv"), "setting,norm,alpha,condition,modality,structure,metric,mean,std,n\nours,batch,0.5,clean,ct,mean,dice,80,1,6\n");
    const row = { setting: "ours", norm: "batch", alpha: 0.3, condition: "clean", modality: "ct", structure: "mean", metric: "dice", mean: 82, std: 1, n: 6 } as SummaryRow;
    const t = comparisonTable({ name: "table1_cardiac", profile: "quick", variant: "quick-alpha0.3", summary: [row] }, root)!;
    expect(t.csv.split("\n")[0]).toBe('setting,modality,norm,alpha,this run (quick-alpha0.3),earlier quick run (not committed),"earlier quick run norm, α",difference');
    expect(t.title).toMatch(/beside the earlier, uncommitted results/);
  });
});

describe("a smoke/quick figure image says it is a pipeline check", () => {
  it("prefixes a string or object Vega-Lite title and leaves finished SVGs alone", async () => {
    const { pipelineCheckFigure } = await import("../../lib/notebooks/notebook.ts");
    const tag = "[pipeline check, numbers meaningless] ";
    expect((pipelineCheckFigure({ name: "a", title: "A", vegaLite: { title: "Dice" } }) as unknown as { vegaLite: { title: unknown } }).vegaLite.title).toBe(tag + "Dice");
    expect((pipelineCheckFigure({ name: "b", title: "B", vegaLite: { title: { text: "Curves", subtitle: "s" } } }) as unknown as { vegaLite: { title: unknown } }).vegaLite.title).toEqual({ text: tag + "Curves", subtitle: "s" });
    const svg = { name: "c", title: "C", svg: "<svg/>" };
    expect(pipelineCheckFigure(svg)).toBe(svg);
  });
});
