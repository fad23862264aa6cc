"""Config validation with messages that name the offending key."""

from __future__ import annotations

import copy
import math
import os
import re
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from degu.errors import DeguInputError


def _with_defaults(validator_class):
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for prop, subschema in properties.items():
                if isinstance(subschema, dict) and "default" in subschema:
                    instance.setdefault(prop, copy.deepcopy(subschema["default"]))
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


def key_path(error: jsonschema.ValidationError) -> str:
    parts = [str(p) for p in error.absolute_path]
    return ".".join(parts) if parts else "<top level>"


def load_schema(path: str | os.PathLike) -> dict:
    with open(path) as fh:
        return yaml.safe_load(fh)


def validate_config(config: dict[str, Any], schema: dict | str | os.PathLike, source: str = "config") -> dict:
    """Validate ``config`` in place (filling schema defaults); raise DeguInputError on problems.

    The message lists every problem as ``<source>: key 'a.b.c': <reason>``.
    """
    if not isinstance(schema, dict):
        schema = load_schema(schema)
    validator_cls = _with_defaults(jsonschema.Draft202012Validator)
    errors = sorted(validator_cls(schema).iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for e in errors:
            if e.validator == "additionalProperties":
                extra = sorted(set(e.instance) - set(e.schema.get("properties", {})))
                pattern = e.schema.get("patternProperties", {})
                if pattern:
                    extra = [k for k in extra if not any(re.search(p, k) for p in pattern)]
                for k in extra:
                    where = key_path(e)
                    full = k if where == "<top level>" else f"{where}.{k}"
                    lines.append(f"{source}: key '{full}': unknown key (check its spelling)")
                continue
            lines.append(f"{source}: key '{key_path(e)}': {e.message}")
        raise DeguInputError("invalid configuration:\n  " + "\n  ".join(lines))
    return config


class _DuplicateKey(Exception):
    def __init__(self, key, first: int, second: int):
        super().__init__(key)
        self.key, self.first, self.second = key, first, second


class StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that rejects a mapping key given twice (PyYAML keeps the last)."""


def _construct_mapping(loader, node, deep=False):
    seen: dict = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            first = seen.get(key)
        except TypeError:  # unhashable key: SafeLoader reports it
            continue
        line = key_node.start_mark.line + 1
        if first is not None:
            raise _DuplicateKey(key, first, line)
        seen[key] = line
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: str | os.PathLike):
    """Parse a YAML file; a duplicated key is an error naming the key and both lines."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise DeguInputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        return yaml.load(text, Loader=StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except _DuplicateKey as exc:
        raise DeguInputError(
            f"{path}: duplicate key '{exc.key}' on lines {exc.first} and {exc.second} "
            "(YAML would silently keep the last value)"
        ) from None
    except yaml.YAMLError as exc:
        raise DeguInputError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from exc


def load_config(path: str | os.PathLike, schema: dict | str | os.PathLike) -> dict:
    """Read, validate (schema and cross-field checks: the workflow's own) and return a config."""
    path = Path(path)
    config = load_yaml(path)
    if config is not None and not isinstance(config, dict):
        raise DeguInputError(f"{path}: expected a mapping of config keys, got {type(config).__name__}")
    return check_config(config or {}, schema, source=str(path))


def check_config(config: dict, schema: dict | str | os.PathLike, source: str = "config") -> dict:
    """Every check the workflow runs at start, in order: schema (filling defaults), then the
    cross-field checks. ``degu validate-config`` and ``workflow/rules/common.smk`` both call it."""
    validate_config(config, schema, source=source)
    check_datasets(config, source=source)
    return config


RESULTS_DIR = "results"
SPLIT_NAMES = ("Train", "Val", "Test")


def conformal_min_n(alpha: float) -> int:
    """Smallest calibration set for which split-conformal gives a finite interval:
    ``ceil((n + 1)(1 - alpha)) <= n`` (19 for alpha 0.05)."""
    n = 1
    while math.ceil((n + 1) * (1 - alpha) - 1e-12) > n:
        n += 1
    return n


def split_minimums(config: dict, name: str) -> dict[str, list]:
    """``{split: [minimum records, what needs them]}`` for one dataset of a validated config."""
    d = config["datasets"][name]
    out = {
        "Train": [2, "training"],
        "Val": [1, "early stopping"],
        "Test": [2, "test metrics"],
    }
    if d.get("calibrate"):
        alpha = config.get("uncertainty", {}).get("alpha", 0.05)
        out["Val"] = [conformal_min_n(alpha), f"conformal calibration at alpha={alpha}"]
    return out


def _inside(value: str) -> bool:
    p = Path(value)
    return value not in ("", ".") and not p.is_absolute() and ".." not in p.parts


def _path_problems(config: dict) -> list[str]:
    """Names that become paths must stay inside results/<run>/ or the raw directory."""
    problems = []
    run = config.get("run")
    if isinstance(run, str) and (run.startswith(".") or "/" in run or not run):
        problems.append(
            f"key 'run': {run!r} would put outputs outside {RESULTS_DIR}/<run>/ "
            "(use letters, digits, '_', '-' and '.', not starting with '.')"
        )
    for name, d in config["datasets"].items():
        entries = [(f"files.{k}", v) for k, v in d.get("files", {}).items()]
        if "archive" in d:
            entries.append(("archive.file", d["archive"]["file"]))
        for key, value in entries:
            if not _inside(value):
                problems.append(
                    f"key 'datasets.{name}.{key}': {value!r} must be a relative path inside the "
                    "dataset's raw directory (no leading '/', no '..')"
                )
    return problems


def _split_problems(config: dict) -> list[str]:
    """Splits the config decides (random-split fractions, simulated split sizes) must be
    large enough for every step that uses them."""
    problems = []
    for name, d in config["datasets"].items():
        need = split_minimums(config, name)
        sizes = None
        if d["assay"] in ("lentimpra", "table"):
            fr = d.get("split", {}).get("fractions", [0.8, 0.1, 0.1])
            for split, f in zip(SPLIT_NAMES, fr, strict=False):
                if f <= 0:
                    problems.append(
                        f"key 'datasets.{name}.split.fractions': the {split} fraction is {f}, "
                        f"but {need[split][1]} needs at least {need[split][0]} {split} record(s)"
                    )
            sim = d.get("simulate") if d["source"] == "simulate" and "raw_from" not in d else None
            if sim and d["assay"] == "lentimpra" and all(f > 0 for f in fr):
                # at most 2 records per element; the split holds about fraction * records
                sizes = {s: round(2 * sim["n_elements"] * f) for s, f in zip(SPLIT_NAMES, fr, strict=False)}
                key = "simulate.n_elements"
        elif d["assay"] == "starrseq" and d["source"] == "simulate" and "raw_from" not in d:
            sim = d["simulate"]
            sizes = {"Train": sim["n_train"], "Val": sim["n_val"], "Test": sim["n_test"]}
            key = None
        for split, n in (sizes or {}).items():
            if n < need[split][0]:
                k = key or f"simulate.n_{split.lower()}"
                problems.append(
                    f"key 'datasets.{name}.{k}': the {split} split would hold {'about ' if key else ''}"
                    f"{n} record(s); {need[split][1]} needs at least {need[split][0]}"
                )
    return problems


def check_datasets(config: dict, source: str = "config") -> None:
    """Cross-field checks a JSON schema cannot express; messages name the key."""
    datasets = config["datasets"]
    problems = []
    for name, d in datasets.items():
        ref = d.get("raw_from")
        if ref is not None:
            if ref not in datasets:
                problems.append(f"key 'datasets.{name}.raw_from': no dataset named {ref!r}")
            elif "raw_from" in datasets[ref]:
                problems.append(f"key 'datasets.{name}.raw_from': {ref!r} itself uses raw_from (no chains)")
            elif datasets[ref]["assay"] != d["assay"]:
                problems.append(f"key 'datasets.{name}.raw_from': {ref!r} has a different assay")
        if d.get("baselines") or d.get("calibrate"):
            frac = config["uncertainty"]["fraction"]
            if not any(abs(frac - f) < 1e-12 for f in d["fractions"]):
                problems.append(
                    f"key 'datasets.{name}.fractions': must contain uncertainty.fraction ({frac}) "
                    "because the dataset has baselines or calibrate"
                )
        if "heteroscedastic_distill" in d.get("baselines", []) and "heteroscedastic" not in d["baselines"]:
            problems.append(
                f"key 'datasets.{name}.baselines': heteroscedastic_distill needs heteroscedastic (its teachers)"
            )
        if d.get("baselines") and not d.get("calibrate"):
            problems.append(f"key 'datasets.{name}.calibrate': must be true when baselines are listed")
        fr = d.get("split", {}).get("fractions")
        if fr is not None and abs(sum(fr) - 1.0) > 1e-9:
            problems.append(f"key 'datasets.{name}.split.fractions': {fr} must sum to 1")
        if d["source"] == "simulate" and "raw_from" not in d and d["assay"] not in ("starrseq", "lentimpra"):
            problems.append(f"key 'datasets.{name}.source': no simulator for assay {d['assay']!r}")
        if "archive" in d and d["assay"] != "degu_h5":
            problems.append(f"key 'datasets.{name}.archive': only for assay degu_h5")
    problems += _robustness_problems(config)
    problems += _attribution_problems(config)
    problems += _variant_effects_problems(config)
    problems += _atac_problems(config)
    problems += _path_problems(config)
    problems += _split_problems(config)
    main = config.get("uncertainty", {}).get("main_dataset")
    if main is not None and not datasets.get(main, {}).get("calibrate"):
        problems.append(f"key 'uncertainty.main_dataset': {main!r} is not a dataset with calibrate: true")
    if problems:
        raise DeguInputError("invalid configuration:\n  " + "\n  ".join(f"{source}: {p}" for p in problems))


def _attribution_problems(config: dict) -> list[str]:
    """Checks of the attribution block: known datasets that train at its fraction, two or
    more teachers and students (the variability across initialisations needs them)."""
    datasets = config["datasets"]
    attr = config.get("attribution", {})
    fraction = attr.get("fraction", 1.0)
    problems = []
    for name in attr.get("datasets", []):
        if name not in datasets:
            problems.append(f"key 'attribution.datasets': no dataset named {name!r}")
        elif not any(abs(fraction - f) < 1e-12 for f in datasets[name]["fractions"]):
            problems.append(f"key 'datasets.{name}.fractions': must contain {fraction} for attribution")
    for name in attr.get("fig4_datasets", []):
        if name not in attr.get("datasets", []):
            problems.append(f"key 'attribution.fig4_datasets': {name!r} is not in attribution.datasets")
    method, methods = attr.get("fig4_method", "deepshap"), attr.get("methods", ["saliency", "deepshap"])
    if attr.get("datasets") and method not in methods:
        problems.append(f"key 'attribution.fig4_method': {method!r} is not in attribution.methods {methods}")
    if attr.get("datasets"):
        for block in ("teachers", "students"):
            if config[block]["n"] < 2:
                problems.append(f"key '{block}.n': attribution needs at least 2 (variability across seeds)")
    return problems


def _atac_problems(config: dict) -> list[str]:
    """Checks of the atac block: each source's files, a window that fits the bins (and that two
    windows cover a bin, for the ensemble's tracks), the CNN-task-base pools."""
    atac = config.get("atac", {})
    problems = []
    for name, entry in atac.get("datasets", {}).items():
        key = f"key 'atac.datasets.{name}"
        source = entry["source"]
        need = {"encode": ("encode", "genome_manifest"), "local": ("replicates", "genome"), "simulate": ()}[
            source
        ]
        for k in need:
            if k not in entry:
                problems.append(f"{key}.{k}': required with source {source}")
        allowed = {
            "encode": {"encode", "genome_manifest"},
            "local": {"replicates", "genome"},
            "simulate": {"simulate"},
        }
        others = {"encode", "genome_manifest", "replicates", "genome", "simulate"} - allowed[source]
        for k in sorted(others & set(entry)):  # (genome_file has a default: not checked)
            problems.append(f"{key}.{k}': not used with source {source}")
        if source == "local" and atac.get("engine") == "wiggletools":
            for r in entry.get("replicates", []):
                if not str(r).endswith((".bw", ".bigWig", ".bigwig")):
                    problems.append(
                        f"{key}.replicates': {r!r} must end in .bw, .bigWig or .bigwig for WiggleTools"
                    )
        size = {**atac.get("bins", {}), **entry.get("bins", {})}.get("size", 3072)
        crop = entry.get("crop", atac.get("crop", 2048))
        if not size / 2 <= crop <= size:
            problems.append(
                f"{key}': crop {crop} must lie between half the bin size and the bin size ({size / 2:g}-{size}) "
                "so that two windows cover a bin"
            )
        pools = {**atac.get("model_params", {}), **entry.get("model_params", {})}.get("pool_sizes", [8, 4, 4])
        product = 1
        for p in pools:
            product *= int(p)
        if crop < product:
            problems.append(
                f"{key}': crop {crop} is shorter than the product of the pool sizes {pools} ({product})"
            )
    return problems


def _variant_effects_problems(config: dict) -> list[str]:
    """Checks of the variant_effects block: loci scored by known lentiMPRA-like datasets that
    train at its fraction, methods that exist, files and reference that fit the source."""
    datasets = config["datasets"]
    ve = config.get("variant_effects", {})
    loci = ve.get("loci", {})
    if not loci:
        return []
    key = "key 'variant_effects"
    problems = []
    fraction = ve.get("fraction", 1.0)
    for locus, entry in loci.items():
        name = entry["dataset"]
        if name not in datasets:
            problems.append(f"{key}.loci.{locus}.dataset': no dataset named {name!r}")
            continue
        if not any(abs(fraction - f) < 1e-12 for f in datasets[name]["fractions"]):
            problems.append(f"key 'datasets.{name}.fractions': must contain {fraction} for variant_effects")
        if len(datasets[name]["tasks"]) != 1:
            problems.append(
                f"{key}.loci.{locus}.dataset': {name!r} has {len(datasets[name]['tasks'])} tasks; "
                "variant effects need a single-task (one cell type) dataset"
            )
        src = datasets.get(datasets[name].get("raw_from", name))
        if (
            src is not None
            and ve.get("source", "local") == "simulate"
            and not (src.get("source") == "simulate" and src.get("assay") == "lentimpra")
        ):
            problems.append(
                f"{key}.loci.{locus}.dataset': source simulate needs a simulated lentimpra dataset, "
                f"{name!r} is not one"
            )
    schemes = config.get("robustness", {}).get("schemes", {})
    for method in ve.get("methods", []):
        if method.startswith("dynamic_") and method[len("dynamic_") :] not in schemes:
            problems.append(
                f"{key}.methods': {method!r} needs robustness.schemes.{method[len('dynamic_') :]}"
            )
    n = ve.get("n_students")
    if n is not None and n > config["students"]["n"]:
        problems.append(f"{key}.n_students': {n} is more than students.n ({config['students']['n']})")
    fig6 = ve.get("fig6_method", "dynamic_mutation")
    if fig6 not in ve.get("methods", []):
        problems.append(f"{key}.fig6_method': {fig6!r} is not in variant_effects.methods")
    for locus in ve.get("fig6_loci", []):
        if locus not in loci:
            problems.append(f"{key}.fig6_loci': {locus!r} is not in variant_effects.loci")
    heat = ve.get("heatmap_locus")
    if heat is not None and heat not in (ve.get("fig6_loci") or loci):
        problems.append(f"{key}.heatmap_locus': {heat!r} is not one of the Fig. 6 loci")
    if ve.get("source", "local") == "local" and not ve.get("local_dir"):
        problems.append(f"{key}.local_dir': required with source local")
    ref = ve.get("reference", {})
    rsrc = ref.get("source", "simulate")
    if rsrc == "simulate" and ve.get("source", "local") != "simulate":
        problems.append(f"{key}.reference.source': simulate needs variant_effects.source simulate")
    if rsrc != "simulate" and ve.get("source", "local") == "simulate":
        problems.append(
            f"{key}.reference.source': simulated loci need the simulated reference (simulate), not {rsrc}"
        )
    if rsrc == "download" and not str(ref.get("file", "")).endswith(".gz"):
        problems.append(
            f"{key}.reference.file': a downloaded genome must be a .gz FASTA (it is decompressed for pyfaidx)"
        )
    if rsrc == "download" and (
        ref.get("kind", "genome") != "genome" or not ref.get("manifest") or not ref.get("file")
    ):
        problems.append(f"{key}.reference': source download needs kind genome, a manifest and a file")
    if rsrc == "local" and not ref.get("path"):
        problems.append(f"{key}.reference.path': required with source local")
    if ve.get("sheet") and not str(ve.get("file", "")).endswith(".xlsx"):
        problems.append(f"{key}.sheet': only for an .xlsx file (file is {ve.get('file')!r})")
    return problems


def _robustness_problems(config: dict) -> list[str]:
    """Checks of the evoaug, robustness and ensemble_size blocks."""
    datasets = config["datasets"]
    problems = []
    evo = config.get("evoaug", {})
    n_aug = len(evo.get("augmentations", {}))

    def check_n(key, n_min, n_max):
        if n_min is not None and n_max is not None and n_min > n_max:
            problems.append(f"key '{key}.n_min': {n_min} is larger than n_max ({n_max})")
        if n_max is not None and n_max > n_aug:
            problems.append(f"key '{key}.n_max': {n_max} is more than the {n_aug} evoaug.augmentations")

    check_n("evoaug", evo.get("n_min"), evo.get("n_max"))
    rob = config.get("robustness", {})
    for block in ("schemes", "shifts"):
        for name, scheme in rob.get(block, {}).items():
            if scheme["kind"] == "evoaug":
                check_n(f"robustness.{block}.{name}", scheme.get("n_min", 1), scheme.get("n_max", 1))
            extra = set(scheme) - {
                "kind",
                *{"evoaug": ["n_min", "n_max"], "mutation": ["rate"]}.get(scheme["kind"], []),
            }
            if extra:
                problems.append(
                    f"key 'robustness.{block}.{name}': {sorted(extra)} not used by kind {scheme['kind']!r}"
                )
    n_students = config["students"]["n"]
    for block, fraction in (("robustness", rob.get("fraction", 1.0)), ("ensemble_size", 1.0)):
        b = config.get(block, {})
        name = b.get("dataset")
        if name is None:
            continue
        if name not in datasets:
            problems.append(f"key '{block}.dataset': no dataset named {name!r}")
        elif not any(abs(fraction - f) < 1e-12 for f in datasets[name]["fractions"]):
            problems.append(f"key 'datasets.{name}.fractions': must contain {fraction} for {block}")
        if b.get("n_students", 0) > n_students:
            problems.append(
                f"key '{block}.n_students': {b['n_students']} is more than students.n ({n_students})"
            )
    return problems
