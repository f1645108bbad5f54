// A classic script that import-scripts.js loads with importScripts: its declarations are globals.
function shout(text) {
  return `${String(text).toUpperCase()}!`;
}
