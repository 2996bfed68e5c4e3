"""The chapters' interactive explorers: ipywidgets sliders that recompute in the page.

Each explorer is a plain object: its sliders are attributes, its latest result
is an attribute, and moving a slider in code (``explorer.timesteps.value = 3``)
recomputes everything, so tests need neither a kernel nor a browser.

* :class:`QuantizationExplorer` (chapter 2): T, N, theta and the input range
  against the quantizer's level count and error;
* :class:`ActivityEnergyExplorer`: T and N against the spikes and the energy of
  a small residual network;

:mod:`~mlsnn_edu.explorer_app` serves either one as a Voilà web app
(``mlsnn-edu explore``).
"""

from __future__ import annotations

import html
import json
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from IPython import get_ipython
from IPython.display import clear_output, display

from mlsnn_edu.checks import (
    check_choice,
    check_levels,
    check_positive_int,
    check_seed,
    check_theta,
    check_timesteps,
)
from mlsnn_edu.data.digits import digits_datasets
from mlsnn_edu.energy import estimate_energy, measure_activity
from mlsnn_edu.figures import plot_activity
from mlsnn_edu.models import build_model
from mlsnn_edu.quantization import QuantizationError, quantization_error

# --- pages that compute by themselves: HTML, SVG and a little JavaScript --------------------

ASSETS = Path(__file__).with_name("explorer_assets")
#: Voila's lab page minus its CDN stylesheets (explorer_assets/voila/templates/).
STYLE = """<style>
.mlsnn-explorer { font-family: sans-serif; font-size: 0.9rem; margin: 0.5rem 0 1rem; }
.mlsnn-explorer .mlsnn-controls { display: flex; flex-wrap: wrap; gap: 0.4rem 1.5rem; }
.mlsnn-explorer label { display: inline-flex; align-items: center; gap: 0.4rem; }
.mlsnn-explorer [role=radiogroup] { display: inline-flex; gap: 1rem; }
.mlsnn-explorer output { min-width: 2.5em; font-variant-numeric: tabular-nums; }
.mlsnn-explorer .mlsnn-summary span { font-variant-numeric: tabular-nums; }
.mlsnn-explorer svg { max-width: 100%; height: auto; background: white; }
</style>"""


def _slider(name: str, label: str, low: float, high: float, step: float, value: float) -> str:
    """A labelled range input (keyboard and mouse) with its value shown beside it."""
    return (
        f'<label>{html.escape(label)} <input type="range" name="{name}" min="{low}" '
        f'max="{high}" step="{step}" value="{value}" aria-label="{html.escape(label)}">'
        f'<output data-for="{name}">{value}</output></label>'
    )


def _page_widget(
    kind: str, controls: list[str], summary: str, script: str, data: dict[str, str], alt: str
) -> str:
    """The HTML of a self-computing explorer: controls, numbers, a figure, and its script."""
    root = f"mlsnn-{kind}-{uuid.uuid4().hex[:12]}"
    attributes = " ".join(
        f"data-{key}='{html.escape(value, quote=True)}'" for key, value in data.items()
    )
    return (
        f'{STYLE}<div class="mlsnn-explorer mlsnn-{kind}" id="{root}" {attributes}>'
        f'<div class="mlsnn-controls">{"".join(controls)}</div>'
        f'<p class="mlsnn-summary">{summary}</p>'
        f'<svg role="img" aria-label="{html.escape(alt)}" viewBox="0 0 640 320" '
        f'xmlns="http://www.w3.org/2000/svg"></svg></div>'
        f'<script data-root="{root}">'
        f"{(ASSETS / script).read_text(encoding='utf-8')}</script>"
    )


# --- chapter 2: the quantizer ----------------------------------------------------------------

#: (name, label, minimum, maximum, step) of each slider of the quantization explorer.
QUANTIZATION_SLIDERS = (
    ("timesteps", "T (timesteps)", 1, 8, 1),
    ("levels", "N (levels)", 1, 16, 1),
    ("theta", "θ (threshold)", 0.1, 2.0, 0.05),
    ("low", "inputs from", -2.0, 10.0, 0.1),
    ("high", "inputs to", -2.0, 10.0, 0.1),
)


class QuantizationExplorer:
    r"""T, N, :math:`\theta` and the input range against the quantizer's levels and error.

    The inputs are taken as uniform over the chosen range (``samples`` evenly
    spaced points), so ``result.mse`` is the mean squared error
    :math:`\mathbb{E}[(q(x) - x)^2]` under that distribution and
    ``result.max_abs`` the largest error on the range.

    Shown in a notebook, the book or ``mlsnn-edu explore``, the explorer is a
    page that computes by itself: its sliders redraw the staircase and the
    numbers in the browser, with no kernel (``explorer_assets/quantization.js``
    writes the same formula in JavaScript; the browser tests hold the two
    equal). In code, :meth:`set` moves the sliders and ``result`` is the
    library's :func:`~mlsnn_edu.quantization.quantization_error`.
    """

    def __init__(
        self,
        timesteps: int = 1,
        levels: int = 4,
        theta: float = 1.0,
        input_range: tuple[float, float] = (0.0, 4.0),
        samples: int = 4001,
    ) -> None:
        self.samples = check_positive_int(samples, "samples")
        if self.samples < 2:
            raise ValueError(f"samples must be at least 2 (both ends of the range), got {samples}")
        self.settings: dict[str, float] = {}
        self.result: QuantizationError
        self.set(timesteps=timesteps, levels=levels, theta=theta, input_range=input_range)

    def set(self, **changes) -> QuantizationError:
        """Move sliders in code (``timesteps``, ``levels``, ``theta``, ``input_range``); returns the result."""
        settings = dict(self.settings)
        if "input_range" in changes:
            low, high = changes.pop("input_range")
            changes.update(low=low, high=high)
        sliders = {name: (low, high, step) for name, _, low, high, step in QUANTIZATION_SLIDERS}
        unknown = set(changes) - set(sliders)
        if unknown:
            raise ValueError(
                f"unknown setting(s) {sorted(unknown)}; the sliders are T, N, theta, input_range"
            )
        settings.update(changes)
        settings["timesteps"] = check_timesteps(settings["timesteps"])
        settings["levels"] = check_levels(settings["levels"])
        settings["theta"] = check_theta(settings["theta"])
        for name, (low, high, step) in sliders.items():  # what the page's sliders can show
            value, steps = settings[name], (settings[name] - low) / step
            if not (low <= value <= high and abs(steps - round(steps)) < 1e-9):
                raise ValueError(
                    f"{name} must be on its slider: from {low} to {high} in steps of {step}, "
                    f"got {value!r}"
                )
        if not float(settings["low"]) < float(settings["high"]):
            raise ValueError(f"input_range must go up, got ({settings['low']}, {settings['high']})")
        self.settings = settings
        self.result = quantization_error(
            self.inputs(),
            timesteps=settings["timesteps"],
            levels=settings["levels"],
            theta=settings["theta"],
        )
        return self.result

    def inputs(self) -> torch.Tensor:
        """The ``samples`` inputs the error is measured on: ``low + (high - low) i / (samples - 1)``.

        Written out rather than ``torch.linspace``, whose rounding may differ
        between builds: each operation here is rounded once, as the page's
        script rounds it, so both floor the same numbers.
        """
        low, high = float(self.settings["low"]), float(self.settings["high"])
        fractions = torch.arange(self.samples, dtype=torch.float64) / (self.samples - 1)
        return low + (high - low) * fractions

    def alt_text(self) -> str:
        s = self.settings
        return (
            f"Staircase of the quantizer with T={s['timesteps']}, N={s['levels']}, theta={s['theta']:g} "
            f"against the identity line, for inputs from {s['low']:g} to {s['high']:g}"
        )

    def _repr_html_(self) -> str:
        controls = [
            _slider(name, label, low, high, step, self.settings[name])
            for name, label, low, high, step in QUANTIZATION_SLIDERS
        ]
        summary = (
            f"<b>levels</b>: <span class='levels'>{self.result.levels}</span> &nbsp; "
            f"<b>mean squared error</b>: <span class='mse'>{self.result.mse:.5f}</span> &nbsp; "
            f"<b>max error</b>: <span class='max-error'>{self.result.max_abs:.4f}</span>"
        )
        data = {"settings": json.dumps({**self.settings, "samples": self.samples})}
        return _page_widget(
            "quantization", controls, summary, "quantization.js", data, self.alt_text()
        )


def quantization_explorer(**kwargs) -> QuantizationExplorer:
    """Build the chapter 2 explorer; leave it last in a cell to show it."""
    return QuantizationExplorer(**kwargs)


# --- spikes and energy of a small network ----------------------------------------------------

NETWORKS = {"SEW-ResNet18": "sew_resnet18", "Sparse-ResNet18": "sparse_resnet18"}


@dataclass(frozen=True)
class ActivityEnergy:
    """Per inference (one digit): spike events and mass over all layers, and energy."""

    events: float  # non-zero spikes, summed over layers and timesteps
    mass: float  # sum of spike values: what a binary network would need in spikes
    sum1_events: float  # events at the second residual sum (the paper's "sum1")
    energy_uj: float  # analytical energy estimate, microjoules


@lru_cache(maxsize=1)
def _test_digits() -> torch.Tensor:
    return digits_datasets()[1].tensors[0]


@lru_cache(maxsize=64)
def _measure(network: str, timesteps: int, levels: int, width: int, samples: int, seed: int):
    digits = _test_digits()
    samples = check_positive_int(samples, "samples", maximum=len(digits))
    torch.manual_seed(check_seed(seed))
    model = build_model(network, timesteps=timesteps, levels=levels, width=width)
    inputs = digits[:samples]
    monitor = measure_activity(model, inputs, calibrate_on=inputs)
    summary = monitor.summary()
    total = monitor.total()
    result = ActivityEnergy(
        events=total.events,
        mass=total.mass,
        sum1_events=summary["sum1"].events,
        energy_uj=estimate_energy(model, monitor).total / 1e6,
    )
    return result, summary


def activity_energy(
    network: str = "sparse_resnet18",
    *,
    timesteps: int = 1,
    levels: int = 4,
    width: int = 8,
    samples: int = 16,
    seed: int = 0,
) -> ActivityEnergy:
    """Spikes and energy per digit of ``network`` at (T, N), on the first ``samples`` test digits."""
    return _measure(network, timesteps, levels, width, samples, seed)[0]


class ActivityEnergyExplorer:
    """Sliders for T, N and the network; shows spike events, spike mass and energy per digit."""

    def __init__(
        self,
        timesteps: int = 1,
        levels: int = 4,
        network: str = "sparse_resnet18",
        width: int = 8,
        samples: int = 16,
    ) -> None:
        self.width, self.samples = width, samples
        for name, value, highest in (("timesteps", timesteps, 4), ("levels", levels, 8)):
            check_positive_int(value, f"{name} (the slider's range)", maximum=highest)
        check_choice(network, tuple(NETWORKS.values()), "network")
        self.timesteps = widgets.IntSlider(value=timesteps, min=1, max=4, description="T")
        self.levels = widgets.IntSlider(value=levels, min=1, max=8, description="N")
        self.network = widgets.ToggleButtons(options=NETWORKS, value=network, description="network")
        self.summary = widgets.HTML()
        self.figure_output = widgets.Output()
        self.result: ActivityEnergy
        for control in (self.timesteps, self.levels, self.network):
            control.observe(self._update, names="value")
        self.widget = widgets.VBox(
            [
                self.network,
                widgets.HBox([self.timesteps, self.levels]),
                self.summary,
                self.figure_output,
            ]
        )
        self._update()

    def _update(self, change: object = None) -> None:
        settings = dict(timesteps=self.timesteps.value, levels=self.levels.value)
        self.result, summary = _measure(
            self.network.value, **settings, width=self.width, samples=self.samples, seed=0
        )
        if get_ipython() is not None:  # a front end to draw for
            label = f"{self.network.label}, T={settings['timesteps']}, N={settings['levels']}"
            ax = plot_activity({label: summary}, field="events")
            ax.set_title(f"Spike events per digit, layer by layer: {label}")
            ax.figure.tight_layout()
            with self.figure_output:
                clear_output(wait=True)
                display(ax.figure)
            plt.close(ax.figure)
        # The numbers change last, once the figure shows the same setting.
        self.summary.value = (
            f"per digit: <b>spike events</b> <span class='events'>{self.result.events:,.0f}</span>"
            f" &nbsp; <b>spike mass</b> <span class='mass'>{self.result.mass:,.0f}</span>"
            f" &nbsp; <b>events at sum1</b> <span class='sum1'>{self.result.sum1_events:,.0f}</span>"
            f" &nbsp; <b>energy</b> <span class='energy'>{self.result.energy_uj:.2f}</span> µJ"
        )

    def _ipython_display_(self) -> None:
        display(self.widget)


def activity_explorer(**kwargs) -> ActivityEnergyExplorer:
    """Build the activity and energy explorer: leave it last in a cell to show it."""
    return ActivityEnergyExplorer(**kwargs)


class ActivityEnergyGrid:
    """The activity and energy explorer as a page that needs no kernel: a precomputed grid.

    The library measures every network, T and N of the grid when the grid is
    built (:func:`activity_energy`, the live explorer's own measurement); the
    page's sliders only choose which point to show
    (``explorer_assets/activity_grid.js``). ``points[network, T, N]`` holds each
    point's :class:`ActivityEnergy`.
    """

    def __init__(
        self,
        timesteps: range = range(1, 5),
        levels: range = range(1, 9),
        *,
        width: int = 8,
        samples: int = 16,
        start: tuple[str, int, int] = ("sparse_resnet18", 1, 4),
    ) -> None:
        self.timesteps, self.levels, self.start = timesteps, levels, start
        self.points: dict[tuple[str, int, int], ActivityEnergy] = {}
        self.layer_events: dict[tuple[str, int, int], list[float]] = {}
        for network in NETWORKS.values():
            for t in timesteps:
                for n in levels:
                    result, summary = _measure(network, t, n, width, samples, 0)
                    self.points[network, t, n] = result
                    self.layer_events[network, t, n] = [a.events for a in summary.values()]
        self.layers = list(_measure(start[0], 1, 1, width, samples, 0)[1])

    def _repr_html_(self) -> str:
        network, t, n = self.start
        labels = {name: label for label, name in NETWORKS.items()}
        grid = {
            "layers": self.layers,
            "labels": labels,
            "points": {
                f"{key[0]}|{key[1]}|{key[2]}": {
                    **vars(point),
                    "layer_events": self.layer_events[key],
                }
                for key, point in self.points.items()
            },
        }
        radios = "".join(
            f'<label><input type="radio" name="network" value="{name}"'
            f"{' checked' if name == network else ''}> {label}</label>"
            for label, name in NETWORKS.items()
        )
        controls = [
            f'<span role="radiogroup" aria-label="network">{radios}</span>',
            _slider("timesteps", "T (timesteps)", min(self.timesteps), max(self.timesteps), 1, t),
            _slider("levels", "N (levels)", min(self.levels), max(self.levels), 1, n),
        ]
        point = self.points[self.start]
        summary = (
            f"per digit: <b>spike events</b> <span class='events'>{point.events:,.0f}</span>"
            f" &nbsp; <b>spike mass</b> <span class='mass'>{point.mass:,.0f}</span>"
            f" &nbsp; <b>events at sum1</b> <span class='sum1'>{point.sum1_events:,.0f}</span>"
            f" &nbsp; <b>energy</b> <span class='energy'>{point.energy_uj:.2f}</span> µJ"
        )
        alt = f"Bar chart of the spike events per digit in each layer of {labels[network]}, T={t}, N={n}"
        data = {"grid": json.dumps(grid, separators=(",", ":"))}
        return _page_widget("activity", controls, summary, "activity_grid.js", data, alt)


def activity_grid(**kwargs) -> ActivityEnergyGrid:
    """The activity and energy explorer for the static book: leave it last in a cell."""
    return ActivityEnergyGrid(**kwargs)
