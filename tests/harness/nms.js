#!/usr/bin/env node
// node-media-server 4.x as a test RTMP + HTTP-FLV server bound to 127.0.0.1 only.
//
//   node tests/harness/nms.js [--rtmp-port N] [--http-port N] [--dir DIR] [--log-level L]
//
// Port 0 (the default) picks a free port. Prints "READY <rtmp_port> <http_port>" on stdout once
// both listeners accept connections. Publish/play rtmp://127.0.0.1:<rtmp>/live/<name>, play
// http://127.0.0.1:<http>/live/<name>.flv (or ws://...). SIGTERM/SIGINT stop it.
//
// NMS v4 binds every listener to config.bind (src/server/rtmp_server.js, http_server.js call
// server.listen(port, Context.config.bind)), so "bind": "127.0.0.1" really binds to loopback.
// A port of 0 in its config means "no listener" (it tests `config.rtmp?.port`), hence the free
// port is picked here. No RTMPS/HTTPS, no web admin, no JWT API, no notify URL, no relay
// tasks: nothing that could reach beyond 127.0.0.1. Its store (JSON files) goes to --dir.
"use strict";

const fs = require("fs");
const net = require("net");
const os = require("os");
const path = require("path");
const { parseArgs } = require("util");

const { values: args } = parseArgs({
  options: {
    "rtmp-port": { type: "string", default: "0" },
    "http-port": { type: "string", default: "0" },
    dir: { type: "string" },
    "log-level": { type: "string", default: "info" },
  },
  strict: true,
});

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function listening(server) {
  return new Promise((resolve, reject) => {
    if (!server) {
      reject(new Error("listener missing"));
    } else if (server.listening) {
      resolve(server.address().port);
    } else {
      server.once("listening", () => resolve(server.address().port));
      server.once("error", reject);
    }
  });
}

async function main() {
  const NodeMediaServer = require(path.join(__dirname, "node_modules", "node-media-server"));
  const logger = require(path.join(__dirname, "node_modules", "node-media-server", "src", "core", "logger.js"));
  const dir = args.dir || fs.mkdtempSync(path.join(process.env.LS_TEST_TMP || os.tmpdir(), "nms-"));
  fs.mkdirSync(dir, { recursive: true });
  const rtmpPort = Number(args["rtmp-port"]) || (await freePort());
  const httpPort = Number(args["http-port"]) || (await freePort());
  const config = {
    bind: "127.0.0.1",
    rtmp: { port: rtmpPort },
    http: { port: httpPort },
    store: { path: path.join(dir, "store") },
    webadmin: { enable: false },
    notify: { url: "" },
  };
  // Logs go to stderr: stdout carries only the READY line.
  console.log = (...a) => process.stderr.write(a.join(" ") + "\n");
  const nms = new NodeMediaServer(config, path.join(dir, "config.json"));
  logger.level = args["log-level"]; // the constructor forces "debug"
  nms.run();
  const [r, h] = await Promise.all([
    listening(nms.rtmpServer.tcpServer),
    listening(nms.httpServer.httpServer),
  ]);
  process.stdout.write(`READY ${r} ${h}\n`);
  const stop = () => {
    const t = setTimeout(() => process.exit(0), 2000);
    t.unref();
    nms.stop().finally(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((e) => {
  process.stderr.write(`nms.js: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
