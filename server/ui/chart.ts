/**
 * Chart data for the console, made on the server: a device's samples of one field reduced to at
 * most a few hundred points (min, mean and max per time bucket), so a week of one-second samples
 * costs the browser the same as an hour of them.
 */

export interface Point {
  /** Epoch seconds. */
  t: number;
  v: number;
}

/** Columns as uPlot takes them: x (epoch seconds) and one array per series. */
export interface Downsampled {
  t: number[];
  min: number[];
  avg: number[];
  max: number[];
  /** Samples that went in. */
  samples: number;
  /** Seconds each point covers (0: one point per sample). */
  bucketSeconds: number;
}

export const MAX_POINTS = 300;

/** Device timestamps as epoch seconds (below 1e12 they are seconds already, else milliseconds). */
export const toSeconds = (timestamp: number): number => (timestamp < 1e12 ? timestamp : timestamp / 1000);

export function downsample(points: readonly Point[], maxPoints = MAX_POINTS): Downsampled {
  const sorted = [...points].sort((a, b) => a.t - b.t);
  const out: Downsampled = { t: [], min: [], avg: [], max: [], samples: sorted.length, bucketSeconds: 0 };
  if (sorted.length === 0) return out;
  if (sorted.length <= maxPoints) {
    for (const p of sorted) {
      out.t.push(p.t);
      out.min.push(p.v);
      out.avg.push(p.v);
      out.max.push(p.v);
    }
    return out;
  }
  const first = sorted[0]!.t;
  const span = sorted.at(-1)!.t - first;
  const width = Math.max(1, Math.ceil((span + 1) / maxPoints));
  out.bucketSeconds = width;
  let bucket = -1;
  let min = 0;
  let max = 0;
  let sum = 0;
  let n = 0;
  const close = () => {
    if (n === 0) return;
    out.t.push(first + bucket * width);
    out.min.push(min);
    out.avg.push(sum / n);
    out.max.push(max);
  };
  for (const p of sorted) {
    const b = Math.floor((p.t - first) / width);
    if (b !== bucket) {
      close();
      bucket = b;
      min = max = sum = p.v;
      n = 1;
    } else {
      min = Math.min(min, p.v);
      max = Math.max(max, p.v);
      sum += p.v;
      n++;
    }
  }
  close();
  return out;
}
