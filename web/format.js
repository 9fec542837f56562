// format.js - numbers as modelmem's text output writes them: binary units
// with two decimals, counts with thousands separators. Presentation only:
// every figure comes from the library's JSON.

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

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
  return `${x.toFixed(2)} ${UNITS[u]}`;
}

export function count(n) {
  if (n === null || n === undefined) return '';
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A signed byte count: "12.00 GiB" or "−3.50 GiB". */
export function signedBytes(n) {
  return n < 0 ? `−${bytes(-n)}` : bytes(n);
}
