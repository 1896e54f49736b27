/**
 * Reuse of the native kernels' output buffers.
 *
 * Every kernel output is a fresh multi-MB Float32Array; released only by V8's garbage collector,
 * they cost a major GC every ~64 MB of allocation (external-memory pressure) plus page faults on
 * fresh memory. Profiled on the paper's 2D training step: ~100 ms of GC per step and faults on
 * every output. Here a buffer allocated by a native kernel goes back to a free list when tfjs
 * disposes its tensor, so the next kernel of that size reuses warm memory.
 *
 * Safety: a buffer is recycled only if nobody else can still see it. The backend subclass in
 * `index.ts` reports every storage write, read (dataSync/data hand out the storage itself on
 * cpu-style backends) and disposal here; a buffer that was read, or whose memory also backs
 * another tensor (a `subarray` view made by a Slice kernel, or the same array written twice), is
 * marked escaped and left to the garbage collector.
 */
import { totalmem } from "node:os";

export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  private readonly live = new Map<ArrayBufferLike, { arr: Float32Array; uses: number; escaped: boolean }>();
  private pooledBytes = 0;
  /** Buffers handed out again (diagnostics). */
  reused = 0;

  /** @param capBytes most bytes kept on the free lists */
  constructor(private readonly capBytes = 768 * 1024 * 1024) {}

  /** A Float32Array of length n with undefined contents (callers overwrite every element). */
  alloc(n: number): Float32Array {
    const list = this.free.get(n);
    let a = list?.pop();
    if (a) {
      this.pooledBytes -= a.byteLength;
      this.reused++;
    } else {
      a = new Float32Array(n);
    }
    if (n >= MIN_POOLED) this.live.set(a.buffer, { arr: a, uses: 0, escaped: false });
    return a;
  }

  /** Storage `values` was attached to a tensor. */
  onWrite(values: unknown): void {
    if (!(values instanceof Float32Array)) return;
    const rec = this.live.get(values.buffer);
    if (!rec) return;
    if (values !== rec.arr || rec.uses > 0) rec.escaped = true;
    rec.uses++;
  }

  /** Storage `values` was handed out to a reader. */
  onRead(values: unknown): void {
    if (!(values instanceof Float32Array)) return;
    const rec = this.live.get(values.buffer);
    if (rec) rec.escaped = true;
  }

  /** The tensor whose storage is `values` was disposed. */
  onDispose(values: unknown): void {
    if (!(values instanceof Float32Array)) return;
    const rec = this.live.get(values.buffer);
    if (!rec || values !== rec.arr) return;
    if (--rec.uses > 0) return;
    this.live.delete(values.buffer);
    if (rec.escaped || this.pooledBytes + values.byteLength > this.capBytes) return;
    const list = this.free.get(values.length);
    if (list) list.push(values);
    else this.free.set(values.length, [values]);
    this.pooledBytes += values.byteLength;
  }

  /** Drops every free buffer (e.g. between experiments). */
  clear(): void {
    this.free.clear();
    this.pooledBytes = 0;
  }
}

/** Smaller buffers are cheap to allocate; only these sizes are tracked and reused. */
const MIN_POOLED = 4096;

/**
 * Most bytes kept on the native pool's free lists: `UMMKD_NATIVE_POOL_MB` (MiB), else a sixth of
 * the machine's memory, at most 3 GiB. The abdominal cpu step (3D U-Net at width 1/2, 96x96x16
 * patches) outgrew the former fixed 768 MiB: 365 MB of fresh arrays per step and their garbage
 * collection; at 3 GiB its CPU time per step fell from 1.7-1.9 s to 1.2 s (same loss, bit for bit).
 */
export function poolCapBytes(env: NodeJS.ProcessEnv = process.env, memBytes = totalmem()): number {
  const raw = env.UMMKD_NATIVE_POOL_MB;
  if (raw === undefined || raw.trim() === "") return Math.min(3 * 1024 ** 3, Math.floor(memBytes / 6));
  const mb = Number(raw);
  if (!(Number.isFinite(mb) && mb >= 0)) throw new Error(`UMMKD_NATIVE_POOL_MB must be a number of MiB >= 0, got ${JSON.stringify(raw)}`);
  return mb * 1024 * 1024;
}

/** The pool of the `native` backend. */
export const nativePool = new BufferPool(poolCapBytes());

/** Allocation used by the native kernels: pooled unless `UMMKD_NATIVE_POOL=0`. */
export const allocF32: (n: number) => Float32Array =
  process.env.UMMKD_NATIVE_POOL === "0" ? (n) => new Float32Array(n) : (n) => nativePool.alloc(n);
