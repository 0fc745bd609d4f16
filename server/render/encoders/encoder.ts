// What every format encoder shares: a value either encodes into its format
// or is refused with an EncodeError naming the rule it breaks.
export class EncodeError extends Error {
  constructor(readonly format: string, problem: string) {
    super(`${format}: ${problem}`);
    this.name = 'EncodeError';
  }
}

export type Scalar = string | number | boolean;

/** One format's template helpers: each takes a scalar and returns safe text. */
export type HelperSet = Record<string, (value: Scalar) => string>;
