// Loaded after require.js and before the widget manager (see offline_assets.py).

// 1. The manager looks for its fonts next to its own AMD module, which RequireJS
//    would place in the page's folder; map it to the folder it is served from.
require.config({
  paths: {
    "@jupyter-widgets/html-manager/dist": new URL("html-manager", document.currentScript.src).href,
  },
});

// 2. The manager typesets widget labels with MathJax 2's API,
//    MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]), but the book runs
//    MathJax 3, which has no Hub (every label would throw). Whatever object
//    window.MathJax holds (the configuration first, MathJax 3 once it has
//    loaded) gets a Hub whose Queue typesets those elements with MathJax 3.
(function () {
  const hub = {
    Queue(...calls) {
      const elements = calls.map((call) => call[2]).filter(Boolean);
      if (window.MathJax.typesetPromise) window.MathJax.typesetPromise(elements);
    },
  };
  let current = window.MathJax;
  Object.defineProperty(window, "MathJax", {
    configurable: true,
    get: () => current,
    set: (value) => {
      current = value;
      if (value && !value.Hub) value.Hub = hub;
    },
  });
  if (current) window.MathJax = current;
})();
