// Runs the demo page in headless Chromium and prints what the workers exchanged.
import { withPage } from "../tests/browser/harness.mjs";

const result = await withPage({ isolated: true, path: "/demo/ring.html" }, (page) => page.evaluate(() => window.demo));
if (result.error) {
  console.error(result.error);
  process.exit(1);
}
console.log(`transport: ${result.transport} (page cross-origin isolated: ${result.crossOriginIsolated})`);
console.log("worker B received from worker A:");
for (const text of result.received) console.log(`  ${JSON.stringify(text)}`);
console.log(`then ${result.count.toLocaleString("en")} checked 16-byte messages in ${result.seconds.toFixed(3)} s: ` +
  `${(result.rate / 1e6).toFixed(2)} M messages/s worker -> worker`);
