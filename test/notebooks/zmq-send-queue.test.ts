/**
 * The kernel's zeromq send queue (bin/zmq-send-queue.cjs, issue 25): without it, 3000 sends made
 * without yielding (a cell printing progress in a loop) throw "Socket is busy writing" (what killed
 * trainings in the notebook UI after ~3 minutes); with it, all are sent, in order.
 */
import { describe, it, expect } from "vitest";
import { createRequire } from "node:module";
import { join } from "node:path";
import { ROOT } from "../reliability/helpers.ts";

const require = createRequire(import.meta.url);
type Sock = { bind(a: string): Promise<void>; connect(a: string): void; send(m: string[]): Promise<void>; close(): void; subscribe?(): void; receive(): Promise<Buffer[]>; readonly lastEndpoint: string };
type Zmq = { Publisher: new (o?: object) => Sock; Subscriber: new (o?: object) => Sock; Router: { prototype: object }; Reply: { prototype: object } };
let zmq: Zmq | undefined;
try {
  zmq = require(require.resolve("zeromq", { paths: [join(ROOT, "node_modules", "tslab", "dist")] })) as Zmq;
} catch {
  zmq = undefined;
}

describe.skipIf(!zmq)("the kernel's zeromq send queue (bin/zmq-send-queue.cjs)", () => {
  it("3000 sends without yielding: plain zeromq throws 'busy writing'; queued, every message arrives in order", { timeout: 60_000 }, async () => {
    const z = zmq!;
    // a fresh class per case, so that the queue does not patch the one used unqueued
    class PlainPub extends z.Publisher {}
    class QueuedPub extends z.Publisher {}
    const plain = new PlainPub();
    await plain.bind("tcp://127.0.0.1:*");
    let thrown = "";
    try {
      for (let i = 0; i < 3000; i++) plain.send([`x${i}`]).catch(() => undefined);
    } catch (e) {
      thrown = (e as Error).message;
    }
    plain.close();
    expect(thrown).toMatch(/busy writing/);

    const errors: unknown[] = [];
    (require(join(ROOT, "bin", "zmq-send-queue.cjs")) as { queueSends(c: unknown[], onError: (e: unknown) => void): void }).queueSends([QueuedPub], (e) => errors.push(e));
    const pub = new QueuedPub({ sendHighWaterMark: 0 }); // unbounded: a publisher drops what exceeds it
    await pub.bind("tcp://127.0.0.1:*");
    const sub = new z.Subscriber({ receiveHighWaterMark: 0 });
    sub.connect(pub.lastEndpoint);
    sub.subscribe!();
    await new Promise((r) => setTimeout(r, 300)); // the subscription reaches the publisher
    let last: Promise<void> = Promise.resolve();
    for (let i = 0; i < 3000; i++) last = pub.send([`x${i}`]);
    await last;
    const got: string[] = [];
    while (got.length < 3000) got.push((await sub.receive())[0]!.toString());
    expect(errors).toEqual([]);
    expect(got).toEqual(Array.from({ length: 3000 }, (_, i) => `x${i}`));
    pub.close();
    sub.close();
  });
});
