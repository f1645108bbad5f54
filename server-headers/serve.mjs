// Development server: static files from the repository, with the COOP/COEP headers that make a
// page cross-origin isolated (shared memory in workers), or without them (`--no-isolation`).
// Standard library only. Binds 127.0.0.1.
import { createServer } from "node:http";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript",
  ".wasm": "application/wasm", ".json": "application/json", ".css": "text/css",
  ".svg": "image/svg+xml", ".png": "image/png", ".whl": "application/zip", ".zip": "application/zip",
  ".tar": "application/x-tar", ".txt": "text/plain; charset=utf-8", ".py": "text/plain; charset=utf-8",
  ".map": "application/json",
};

export const ISOLATION_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

/** Serves `root`; resolves to `{url, close()}` once listening. */
export function serve({ root = ".", isolated = true, port = 0 } = {}) {
  const base = resolve(root);
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    const file = normalize(join(base, path.endsWith("/") ? path + "index.html" : path));
    const headers = { "Cross-Origin-Resource-Policy": "cross-origin", "Cache-Control": "no-store",
                      ...(isolated ? ISOLATION_HEADERS : {}) };
    if (file !== base && !file.startsWith(base + sep)) {
      res.writeHead(403, headers).end("outside the served folder");
      return;
    }
    try {
      const info = await stat(file);
      if (!info.isFile()) throw new Error("not a file");
      res.writeHead(200, { ...headers, "Content-Type": TYPES[extname(file)] ?? "application/octet-stream",
                           "Content-Length": info.size });
      createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404, { ...headers, "Content-Type": "text/plain" }).end(`not found: ${path}`);
    }
  });
  return new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, "127.0.0.1", () => ok({
      url: `http://127.0.0.1:${server.address().port}`,
      close: () => new Promise((done) => { server.closeAllConnections(); server.close(done); }),
    }));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const port = args.includes("--port") ? Number(args[args.indexOf("--port") + 1]) : 8000;
  const isolated = !args.includes("--no-isolation");
  const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
  const { url } = await serve({ root, isolated, port });
  console.log(`serving ${root} at ${url} (${isolated ? "cross-origin isolated" : "not isolated"})`);
}
