/**
 * The benchmark's pictures: how each cost grows, drawn by vega-lite (the
 * spec) and vega (the SVG, rendered in Node with no browser and no canvas).
 * One line per tool, each point a median, the axes logarithmic where the
 * values span orders of magnitude.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** One measured point: a tool's median at one size. */
export interface Point {
  tool: string;
  /** The size on the x axis (datasets, checkpoints). */
  x: number;
  /** Milliseconds (the median). */
  ms: number;
}

/** A line chart of `points` as SVG text: x and y on log scales, a line and dots per tool. */
export async function lineChart(points: readonly Point[], o: { title: string; x: string; y?: string }): Promise<string> {
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: o.title,
    width: 520,
    height: 300,
    background: 'white',
    data: { values: points.map((p) => ({ ...p })) },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: o.x, scale: { type: 'log' }, axis: { values: [...new Set(points.map((p) => p.x))].sort((a, b) => a - b), format: ',d' } },
      y: { field: 'ms', type: 'quantitative', title: o.y ?? 'median (ms, log scale)', scale: { type: 'log' } },
      color: { field: 'tool', type: 'nominal', title: null, legend: { orient: 'top-left' } },
    },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
