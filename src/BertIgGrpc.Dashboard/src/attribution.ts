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

/** Normalised attributions below this magnitude are shown as neutral (white): numerically zero. */
export const NEUTRAL_BELOW = 0.005;

/**
 * Background colour for a normalised attribution. Captum's hues and end points (visualization._get_color:
 * green, hue 120, down to 50% lightness towards the target; red, hue 0, down to 60% against; white for zero),
 * but on a square-root scale that starts at a visible tint: Captum's linear scale leaves |a| < 0.1 within
 * 5% of white, indistinguishable from neutral on a long text where every token's share is small.
 * Values outside [-1, 1] are clipped, as there. The exact value is in each token's title.
 */
export function colorFor(normalized: number): string {
  const a = Number.isFinite(normalized) ? Math.max(-1, Math.min(1, normalized)) : 0;
  const magnitude = Math.abs(a);
  if (magnitude < NEUTRAL_BELOW) return "hsl(0, 75%, 100%)";
  const strength = Math.sqrt(magnitude);
  if (a > 0) {
    return `hsl(120, 75%, ${Math.round(92 - 42 * strength)}%)`;
  }
  return `hsl(0, 75%, ${Math.round(92 - 32 * strength)}%)`;
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
