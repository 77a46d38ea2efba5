/**
 * How alike two attribution maps are, as the sanity checks compare them (Adebayo et al. 2018;
 * Quantus' MPRT): the Spearman rank correlation of the raw scores, and SSIM of the min-max
 * normalised maps. Both are 1 for identical maps.
 */

/** Ranks 1..n, ties given their average rank (as scipy.stats.rankdata 'average'). */
export function ranks(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  const r = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && x[order[j + 1]] === x[order[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[order[k]] = avg;
    i = j + 1;
  }
  return r;
}

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma, db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  // sqrt(s·s) is exactly s in IEEE arithmetic, so identical inputs give exactly 1.
  return sab / Math.sqrt(saa * sbb);
}

/**
 * Spearman's ρ (Pearson's r of the average ranks). NaN when either side is constant (no ranking
 * to compare) or the lengths differ.
 */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length < 2) return NaN;
  return pearson(ranks(a), ranks(b));
}

/** Min-max to [0, 1]; a constant map becomes all zero. */
function unitRange(x: ArrayLike<number>): Float64Array {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < x.length; i++) {
    lo = Math.min(lo, x[i]);
    hi = Math.max(hi, x[i]);
  }
  const out = new Float64Array(x.length);
  if (hi > lo) for (let i = 0; i < x.length; i++) out[i] = (x[i] - lo) / (hi - lo);
  return out;
}

/**
 * Mean SSIM (Wang et al. 2004) of two maps of rows × cols, each min-max normalised to [0, 1]
 * first (data range 1, C1 = 0.01², C2 = 0.03²), over every position of a win × win uniform window
 * that fits (clipped to the map's size), with population (1/N) variances. The sanity check runs
 * it on the patch grid (the scores the map is drawn from), not on the upsampled pixel map, whose
 * smooth interpolation would add structure neither map has.
 */
export function ssim(a: ArrayLike<number>, b: ArrayLike<number>, rows: number, cols: number, win = 3): number {
  if (a.length !== rows * cols || b.length !== rows * cols) return NaN;
  const x = unitRange(a), y = unitRange(b);
  const wr = Math.min(win, rows), wc = Math.min(win, cols);
  const C1 = 0.01 ** 2, C2 = 0.03 ** 2;
  const n = wr * wc;
  let total = 0, count = 0;
  for (let r0 = 0; r0 + wr <= rows; r0++) {
    for (let c0 = 0; c0 + wc <= cols; c0++) {
      let mx = 0, my = 0;
      for (let r = r0; r < r0 + wr; r++) for (let c = c0; c < c0 + wc; c++) {
        mx += x[r * cols + c];
        my += y[r * cols + c];
      }
      mx /= n;
      my /= n;
      let vx = 0, vy = 0, cxy = 0;
      for (let r = r0; r < r0 + wr; r++) for (let c = c0; c < c0 + wc; c++) {
        const dx = x[r * cols + c] - mx, dy = y[r * cols + c] - my;
        vx += dx * dx;
        vy += dy * dy;
        cxy += dx * dy;
      }
      vx /= n;
      vy /= n;
      cxy /= n;
      total += ((2 * mx * my + C1) * (2 * cxy + C2)) / ((mx * mx + my * my + C1) * (vx + vy + C2));
      count++;
    }
  }
  return total / count;
}
