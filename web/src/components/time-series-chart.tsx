import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import { CHART_COLORS, SERIES_COLORS } from '../lib/chart-colors.js';
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
  return (ms) => new Date(ms).toLocaleString('en-GB', long ? { day: 'numeric', month: 'short' } : { hour: '2-digit', minute: '2-digit' });
}

/** Values over time on a true time axis, one line per series, with optional reference lines. */
export function TimeSeriesChart({ title, rows, series, range, format = formatNumber, domain, height = 220 }: TimeSeriesChartProps) {
  const from = new Date(range[0]).getTime();
  const to = new Date(range[1]).getTime();
  const data = rows.map((row) => ({ ...row, t: new Date(String(row.at)).getTime() }));
  const tick = timeFormatter(to - from);
  // Five evenly spaced ticks over the whole range, however few points there are.
  const ticks = to > from ? [0, 1, 2, 3, 4].map((i) => from + ((to - from) * i) / 4) : undefined;
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <LineChart responsive data={data} style={{ width: '100%', height }} margin={{ top: 8, right: 12, bottom: 0, left: -8 }}>
        <CartesianGrid stroke={CHART_COLORS.grid} vertical={false} />
        <XAxis dataKey="t" type="number" domain={[from, to]} ticks={ticks} tickFormatter={tick} stroke={CHART_COLORS.axis} fontSize={12} minTickGap={24} />
        <YAxis stroke={CHART_COLORS.axis} fontSize={12} width={52} tickFormatter={(v: number) => format(v)} domain={domain ? [...domain] : ['auto', 'auto']} />
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
