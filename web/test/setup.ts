// jsdom lacks a few browser APIs uPlot and the pages touch at import time.
if (typeof window.matchMedia !== 'function') {
  (window as any).matchMedia = (q: string) => ({
    matches: false, media: q, addListener() {}, removeListener() {}, addEventListener() {}, removeEventListener() {},
  });
  (globalThis as any).matchMedia = (window as any).matchMedia;
}
if (!('ResizeObserver' in globalThis)) {
  (globalThis as any).ResizeObserver = class { observe() {} unobserve() {} disconnect() {} };
}
