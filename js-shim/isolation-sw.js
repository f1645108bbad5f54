// Cross-origin isolation for static hosts that cannot send headers (GitHub Pages and the like).
// One file with two roles:
// - in a page, `<script src="isolation-sw.js"></script>` (a classic script, before anything that
//   needs shared memory) registers this file as a service worker and reloads the page once, so
//   that the page itself comes through it. It does nothing when the page is already
//   `crossOriginIsolated`, when service workers are unavailable (no secure context, old browser),
//   or when a reload in this tab already failed to isolate the page (no reload loop).
// - as the service worker, it adds `Cross-Origin-Opener-Policy: same-origin` and
//   `Cross-Origin-Embedder-Policy: require-corp` (or `credentialless`) to every same-origin
//   response, and `Cross-Origin-Resource-Policy: cross-origin` to those that are not pages
//   (navigations).
// A service worker controls only the pages at or below its own folder: serve this file from the
// site's root or from the pages' folder.
// Options, as attributes of the script tag: data-coep="credentialless" (cross-origin resources
// without CORP headers load without credentials instead of being blocked; Chromium, Firefox).
// `window.pywebworkerIsolation` is a promise of "isolated", "reloading" (do not start work: the
// page is about to reload), "unavailable" or "failed" (the page stays an ordinary one, and
// pywebworker uses its postMessage transport).
(() => {
  "use strict";
  const RELOAD_GUARD = "pywebworker-isolation-reload";

  if (typeof ServiceWorkerGlobalScope !== "undefined" && self instanceof ServiceWorkerGlobalScope) {
    serviceWorker();
  } else if (typeof document !== "undefined") {
    window.pywebworkerIsolation = page(document.currentScript).catch((error) => {
      console.warn(`isolation-sw.js: ${error}`);
      return "failed";
    });
  }

  function serviceWorker() {
    const coep = new URL(self.location.href).searchParams.get("coep") === "credentialless"
      ? "credentialless" : "require-corp";

    self.addEventListener("install", () => self.skipWaiting());
    self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
    self.addEventListener("fetch", (event) => {
      const request = event.request;
      // Cross-origin responses cannot be changed here (they are opaque or need CORS anyway):
      // their own server must send CORP or CORS headers.
      if (new URL(request.url).origin !== self.location.origin) return;
      // fetch() rejects such a request outside same-origin mode (sent by developer tools).
      if (request.cache === "only-if-cached" && request.mode !== "same-origin") return;
      event.respondWith(fetch(request).then((response) => isolated(request, response, coep)));
    });
  }

  function isolated(request, response, coep) {
    // Navigations are fetched with redirect mode "manual": their redirects arrive here as
    // opaqueredirect and the browser follows them itself, through this worker again.
    if (response.status === 0 || response.type === "opaque" || response.type === "opaqueredirect") {
      return response;
    }
    if (response.redirected) {
      // A response built here has no URL of its own, so the page would take it for the request's:
      // a module script would resolve its imports and `import.meta.url` against the URL before
      // the redirect, fetch() would report no redirect. Sending the browser to the final URL
      // instead makes it request that URL itself (through this worker, this time without a
      // redirect), at the cost of fetching it twice.
      if (request.method === "GET" || request.method === "HEAD") {
        response.body?.cancel().catch(() => {});
        return Response.redirect(response.url, 307);
      }
      // Repeating another method could repeat its effect. Such a request comes from fetch() or
      // XMLHttpRequest (navigations never arrive redirected), whose responses need none of these
      // headers: the original, with its URL, serves best.
      return response;
    }
    const headers = new Headers(response.headers);
    headers.set("Cross-Origin-Opener-Policy", "same-origin");
    headers.set("Cross-Origin-Embedder-Policy", coep);
    // A page needs only COOP and COEP to be isolated; CORP on it would only let other sites'
    // cross-origin isolated pages frame it (their COEP otherwise blocks it).
    if (request.mode !== "navigate") headers.set("Cross-Origin-Resource-Policy", "cross-origin");
    const bodiless = [101, 103, 204, 205, 304].includes(response.status);
    return new Response(bodiless ? null : response.body,
      { status: response.status, statusText: response.statusText, headers });
  }

  async function page(script) {
    let storage;
    try {
      storage = window.sessionStorage;
      if (window.crossOriginIsolated) {
        storage.removeItem(RELOAD_GUARD);
        return "isolated";
      }
    } catch {
      return window.crossOriginIsolated ? "isolated" : "unavailable";  // storage blocked: no guard, no reload
    }
    if (!window.isSecureContext || !("serviceWorker" in navigator) || !script?.src) return "unavailable";

    const url = new URL(script.src);
    if (script.dataset.coep === "credentialless") url.searchParams.set("coep", "credentialless");
    const registration = await navigator.serviceWorker.register(url.href);
    if (!location.href.startsWith(registration.scope)) {
      throw new Error(`its scope ${registration.scope} does not cover this page: serve it from the page's folder or above`);
    }
    if (storage.getItem(RELOAD_GUARD)) {
      throw new Error("the page is still not cross-origin isolated after a reload; not reloading again");
    }
    await activated(registration);
    storage.setItem(RELOAD_GUARD, "1");
    location.reload();
    return "reloading";
  }

  // Resolves once the registration has an active worker (which will handle the reload).
  function activated(registration) {
    if (registration.active) return Promise.resolve();
    const worker = registration.installing || registration.waiting;
    return new Promise((resolve, reject) => {
      if (!worker) {
        reject(new Error("the registration has no worker"));
        return;
      }
      worker.addEventListener("statechange", () => {
        if (worker.state === "activated") resolve();
        else if (worker.state === "redundant") reject(new Error("the service worker failed to install"));
      });
    });
  }
})();
