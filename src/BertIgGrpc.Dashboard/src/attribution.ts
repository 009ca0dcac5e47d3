// Pure helpers for showing attributions: colours, signs and number formats.
// Kept free of the DOM so the colour rule is easy to read against Captum's.

/** Sign of an attribution as the page exposes it in data-sign. */
export type Sign = "pos" | "neg" | "zero";

/** One token or word as the report shows it; built from the contract's TokenAttribution. */
export interface TokenView {
  readonly token: string;
  readonly attribution: number;
  /** Attribution divided by the L2 norm over all tokens, in [-1, 1]. */
  readonly normalized: number;
  readonly special: boolean;
  readonly segment: number;
}

export function signOf(value: number): Sign {
  if (value > 0) return "pos";
  if (value < 0) return "neg";
  return "zero";
}

/**
 * Background colour for a normalised attribution, the rule of Captum's
 * visualization._get_color: green (hue 120) towards the target, red (hue 0) against,
 * lighter the closer to zero. Values outside [-1, 1] are clipped, as there.
 */
export function colorFor(normalized: number): string {
  const a = Number.isFinite(normalized) ? Math.max(-1, Math.min(1, normalized)) : 0;
  if (a > 0) {
    return `hsl(120, 75%, ${100 - Math.trunc(50 * a)}%)`;
  }
  return `hsl(0, 75%, ${100 - Math.trunc(-40 * a)}%)`;
}

/**
 * Normalises raw attributions by their L2 norm, the definition the server uses for
 * attribution_normalized. Progress events carry running sums whose normalised field may lag,
 * so the live preview recomputes it from the raw values.
 */
export function normalizeL2(values: readonly number[]): number[] {
  let sumSquares = 0;
  for (const v of values) sumSquares += v * v;
  const norm = Math.sqrt(sumSquares);
  return norm > 0 ? values.map((v) => v / norm) : values.map(() => 0);
}

/** Fixed-point for table cells; exponent form for tiny magnitudes such as convergence deltas. */
export function formatNumber(value: number, digits = 4): string {
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && Math.abs(value) < 10 ** -digits) return value.toExponential(2);
  return value.toFixed(digits);
}

/** Convergence deltas are often tiny; show them in exponent form so they never read as 0. */
export function formatDelta(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return value !== 0 && Math.abs(value) < 0.01 ? value.toExponential(2) : value.toFixed(4);
}

export function formatPercent(probability: number): string {
  return `${(probability * 100).toFixed(1)}%`;
}
