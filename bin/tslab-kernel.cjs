// The project's tslab kernel: tslab 1.x, plus what its execute_reply lacks. tslab answers a failed
// cell with { status: "error" } and no ename/evalue, so nbconvert/nbclient report "<Error>: " with
// an empty message, and it prints every thrown error with its stack. Here:
// - a failed cell's execute_reply carries ename, evalue and traceback (Jupyter messaging protocol,
//   "execute_reply" on error), taken from the error the cell threw (or tslab's compile diagnostics);
// - an ummkd user error (bad parameter, bad file: lib/util/errors.ts marks them) is printed as one
//   line "Name: message" instead of a stack trace, and so is an interrupt. Other errors keep their stack;
// - each cell's execution count is published (execute_input on iopub, as ipykernel does): tslab
//   only puts it in the reply, which nbconvert does not read, so executed notebooks showed "In [ ]";
// - the kernel's zeromq sends are queued, one at a time per socket (bin/zmq-send-queue.cjs): without
//   it a cell that printed or updated a display often died with "Socket is busy writing" (issue 25);
// - Kernel > Interrupt does not kill the kernel when a cell added a SIGINT listener (bin/kernel-sigint.cjs).
// bin/tslab-kernel.sh runs this file with node; arguments are tslab's ("kernel --config-path F").
"use strict";
const path = require("node:path");
const util = require("node:util");
const tslab = path.join(__dirname, "..", "node_modules", "tslab", "dist");
const { JupyterHandlerImpl, ZmqServer } = require(path.join(tslab, "jupyter.js"));

const USER_ERROR = Symbol.for("ummkd.userError");

// one send at a time per socket, in order (bin/zmq-send-queue.cjs); a failed send is reported on
// the kernel's stderr (the server log), never thrown into the cell that printed
const zmq = require(require.resolve("zeromq", { paths: [tslab] }));
require("./zmq-send-queue.cjs").queueSends([zmq.Publisher, zmq.Router, zmq.Reply], (e) =>
  process.stderr.write(`ummkd kernel: a message was not sent: ${e && e.message}\n`),
);
const isErrorLike = (e) => e !== null && typeof e === "object" && typeof e.message === "string";

// tslab's executor reports a thrown error as error(e) and compile errors as
// error("%s%d:%d - %s", ...), through the console.error it captured at start-up
// (tslab/dist/main.js): wrap it before main() and remember a cell's last failure for the reply.
let failure;
const consoleError = console.error;
// Kernel > Interrupt: tslab reports it as Error("Interrupted asynchronously") (a cell that awaits)
// or Node's "Script execution interrupted." (a synchronous cell), with a stack into tslab itself;
// shown as one line (a training child has stopped by then: lib/notebooks/subprocess.ts)
const INTERRUPTED = /^(Interrupted asynchronously|Script execution interrupted\.?)$/;
const INTERRUPT_MESSAGE = "the cell was stopped (Kernel > Interrupt). A training run keeps its last checkpoint; running the notebook again resumes there.";
console.error = (...args) => {
  if (args.length === 1 && isErrorLike(args[0]) && INTERRUPTED.test(args[0].message)) {
    failure = { ename: "KeyboardInterrupt", evalue: INTERRUPT_MESSAGE, traceback: [`KeyboardInterrupt: ${INTERRUPT_MESSAGE}`] };
    return consoleError.call(console, `Interrupted: ${INTERRUPT_MESSAGE}`);
  }
  if (args.length === 1 && isErrorLike(args[0])) {
    const e = args[0];
    const ename = typeof e.name === "string" && e.name ? e.name : "Error";
    failure = { ename, evalue: e.message, traceback: [`${ename}: ${e.message}`] };
    if (e[USER_ERROR]) return consoleError.call(console, `${ename}: ${e.message}`);
  } else if (args[0] === "%s%d:%d - %s") {
    const line = util.format(...args);
    const prev = failure?.ename === "CompileError" ? failure.traceback : [];
    failure = { ename: "CompileError", evalue: [...prev, line].join("; "), traceback: [...prev, line] };
  } else if (args.length === 1 && args[0] !== undefined && typeof args[0] !== "string") {
    // a thrown non-Error value (throw 42, throw { ... })
    failure = { ename: "Error", evalue: util.inspect(args[0]), traceback: [util.inspect(args[0])] };
  }
  return consoleError.apply(console, args);
};

const handle = JupyterHandlerImpl.prototype.handleExecute;
JupyterHandlerImpl.prototype.handleExecute = async function (req, writeStream, writeDisplayData) {
  failure = undefined;
  const reply = await handle.call(this, req, writeStream, writeDisplayData);
  if (reply.status === "error") {
    const f = failure ?? { ename: "Error", evalue: "the cell failed (see its output)", traceback: [] };
    Object.assign(reply, f);
  }
  return reply;
};

// execute_input with the cell's execution count, published when the cell starts (in tslab's queue,
// so queued cells are numbered in order): the server's handler leaves a publisher on the request
const PUBLISH_INPUT = Symbol("ummkd.publishInput");
const serverExecute = ZmqServer.prototype.handleExecute;
ZmqServer.prototype.handleExecute = function (sock, msg) {
  Object.defineProperty(msg.content, PUBLISH_INPUT, {
    value: (count) => {
      const m = msg.createReply();
      m.header.msg_type = "execute_input";
      m.content = { code: msg.content.code, execution_count: count };
      m.signAndSend(this.connInfo.key, this.iopub);
    },
  });
  return serverExecute.call(this, sock, msg);
};
const executeImpl = JupyterHandlerImpl.prototype.handleExecuteImpl;
JupyterHandlerImpl.prototype.handleExecuteImpl = function (req, writeStream, writeDisplayData) {
  req[PUBLISH_INPUT]?.(this.execCount + 1);
  return executeImpl.call(this, req, writeStream, writeDisplayData);
};

// Kernel > Interrupt must not kill the kernel: a SIGINT listener added by a cell during tslab's
// vm run (breakOnSigint) left Node's default SIGINT action (exit) in place, so Jupyter's interrupt
// killed the kernel (issue 25); the listeners are re-armed after each such run (bin/kernel-sigint.cjs)
require("./kernel-sigint.cjs").keepSigintListenersArmed(require("node:vm"));

require(path.join(tslab, "main.js")).main();
