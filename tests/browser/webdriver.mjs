// Headless Firefox (Debian's firefox-esr) driven through geckodriver, behind the small part of
// Playwright's Browser/Page API that the tests, the demo and the benchmarks use. Playwright
// cannot drive a stock Firefox, so this speaks WebDriver itself: a classic command over HTTP
// creates the session, then WebDriver BiDi over a WebSocket navigates, evaluates scripts and
// reports the page's console output and uncaught errors. (Classic "execute script" is no
// substitute: Firefox runs those scripts in a realm of their own, where a page's ArrayBuffer is
// not an ArrayBuffer and a Float32Array made by the script is not one to the page.)
//
// geckodriver serves one session at a time, so every page is a session of its own: a geckodriver
// on a free port and a Firefox with a fresh, throw-away profile whose preferences keep it off the
// network (no updates, telemetry, captive-portal or connectivity checks, safe browsing, remote
// settings...). Pages are therefore as independent as Playwright's contexts.
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { request } from "node:http";
import { createServer } from "node:net";

// Where scripts/setup.sh builds them (scripts/lib.sh pins the version and exports both).
export const GECKODRIVER = process.env.GECKODRIVER ||
  `${process.env.PYWEBWORKER_CACHE || `${process.env.HOME}/.cache/pywebworker`}/geckodriver-0.37.1/bin/geckodriver`;
export const FIREFOX = process.env.FIREFOX || "/usr/bin/firefox-esr";

/** Preferences of every profile: nothing may reach out to the network on its own. */
export const FIREFOX_PREFS = {
  "app.update.auto": false,
  "app.update.disabledForTesting": true,
  "app.update.enabled": false,
  "app.normandy.enabled": false,
  "app.shield.optoutstudies.enabled": false,
  "browser.aboutwelcome.enabled": false,
  "browser.discovery.enabled": false,
  "browser.newtabpage.enabled": false,
  "browser.newtabpage.activity-stream.feeds.telemetry": false,
  "browser.newtabpage.activity-stream.telemetry": false,
  "browser.ping-centre.telemetry": false,
  "browser.region.network.url": "",
  "browser.region.update.enabled": false,
  "browser.safebrowsing.blockedURIs.enabled": false,
  "browser.safebrowsing.downloads.enabled": false,
  "browser.safebrowsing.downloads.remote.enabled": false,
  "browser.safebrowsing.malware.enabled": false,
  "browser.safebrowsing.phishing.enabled": false,
  "browser.safebrowsing.provider.mozilla.updateURL": "",
  "browser.search.geoip.url": "",
  "browser.search.update": false,
  "browser.shell.checkDefaultBrowser": false,
  "browser.startup.homepage": "about:blank",
  "browser.startup.homepage_override.mstone": "ignore",
  "browser.startup.page": 0,
  "browser.tabs.warnOnClose": false,
  "captivedetect.canonicalURL": "",
  "datareporting.healthreport.uploadEnabled": false,
  "datareporting.policy.dataSubmissionEnabled": false,
  "datareporting.policy.firstRunURL": "",
  "dom.push.connection.enabled": false,
  "dom.push.serverURL": "",
  "extensions.blocklist.enabled": false,
  "extensions.getAddons.cache.enabled": false,
  "extensions.update.enabled": false,
  "geo.provider.network.url": "",
  "identity.fxaccounts.enabled": false,
  "media.gmp-gmpopenh264.enabled": false,
  "media.gmp-manager.updateEnabled": false,
  "media.gmp-manager.url": "",
  "network.captive-portal-service.enabled": false,
  "network.connectivity-service.enabled": false,
  "network.dns.disablePrefetch": true,
  "network.http.speculative-parallel-limit": 0,
  "network.prefetch-next": false,
  "network.trr.mode": 5,
  "privacy.sanitize.sanitizeOnShutdown": false,
  "security.remote_settings.crlite_filters.enabled": false,
  "services.settings.server": "data:,#remote-settings-disabled",
  "services.sync.enabled": false,
  "startup.homepage_welcome_url": "about:blank",
  "startup.homepage_welcome_url.additional": "",
  "toolkit.telemetry.archive.enabled": false,
  "toolkit.telemetry.enabled": false,
  "toolkit.telemetry.reportingpolicy.firstRun": false,
  "toolkit.telemetry.server": "",
  "toolkit.telemetry.unified": false,
};

/** A TCP port free on 127.0.0.1 now. */
export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Values cross between Node and the page as JSON with every object tagged, so that what JSON
// alone would lose (undefined, NaN, -0, bigint, typed arrays, errors) survives, as with Playwright.
// Both functions also run in the page (their source is sent along), so they stand alone.
function encodeValue(value) {
  const seen = new Set();
  const enc = (v) => {
    if (v === undefined || typeof v === "function" || typeof v === "symbol") return { u: 0 };
    if (typeof v === "number") {
      if (Number.isNaN(v) || !Number.isFinite(v) || Object.is(v, -0)) return { n: String(Object.is(v, -0) ? "-0" : v) };
      return v;
    }
    if (typeof v === "bigint") return { b: String(v) };
    if (v === null || typeof v !== "object") return v;
    if (seen.has(v)) throw new TypeError("cannot return a value with a cycle");
    seen.add(v);
    try {
      if (Array.isArray(v)) return v.map(enc);
      if (v instanceof Date) return { d: v.toISOString() };
      if (v instanceof Error) return { e: { name: v.name, message: v.message, stack: v.stack } };
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return { t: [v.constructor.name, Array.from(v, enc)] };
      const o = {};
      for (const [k, x] of Object.entries(v)) o[k] = enc(x);
      return { o };
    } finally {
      seen.delete(v);
    }
  };
  return enc(value);
}

function decodeValue(value) {
  const dec = (v) => {
    if (v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) return v.map(dec);
    if ("o" in v) return Object.fromEntries(Object.entries(v.o).map(([k, x]) => [k, dec(x)]));
    if ("u" in v) return undefined;
    if ("n" in v) return Number(v.n);
    if ("b" in v) return BigInt(v.b);
    if ("d" in v) return new Date(v.d);
    if ("e" in v) return Object.assign(new Error(v.e.message), { name: v.e.name, stack: v.e.stack });
    if ("t" in v) return new globalThis[v.t[0]](v.t[1].map(dec));
    throw new TypeError(`unknown encoded value ${JSON.stringify(v)}`);
  };
  return dec(value);
}

/** A minimal WebSocket client (RFC 6455, text frames) for the BiDi connection. */
function openWebSocket(url, onText) {
  return new Promise((ok, fail) => {
    const key = randomBytes(16).toString("base64");
    const req = request(url.replace(/^ws/, "http"), {
      headers: { Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": "13" },
    });
    req.once("error", fail);
    req.once("response", (res) => fail(new Error(`WebSocket upgrade refused: HTTP ${res.statusCode}`)));
    req.once("upgrade", (res, socket, head) => {
      const accept = createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
      if (res.headers["sec-websocket-accept"] !== accept) {
        socket.destroy();
        fail(new Error("WebSocket upgrade: bad Sec-WebSocket-Accept"));
        return;
      }
      const frame = (op, payload) => {
        const mask = randomBytes(4);
        const n = payload.length;
        const head = n < 126 ? Buffer.from([0x80 | op, 0x80 | n])
          : n < 65536 ? Buffer.from([0x80 | op, 0x80 | 126, n >> 8, n & 255])
          : Buffer.concat([Buffer.from([0x80 | op, 0x80 | 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(n)); return b; })()]);
        const body = Buffer.from(payload);
        for (let i = 0; i < n; i++) body[i] ^= mask[i & 3];
        if (!socket.destroyed) socket.write(Buffer.concat([head, mask, body]));
      };
      let buf = head, parts = [];
      socket.on("data", (chunk) => {
        buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
        for (;;) {
          if (buf.length < 2) return;
          const fin = buf[0] & 0x80, op = buf[0] & 0x0f, masked = buf[1] & 0x80;
          let len = buf[1] & 0x7f, at = 2;
          if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); at = 4; }
          else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); at = 10; }
          const maskAt = at;
          if (masked) at += 4;
          if (buf.length < at + len) return;
          const payload = Buffer.from(buf.subarray(at, at + len));
          if (masked) for (let i = 0; i < len; i++) payload[i] ^= buf[maskAt + (i & 3)];
          buf = buf.subarray(at + len);
          if (op === 0x8) { frame(0x8, Buffer.alloc(0)); socket.end(); return; }
          if (op === 0x9) { frame(0xa, payload); continue; }
          if (op === 0xa) continue;
          parts.push(payload);
          if (fin) {
            const text = Buffer.concat(parts).toString("utf8");
            parts = [];
            onText(text);
          }
        }
      });
      socket.on("error", () => {});
      ok({
        send: (text) => frame(0x1, Buffer.from(text, "utf8")),
        close: () => { frame(0x8, Buffer.alloc(0)); socket.destroy(); },
      });
    });
    req.end();
  });
}

// The geckodrivers (and their Firefoxes) still running; killed if this process ends first.
const running = new Set();
const killGroup = (child, signal) => {
  try {
    process.kill(-child.pid, signal);
  } catch { /* already gone */ }
};
let cleanupInstalled = false;
function installCleanup() {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.once("exit", () => { for (const child of running) killGroup(child, "SIGKILL"); });
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.once(signal, () => {
      for (const child of running) killGroup(child, "SIGKILL");
      process.exit(128 + (signal === "SIGINT" ? 2 : 15));
    });
  }
}

/** One geckodriver and the one Firefox session it drives. */
class Session {
  static async start({ firefox = FIREFOX, geckodriver = GECKODRIVER, prefs = {} } = {}) {
    installCleanup();
    const [port, wsPort] = [await freePort(), await freePort()];
    // In a process group of its own, with the Firefox it starts: stopping kills both.
    const child = spawn(geckodriver, ["--port", String(port), "--websocket-port", String(wsPort), "--log", "error"],
                        { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, MOZ_HEADLESS: "1" }, detached: true });
    running.add(child);
    let stderr = "";
    child.stderr.on("data", (d) => { stderr = (stderr + d).slice(-4000); });
    const exited = new Promise((r) => child.once("exit", (code, signal) => { running.delete(child); r({ code, signal }); }));
    const self = new Session(`http://127.0.0.1:${port}`, child, exited);
    const spawnError = new Promise((_, fail) => child.once("error", fail));
    spawnError.catch(() => {}); // seen by the race below, or too late to matter
    // geckodriver listens within milliseconds; ask its status until it answers.
    for (let i = 0; ; i++) {
      try {
        const s = await Promise.race([fetch(`${self.base}/status`).then((r) => r.json()), spawnError]);
        if (s.value) break;
      } catch (e) {
        if (e.code === "ENOENT") throw new Error(`geckodriver not found at ${geckodriver} (run scripts/setup.sh)`);
        if (i > 100 || child.exitCode !== null) {
          killGroup(child, "SIGKILL");
          throw new Error(`geckodriver did not start: ${stderr || e.message}`);
        }
      }
      await sleep(50);
    }
    try {
      const created = await self.command("POST", "/session", {
        capabilities: {
          alwaysMatch: {
            browserName: "firefox",
            acceptInsecureCerts: false,
            pageLoadStrategy: "normal",
            // Loading Pyodide and running Python takes far longer than classic WebDriver's
            // default 30 s script timeout. BiDi's script.evaluate, used here, has no timeout;
            // the classic one is raised too for any classic script. (`script: null`, no timeout
            // as the standard allows, makes this Firefox return null at once from every classic
            // script, so the limit is a day instead.)
            timeouts: { script: 86_400_000, pageLoad: 300_000, implicit: 0 },
            webSocketUrl: true,
            "moz:firefoxOptions": { binary: firefox, args: ["-headless"], prefs: { ...FIREFOX_PREFS, ...prefs } },
          },
        },
      });
      self.id = created.sessionId;
      self.capabilities = created.capabilities;
    } catch (e) {
      await self.stop();
      throw new Error(`Firefox did not start: ${e.message}${stderr ? `\n${stderr}` : ""}`);
    }
    return self;
  }

  constructor(base, child, exited) {
    this.base = base;
    this.child = child;
    this.exited = exited;
    this.listeners = { console: [], pageerror: [] };
    this.bidi = null;
    this.bidiNext = 1;
    this.bidiPending = new Map();
  }

  async command(method, path, body) {
    const url = this.base + (path === "/session" ? path : `/session/${this.id}${path}`);
    const res = await fetch(url, {
      method, headers: { "Content-Type": "application/json; charset=utf-8" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const reply = await res.json().catch(() => ({ value: { error: `HTTP ${res.status}`, message: "" } }));
    const value = reply.value ?? null;
    if (!res.ok || (value && typeof value === "object" && "error" in value && !("sessionId" in value))) {
      const err = new Error(`${value?.error}: ${value?.message}`);
      err.webdriverError = value?.error;
      throw err;
    }
    return value;
  }

  /** Connects WebDriver BiDi, finds the tab, subscribes to its log (console calls, uncaught errors). */
  async connect() {
    const url = this.capabilities?.webSocketUrl;
    if (typeof url !== "string") throw new Error("this Firefox offers no WebDriver BiDi connection");
    this.bidi = await openWebSocket(url, (text) => {
      const msg = JSON.parse(text);
      if (msg.id !== undefined && this.bidiPending.has(msg.id)) {
        const { ok, fail } = this.bidiPending.get(msg.id);
        this.bidiPending.delete(msg.id);
        if (msg.type === "error") fail(new Error(`${msg.error}: ${msg.message}`));
        else ok(msg.result);
      } else if (msg.method === "log.entryAdded") {
        const entry = msg.params;
        if (entry.type === "javascript") {
          const error = new Error(entry.text ?? "");
          for (const cb of this.listeners.pageerror) cb(error);
        } else {
          const message = { text: () => entry.text ?? "", type: () => entry.method ?? entry.level };
          for (const cb of this.listeners.console) cb(message);
        }
      }
    });
    await this.bidiCommand("session.subscribe", { events: ["log.entryAdded"] });
    const tree = await this.bidiCommand("browsingContext.getTree", {});
    this.context = tree.contexts[0].context;
  }

  bidiCommand(method, params) {
    const id = this.bidiNext++;
    return new Promise((ok, fail) => {
      this.bidiPending.set(id, { ok, fail });
      this.bidi.send(JSON.stringify({ id, method, params }));
    });
  }

  async stop() {
    try {
      if (this.id) await Promise.race([this.command("DELETE", ""), sleep(10_000)]);
    } catch { /* the browser is gone already */ }
    this.bidi?.close();
    for (const { fail } of this.bidiPending.values()) fail(new Error("session closed"));
    this.bidiPending.clear();
    if (this.child.exitCode === null && this.child.signalCode === null) {
      killGroup(this.child, "SIGTERM");
      await Promise.race([this.exited, sleep(5000)]);
    }
    killGroup(this.child, "SIGKILL"); // whatever of Firefox is left
    await this.exited;
  }
}

/** What `page.waitForFunction` resolves to. */
class ValueHandle {
  constructor(value) { this.value = value; }
  async jsonValue() { return this.value; }
}

class FirefoxPage {
  constructor(browser, session) {
    this.browser = browser;
    this.session = session;
    this.closed = false;
  }

  on(event, cb) {
    if (this.session.listeners[event]) this.session.listeners[event].push(cb);
    return this;
  }

  /** Loads `url` and waits for its load event. */
  async goto(url) {
    await this.session.bidiCommand("browsingContext.navigate", { context: this.session.context, url, wait: "complete" });
    return null;
  }

  /**
   * Runs `fn(arg)` in the page (its source is sent, so it must not close over Node variables);
   * a returned promise is awaited; an exception rejects with its message.
   */
  async evaluate(fn, arg) {
    const source = typeof fn === "function" ? fn.toString() : `() => (${fn})`;
    const expression = `(async () => {
      const encodeValue = ${encodeValue.toString()};
      const decodeValue = ${decodeValue.toString()};
      try {
        const fn = (${source});
        return JSON.stringify({ ok: encodeValue(await fn(decodeValue(${JSON.stringify(encodeValue(arg))}))) });
      } catch (e) {
        const error = e instanceof Error ? { name: e.name, message: e.message, stack: e.stack } : { name: "", message: String(e) };
        return JSON.stringify({ error });
      }
    })()`;
    const r = await this.session.bidiCommand("script.evaluate", {
      expression, target: { context: this.session.context }, awaitPromise: true, resultOwnership: "none",
    });
    if (r.type !== "success" || r.result?.type !== "string") {
      throw new Error(`page.evaluate: ${r.exceptionDetails?.text ?? JSON.stringify(r).slice(0, 500)}`);
    }
    const reply = JSON.parse(r.result.value);
    if (reply.error) {
      const err = new Error(reply.error.message);
      err.remoteName = reply.error.name;
      err.remoteStack = reply.error.stack;
      throw err;
    }
    return decodeValue(reply.ok);
  }

  /** Polls `fn(arg)` until it returns something truthy (default timeout 30 s, as Playwright). */
  async waitForFunction(fn, arg, { timeout = 30_000, polling = 100 } = {}) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const value = await this.evaluate(fn, arg);
      if (value) return new ValueHandle(value);
      if (timeout > 0 && Date.now() >= deadline) {
        throw new Error(`page.waitForFunction: timeout ${timeout} ms exceeded`);
      }
      await sleep(polling);
    }
  }

  async close() {
    if (this.closed) return;
    this.closed = true;
    this.browser.pages.delete(this);
    await this.session.stop();
  }
}

class FirefoxBrowser {
  constructor(options) {
    this.options = options;
    this.pages = new Set();
    this.browserVersion = null;
  }

  async newPage() {
    // A port found free can be taken before geckodriver binds it: try again on fresh ports.
    let session;
    for (let attempt = 1; ; attempt++) {
      try {
        session = await Session.start(this.options);
        break;
      } catch (e) {
        if (attempt === 3 || !/did not start/.test(e.message)) throw e;
      }
    }
    this.browserVersion ??= session.capabilities?.browserVersion ?? null;
    try {
      await session.connect();
    } catch (e) {
      await session.stop();
      throw new Error(`WebDriver BiDi: ${e.message}`);
    }
    const page = new FirefoxPage(this, session);
    this.pages.add(page);
    return page;
  }

  /** Firefox's version, known once a page was opened. */
  version() {
    return this.browserVersion ?? "unknown";
  }

  async close() {
    await Promise.all([...this.pages].map((p) => p.close()));
  }
}

/** A browser whose pages are headless Firefox sessions; nothing starts until `newPage()`. */
export async function launchFirefox(options = {}) {
  return new FirefoxBrowser(options);
}
