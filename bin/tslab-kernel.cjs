// The project's tslab kernel: tslab 1.x, plus what its execute_reply lacks. tslab answers a failed
// cell with { status: "error" } and no ename/evalue, so nbconvert/nbclient report "<Error>: " with
// an empty message, and it prints every thrown error with its stack. Here:
// - a failed cell's execute_reply carries ename, evalue and traceback (Jupyter messaging protocol,
//   "execute_reply" on error), taken from the error the cell threw (or tslab's compile diagnostics);
// - an ummkd user error (bad parameter, bad file: lib/util/errors.ts marks them) is printed as one
//   line "Name: message" instead of a stack trace. Other errors keep their stack.
// bin/tslab-kernel.sh runs this file with node; arguments are tslab's ("kernel --config-path F").
"use strict";
const path = require("node:path");
const util = require("node:util");
const tslab = path.join(__dirname, "..", "node_modules", "tslab", "dist");
const { JupyterHandlerImpl } = require(path.join(tslab, "jupyter.js"));

const USER_ERROR = Symbol.for("ummkd.userError");
const isErrorLike = (e) => e !== null && typeof e === "object" && typeof e.message === "string";

// tslab's executor reports a thrown error as error(e) and compile errors as
// error("%s%d:%d - %s", ...), through the console.error it captured at start-up
// (tslab/dist/main.js): wrap it before main() and remember a cell's last failure for the reply.
let failure;
const consoleError = console.error;
console.error = (...args) => {
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

require(path.join(tslab, "main.js")).main();
