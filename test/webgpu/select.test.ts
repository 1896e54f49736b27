/**
 * How the webgpu engine is chosen (issue 29): automatically only for a real GPU adapter. Without a
 * GPU device node Dawn is not loaded at all; a software adapter (Mesa llvmpipe) is refused unless
 * asked for. And `collapseBroadcast`, the shape rewrite behind the rank-5 broadcast fix.
 */
import { describe, it, expect, afterAll } from "vitest";
import { collapseBroadcast, gpuDeviceNodes, loadWebgpu, releaseWebgpu } from "../../lib/engine/webgpu.ts";
import { REQUIRES } from "../requires.ts";

afterAll(() => releaseWebgpu());

describe("collapseBroadcast: broadcast runs merged", () => {
  it.each([
    { a: [1, 8, 16, 16, 5], b: [5], want: { a: [2048, 5], b: [1, 5], out: [2048, 5] }, why: "BN scale on NDHWC" },
    { a: [2, 3, 4, 5, 6], b: [1, 1, 1, 1, 6], want: { a: [120, 6], b: [1, 6], out: [120, 6] }, why: "explicit leading ones" },
    { a: [2, 3, 4, 5, 6], b: [2, 1, 1, 1, 6], want: { a: [2, 60, 6], b: [2, 1, 6], out: [2, 60, 6] }, why: "per-sample, per-channel" },
    { a: [2, 1, 4, 1, 6], b: [1, 3, 1, 5, 1], want: { a: [2, 1, 4, 1, 6], b: [1, 3, 1, 5, 1], out: [2, 3, 4, 5, 6] }, why: "alternating: nothing to merge" },
    { a: [1, 1, 1, 1, 1], b: [2, 3, 4, 5, 6], want: { a: [1], b: [720], out: [720] }, why: "a scalar as rank 5" },
  ])("$why", ({ a, b, want }) => {
    const c = collapseBroadcast(a, b)!;
    expect(c).toEqual(want);
    const size = (s: number[]) => s.reduce((p, q) => p * q, 1);
    expect(size(c.a)).toBe(size(a));
    expect(size(c.b)).toBe(size(b));
  });
  it("equal shapes: nothing to do", () => expect(collapseBroadcast([2, 3, 4, 5, 6], [2, 3, 4, 5, 6])).toBeUndefined());
});

describe("automatic choice", () => {
  it.skipIf(gpuDeviceNodes().length > 0)("without a GPU device node, webgpu is not tried (Dawn not loaded)", async () => {
    const r = await loadWebgpu({ explicit: false });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/no GPU device node/);
  });

  it(`${REQUIRES.webgpu} a software adapter is refused unless asked for`, async () => {
    const prev = process.env.UMMKD_WEBGPU_DAWN;
    process.env.UMMKD_WEBGPU_DAWN = "opengl"; // try Dawn even without a device node
    try {
      const r = await loadWebgpu({ explicit: false });
      if (r.ok) {
        // a machine whose OpenGL adapter is a real GPU: nothing to refuse
        expect(r.adapter.software).toBe(false);
        return;
      }
      expect(r.reason).toMatch(/software rasteriser|no adapter/);
    } finally {
      if (prev === undefined) delete process.env.UMMKD_WEBGPU_DAWN;
      else process.env.UMMKD_WEBGPU_DAWN = prev;
    }
  });
});
