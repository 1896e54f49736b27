/**
 * Tags for the test layers that need something outside the repository: the native oneDNN addon,
 * Jupyter with the tslab kernel, the real data (../shared/data/real), and a WebGPU adapter (Dawn on
 * a GPU, or on Mesa llvmpipe where `npm run setup` installed the Mesa packages). Every `skipIf` that skips
 * such a layer puts its tag in the test or describe title; `npm test` (test/run.mjs) fails when a
 * tagged test of a layer named in UMMKD_REQUIRE (e.g. `native,notebooks,realdata,webgpu`, as `.ci/run`
 * sets it) was skipped. Unset or `none`: skips are only counted.
 */
export const REQUIRES = {
  native: "[requires native]",
  notebooks: "[requires notebooks]",
  realdata: "[requires realdata]",
  webgpu: "[requires webgpu]",
} as const;

export type RequiredLayer = keyof typeof REQUIRES;
