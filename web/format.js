// format.js - numbers as modelmem's text output writes them: binary units
// with two decimals, counts with thousands separators. Presentation only:
// every figure comes from the library's JSON.

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

// x with two decimals as C's printf("%.2f") writes it: a tie (104.625, exact
// in binary) goes to the even digit, where toFixed would round it up.
function fixed2(x) {
  const y = x * 100;
  const f = Math.floor(y);
  const d = y - f;
  const r = d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f;
  return `${Math.floor(r / 100)}.${String(r % 100).padStart(2, '0')}`;
}

export function bytes(n) {
  if (n === null || n === undefined) return 'N/A';
  const v = Number(n);
  if (v < 1024) return `${v} bytes`;
  let x = v / 1024;
  let u = 0;
  while (x >= 1024 && u + 1 < UNITS.length) {
    x /= 1024;
    u += 1;
  }
  return `${fixed2(x)} ${UNITS[u]}`;
}

export function count(n) {
  if (n === null || n === undefined) return '';
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A signed byte count: "12.00 GiB" or "−3.50 GiB". */
export function signedBytes(n) {
  return n < 0 ? `−${bytes(-n)}` : bytes(n);
}
