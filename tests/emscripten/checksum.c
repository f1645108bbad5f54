// A small C program that a JsWorker runs: its exported functions answer the worker's messages.
// `adler32` reads bytes the caller wrote into the program's memory; `shout` returns a string
// that it writes into memory itself.
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <emscripten/emscripten.h>

/** The Adler-32 checksum of `n` bytes at `data` (as zlib computes it). */
EMSCRIPTEN_KEEPALIVE uint32_t adler32(const uint8_t *data, size_t n) {
  uint32_t a = 1, b = 0;
  for (size_t i = 0; i < n; i++) {
    a = (a + data[i]) % 65521;
    b = (b + a) % 65521;
  }
  return (b << 16) | a;
}

/** `text` in capitals, then "!": a new string the caller frees with `free`. */
EMSCRIPTEN_KEEPALIVE char *shout(const char *text) {
  size_t n = strlen(text);
  char *out = malloc(n + 2);
  if (!out) return NULL;
  for (size_t i = 0; i < n; i++) out[i] = (char)toupper((unsigned char)text[i]);
  out[n] = '!';
  out[n + 1] = '\0';
  return out;
}
