import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import { CHART_COLORS, SERIES_COLORS } from '../lib/chart-colors.js';
import { formatClock, formatNumber } from '../lib/format.js';

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
  /** Rows with `at` (ISO time) and a number per series key. */
  readonly rows: readonly Readonly<Record<string, unknown>>[];
  readonly series: readonly Series[];
  readonly format?: (value: number) => string;
  readonly domain?: readonly [number, number];
  readonly height?: number;
}

/** Values over time, one line per series, with optional reference lines. */
export function TimeSeriesChart({ title, rows, series, format = formatNumber, domain, height = 220 }: TimeSeriesChartProps) {
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <LineChart responsive data={[...rows]} style={{ width: '100%', height }} margin={{ top: 8, right: 12, bottom: 0, left: -8 }}>
        <CartesianGrid stroke={CHART_COLORS.grid} vertical={false} />
        <XAxis dataKey="at" tickFormatter={formatClock} stroke={CHART_COLORS.axis} fontSize={12} minTickGap={24} />
        <YAxis stroke={CHART_COLORS.axis} fontSize={12} width={52} tickFormatter={(v: number) => format(v)} domain={domain ? [...domain] : ['auto', 'auto']} />
        <Tooltip labelFormatter={(v) => formatClock(String(v))} formatter={(v, name) => [format(Number(v)), name]} />
        {series.length > 1 ? <Legend verticalAlign="top" height={24} iconSize={10} /> : null}
        {series.map((s, i) => (
          <Line
            key={s.key}
            type="monotone"
            dataKey={s.key}
            name={s.label}
            stroke={SERIES_COLORS[i % SERIES_COLORS.length]}
            dot={rows.length < 20}
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
              label={{ value: `training ${format(s.reference)}`, position: 'insideTopRight', fontSize: 11, fill: CHART_COLORS.axis }}
            />
          ),
        )}
      </LineChart>
    </figure>
  );
}
