import { Area, AreaChart, Bar, BarChart, CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import type { TrafficPoint } from '../api/api-types.js';
import { CHART_COLORS } from '../lib/chart-colors.js';
import { formatClock, formatNumber, formatTick } from '../lib/format.js';
import { trafficRows } from '../lib/traffic-series.js';

const HEIGHT = 190;
const axis = { stroke: CHART_COLORS.axis, fontSize: 12 };

/** Request rate, latency (p50 and p99) and errors per window, side by side. */
export function TrafficCharts({ points }: { readonly points: readonly TrafficPoint[] }) {
  const rows = trafficRows(points);
  // A line through a few windows with traffic would be invisible without its dots.
  const latencyDots = rows.filter((r) => r.p50 !== null).length < 8 ? { r: 3 } : false;
  const totals = rows.reduce((a, r, i) => ({ requests: a.requests + (points[i]?.requests ?? 0), errors: a.errors + r.errors }), { requests: 0, errors: 0 });
  return (
    <div className="chart-grid">
      <figure className="chart">
        <figcaption>Requests per second</figcaption>
        <AreaChart responsive data={rows} style={{ width: '100%', height: HEIGHT }} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid stroke={CHART_COLORS.grid} vertical={false} />
          <XAxis dataKey="at" tickFormatter={formatClock} {...axis} minTickGap={24} />
          <YAxis {...axis} tickFormatter={formatTick} width={52} />
          <Tooltip labelFormatter={(v) => formatClock(String(v))} formatter={(v) => [formatNumber(Number(v)), 'req/s']} />
          <Area type="monotone" dataKey="rate" name="Requests/s" stroke={CHART_COLORS.primary} fill={CHART_COLORS.primary} fillOpacity={0.15} isAnimationActive={false} />
        </AreaChart>
      </figure>
      <figure className="chart">
        <figcaption>Latency (ms)</figcaption>
        <LineChart responsive data={rows} style={{ width: '100%', height: HEIGHT }} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid stroke={CHART_COLORS.grid} vertical={false} />
          <XAxis dataKey="at" tickFormatter={formatClock} {...axis} minTickGap={24} />
          <YAxis {...axis} tickFormatter={formatTick} width={52} />
          <Tooltip labelFormatter={(v) => formatClock(String(v))} formatter={(v, name) => [`${formatNumber(Number(v))} ms`, name]} />
          <Legend verticalAlign="top" height={24} iconSize={10} />
          <Line type="monotone" dataKey="p50" name="p50" stroke={CHART_COLORS.primary} dot={latencyDots} connectNulls isAnimationActive={false} />
          <Line type="monotone" dataKey="p99" name="p99" stroke={CHART_COLORS.secondary} dot={latencyDots} connectNulls isAnimationActive={false} />
        </LineChart>
      </figure>
      <figure className="chart">
        <figcaption>Errors</figcaption>
        <BarChart responsive data={rows} style={{ width: '100%', height: HEIGHT }} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid stroke={CHART_COLORS.grid} vertical={false} />
          <XAxis dataKey="at" tickFormatter={formatClock} {...axis} minTickGap={24} />
          <YAxis {...axis} allowDecimals={false} width={52} />
          <Tooltip labelFormatter={(v) => formatClock(String(v))} />
          <Bar dataKey="errors" name="Errors" fill={CHART_COLORS.error} isAnimationActive={false} />
        </BarChart>
      </figure>
      <p className="visually-hidden">
        {totals.requests} requests and {totals.errors} errors in the windows shown.
      </p>
    </div>
  );
}
