// The README a newcomer reads first stays short, and no link of it or of the docs it leads to
// points at a file or a heading that is not there.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { ROOT } from "./common.mjs";

const DOCS = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

/** The anchors GitHub gives a Markdown file's headings. */
function anchors(file) {
  const seen = new Map();
  const out = new Set();
  let fenced = false;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    const m = !fenced && /^#{1,6}\s+(.*)$/.exec(line);
    if (!m) continue;
    const base = m[1].trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

/** The relative links of a Markdown file outside code: [text](target) and <target>. */
function links(file) {
  const text = readFileSync(file, "utf8").replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
  const out = [];
  for (const m of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) out.push(m[1]);
  return out.filter((l) => !/^[a-z]+:/i.test(l));
}

test("the README is at most 250 lines", () => {
  const lines = readFileSync(join(ROOT, "README.md"), "utf8").trimEnd().split("\n").length;
  assert.ok(lines <= 250, `README.md has ${lines} lines`);
});

for (const doc of DOCS) {
  test(`every relative link of ${doc} resolves, anchors included`, () => {
    const broken = [];
    for (const link of links(join(ROOT, doc))) {
      const [path, anchor] = link.split("#");
      const target = path ? join(dirname(join(ROOT, doc)), decodeURIComponent(path)) : join(ROOT, doc);
      if (!existsSync(target)) {
        broken.push(`${link} (no ${relative(ROOT, target)})`);
      } else if (anchor && target.endsWith(".md") && statSync(target).isFile() && !anchors(target).has(anchor)) {
        broken.push(`${link} (no heading #${anchor} in ${relative(ROOT, target)})`);
      }
    }
    assert.deepEqual(broken, [], `broken links in ${doc}`);
  });
}
