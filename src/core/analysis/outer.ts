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
