// The nginx recipe (server-headers/nginx.conf) in a real nginx serving the repository: with it the
// Pyodide demo (demo/pyodide.html running demo/py/python_echo.py) is cross-origin isolated and uses
// the shared rings; without it the page is an ordinary one and uses postMessage.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { freePort, launchBrowser, ROOT } from "./harness.mjs";

const RECIPE = join(ROOT, "server-headers", "nginx.conf");
const SYSTEM_MIME_TYPES = "/etc/nginx/mime.types";

/** nginx's executable; throws (the test fails, it is not skipped) when it is not installed. */
function nginxBinary() {
  const candidates = [...(process.env.PATH ?? "").split(delimiter).map((d) => join(d, "nginx")), "/usr/sbin/nginx"];
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {}
  }
  throw new Error("nginx is not installed: run `bash scripts/setup.sh`, which installs it");
}

/**
 * Starts nginx in the foreground on 127.0.0.1 with everything (configuration, pid, logs, temp
 * folders) in a temporary folder and the repository as its root; `recipe` includes the project's
 * recipe in the server block. Resolves to `{url, stop()}` once it answers.
 */
async function startNginx({ recipe }) {
  const nginx = nginxBinary();
  assert.ok(existsSync(SYSTEM_MIME_TYPES), `${SYSTEM_MIME_TYPES} exists (Debian's nginx package)`);
  const dir = await mkdtemp(join(tmpdir(), "pywebworker-nginx-"));
  // Beside nginx.conf as in an ordinary installation, where the recipe's `include mime.types` finds it.
  await copyFile(SYSTEM_MIME_TYPES, join(dir, "mime.types"));
  const port = await freePort();
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
    .map((name) => `  ${name}_temp_path ${join(dir, name)};`).join("\n");
  await writeFile(join(dir, "nginx.conf"), `
daemon off;
master_process off;
pid ${join(dir, "nginx.pid")};
error_log ${join(dir, "error.log")} warn;
events { worker_connections 256; }
http {
  include ${join(dir, "mime.types")};
  ${recipe ? "" : "types { text/javascript mjs; }  # module scripts need a JavaScript type, recipe or not"}
  default_type application/octet-stream;
  access_log ${join(dir, "access.log")};
${temp}
  server {
    listen 127.0.0.1:${port};
    root ${ROOT};
    ${recipe ? `include ${RECIPE};` : ""}
  }
}
`);
  const args = [nginx, "-p", dir + "/", "-e", join(dir, "error.log"), "-c", join(dir, "nginx.conf")];
  // setpriv (util-linux) makes the kernel kill nginx if this process dies before stopping it.
  const command = existsSync("/usr/bin/setpriv") ? ["/usr/bin/setpriv", "--pdeathsig", "KILL", "--", ...args] : args;
  const child = spawn(command[0], command.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const exited = new Promise((ok) => child.once("exit", (code, signal) => ok({ code, signal })));
  let running = true;
  exited.then(() => (running = false));

  const stop = async () => {
    if (running) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const url = `http://127.0.0.1:${port}`;
  const errorLog = async () => (await readFile(join(dir, "error.log"), "utf8").catch(() => "")) + output;
  try {
    for (let tries = 0; ; tries++) {
      if (!running) throw new Error(`nginx exited (${JSON.stringify(await exited)}):\n${await errorLog()}`);
      try {
        const r = await fetch(url + "/");
        await r.arrayBuffer();
        // Another program could have taken the port after freePort() released it.
        if (!/^nginx/.test(r.headers.get("server") ?? "")) throw new Error(`not nginx on ${url}`);
        if (running) return { url, stop };
      } catch (e) {
        if (/^not nginx/.test(e.message)) throw e;
      }
      if (tries > 100) throw new Error(`nginx does not answer on ${url}:\n${await errorLog()}`);
      await new Promise((ok) => setTimeout(ok, 100));
    }
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Opens the Pyodide demo with python_echo.py on `url`; resolves to what the page printed. */
async function runDemo(url) {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("console", (m) => {
      process.stderr.write(`[page] ${m.text()}\n`);
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => process.stderr.write(`[page error] ${e.message}\n`));
    await page.goto(`${url}/demo/pyodide.html?script=python_echo.py`);
    const demo = await page.waitForFunction(() => window.demo, null, { timeout: 120_000 }).then((h) => h.jsonValue(),
      (e) => { throw new Error(`${e.message}; the page's errors: ${JSON.stringify(errors)}`); });
    const isolated = await page.evaluate(() => window.crossOriginIsolated);
    return { ...demo, isolated };
  } finally {
    await browser.close();
  }
}

test("recipes: every file names both headers; the JSON ones parse", async () => {
  const files = ["nginx.conf", "apache/.htaccess", "Caddyfile", "netlify/_headers", "cloudflare-pages/_headers",
    "vercel/vercel.json", "firebase/firebase.json"];
  const listed = await readFile(join(ROOT, "server-headers", "README.md"), "utf8");
  for (const file of files) {
    const text = await readFile(join(ROOT, "server-headers", file), "utf8");
    if (file.endsWith(".json")) JSON.parse(text);
    else assert.match(text.split("\n")[0], /^# \S/, `${file} starts with a comment saying what it does`);
    assert.match(text, /Cross-Origin-Opener-Policy[^\n]*same-origin/, `${file} sets COOP`);
    assert.match(text, /Cross-Origin-Embedder-Policy[^\n]*require-corp/, `${file} sets COEP`);
    assert.ok(listed.includes(file), `server-headers/README.md lists ${file}`);
  }
});

test("nginx with the recipe: the headers on every response, and the MIME types of .html, .mjs and .wasm", async () => {
  const server = await startNginx({ recipe: true });
  try {
    const get = async (path) => {
      const r = await fetch(server.url + path);
      await r.arrayBuffer();
      return r;
    };
    for (const [path, status, type] of [
      ["/demo/pyodide.html", 200, "text/html"],
      ["/node_modules/pyodide/pyodide.mjs", 200, "text/javascript"],
      ["/target/pkg/pywebworker_bg.wasm", 200, "application/wasm"],
      ["/target/wheels/pywebworker-0.1.0-py3-none-any.whl", 200, null],
      ["/no/such/file", 404, null],
    ]) {
      const r = await get(path);
      assert.equal(r.status, status, path);
      assert.equal(r.headers.get("cross-origin-opener-policy"), "same-origin", `COOP on ${path}`);
      assert.equal(r.headers.get("cross-origin-embedder-policy"), "require-corp", `COEP on ${path}`);
      if (type) assert.equal(r.headers.get("content-type").split(";")[0], type, `type of ${path}`);
    }
  } finally {
    await server.stop();
  }
});

test("nginx with the recipe: the Pyodide demo is cross-origin isolated and uses the shared transport", async () => {
  const server = await startNginx({ recipe: true });
  try {
    const result = await runDemo(server.url);
    assert.equal(result.error, undefined, `the demo ran: ${result.error}`);
    assert.equal(result.isolated, true, "crossOriginIsolated");
    assert.equal(result.printed[0], "['This is the first message']");
    assert.equal(result.printed.at(-1), "transport: shared");
  } finally {
    await server.stop();
  }
});

test("nginx without the recipe: the same page is not isolated and falls back to postMessage", async () => {
  const server = await startNginx({ recipe: false });
  try {
    const r = await fetch(server.url + "/demo/pyodide.html");
    await r.text();
    assert.equal(r.headers.get("cross-origin-opener-policy"), null, "no COOP without the recipe");
    const result = await runDemo(server.url);
    assert.equal(result.error, undefined, `the demo ran: ${result.error}`);
    assert.equal(result.isolated, false, "crossOriginIsolated");
    assert.equal(result.printed[0], "['This is the first message']");
    assert.equal(result.printed.at(-1), "transport: post");
  } finally {
    await server.stop();
  }
});
