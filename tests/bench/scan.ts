// What the explain benchmarks feed the model: a 512×512 grayscale phantom with a VOI window, and the median.
import type { ScanImage } from '../../native-models/clip/preprocess';

export function phantom(size: number): ScanImage {
  const px = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = (x - size / 2) / size, dy = (y - size / 2) / size;
      px[y * size + x] = 1000 + 1500 * Math.exp(-(dx * dx + dy * dy) * 8) + 300 * Math.sin(x / 7) * Math.cos(y / 11);
    }
  }
  return { width: size, height: size, channels: 1, pixels: px, window: { center: 1800, width: 2400 }, invert: false };
}

export function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
