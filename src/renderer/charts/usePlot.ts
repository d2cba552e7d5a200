// Compare's plot (plot.ts) in a React element: drawn again whenever its scene changes (in the same
// task as the change, like the answers that change it), when the element is resized, and while a drag
// previews a window; zoomed by wheel, drag, keys and double-click (zoom.ts).
import { useLayoutEffect, useRef } from 'react';
import { writeDrawnAttributes } from './chart-state';
import { Plot, type Margins, type PlotScene } from './plot';
import { installChartZoom, type ZoomTarget } from './zoom';
import './charts.css';

export interface PlotHooks {
  /** Zooming: the owner keeps the window and queries it (see zoom.ts). */
  zoom: Omit<ZoomTarget, 'plot' | 'preview'>;
  /** Written to the element's data-rendered once the scene is drawn: tests and the benchmark wait for it. */
  renderedTag: string;
  /** Gets the plot (its curves and geometry, for a hover box). */
  plot: { current: Plot | null };
}

/** `scene` null: nothing to draw yet (answers on their way). */
export function usePlot(scene: PlotScene | null, margins: Margins, hooks: PlotHooks) {
  const ref = useRef<HTMLDivElement>(null);
  const sceneRef = useRef(scene);
  sceneRef.current = scene;
  const hooksRef = useRef(hooks);
  hooksRef.current = hooks;
  const marginsRef = useRef(margins);
  // The window a drag is showing, until the scene for the window it asked for comes.
  const previewing = useRef<{ from: number; to: number } | null>(null);
  const shown = (s: PlotScene): PlotScene => (previewing.current ? { ...s, x: { ...s.x, ...previewing.current } } : s);

  const draw = (s: PlotScene) => {
    const plot = hooksRef.current.plot.current;
    const state = plot?.draw(s);
    if (state && ref.current) writeDrawnAttributes(ref.current, state);
  };

  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return;
    const plot = new Plot(element, marginsRef.current);
    hooksRef.current.plot.current = plot;
    const removeZoom = installChartZoom(element, {
      getWindow: () => hooksRef.current.zoom.getWindow(),
      getFull: () => hooksRef.current.zoom.getFull(),
      setWindow: (w) => hooksRef.current.zoom.setWindow(w),
      plot: () => plot.area(),
      // The axis follows the drag at once; the window is asked for when it ends.
      preview: (w) => {
        previewing.current = { from: w.from, to: w.to };
        if (sceneRef.current) draw(shown(sceneRef.current));
      },
    });
    const redraw = () => sceneRef.current && draw(shown(sceneRef.current));
    const resize = new ResizeObserver(redraw);
    resize.observe(element);
    // Dragged to a screen of another pixel density: drawn again at that density (the canvases hold
    // device pixels), or it would be blurred or drawn at twice its size.
    let density: MediaQueryList | null = null;
    const watchDensity = () => {
      density?.removeEventListener('change', onDensity);
      density = matchMedia(`(resolution: ${window.devicePixelRatio}dppx)`);
      density.addEventListener('change', onDensity);
    };
    const onDensity = () => {
      watchDensity(); // a query for the new density: this one no longer matches
      redraw();
    };
    watchDensity();
    return () => {
      density?.removeEventListener('change', onDensity);
      resize.disconnect();
      removeZoom();
      plot.remove();
      hooksRef.current.plot.current = null;
    };
  }, []);

  // A layout effect: drawn before the browser paints the change that brought the scene.
  const { renderedTag } = hooks;
  useLayoutEffect(() => {
    if (!scene) return;
    previewing.current = null;
    draw(scene);
    if (ref.current) ref.current.dataset.rendered = renderedTag;
  }, [scene, renderedTag]);
  return ref;
}
