// Keeps a tslab kernel's SIGINT listeners working (used by bin/tslab-kernel.cjs; test:
// test/notebooks/kernel-sigint.test.ts).
//
// tslab runs each cell with vm.runInThisContext(code, { breakOnSigint: true }), so that an interrupt
// can break a synchronous loop. For that run Node (20) removes every SIGINT listener, watches SIGINT
// itself, and afterwards installs its default SIGINT action (exit) again and re-adds the listeners;
// re-adding the first listener re-installs the signal watcher that calls them. A SIGINT listener
// added *during* the run (a cell that calls lib/notebooks/subprocess.ts's trainInChild before its
// first await: it forwards SIGINT to the training child) creates the watcher early, the re-adding
// then sees one and does not install it again, and the process keeps Node's default action while
// it seems to listen: the next SIGINT (Kernel > Interrupt: Jupyter signals the kernel's process
// group) ends the kernel silently, and the server logs "KernelRestarter: restarting kernel (1/5)"
// (issue 25). Removing and re-adding all listeners after such a run installs the watcher again.
"use strict";

/** Remove and re-add the SIGINT listeners, in order, which re-installs Node's SIGINT watcher. */
function rearmSigint() {
  const listeners = process.rawListeners("SIGINT");
  if (listeners.length === 0) return;
  process.removeAllListeners("SIGINT");
  for (const l of listeners) process.on("SIGINT", l);
}

/**
 * Make `vm.runInThisContext` re-arm the SIGINT listeners after every run with breakOnSigint.
 * @param vm the node:vm module (tslab calls vm.runInThisContext through the module object)
 */
function keepSigintListenersArmed(vm) {
  const run = vm.runInThisContext;
  if (run.ummkdSigint) return;
  const wrapped = function (code, options, ...rest) {
    if (!(options && typeof options === "object" && options.breakOnSigint)) return run.call(this, code, options, ...rest);
    try {
      return run.call(this, code, options, ...rest);
    } finally {
      rearmSigint();
    }
  };
  wrapped.ummkdSigint = true;
  vm.runInThisContext = wrapped;
}

module.exports = { keepSigintListenersArmed, rearmSigint };
