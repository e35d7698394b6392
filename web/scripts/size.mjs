// Measures what a first load of the dashboard downloads: the JS and CSS that
// dist/index.html references, raw and gzip-compressed (level 9, as a server
// or proxy would send it). Exits non-zero past the 300 KB JS budget.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const refs = [...html.matchAll(/(?:src|href)="\.?\/?(assets\/[^"]+)"/g)].map((m) => m[1]);
let js = 0, jsRaw = 0, css = 0;
for (const r of refs) {
  const buf = readFileSync(join(dist, r));
  const gz = gzipSync(buf, { level: 9 }).length;
  if (r.endsWith('.js')) { js += gz; jsRaw += buf.length; } else if (r.endsWith('.css')) css += gz;
  console.log(`  ${r.padEnd(36)} ${(buf.length / 1024).toFixed(1).padStart(7)} KB raw ${(gz / 1024).toFixed(1).padStart(6)} KB gzip`);
}
const kBudget = 300 * 1024;
console.log(`first-load JS: ${(jsRaw / 1024).toFixed(1)} KB raw, ${(js / 1024).toFixed(1)} KB gzip (budget 300 KB); CSS ${(css / 1024).toFixed(1)} KB gzip`);
if (js > kBudget) {
  console.error('size: first-load JavaScript is over the 300 KB compressed budget');
  process.exit(1);
}
