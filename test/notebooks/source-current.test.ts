/**
 * The committed source notebooks (notebooks/<name>.ipynb) are what lib/notebooks/notebook-source.ts
 * generates from the artefacts' text and the parameter rows: a change to a caption, a "what differs"
 * bullet or a parameter's help must be followed by `npx tsx lib/notebooks/notebook-source.ts`, or a
 * researcher opening the notebook reads the old text (the diagnosis's notebook still described the
 * old H3 rule and lacked the batch-2 bullet after its artefact text changed).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NOTEBOOKS } from "../../lib/notebooks/artefacts/index.ts";
import { notebookText } from "../../lib/notebooks/notebook-source.ts";
import { REPO_ROOT } from "../../lib/util/repo-root.ts";

describe("committed source notebooks are current (regenerate: npx tsx lib/notebooks/notebook-source.ts)", () => {
  it.each([...NOTEBOOKS])("%s", (name) => {
    expect(readFileSync(join(REPO_ROOT, "notebooks", `${name}.ipynb`), "utf8")).toBe(notebookText(name));
  });
});
