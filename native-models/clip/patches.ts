/**
 * Which tokens of the vision tower's hidden state are image patches. Decided from the token count
 * against the patch grid, never assumed: a grid of g×g patches with T tokens leaves T − g²
 * leading tokens that are not patches (0 for SigLIP, 1 for a CLS token, 1 + k with k register
 * tokens). nib.json may state that count ("vision_prefix_tokens"); config.json's `class_token` /
 * `num_register_tokens`, where present, must agree with it.
 */
import { BundleError } from './tower';

export interface PatchLayout {
  grid: [number, number];
  /** Leading tokens that are not patches (CLS, registers); every other token is a patch, row-major. */
  prefix: number;
  source: 'nib.json' | 'token count';
}

function int(v: unknown): number | null {
  return typeof v === 'number' && Number.isInteger(v) ? v : null;
}

/** What config.json says about the non-patch tokens, where it says anything. */
function configPrefix(vcfg: Record<string, unknown>): number | null {
  const cls = typeof vcfg.class_token === 'boolean' ? vcfg.class_token : null;
  const registers = int(vcfg.num_register_tokens);
  if (cls === null && registers === null) return null;
  return (cls === false ? 0 : 1) + (registers ?? 0);
}

export function patchLayout(tokens: number, imageSize: number, patchSize: number | null, vcfg: Record<string, unknown>, nib: Record<string, unknown> | null, files: { vision: string; nib: string; config: string }): PatchLayout {
  const stated = nib?.vision_prefix_tokens;
  if (stated !== undefined) {
    const prefix = int(stated);
    if (prefix === null || prefix < 0 || prefix >= tokens) throw new BundleError(`${files.nib}: "vision_prefix_tokens" must be an integer 0–${tokens - 1} (the vision tower has ${tokens} tokens; got ${JSON.stringify(stated)})`);
    const side = Math.round(Math.sqrt(tokens - prefix));
    if (side * side !== tokens - prefix) throw new BundleError(`${files.nib}: "vision_prefix_tokens" = ${prefix} leaves ${tokens - prefix} tokens, not a square patch grid`);
    if (patchSize && side * patchSize !== imageSize) throw new BundleError(`${files.nib}: "vision_prefix_tokens" = ${prefix} leaves a ${side}×${side} grid, but ${imageSize} px images in ${patchSize} px patches make ${Math.floor(imageSize / patchSize)}×${Math.floor(imageSize / patchSize)}`);
    return { grid: [side, side], prefix, source: 'nib.json' };
  }
  let side: number;
  if (patchSize) {
    if (imageSize % patchSize !== 0) throw new BundleError(`${files.config}: image_size ${imageSize} is not a multiple of patch_size ${patchSize}`);
    side = imageSize / patchSize;
  } else side = Math.floor(Math.sqrt(tokens));
  const prefix = tokens - side * side;
  if (prefix < 0) throw new BundleError(`${files.vision}: ${tokens} vision tokens are fewer than the ${side}×${side} patches of a ${imageSize} px image in ${patchSize} px patches; name the right tensors in nib.json`);
  const expected = configPrefix(vcfg);
  if (expected !== null && expected !== prefix) {
    throw new BundleError(`${files.vision}: ${tokens} tokens = ${side}×${side} patches + ${prefix}, but ${files.config} describes ${expected} non-patch token(s) (class_token / num_register_tokens); state the count in nib.json ("vision_prefix_tokens")`);
  }
  return { grid: [side, side], prefix, source: 'token count' };
}
