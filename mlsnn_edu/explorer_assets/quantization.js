// Chapter 2's quantization explorer, computed in the page: no kernel, no network.
//
// The same quantizer as mlsnn_edu.quantization (tests/browser/test_book.py holds the
// numbers this page shows equal to quantization_error's):
//   q(x) = theta / T * clamp(floor(T x / theta), 0, N T),
// measured on `samples` evenly spaced inputs from `low` to `high`.
(function (root, initial) {
  "use strict";
  const SVG = "http://www.w3.org/2000/svg";
  const size = { width: 520, height: 320, left: 56, right: 16, top: 30, bottom: 44 };

  function grid(low, high, count) {
    // low + (high - low) * (i / (count - 1)), each operation rounded once, in the same
    // order as QuantizationExplorer.inputs: both sides floor exactly the same numbers.
    const points = new Float64Array(count);
    for (let i = 0; i < count; i++) points[i] = low + (high - low) * (i / (count - 1));
    return points;
  }

  function quantize(x, s) {
    const total = Math.min(Math.max(Math.floor((s.timesteps * x) / s.theta), 0), s.levels * s.timesteps);
    return total * (s.theta / s.timesteps);
  }

  function errors(s) {
    const inputs = grid(s.low, s.high, s.samples);
    let squared = 0, largest = 0;
    for (const x of inputs) {
      const error = quantize(x, s) - x;
      squared += error * error;
      largest = Math.max(largest, Math.abs(error));
    }
    return { levels: s.levels * s.timesteps + 1, mse: squared / inputs.length, maxAbs: largest };
  }

  function element(name, attributes, text) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function ticks(low, high, count) {
    const raw = (high - low) / count;
    const magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((c) => c >= raw);
    const values = [];
    for (let v = Math.ceil(low / step) * step; v <= high + 1e-9; v += step) values.push(+v.toFixed(6));
    return values;
  }

  function draw(svg, s) {
    svg.replaceChildren();
    const top = Math.max(s.high, s.levels * s.theta), bottom = Math.min(s.low, 0);
    const plotWidth = size.width - size.left - size.right, plotHeight = size.height - size.top - size.bottom;
    const X = (x) => size.left + ((x - s.low) / (s.high - s.low)) * plotWidth;
    const Y = (y) => size.top + (1 - (y - bottom) / (top - bottom)) * plotHeight;
    const axis = { stroke: "#333", "stroke-width": 1 };
    svg.append(element("line", { x1: X(s.low), x2: X(s.high), y1: Y(bottom), y2: Y(bottom), ...axis }));
    svg.append(element("line", { x1: X(s.low), x2: X(s.low), y1: Y(bottom), y2: Y(top), ...axis }));
    for (const v of ticks(s.low, s.high, 6)) {
      svg.append(element("line", { x1: X(v), x2: X(v), y1: Y(bottom), y2: Y(bottom) + 4, ...axis }));
      svg.append(element("text", { x: X(v), y: Y(bottom) + 16, "text-anchor": "middle", "font-size": 11 }, String(v)));
    }
    for (const v of ticks(bottom, top, 5)) {
      svg.append(element("line", { x1: X(s.low) - 4, x2: X(s.low), y1: Y(v), y2: Y(v), ...axis }));
      svg.append(element("text", { x: X(s.low) - 7, y: Y(v) + 4, "text-anchor": "end", "font-size": 11 }, String(v)));
    }
    svg.append(element("text", { x: size.left + plotWidth / 2, y: size.height - 6, "text-anchor": "middle", "font-size": 12 }, "input current x"));
    svg.append(element("text", { x: 14, y: size.top + plotHeight / 2, "text-anchor": "middle", "font-size": 12, transform: `rotate(-90 14 ${size.top + plotHeight / 2})` }, "rate-coded output q(x)"));
    const title = `${s.levels * s.timesteps + 1} levels: T=${s.timesteps}, N=${s.levels}, θ=${s.theta}`;
    svg.append(element("text", { x: size.left + plotWidth / 2, y: 18, "text-anchor": "middle", "font-size": 13, "font-weight": "bold" }, title));
    const identity = element("line", { x1: X(s.low), y1: Y(s.low), x2: X(s.high), y2: Y(s.high), stroke: "#888", "stroke-dasharray": "5 4" });
    svg.append(identity);
    // The staircase, exactly: flat between thresholds k theta / T, a jump of theta / T at each.
    const step = s.theta / s.timesteps;
    const points = [[s.low, quantize(s.low, s)]];
    for (let k = 1; k <= s.levels * s.timesteps; k++) {
      const x = k * step;
      if (x > s.low && x <= s.high) points.push([x, (k - 1) * step], [x, k * step]);
    }
    points.push([s.high, quantize(s.high, s)]);
    const path = points.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(" ");
    svg.append(element("polyline", { points: path, fill: "none", stroke: "#1f77b4", "stroke-width": 2 }));
    svg.append(element("text", { x: X(s.low) + 8, y: size.top + 14, "font-size": 11, fill: "#1f77b4" }, `q(x), T=${s.timesteps}, N=${s.levels}`));
    svg.append(element("text", { x: X(s.low) + 8, y: size.top + 28, "font-size": 11, fill: "#666" }, "identity (dashed)"));
    svg.setAttribute(
      "aria-label",
      `Staircase of the quantizer with T=${s.timesteps}, N=${s.levels}, theta=${s.theta} ` +
        `against the identity line, for inputs from ${s.low} to ${s.high}`
    );
  }

  function read(settings) {
    const value = (name) => parseFloat(root.querySelector(`input[name="${name}"]`).value);
    let low = Math.round(value("low") * 10) / 10, high = Math.round(value("high") * 10) / 10;
    if (high <= low) high = Math.round((low + 0.1) * 10) / 10;  // an empty range has no error
    return {
      timesteps: Math.round(value("timesteps")),
      levels: Math.round(value("levels")),
      theta: Math.round(value("theta") * 100) / 100,
      low: low,
      high: high,
      samples: settings.samples,
    };
  }

  function update() {
    const s = read(initial);
    for (const name of ["timesteps", "levels", "theta", "low", "high"]) {
      root.querySelector(`output[data-for="${name}"]`).textContent = String(s[name]);
    }
    const e = errors(s);
    root.querySelector("span.levels").textContent = String(e.levels);
    root.querySelector("span.mse").textContent = e.mse.toFixed(5);
    root.querySelector("span.max-error").textContent = e.maxAbs.toFixed(4);
    draw(root.querySelector("svg"), s);
  }

  for (const input of root.querySelectorAll("input[type=range]")) input.addEventListener("input", update);
  update();
})(
  document.getElementById(document.currentScript.dataset.root),
  JSON.parse(document.getElementById(document.currentScript.dataset.root).dataset.settings)
);
