// The activity and energy explorer as a static figure: the library measured every
// setting when the book was built (the grid in data-grid), the sliders only choose one.
(function (root, grid) {
  "use strict";
  const SVG = "http://www.w3.org/2000/svg";
  const size = { width: 640, height: 260, left: 60, right: 10, top: 26, bottom: 70 };

  function element(name, attributes, text) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function selected() {
    const value = (name) => Math.round(parseFloat(root.querySelector(`input[name="${name}"]`).value));
    const network = root.querySelector('input[name="network"]:checked').value;
    return { network: network, timesteps: value("timesteps"), levels: value("levels") };
  }

  function draw(svg, s, point) {
    svg.replaceChildren();
    const plotWidth = size.width - size.left - size.right, plotHeight = size.height - size.top - size.bottom;
    const top = Math.max(...point.layer_events, 1);  // each setting fills the chart; read the axis
    const bar = plotWidth / grid.layers.length;
    const Y = (y) => size.top + (1 - y / top) * plotHeight;
    svg.append(element("line", { x1: size.left, x2: size.left, y1: size.top, y2: size.top + plotHeight, stroke: "#333" }));
    svg.append(element("line", { x1: size.left, x2: size.left + plotWidth, y1: Y(0), y2: Y(0), stroke: "#333" }));
    for (let k = 0; k <= 4; k++) {
      const v = (top * k) / 4;
      svg.append(element("text", { x: size.left - 6, y: Y(v) + 4, "text-anchor": "end", "font-size": 10 }, Math.round(v).toLocaleString("en-US")));
    }
    grid.layers.forEach((name, i) => {
      const value = point.layer_events[i];
      const colour = name.startsWith("sum") ? "#d62728" : "#1f77b4";
      svg.append(element("rect", { x: size.left + i * bar + 1, width: Math.max(bar - 2, 1), y: Y(value), height: Y(0) - Y(value), fill: colour }));
      const x = size.left + (i + 0.5) * bar, y = Y(0) + 6;
      svg.append(element("text", { x: x, y: y, "font-size": 8, "text-anchor": "end", transform: `rotate(-60 ${x} ${y})` }, name));
    });
    const label = grid.labels[s.network];
    svg.append(element("text", { x: size.left + plotWidth / 2, y: 16, "text-anchor": "middle", "font-size": 12, "font-weight": "bold" },
      `Spike events per digit, layer by layer: ${label}, T=${s.timesteps}, N=${s.levels}`));
    svg.append(element("text", { x: size.left + plotWidth, y: size.top + 10, "text-anchor": "end", "font-size": 10, fill: "#d62728" },
      "red: residual sums"));
    svg.setAttribute("aria-label",
      `Bar chart of the spike events per digit in each of the ${grid.layers.length} layers of ${label} ` +
      `, T=${s.timesteps}, N=${s.levels}; residual sums in red`);
  }

  function update() {
    const s = selected();
    const point = grid.points[`${s.network}|${s.timesteps}|${s.levels}`];
    root.querySelector('output[data-for="timesteps"]').textContent = String(s.timesteps);
    root.querySelector('output[data-for="levels"]').textContent = String(s.levels);
    const format = (v, digits) => v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
    root.querySelector("span.events").textContent = format(point.events, 0);
    root.querySelector("span.mass").textContent = format(point.mass, 0);
    root.querySelector("span.sum1").textContent = format(point.sum1_events, 0);
    root.querySelector("span.energy").textContent = format(point.energy_uj, 2);
    draw(root.querySelector("svg"), s, point);
  }

  for (const input of root.querySelectorAll("input")) input.addEventListener("input", update);
  update();
})(
  document.getElementById(document.currentScript.dataset.root),
  JSON.parse(document.getElementById(document.currentScript.dataset.root).dataset.grid)
);
