/**
 * Notebook environment setup, called from the setup cell after tsx's CommonJS hook is registered.
 *
 * Registers tsx's ESM loader hooks too, so that dynamic `import()` of `.ts` files inside the
 * library (e.g. lib/engine loading its native addon wrapper) works in a tslab kernel. This cannot
 * be done from a cell: cells run in a vm without dynamic import, and tsx's CommonJS build of
 * `tsx/esm/api` resolves its loader path wrongly; the ESM build imported here does it right.
 */
let registered = false;

export async function setupNotebook(): Promise<void> {
  if (registered) return;
  const api = (await import("tsx/esm/api")) as { register: () => unknown };
  api.register();
  registered = true;
}
