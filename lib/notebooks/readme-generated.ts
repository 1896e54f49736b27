/**
 * `npm run readme` (`tsx lib/notebooks/readme-generated.ts [--check]`): rewrites README.md's
 * generated blocks (the deviation table of the `cpu` profile and the answer to "does Ours beat
 * Joint here") from the committed run records (lib/notebooks/claim.ts). `--check` only compares
 * and exits 1 naming the stale block.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../util/repo-root.ts";
import { generatedBlocks, replaceBlocks } from "./claim.ts";

const file = join(REPO_ROOT, "README.md");
const text = readFileSync(file, "utf8");
const next = replaceBlocks(text, generatedBlocks());
if (process.argv.includes("--check")) {
  if (next !== text) {
    console.error("README.md: a generated block differs from the committed records; run `npm run readme`");
    process.exit(1);
  }
  console.log("README.md: generated blocks are current");
} else if (next !== text) {
  writeFileSync(file, next);
  console.log("README.md: generated blocks rewritten");
} else console.log("README.md: generated blocks already current");
