/** out += scale * (f0 outer f1 outer f2), row-major, for rank 1 to 3. */
export function addOuter(out: Float64Array, factors: Float64Array[], scale: number): void {
  const rank = factors.length;
  if (rank === 1) {
    const f0 = factors[0]!;
    for (let i = 0; i < f0.length; i++) out[i]! += scale * f0[i]!;
    return;
  }
  if (rank === 2) {
    const [f0, f1] = factors as [Float64Array, Float64Array];
    const n1 = f1.length;
    for (let i = 0; i < f0.length; i++) {
      const v = scale * f0[i]!;
      if (v === 0) continue;
      const base = i * n1;
      for (let j = 0; j < n1; j++) out[base + j]! += v * f1[j]!;
    }
    return;
  }
  const [f0, f1, f2] = factors as [Float64Array, Float64Array, Float64Array];
  const n1 = f1.length;
  const n2 = f2.length;
  for (let i = 0; i < f0.length; i++) {
    for (let j = 0; j < n1; j++) {
      const v = scale * f0[i]! * f1[j]!;
      if (v === 0) continue;
      const base = (i * n1 + j) * n2;
      for (let k = 0; k < n2; k++) out[base + k]! += v * f2[k]!;
    }
  }
}

/**
 * out += the sum of several terms scale * (f0 outer f1 outer f2), row-major,
 * for rank 1 to 3: the same as addOuter term after term (every value gets the
 * terms added in the same order, so the same bits), but one pass over `out`
 * instead of one per term.
 */
export function addOuterTerms(out: Float64Array, terms: ReadonlyArray<{ factors: Float64Array[]; scale: number }>): void {
  if (terms.length === 1 || terms[0]!.factors.length === 1) {
    for (const t of terms) addOuter(out, t.factors, t.scale);
    return;
  }
  const rank = terms[0]!.factors.length;
  const f0s = terms.map((t) => t.factors[0]!);
  const f1s = terms.map((t) => t.factors[1]!);
  const scales = terms.map((t) => t.scale);
  const n0 = f0s[0]!.length;
  const n1 = f1s[0]!.length;
  const count = terms.length;
  if (rank === 2) {
    for (let i = 0; i < n0; i++) {
      const base = i * n1;
      for (let t = 0; t < count; t++) {
        const v = scales[t]! * f0s[t]![i]!;
        if (v === 0) continue;
        const f1 = f1s[t]!;
        for (let j = 0; j < n1; j++) out[base + j]! += v * f1[j]!;
      }
    }
    return;
  }
  const f2s = terms.map((t) => t.factors[2]!);
  const n2 = f2s[0]!.length;
  for (let i = 0; i < n0; i++) {
    for (let j = 0; j < n1; j++) {
      const base = (i * n1 + j) * n2;
      for (let t = 0; t < count; t++) {
        const v = scales[t]! * f0s[t]![i]! * f1s[t]![j]!;
        if (v === 0) continue;
        const f2 = f2s[t]!;
        for (let k = 0; k < n2; k++) out[base + k]! += v * f2[k]!;
      }
    }
  }
}
