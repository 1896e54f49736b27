// One zeromq send at a time per socket, in order (used by bin/tslab-kernel.cjs; test:
// test/notebooks/zmq-send-queue.test.ts). zeromq.js 6 sends at most ~500 messages synchronously
// without yielding to the event loop; the next one is delayed, and any send started while one is
// delayed throws "Socket is busy writing; only one send operation may be in progress at any time".
// tslab sends every output without waiting, so a cell that printed or updated a display often (a
// training loop's progress) failed with that error after a few minutes, and the error itself could
// not be sent: the cell looked finished, later cells never ran (issue 25). Queued, a send waits for
// the previous one; a failed send is reported through `onError`, never thrown into the cell.
"use strict";

/**
 * Replace `send` of the given socket classes (the native prototype's is read-only, so it is
 * defined on each class) by a queued one.
 * @param classes e.g. [zmq.Publisher, zmq.Router, zmq.Reply]
 * @param onError called with the error of a send that failed
 */
function queueSends(classes, onError) {
  const pending = new WeakMap();
  for (const Class of classes) {
    const send = Class.prototype.send;
    if (typeof send !== "function" || send.ummkdQueued) continue;
    const queued = function (...args) {
      const prev = pending.get(this) ?? Promise.resolve();
      const settled = prev.then(() => send.apply(this, args)).catch((e) => onError(e));
      pending.set(this, settled);
      return settled;
    };
    queued.ummkdQueued = true;
    Object.defineProperty(Class.prototype, "send", { configurable: true, writable: true, value: queued });
  }
}

module.exports = { queueSends };
