/**
 * Viridis (van der Walt & Smith, CC0): perceptually uniform and readable with the common colour
 * vision deficiencies. Twenty anchors of matplotlib's 256-entry table (every 16th, the last, and three
 * more where the curve bends near yellow), linearly interpolated; tests check entries between anchors
 * stay within 1.5/255 of the table.
 */
const ANCHORS: [number, number, number, number][] = [
  [0, 0.267004, 0.004874, 0.329415],
  [16, 0.282327, 0.094955, 0.417331],
  [32, 0.278826, 0.17549, 0.483397],
  [48, 0.258965, 0.251537, 0.524736],
  [64, 0.229739, 0.322361, 0.545706],
  [80, 0.19943, 0.387607, 0.554642],
  [96, 0.172719, 0.448791, 0.557885],
  [112, 0.149039, 0.508051, 0.55725],
  [128, 0.127568, 0.566949, 0.550556],
  [144, 0.120638, 0.625828, 0.533488],
  [160, 0.157851, 0.683765, 0.501686],
  [176, 0.24607, 0.73891, 0.452024],
  [192, 0.369214, 0.788888, 0.382914],
  [208, 0.515992, 0.831158, 0.294279],
  [224, 0.678489, 0.863742, 0.189503],
  [232, 0.762373, 0.876424, 0.137064],
  [240, 0.845561, 0.887322, 0.099702],
  [244, 0.886271, 0.892374, 0.095374],
  [250, 0.945636, 0.899815, 0.112838],
  [255, 0.993248, 0.906157, 0.143936],
];

/** RGB bytes of viridis at t ∈ [0, 1] (clamped; NaN reads as 0). */
export function viridis(t: number): [number, number, number] {
  const x = (t === t ? Math.min(1, Math.max(0, t)) : 0) * 255;
  let i = 0;
  while (i < ANCHORS.length - 2 && ANCHORS[i + 1]![0] < x) i++;
  const a = ANCHORS[i]!, b = ANCHORS[i + 1]!;
  const f = (x - a[0]) / (b[0] - a[0]);
  return [
    Math.round((a[1] + (b[1] - a[1]) * f) * 255),
    Math.round((a[2] + (b[2] - a[2]) * f) * 255),
    Math.round((a[3] + (b[3] - a[3]) * f) * 255),
  ];
}

/** 256 RGB triples, index k for value k/255. */
export const VIRIDIS_TABLE: [number, number, number][] = Array.from({ length: 256 }, (_, k) => viridis(k / 255));

export function cssColor(t: number, alpha = 1): string {
  const [r, g, b] = viridis(t);
  return alpha >= 1 ? `rgb(${r}, ${g}, ${b})` : `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

/** Black or white text, whichever reads better on viridis(t). */
export function textColorOn(t: number): string {
  const [r, g, b] = viridis(t);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 140 ? '#000' : '#fff';
}
