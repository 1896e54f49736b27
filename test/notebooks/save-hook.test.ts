/**
 * The Jupyter save hook of `npm run notebook` (bin/jupyter/ummkd_jupyter.py, issue 25): a committed
 * source notebook that was executed (outputs, execution counts, the kernel's metadata, UI cell
 * metadata) is saved byte-identical to the committed file, so `git status` stays clean; an edited
 * source is kept; executed copies and other notebooks are not touched. Runs the hook with the
 * nbformat of the Python that has Jupyter, as the server would.
 */
import { describe, it, expect } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REQUIRES } from "../requires.ts";
import { ROOT } from "../reliability/helpers.ts";

const PY = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
let why: string | null = null;
try {
  execFileSync(PY, ["-c", "import nbformat"], { stdio: "ignore" });
} catch {
  why = "no Python with nbformat (npm run setup)";
}

/** Run `code` with the hook module imported as `u`; returns stdout. */
function py(code: string): string {
  return execFileSync(PY, ["-c", `import sys, json, nbformat\nsys.path.insert(0, ${JSON.stringify(join(ROOT, "bin", "jupyter"))})\nimport ummkd_jupyter as u\n${code}`], { cwd: ROOT }).toString();
}

describe.skipIf(why !== null)(`${REQUIRES.notebooks} the save hook keeps source notebooks as committed`, () => {
  it.each(["table1_cardiac", "table2_abdominal", "figure6_alpha"])("%s: executed, then saved through the hook, is byte-identical to the committed file", (name) => {
    const path = join(ROOT, "notebooks", `${name}.ipynb`);
    const saved = py(`
nb = nbformat.read(${JSON.stringify(path)}, as_version=4)
for k, c in enumerate(nb.cells):
    c.metadata["trusted"] = True
    c.metadata["scrolled"] = True
    if c.cell_type == "code":
        c.execution_count = k
        c.outputs = [nbformat.v4.new_output("stream", name="stdout", text="/work/x\\n")]
nb.metadata["language_info"]["version"] = "9.9"
model = {"type": "notebook", "content": nb}
u.strip_source_notebook(model, "notebooks/${name}.ipynb")
sys.stdout.write(nbformat.writes(model["content"]) + "\\n")`);
    expect(saved === readFileSync(path, "utf8")).toBe(true);
  });

  it("keeps an edited source, and leaves executed copies and other notebooks alone", () => {
    const out = py(`
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("alpha: 0.3", execution_count=3, outputs=[nbformat.v4.new_output("stream", name="stdout", text="x")])])
m = {"type": "notebook", "content": nb}
u.strip_source_notebook(m, "notebooks/table1_cardiac.ipynb")
c = m["content"].cells[0]
print(json.dumps([c.source, c.outputs, c.execution_count]))
for p in ["notebooks/executed/cpu/table1_cardiac.ipynb", "elsewhere/x.ipynb"]:
    nb2 = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", execution_count=1)])
    u.strip_source_notebook({"type": "notebook", "content": nb2}, p)
    print(nb2.cells[0].execution_count)`);
    expect(out.trim().split("\n")).toEqual(['["alpha: 0.3", [], null]', "1", "1"]);
  });
});
