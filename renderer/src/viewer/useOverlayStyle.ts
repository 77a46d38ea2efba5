import { useCallback, useState } from 'react';

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, +v.toFixed(2)));

/** How the attribution overlay is drawn: shown or not, its opacity, and the threshold below which it is hidden. */
export function useOverlayStyle() {
  const [visible, setVisible] = useState(true);
  const [opacity, setOpacity] = useState(0.6);
  const [threshold, setThreshold] = useState(0);
  const toggle = useCallback(() => setVisible((v) => !v), []);
  const bumpOpacity = useCallback((d: number) => setOpacity((o) => clamp(o + d, 0, 1)), []);
  const bumpThreshold = useCallback((d: number) => setThreshold((t) => clamp(t + d, 0, 0.95)), []);
  return { visible, setVisible, opacity, setOpacity, threshold, setThreshold, toggle, bumpOpacity, bumpThreshold };
}

export type OverlayStyle = ReturnType<typeof useOverlayStyle>;
