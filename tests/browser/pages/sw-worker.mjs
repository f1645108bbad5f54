// Reached through a redirect in tests/browser/serviceworker.test.mjs: after the redirect the
// service worker answers with, the worker must still start at its final URL, isolated.
import { sibling } from "./sw-sibling.mjs";

postMessage({ location: self.location.href, sibling, isolated: self.crossOriginIsolated });
