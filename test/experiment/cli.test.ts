import { describe, it, expect } from "vitest";
import { run } from "../../lib/cli/experiment.ts";
import { DataError, OptionError } from "../../lib/util/errors.ts";

describe("ummkd experiment (argument handling)", () => {
  it("needs exactly one of --config / --notebook", async () => {
    await expect(run([])).rejects.toThrow(OptionError);
    await expect(run(["--config", "a.json", "--notebook", "table1_cardiac"])).rejects.toThrow(/exactly one/);
  });
  it("names a missing config file", async () => {
    await expect(run(["--config", "/nonexistent/x.json"])).rejects.toThrow(DataError);
    await expect(run(["--config", "/nonexistent/x.json"])).rejects.toThrow(/\/nonexistent\/x\.json/);
  });
  it("rejects unknown notebooks, flags, profiles and bad seeds", async () => {
    await expect(run(["--notebook", "table9"])).rejects.toThrow(/'--notebook': got "table9"/);
    await expect(run(["--notebook", "table1_cardiac", "--bogus"])).rejects.toThrow(/--bogus/);
    await expect(run(["--notebook", "table1_cardiac", "--profile", "fast"])).rejects.toThrow(/'--profile': got "fast"/);
    await expect(run(["--notebook", "table1_cardiac", "--seeds", "1,x"])).rejects.toThrow(/--seeds/);
  });
  it("prints usage with --help", async () => {
    expect(await run(["--help"])).toBe(0);
  });
});
