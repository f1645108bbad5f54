// Reached through a redirect in tests/browser/serviceworker.test.mjs: its relative import and
// import.meta.url must follow the URL it was finally loaded from.
import { sibling } from "./sw-sibling.mjs";

export const url = import.meta.url;
export { sibling };
