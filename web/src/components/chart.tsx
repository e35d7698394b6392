// Time-series chart on uPlot (about 50 KB, canvas-based, fast with many
// points). Every chart gets a y-axis label with its unit and a legend that
// shows each series' value under the cursor, humanised.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  values: Array<number | null>;
  color: string;
  fill?: boolean;
  axis?: 'left' | 'right';
  dash?: boolean;
}

export interface ChartProps {
  times: number[];            // seconds since epoch (UTC)
  series: ChartSeries[];
  unit: string;               // left axis unit, e.g. "tokens"
  format: (n: number) => string;
  rightUnit?: string;
  rightFormat?: (n: number) => string;
  height?: number;
  bars?: boolean;
  testid?: string;
  theme?: string;             // re-create on theme change
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

export function Chart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const fg = cssVar('--muted', '#888');
    const grid = cssVar('--grid', 'rgba(128,128,128,0.15)');
    const fmt = props.format;
    const rfmt = props.rightFormat ?? fmt;
    const axisBase = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const bars = props.bars ? uPlot.paths.bars!({ size: [0.7, 40] }) : undefined;
    // Bars are centred on their time: pad the x range by half a step so the
    // first and last are not cut in half.
    const step = props.times.length > 1 ? props.times[1] - props.times[0] : 86400;
    const opts: uPlot.Options = {
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      width: Math.max(200, el.clientWidth),
      height: props.height ?? 240,
      cursor: { drag: { x: false, y: false } },
      legend: { show: true, live: true },
      scales: { x: props.bars ? { time: true, range: (_u, min, max) => [min - step / 2, max + step / 2] } : { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.05 : 1] },
                r: { range: (_u, _min, max) => [0, max > 0 ? max * 1.05 : 1] } },
      axes: [
        { ...axisBase },
        { ...axisBase, label: props.unit, labelSize: 18, size: 60, values: (_u, ticks) => ticks.map((t) => fmt(t)) },
        ...(props.rightUnit ? [{
          ...axisBase, scale: 'r', side: 1 as const, label: props.rightUnit, labelSize: 18, size: 60,
          grid: { show: false }, values: (_u: uPlot, ticks: number[]) => ticks.map((t) => rfmt(t)),
        }] : []),
      ],
      series: [
        { label: 'Time (UTC)', value: (_u, v) => (v == null ? '–' : new Date(v * 1000).toISOString().slice(0, 16).replace('T', ' ')) },
        ...props.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: s.dash ? 1.5 : 2,
          dash: s.dash ? [5, 4] : undefined,
          scale: s.axis === 'right' ? 'r' : 'y',
          fill: s.fill ? s.color + '33' : undefined,
          paths: s.axis === 'right' ? undefined : bars,
          points: { show: props.times.length < 3 },
          value: (_u: uPlot, v: number | null) => (v == null ? '–' : (s.axis === 'right' ? rfmt : fmt)(v)),
        })),
      ],
    };
    const data = [props.times, ...props.series.map((s) => s.values)] as uPlot.AlignedData;
    const plot = new uPlot(opts, data, el);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height: opts.height }));
    ro.observe(el);
    return () => { ro.disconnect(); plot.destroy(); };
  }, [props.times, props.series, props.unit, props.theme, props.bars]);
  return (
    <div data-testid={props.testid}>
      <div class="chart" ref={box} />
      <div class="chart-units">Units: {props.unit} (left axis){props.rightUnit ? `, ${props.rightUnit} (right axis)` : ''}; times in UTC</div>
    </div>
  );
}

// Series colours that read on both themes.
export const kColors = {
  input: '#4e9af1',
  output: '#f2a93b',
  cacheRead: '#3fbf8f',
  cacheWrite: '#b07cf0',
  cost: '#ef5b6a',
  users: '#4e9af1',
  value: '#3fbf8f',
  waste: '#ef5b6a',
};
