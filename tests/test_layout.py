"""The library's layout: packages by concern, imports flowing one way, light package imports."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "degu"

#: layer of each top-level name under ``degu``; a module may import its own layer and those below.
#: errors, config, logs and runtime are shared helpers (they import nothing above errors).
LAYERS = {
    "errors": 0,
    "config": 0,
    "logs": 0,
    "runtime": 0,
    "io": 1,
    "assays": 2,
    "models": 3,
    "uq": 4,
    "analysis": 5,
    "plots": 6,
    "jobs": 7,
    "predict": 8,
    "predict_profiles": 8,
    "attribute": 8,
    "score_variants": 8,
    "cli": 9,
}
PACKAGES = {
    "io": {
        "atomic",
        "bigwig",
        "compression",
        "encoding",
        "fasta",
        "hdf5",
        "lentimpra",
        "starrseq",
        "variants",
    },
    "assays": {"datasets", "download", "pairs", "profiles", "simulate", "splits", "tracks"},
    "models": {"architectures", "augment", "bundle", "heads", "layers", "profile_training", "training"},
    "uq": {"calibration", "distill", "ensemble", "metrics", "uncertainty"},
    "analysis": {"attribution", "kmer", "robustness", "variant_effects"},
}


def degu_imports(source: str) -> list[tuple[int, str]]:
    """``(line, top-level name under degu)`` of every ``degu`` import in ``source``, including
    imports inside functions."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [f"degu.{a.name}" for a in node.names] if node.module == "degu" else [node.module]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "degu" and len(parts) > 1:
                found.append((node.lineno, parts[1]))
    return found


def back_edges(layer_of: str, source: str) -> list[str]:
    """Imports in a module of layer ``layer_of`` that reach a layer above it."""
    own = LAYERS[layer_of]
    return [
        f"line {line}: degu.{name}"
        for line, name in degu_imports(source)
        if name in LAYERS and LAYERS[name] > own
    ]


def _layer(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def test_packages_hold_their_modules():
    for package, modules in PACKAGES.items():
        found = {p.stem for p in (SRC / package).glob("*.py")} - {"__init__"}
        assert found == modules, package
    flat = {p.stem for p in SRC.glob("*.py")} - {"__init__"}
    assert flat == {
        "attribute",
        "cli",
        "config",
        "errors",
        "logs",
        "predict",
        "predict_profiles",
        "runtime",
        "score_variants",
    }


def test_imports_flow_one_way():
    problems = []
    for path in sorted(SRC.rglob("*.py")):
        if path == SRC / "__init__.py":
            continue
        layer = _layer(path)
        assert layer in LAYERS, f"{path.relative_to(SRC)} is in no layer"
        problems += [f"{path.relative_to(SRC)} {e}" for e in back_edges(layer, path.read_text())]
    assert problems == []


def test_back_edge_check_sees_lazy_and_package_imports():
    source = (
        "from degu.io import hdf5\n"
        "def f():\n"
        "    from degu.uq.distill import TargetScaling\n"
        "    import degu.jobs.train\n"
        "    from degu import analysis\n"
    )
    assert back_edges("models", source) == [
        "line 3: degu.uq",
        "line 4: degu.jobs",
        "line 5: degu.analysis",
    ]
    assert back_edges("jobs", source) == []


@pytest.mark.parametrize(
    "modules",
    [
        "degu.models",
        "degu.models.heads",
        "degu.models.bundle",
        "degu.uq.calibration",
        "degu.uq.metrics",
        "degu.predict",
        "degu.cli",
        "degu.jobs.evaluate",
        "degu.jobs.attribution",
        "degu.attribute",
        "degu.io.variants",
        "degu.analysis.variant_effects",
        "degu.score_variants",
        "degu.predict_profiles",
        "degu.jobs.profiles",
    ],
)
def test_importing_numpy_modules_does_not_load_tensorflow(modules):
    code = (
        f"import sys, {modules}\n"
        "heavy = sorted(m for m in ('tensorflow', 'keras') if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_models_reexports_build_and_load_on_first_use():
    code = (
        "import sys\n"
        "from degu.models import build_model, load_model\n"
        "import degu.models.architectures as a\n"
        "assert build_model is a.build_model and load_model is a.load_model\n"
        "print('keras' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        import degu.models

        degu.models.nothing  # noqa: B018
