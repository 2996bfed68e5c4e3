"""The paper's claims across scale: trained networks, one JSON file per run, resumable.

``mlsnn-edu reproduce --sweep`` trains, on the embedded digits, every run of
:func:`cpu_sweep` (or of the widths and seeds it is given) with the paper's
recipe (:data:`PAPER_RECIPE`): SGD, lr 0.08, momentum 0.9, weight decay 5e-4,
a cosine schedule. After every epoch the trainer records the test accuracy
and the activity over the whole test set (events, mass and, at each residual
sum, the mass above N); after the last one the energy per inference is
estimated under every way of charging a multi-level spike.

Each finished run is written at once to ``<results>/<run>.json`` with its
recipe, the fingerprint of the code that trains (:func:`code_fingerprint`) and
its provenance; a rerun skips runs already there with the same recipe and
code (or code shown to compute the same bits, :data:`SAME_COMPUTATION`), and an
interrupted run resumes from its checkpoint. Two sweeps started
on the same folders share the work: a run another process holds is skipped.
:mod:`~mlsnn_edu.experiments.results` reads the files back.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from tqdm import tqdm

from mlsnn_edu.energy import MULTILEVEL_COSTS, estimate_energy, measure_activity
from mlsnn_edu.experiments.provenance import record_provenance
from mlsnn_edu.experiments.results import (
    ANN,
    COMMITTED_RESULTS,
    SCHEMA,
    SEW_N4,
    SPARSE_N4,
    VGG_BINARY,
    VGG_MULTILEVEL,
    Network,
    ResultsError,
    load_run,
    sew,
    sparse,
)
from mlsnn_edu.files import write_atomically
from mlsnn_edu.settings import resolve_device
from mlsnn_edu.training import CheckpointError, TrainConfig, Trainer

ENERGY_PRESET = "horowitz45nm"


@dataclass(frozen=True)
class Recipe:
    """How every network of a sweep is trained: optimizer, schedule (cosine over ``epochs``), batch.

    Whether a run trained this way converged is judged afterwards
    (:meth:`~mlsnn_edu.experiments.results.RunRecord.converged`).
    """

    name: str
    optimizer: str
    lr: float
    momentum: float
    weight_decay: float
    batch_size: int
    epochs: int
    schedule: str = "cosine"
    dataset: str = "digits"

    def train_settings(self) -> dict:
        """The :class:`~mlsnn_edu.training.TrainConfig` fields this recipe sets."""
        return {
            "dataset": self.dataset,
            "optimizer": self.optimizer,
            "lr": self.lr,
            "momentum": self.momentum,
            "weight_decay": self.weight_decay,
            "batch_size": self.batch_size,
            "epochs": self.epochs,
        }


#: The paper's CIFAR recipe. Batch 64, not the assumed 128: the digits' 1437
#: training images then give 23 steps an epoch instead of 12.
PAPER_RECIPE = Recipe("paper-sgd", "sgd", 0.08, 0.9, 5e-4, batch_size=64, epochs=15)
#: The first sweep's recipe, kept as a named contrast (never a silent default).
ADAM_CONTRAST = Recipe("adam-contrast", "adam", 3e-3, 0.0, 0.0, batch_size=64, epochs=15)
RECIPES = {recipe.name: recipe for recipe in (PAPER_RECIPE, ADAM_CONTRAST)}
#: How much longer a deep plain network trains: with 15 epochs no VGG16 run of the
#: paper's recipe had stopped improving (its best accuracy still rose in the last 5).
PLAIN_NETWORK_EPOCHS = 2


def recipe_for(network: Network, recipe: Recipe) -> Recipe:
    """``recipe`` as ``network`` trains with it: VGG16, a deep network without shortcuts,
    for :data:`PLAIN_NETWORK_EPOCHS` times as many epochs, under its own name."""
    if network.model != "vgg16_snn":
        return recipe
    return replace(recipe, name=f"{recipe.name}-vgg", epochs=PLAIN_NETWORK_EPOCHS * recipe.epochs)


#: The files whose code decides what a run computes; their hash is the run's ``code``.
TRAINING_CODE = (
    "neurons.py",
    "surrogate.py",
    "fast_surrogate.py",
    "spike_kernel.py",
    "spike_kernel.c",
    "models/*.py",
    "data/digits.py",
    "training/loop.py",
)


def fingerprint(files: Iterable[tuple[str, bytes]]) -> str:
    """SHA-256 (first 16 hex digits) of ``(path, content)`` pairs, in the order given."""
    digest = hashlib.sha256()
    for name, content in files:
        digest.update(name.encode())
        digest.update(content)
    return digest.hexdigest()[:16]


def training_files() -> dict[str, bytes]:
    """The library files that decide what training computes (:data:`TRAINING_CODE`), by
    path inside the package, each pattern's files sorted by path."""
    package = Path(__file__).resolve().parents[1]
    return {
        path.relative_to(package).as_posix(): path.read_bytes()
        for pattern in TRAINING_CODE
        for path in sorted(package.glob(pattern))
    }


def code_fingerprint() -> str:
    """The fingerprint of :func:`training_files`."""
    return fingerprint(training_files().items())


#: Earlier training code shown to compute, bit for bit, what today's computes, by its
#: fingerprint, with the commit that holds it. Keyed by today's fingerprint: the next
#: change to the training code leaves no entry until it too is shown.
#: ``tools/kernel_equivalence.py COMMIT`` shows it: the files differ only in
#: ``spike_kernel.c``, and both kernels give the same bits for all 2^32 float32 inputs
#: at the sweep's settings (N = 1, 2, 4, 8; theta 1, alpha 5), compiled where it ran.
SAME_COMPUTATION: dict[str, dict[str, str]] = {
    # spike_kernel.c on GCC vector types, 64 elements at a time: the same bits at
    # N = 1, 2, 4, 8 on all 2^32 inputs (2026-12-04, GCC 12.2, Xeon with AVX-512, 5.4 min).
    "82de187bf73e3163": {"18670c334ca4a8b2": "5cd190d30b03"},
}


def computes_as_today(code: str, today: str) -> bool:
    """Whether runs of training code ``code`` are runs of today's (``today``): the same
    fingerprint, or one :data:`SAME_COMPUTATION` lists for it."""
    return code == today or code in SAME_COMPUTATION.get(today, {})


@dataclass(frozen=True)
class SweepRun:
    """One network of the sweep: which one, how wide, which seed."""

    network: Network
    width: int
    seed: int

    @property
    def name(self) -> str:
        return f"{self.network.name}_w{self.width}_s{self.seed}"


def runs_for(networks: tuple[Network, ...], widths, seeds) -> list[SweepRun]:
    return [SweepRun(n, w, s) for w in widths for s in seeds for n in networks]


RESNETS_N4 = (SEW_N4, SPARSE_N4)
LEVEL_AXIS = tuple(net for n in (2, 8) for net in (sew(n), sparse(n)))


def cpu_sweep() -> list[SweepRun]:
    """The CPU sweep, most important runs first (a sweep cut short keeps the main comparison).

    Main comparison: SEW against Sparse [T=1, N=4] at width 16 over 10 seeds;
    width 8 over 5 seeds; VGG16 binary against multi-level (trained twice as
    long, :func:`recipe_for`) and N = 1 (the collapse) at width 8 over 3 seeds;
    width 32 over 3 seeds; the ANN beside them; then N = 2 and 8 at width 8,
    five more seeds at width 16, and two more at width 32 and for the width-8
    comparisons (VGG16, N = 1, 2 and 8), which then have 5 each.
    """
    return [
        *runs_for(RESNETS_N4, (16,), range(5)),
        *runs_for(RESNETS_N4, (8,), range(5)),
        *runs_for((VGG_MULTILEVEL, VGG_BINARY), (8,), range(3)),
        *runs_for((sew(1), sparse(1)), (8,), range(3)),
        *runs_for(RESNETS_N4, (32,), range(3)),
        *runs_for((ANN,), (8, 16, 32), range(2)),
        *runs_for(LEVEL_AXIS, (8,), range(3)),
        *runs_for(RESNETS_N4, (16,), range(5, 10)),
        *runs_for(RESNETS_N4, (32,), range(3, 5)),
        *runs_for((VGG_MULTILEVEL, VGG_BINARY, sew(1), sparse(1)), (8,), range(3, 5)),
        *runs_for(LEVEL_AXIS, (8,), range(3, 5)),
    ]


def grid(widths: tuple[int, ...], seeds: tuple[int, ...]) -> list[SweepRun]:
    """ANN, SEW and Sparse [T=1, N=4] at each width and seed (``--widths``/``--seeds``)."""
    return runs_for((ANN, *RESNETS_N4), widths, seeds)


def run_path(results_dir: Path, run: SweepRun) -> Path:
    return Path(results_dir) / f"{run.name}.json"


def is_done(path: Path, recipe: Recipe, code: str) -> bool:
    """Whether ``path`` holds this run, finished with ``recipe`` and training code that
    computes as ``code`` does (:func:`computes_as_today`)."""
    if not path.exists():
        return False
    try:
        record = load_run(path)
    except ResultsError:
        return False  # written by an older schema or broken: run it again
    return record.recipe == asdict(recipe) and computes_as_today(record.code, code)


def _rounded(value: float) -> float:
    return float(f"{value:.5g}")


def epoch_record(record: dict) -> dict:
    """One epoch of a trainer's history, as a run file keeps it."""
    activity = record["activity"]
    return {
        "epoch": record["epoch"],
        "test_accuracy": _rounded(record["test_accuracy"]),
        "events": {name: _rounded(a["events"]) for name, a in activity.items()},
        "mass": {name: _rounded(a["mass"]) for name, a in activity.items()},
        "above_levels": {
            name: _rounded(a["above_levels"])
            for name, a in activity.items()
            if "above_levels" in a and name != "total"
        },
    }


def train_run(
    run: SweepRun, recipe: Recipe, runs_dir: Path, device: str, origin: dict, code: str
) -> dict:
    """Train one run to the end of its recipe (resuming its checkpoint); return its run file.

    ``origin`` is the sweep's provenance and ``code`` its training code's
    fingerprint, both taken when it started (the code it runs).
    """
    net = run.network
    config = TrainConfig(
        model=net.model,
        timesteps=net.timesteps,
        levels=net.levels,
        width=run.width,
        seed=run.seed,
        out_dir=str(Path(runs_dir) / recipe.name / run.name),
        device=device,
        progress=False,
        activity_samples=10_000,  # the whole test set
        amp=False,  # float32 on every device: widths trained on a GPU compare with the CPU's
        **recipe.train_settings(),
    )
    trainer = Trainer(config)
    try:
        history = trainer.fit()
        measured_from = time.perf_counter()
        monitor = measure_activity(
            trainer.model, trainer.test_loader, autocast_dtype=trainer.autocast_dtype
        )
        energy = {
            cost: _rounded(
                estimate_energy(
                    trainer.model, monitor, preset=ENERGY_PRESET, multilevel_cost=cost
                ).total
                / 1e6
            )
            for cost in MULTILEVEL_COSTS
        }
    finally:
        trainer.close()
    if [r["epoch"] for r in history] != list(range(1, recipe.epochs + 1)):
        raise CheckpointError(
            f"{config.out_dir} holds a run with epochs {[r['epoch'] for r in history]}, not "
            f"1..{recipe.epochs}; delete the folder to train it again"
        )
    return {
        "schema": SCHEMA,
        "network": asdict(net),
        "width": run.width,
        "seed": run.seed,
        "theta": 1.0,
        "recipe": asdict(recipe),
        "code": code,
        "energy_preset": ENERGY_PRESET,
        "epochs": [epoch_record(r) for r in history],
        "energy_uj": energy,
        "provenance": origin
        | {
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            # training and per-epoch measurement, over every sitting of a resumed run
            "train_seconds": round(sum(r["seconds"] for r in history), 1),
            "measure_seconds": round(time.perf_counter() - measured_from, 1),
        },
    }


def run_sweep(
    runs: list[SweepRun],
    *,
    recipe: Recipe = PAPER_RECIPE,
    results_dir: Path = COMMITTED_RESULTS,
    runs_dir: Path = Path("runs") / "sweep",
    device: str = "auto",
    progress: bool = True,
    command: list[str] | None = None,
    allow_uncommitted: bool = False,
) -> list[Path]:
    """Train every run not yet in ``results_dir``; write each as it finishes; return the new files.

    Runs listed twice are trained once. A run whose folder another process
    holds is skipped (that process writes it), so two sweeps share the work.
    Results come from committed code: with uncommitted changes to the library
    the sweep refuses to start unless ``allow_uncommitted``.
    """
    runs = list(dict.fromkeys(runs))
    origin = record_provenance(command or ["python"], resolve_device(device))
    if origin["uncommitted_changes"] and not allow_uncommitted:
        raise ResultsError(
            "the library has uncommitted changes: commit them first, so the results record the "
            "code that made them (or pass --allow-uncommitted for a trial run)"
        )
    code = code_fingerprint()
    todo = [
        run
        for run in runs
        if not is_done(run_path(results_dir, run), recipe_for(run.network, recipe), code)
    ]
    written = []
    bar = tqdm(total=len(todo), desc=f"sweep ({len(runs) - len(todo)} done)", disable=not progress)
    for run in todo:
        bar.set_postfix_str(run.name)
        path = run_path(results_dir, run)
        if is_done(path, recipe_for(run.network, recipe), code):  # another sweep finished it
            bar.update()
            continue
        try:
            payload = train_run(
                run, recipe_for(run.network, recipe), runs_dir, device, origin, code
            )
        except CheckpointError as error:
            if "in use by another training run" not in str(error):
                raise
            bar.update()
            continue
        write_atomically(path, json.dumps(payload, indent=1) + "\n")
        written.append(path)
        bar.update()
    bar.close()
    return written
