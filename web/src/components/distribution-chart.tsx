import { Bar, BarChart, Tooltip, XAxis, YAxis } from 'recharts';
import { CHART_COLORS } from '../lib/chart-colors.js';
import type { Bin } from '../lib/feature-bins.js';
import { formatPercent } from '../lib/format.js';

/** Room for the category names, slanted under the bars so neighbours never overlap. */
const CATEGORY_LABEL_HEIGHT = 46;

/** A long category name cut to `max` characters with an ellipsis (the tooltip has it whole). */
function shorten(label: string, max: number): string {
  return label.length > max ? `${label.slice(0, max - 1)}…` : label;
}

/** Props of {@link DistributionChart}. */
export interface DistributionChartProps {
  readonly feature: string;
  readonly bins: readonly Bin[];
  readonly height?: number;
  /** Numeric bins: the first and last bin's range are written under the bars. */
  readonly numeric?: boolean;
}

/**
 * The reference and current shares of a feature per bin as bar pairs, so a shift reads at a
 * glance. The text alternative lists the bins whose share changed most.
 */
export function DistributionChart({ feature, bins, height = 110, numeric = false }: DistributionChartProps) {
  const changed = [...bins].sort((a, b) => Math.abs(b.current - b.reference) - Math.abs(a.current - a.reference)).slice(0, 3);
  // Categories are named under their bars; numeric bins only show the range (below).
  const labelled = !numeric;
  return (
    <figure className="distribution" aria-label={`Distribution of ${feature}, reference and current`}>
      <BarChart
        responsive
        data={[...bins]}
        style={{ width: '100%', height: labelled ? height + CATEGORY_LABEL_HEIGHT : height }}
        // Slanted names reach left of their bar: the first one needs room to stay whole.
        margin={{ top: 4, right: 4, bottom: 0, left: labelled ? 36 : 4 }}
        barGap={0}
        barCategoryGap="12%"
      >
        <XAxis
          dataKey="label"
          hide={!labelled}
          interval={0}
          height={CATEGORY_LABEL_HEIGHT}
          tickLine={false}
          fontSize={11}
          stroke={CHART_COLORS.axis}
          angle={-35}
          textAnchor="end"
          tickFormatter={(label: string) => shorten(label, 9)}
        />
        <YAxis hide domain={[0, 'dataMax']} />
        <Tooltip formatter={(v, name) => [formatPercent(Number(v)), name]} wrapperStyle={{ fontSize: 12 }} />
        <Bar dataKey="reference" name="Reference" fill={CHART_COLORS.reference} isAnimationActive={false} />
        <Bar dataKey="current" name="Current" fill={CHART_COLORS.current} isAnimationActive={false} />
      </BarChart>
      {numeric && bins.length > 1 ? (
        <div className="distribution-range" aria-hidden="true">
          <span>{bins[0]!.label}</span>
          <span>{bins[bins.length - 1]!.label}</span>
        </div>
      ) : null}
      <figcaption className="visually-hidden">
        {changed.map((b) => `${b.label}: reference ${formatPercent(b.reference)}, current ${formatPercent(b.current)}`).join('; ')}
      </figcaption>
    </figure>
  );
}
