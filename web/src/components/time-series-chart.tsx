import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import { CHART_COLORS, SERIES_COLORS } from '../lib/chart-colors.js';
import { axisStart } from '../lib/chart-axis.js';
import { formatNumber } from '../lib/format.js';

/** One line of a {@link TimeSeriesChart}. */
export interface Series {
  readonly key: string;
  readonly label: string;
  /** A horizontal line to compare with (the training metric). */
  readonly reference?: number;
}

/** Props of {@link TimeSeriesChart}. */
export interface TimeSeriesChartProps {
  readonly title: string;
  /** Rows with `at` (ISO time) and a number per series key; windows without data left out. */
  readonly rows: readonly Readonly<Record<string, unknown>>[];
  readonly series: readonly Series[];
  /** The whole time range shown (ISO times), so a few recent points sit where they belong in it. */
  readonly range: readonly [string, string];
  readonly format?: (value: number) => string;
  readonly domain?: readonly [number, number];
  readonly height?: number;
}

/** A time axis label: the clock within a day or so, the date beyond. */
function timeFormatter(span: number): (ms: number) => string {
  const long = span > 36 * 3_600_000;
  // Five ticks over a few minutes would repeat the same minute: seconds tell them apart.
  const short = span < 10 * 60_000;
  return (ms) =>
    new Date(ms).toLocaleString('en-GB', long ? { day: 'numeric', month: 'short' } : short ? { hour: '2-digit', minute: '2-digit', second: '2-digit' } : { hour: '2-digit', minute: '2-digit' });
}

/** Every value of the series and their reference lines. */
function seriesValues(data: readonly Readonly<Record<string, unknown>>[], series: readonly Series[]): number[] {
  const values: number[] = [];
  for (const s of series) {
    if (s.reference !== undefined) values.push(s.reference);
    for (const row of data) if (typeof row[s.key] === 'number' && Number.isFinite(row[s.key])) values.push(row[s.key] as number);
  }
  return values;
}

/**
 * The y range with a tenth of room above and below, reference lines included, so a line (and
 * its label) never sits on the x axis.
 */
function paddedDomain(data: readonly Readonly<Record<string, unknown>>[], series: readonly Series[]): [number, number] | ['auto', 'auto'] {
  const values = seriesValues(data, series);
  if (values.length === 0) return ['auto', 'auto'];
  const low = Math.min(...values);
  const high = Math.max(...values);
  const pad = (high - low) * 0.1 || Math.abs(high) * 0.1 || 1;
  return [low >= 0 && low - pad < 0 ? 0 : low - pad, high + pad];
}

/** Wide enough for the longest tick label, so none is clipped. */
function yAxisWidth(data: readonly Readonly<Record<string, unknown>>[], series: readonly Series[], format: (value: number) => string): number {
  const values = seriesValues(data, series);
  const longest = Math.max(3, ...values.map((v) => format(v).length));
  return Math.min(96, 14 + longest * 7);
}

/** Values over time on a true time axis, one line per series, with optional reference lines. */
export function TimeSeriesChart({ title, rows, series, range, format = formatNumber, domain, height = 220 }: TimeSeriesChartProps) {
  const to = new Date(range[1]).getTime();
  const data = rows.map((row) => ({ ...row, t: new Date(String(row.at)).getTime() }));
  const from = axisStart(new Date(range[0]).getTime(), to, data);
  const tick = timeFormatter(to - from);
  // Five evenly spaced ticks over the whole range, however few points there are.
  const ticks = to > from ? [0, 1, 2, 3, 4].map((i) => from + ((to - from) * i) / 4) : undefined;
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <LineChart responsive data={data} style={{ width: '100%', height }} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
        <CartesianGrid stroke={CHART_COLORS.grid} vertical={false} />
        <XAxis dataKey="t" type="number" domain={[from, to]} ticks={ticks} tickFormatter={tick} stroke={CHART_COLORS.axis} fontSize={12} minTickGap={24} />
        <YAxis stroke={CHART_COLORS.axis} fontSize={12} width={yAxisWidth(data, series, format)} tickFormatter={(v: number) => format(v)} domain={domain ? [...domain] : paddedDomain(data, series)} />
        <Tooltip labelFormatter={(v) => new Date(Number(v)).toLocaleString('en-GB')} formatter={(v, name) => [format(Number(v)), name]} />
        {series.length > 1 ? <Legend verticalAlign="top" height={24} iconSize={10} /> : null}
        {series.map((s, i) => (
          <Line
            key={s.key}
            type="monotone"
            dataKey={s.key}
            name={s.label}
            stroke={SERIES_COLORS[i % SERIES_COLORS.length]}
            dot={data.length < 20}
            connectNulls
            isAnimationActive={false}
          />
        ))}
        {series.map((s, i) =>
          s.reference === undefined ? null : (
            <ReferenceLine
              key={`ref:${s.key}`}
              y={s.reference}
              stroke={SERIES_COLORS[i % SERIES_COLORS.length]}
              strokeDasharray="4 4"
              label={{ value: `training ${format(s.reference)}`, position: 'insideTopLeft', fontSize: 11, fill: CHART_COLORS.axis }}
            />
          ),
        )}
      </LineChart>
    </figure>
  );
}
