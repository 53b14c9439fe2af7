/** Colours of the charts, kept apart for colour-blind readers (blue and orange, never red/green). */
export const CHART_COLORS = {
  reference: '#5b7fa6',
  current: '#e07b24',
  primary: '#1f5f99',
  secondary: '#e07b24',
  error: '#b3261e',
  grid: '#e3e8ee',
  axis: '#5c6670',
} as const;

/** Colours for several series (metrics over time). */
export const SERIES_COLORS = ['#1f5f99', '#e07b24', '#2e8b57', '#8e44ad', '#b3261e', '#5c6670'] as const;
