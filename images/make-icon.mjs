// Draws images/icon.png (128x128 RGBA PNG, no dependencies): node images/make-icon.mjs images/icon.png
// writes a 128x128 PNG: rounded dark-blue square with a white branching "routing" glyph
import { deflateSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';
const N = 128;
const px = Buffer.alloc(N * N * 4);
const set = (x, y, [r, g, b, a]) => { const i = (y * N + x) * 4; px[i] = r; px[i + 1] = g; px[i + 2] = b; px[i + 3] = a; };
const bg = [24, 64, 120, 255], fg = [255, 255, 255, 255], accent = [94, 214, 160, 255];
const inRounded = (x, y, r = 22) => { const cx = Math.min(Math.max(x, r), N - 1 - r), cy = Math.min(Math.max(y, r), N - 1 - r); return (x - cx) ** 2 + (y - cy) ** 2 <= r * r; };
const distSeg = (x, y, ax, ay, bx, by) => { const dx = bx - ax, dy = by - ay; const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy))); return Math.hypot(x - (ax + t * dx), y - (ay + t * dy)); };
const segs = [[20, 64, 56, 64], [56, 64, 96, 32], [56, 64, 96, 64], [56, 64, 96, 96]];
const dots = [[20, 64, fg], [100, 32, accent], [100, 64, fg], [100, 96, fg], [56, 64, fg]];
for (let y = 0; y < N; y++) for (let x = 0; x < N; x++) {
  if (!inRounded(x, y)) { set(x, y, [0, 0, 0, 0]); continue; }
  let c = bg;
  if (segs.some(s => distSeg(x, y, ...s) <= 4.5)) c = fg;
  for (const [dx, dy, col] of dots) if (Math.hypot(x - dx, y - dy) <= 10) c = col;
  set(x, y, c);
}
const raw = Buffer.alloc(N * (N * 4 + 1));
for (let y = 0; y < N; y++) { raw[y * (N * 4 + 1)] = 0; px.copy(raw, y * (N * 4 + 1) + 1, y * N * 4, (y + 1) * N * 4); }
const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
const chunk = (type, data) => { const len = Buffer.alloc(4); len.writeUInt32BE(data.length); const td = Buffer.concat([Buffer.from(type), data]); const c = Buffer.alloc(4); c.writeUInt32BE(crc(td)); return Buffer.concat([len, td, c]); };
const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(N, 0); ihdr.writeUInt32BE(N, 4); ihdr[8] = 8; ihdr[9] = 6; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
writeFileSync(process.argv[2], Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]));
