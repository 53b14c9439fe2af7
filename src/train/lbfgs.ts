/**
 * Limited-memory BFGS for smooth convex objectives (the regularised logistic loss). A standard
 * two-loop recursion with a backtracking Armijo line search; enough for problems with up to a few
 * thousand parameters, which is what linear models over tabular features have.
 */

/** Returns the objective at `w` and writes its gradient into `gradient`. */
export type Objective = (w: Float64Array, gradient: Float64Array) => number;

/** Options for {@link minimizeLbfgs}. */
export interface LbfgsOptions {
  readonly maxIterations?: number;
  /** Stop when the largest gradient component is below this. */
  readonly gradientTolerance?: number;
  /** Stop when an iteration improves the objective by less than this (relative). */
  readonly relativeTolerance?: number;
  /** Correction pairs kept. */
  readonly memory?: number;
}

/** The minimiser found, the objective there and the iterations it took. */
export interface LbfgsResult {
  readonly w: Float64Array;
  readonly value: number;
  readonly iterations: number;
}

/** Minimises `objective` from `start` (not modified). */
export function minimizeLbfgs(objective: Objective, start: Float64Array, options: LbfgsOptions = {}): LbfgsResult {
  const maxIterations = options.maxIterations ?? 1000;
  const gtol = options.gradientTolerance ?? 1e-7;
  const ftol = options.relativeTolerance ?? 1e-12;
  const memory = options.memory ?? 10;
  const d = start.length;
  let w = Float64Array.from(start);
  let g = new Float64Array(d);
  let f = objective(w, g);
  const s: Float64Array[] = [];
  const y: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(memory);
  const direction = new Float64Array(d);
  let nextW = new Float64Array(d);
  let nextG = new Float64Array(d);
  let iterations = 0;

  for (; iterations < maxIterations; iterations++) {
    if (maxAbs(g) < gtol) break;
    // Two-loop recursion: direction = -H·g.
    for (let i = 0; i < d; i++) direction[i] = -g[i]!;
    for (let j = s.length - 1; j >= 0; j--) {
      const a = rho[j]! * dot(s[j]!, direction);
      alpha[j] = a;
      axpy(-a, y[j]!, direction);
    }
    if (s.length > 0) {
      const last = s.length - 1;
      scale(direction, dot(s[last]!, y[last]!) / dot(y[last]!, y[last]!));
    } else {
      scale(direction, 1 / Math.max(1, Math.sqrt(dot(g, g))));
    }
    for (let j = 0; j < s.length; j++) {
      const b = rho[j]! * dot(y[j]!, direction);
      axpy(alpha[j]! - b, s[j]!, direction);
    }
    let slope = dot(g, direction);
    if (slope >= 0) {
      // Not a descent direction (curvature information went stale): restart from steepest descent.
      s.length = 0;
      y.length = 0;
      rho.length = 0;
      for (let i = 0; i < d; i++) direction[i] = -g[i]! / Math.max(1, Math.sqrt(dot(g, g)));
      slope = dot(g, direction);
    }
    let step = 1;
    let nextF = Infinity;
    for (let tries = 0; tries < 60; tries++) {
      for (let i = 0; i < d; i++) nextW[i] = w[i]! + step * direction[i]!;
      nextF = objective(nextW, nextG);
      if (nextF <= f + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(nextF <= f)) break;
    const sNew = new Float64Array(d);
    const yNew = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      sNew[i] = nextW[i]! - w[i]!;
      yNew[i] = nextG[i]! - g[i]!;
    }
    const sy = dot(sNew, yNew);
    if (sy > 1e-12) {
      if (s.length === memory) {
        s.shift();
        y.shift();
        rho.shift();
      }
      s.push(sNew);
      y.push(yNew);
      rho.push(1 / sy);
    }
    const improvement = f - nextF;
    [w, nextW] = [nextW, w];
    [g, nextG] = [nextG, g];
    f = nextF;
    if (improvement <= ftol * Math.max(1, Math.abs(f))) {
      iterations++;
      break;
    }
  }
  return { w, value: f, iterations };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i] = y[i]! + a * x[i]!;
}

function scale(x: Float64Array, a: number): void {
  for (let i = 0; i < x.length; i++) x[i] = x[i]! * a;
}

function maxAbs(x: Float64Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]!));
  return m;
}
