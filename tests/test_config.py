import copy

import pytest
import yaml

from degu.config import load_config, validate_config
from degu.errors import DeguInputError


@pytest.fixture
def schema(repo):
    return repo / "workflow" / "schemas" / "config.schema.yaml"


@pytest.fixture
def test_config(repo):
    return yaml.safe_load((repo / "config" / "test.yaml").read_text())


def test_shipped_configs_are_valid(repo, schema):
    for name in ("config.yaml", "test.yaml"):
        cfg = load_config(repo / "config" / name, schema)
        assert cfg["distillation"]["lambda"] == 1.0


def test_paper_config_matches_paper_scale(repo, schema):
    cfg = load_config(repo / "config" / "config.yaml", schema)
    ds = cfg["datasets"]["deepstarr"]
    assert ds["fractions"] == [0.1, 0.25, 0.5, 0.75, 1.0]
    assert cfg["teachers"]["n"] == 10 and cfg["students"]["n"] == 10
    t = cfg["training"]
    assert (
        t["learning_rate"],
        t["batch_size"],
        t["max_epochs"],
        t["lr_decay_factor"],
        t["lr_decay_patience"],
    ) == (0.001, 100, 100, 0.1, 5)


@pytest.mark.parametrize(
    "mutate,message",
    [
        (lambda c: c["teachers"].__setitem__("n", 1), "key 'teachers.n': 1 is less than the minimum of 2"),
        (
            lambda c: c["training"].__setitem__("batch_size", "big"),
            "key 'training.batch_size': 'big' is not of type 'integer'",
        ),
        (
            lambda c: c["datasets"]["deepstarr"].__setitem__("fractions", [0.5, 1.5]),
            "key 'datasets.deepstarr.fractions.1': 1.5 is greater than the maximum of 1",
        ),
        (
            lambda c: c["training"].__setitem__("learnig_rate", 0.1),
            "key 'training.learnig_rate': unknown key",
        ),
        (lambda c: c.pop("students"), "key '<top level>': 'students' is a required property"),
        (
            lambda c: c["datasets"]["deepstarr"].update(source="download"),
            "key 'datasets.deepstarr': 'manifest' is a required property",
        ),
        (
            lambda c: c["datasets"]["deepstarr"].update(assay="rnaseq"),
            "key 'datasets.deepstarr.assay': 'rnaseq' is not one of",
        ),
        (
            lambda c: c["datasets"]["deepstarr"]["model_params"].update(conv_filter=[8]),
            "key 'datasets.deepstarr.model_params.conv_filter': unknown key",
        ),
        (
            lambda c: c["datasets"]["deepstarr"]["model_params"].update(dropout=1.5),
            "key 'datasets.deepstarr.model_params.dropout': 1.5 is greater than the maximum of 1",
        ),
    ],
)
def test_errors_name_the_bad_key(schema, test_config, mutate, message):
    cfg = copy.deepcopy(test_config)
    mutate(cfg)
    with pytest.raises(DeguInputError) as e:
        validate_config(cfg, schema, source="my.yaml")
    assert f"my.yaml: {message}" in str(e.value)


def test_defaults_are_filled(schema, test_config):
    cfg = copy.deepcopy(test_config)
    del cfg["teachers"]["seed_start"]
    del cfg["students"]["seed_start"]
    validate_config(cfg, schema)
    assert cfg["teachers"]["seed_start"] == 0
    assert cfg["students"]["seed_start"] == 1000  # students never reuse teacher seeds by default


def test_bad_yaml_names_file(tmp_path, schema):
    p = tmp_path / "c.yaml"
    p.write_text("run: [unclosed\n")
    with pytest.raises(DeguInputError, match=f"{p}: not valid YAML"):
        load_config(p, schema)


def _check(cfg, schema):
    from degu.config import check_datasets

    validate_config(cfg, schema)
    check_datasets(cfg)


def test_paper_config_lentimpra_entries(repo, schema):
    cfg = load_config(repo / "config" / "config.yaml", schema)
    k = cfg["datasets"]["lentimpra_k562_aleatoric"]
    assert k["architecture"] == "residualbind" and k["aleatoric"] and k["calibrate"]
    assert k["seq_len"] == 230 and k["raw_from"] == "lentimpra_k562"
    assert cfg["distillation"]["gamma"] == 1.0 and cfg["uncertainty"]["mc_dropout_passes"] == 100
    assert cfg["datasets"]["lentimpra_hepg2"]["aleatoric"] is False  # default filled in


def test_lentimpra_defaults_differ_from_starrseq(test_config, schema):
    cfg = copy.deepcopy(test_config)
    validate_config(cfg, schema)
    assert cfg["datasets"]["k562"]["seq_len"] == 230
    assert cfg["datasets"]["k562"]["activity_columns"] == ["mean"]
    assert cfg["datasets"]["k562"]["files"] == {
        "sequences": "sequences.xlsx",
        "replicates": "replicates.xlsx",
    }
    assert cfg["datasets"]["deepstarr"]["seq_len"] == 249


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda c: c["datasets"]["k562"].update(raw_from="nope"),
            "key 'datasets.k562.raw_from': no dataset named 'nope'",
        ),
        (
            lambda c: c["datasets"]["k562"].update(raw_from="deepstarr"),
            "key 'datasets.k562.raw_from': 'deepstarr' has a different assay",
        ),
        (
            lambda c: c["datasets"]["k562"].update(fractions=[0.5]),
            "key 'datasets.k562.fractions': must contain uncertainty.fraction (1.0)",
        ),
        (
            lambda c: c["datasets"]["k562"].update(baselines=["heteroscedastic_distill"]),
            "heteroscedastic_distill needs heteroscedastic",
        ),
        (
            lambda c: c["datasets"]["hepg2"].update(baselines=["mc_dropout"], calibrate=False),
            "key 'datasets.hepg2.calibrate': must be true when baselines are listed",
        ),
        (
            lambda c: c["datasets"]["k562"].update(split={"fractions": [0.8, 0.1, 0.2]}),
            "key 'datasets.k562.split.fractions': [0.8, 0.1, 0.2] must sum to 1",
        ),
        (
            lambda c: c["datasets"]["k562"].update(archive={"file": "a.tar", "member": "b.h5"}),
            "key 'datasets.k562.archive': only for assay degu_h5",
        ),
        (
            lambda c: c["uncertainty"].update(main_dataset="deepstarr"),
            "key 'uncertainty.main_dataset': 'deepstarr' is not a dataset with calibrate: true",
        ),
    ],
)
def test_cross_field_errors_name_the_key(test_config, schema, edit, message):
    cfg = copy.deepcopy(test_config)
    edit(cfg)
    with pytest.raises(DeguInputError) as exc:
        _check(cfg, schema)
    assert message in str(exc.value)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c: c["datasets"]["k562"].update(baselines=["bayes"]), "key 'datasets.k562.baselines.0'"),
        (
            lambda c: c["datasets"]["k562"]["model_params"].update(filterz=3),
            "datasets.k562.model_params.filterz",
        ),
        (lambda c: c["datasets"]["k562"]["simulate"].update(n_train=5), "datasets.k562.simulate.n_train"),
        (lambda c: c["datasets"]["deepstarr"].update(aleatoric=True), "key 'datasets.deepstarr.tasks'"),
        (lambda c: c["uncertainty"].update(alpha=1.5), "key 'uncertainty.alpha'"),
        (
            lambda c: c["datasets"].update(
                t={
                    "assay": "table",
                    "source": "local",
                    "local_dir": "x",
                    "tasks": ["a"],
                    "activity_columns": ["a"],
                    "id_column": "i",
                    "sequence_column": "s",
                    "seq_len": 10,
                    "architecture": "residualbind",
                    "fractions": [1.0],
                }
            ),
            "key 'datasets.t': 'files' is a required property",
        ),
    ],
)
def test_schema_errors_for_uncertainty_keys(test_config, schema, edit, message):
    cfg = copy.deepcopy(test_config)
    edit(cfg)
    with pytest.raises(DeguInputError) as exc:
        validate_config(cfg, schema)
    assert message in str(exc.value)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda c: c["robustness"].update(dataset="starr"),
            "key 'robustness.dataset': no dataset named 'starr'",
        ),
        (
            lambda c: c["robustness"].update(fraction=0.3),
            "key 'datasets.deepstarr.fractions': must contain 0.3 for robustness",
        ),
        (
            lambda c: c["datasets"]["deepstarr"].update(fractions=[0.5]),
            "key 'datasets.deepstarr.fractions': must contain 1.0 for ensemble_size",
        ),
        (
            lambda c: c["robustness"].update(n_students=5),
            "key 'robustness.n_students': 5 is more than students.n (3)",
        ),
        (
            lambda c: c["evoaug"].update(n_min=2, n_max=1),
            "key 'evoaug.n_min': 2 is larger than n_max (1)",
        ),
        (
            lambda c: c["robustness"].update(schemes={"big": {"kind": "evoaug", "n_min": 0, "n_max": 6}}),
            "key 'robustness.schemes.big.n_max': 6 is more than the 4 evoaug.augmentations",
        ),
        (
            lambda c: c["robustness"].update(shifts={"small": {"kind": "shuffle", "rate": 0.1}}),
            "key 'robustness.shifts.small': ['rate'] not used by kind 'shuffle'",
        ),
    ],
)
def test_robustness_cross_field_errors(test_config, schema, edit, message):
    cfg = copy.deepcopy(test_config)
    validate_config(cfg, schema)  # fill defaults first, as the workflow does
    edit(cfg)
    with pytest.raises(DeguInputError) as exc:
        _check(cfg, schema)
    assert message in str(exc.value)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c: c["robustness"].update(distill_from="teachers"), "key 'robustness.distill_from'"),
        (
            lambda c: c["robustness"].update(schemes={"x": {"kind": "dinucleotide_shuffle"}}),
            "key 'robustness.schemes.x.kind'",
        ),
        (lambda c: c["robustness"].update(shifts={"none": {"kind": "shuffle"}}), "key 'robustness.shifts'"),
        (
            lambda c: c["evoaug"].update(augmentations={"inversion": {}}),
            "key 'evoaug.augmentations.inversion'",
        ),
        (lambda c: c["ensemble_size"].update(sizes=[1, 2]), "key 'ensemble_size.sizes.0'"),
        (lambda c: c["evoaug"]["finetune"].update(epochs=-1), "key 'evoaug.finetune.epochs'"),
    ],
)
def test_schema_errors_for_robustness_keys(test_config, schema, edit, message):
    cfg = copy.deepcopy(test_config)
    edit(cfg)
    with pytest.raises(DeguInputError) as exc:
        validate_config(cfg, schema)
    assert message in str(exc.value)


def test_robustness_defaults_are_the_papers(schema, test_config):
    cfg = copy.deepcopy(test_config)
    del cfg["evoaug"], cfg["robustness"], cfg["ensemble_size"]
    validate_config(cfg, schema)
    assert cfg["evoaug"]["augmentations"] == {
        "deletion": {"min": 0, "max": 20, "per_batch": True},
        "translocation": {"min": 0, "max": 20, "per_batch": True},
        "noise": {"mean": 0.0, "std": 0.2},
        "mutation": {"rate": 0.05},
    }
    assert (cfg["evoaug"]["n_min"], cfg["evoaug"]["n_max"]) == (1, 1)
    assert cfg["evoaug"]["finetune"] == {"epochs": 5, "learning_rate": 0.0001}
    assert cfg["robustness"]["shifts"] == {
        "small": {"kind": "mutation", "rate": 0.05},
        "moderate": {"kind": "evoaug", "n_min": 2, "n_max": 2},
        "large": {"kind": "shuffle"},
    }
    assert "dataset" not in cfg["robustness"] and "dataset" not in cfg["ensemble_size"]
    assert cfg["ensemble_size"]["sizes"] == [2, 3, 4, 5, 10, 15, 20, 25]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda c: c["variant_effects"]["loci"].update(X={"dataset": "nope"}),
            "key 'variant_effects.loci.X.dataset': no dataset named 'nope'",
        ),
        (
            lambda c: c["variant_effects"]["loci"].update(X={"dataset": "deepstarr"}),
            "key 'variant_effects.loci.X.dataset': 'deepstarr' has 2 tasks; variant effects need a single-task",
        ),
        (
            lambda c: c["variant_effects"].update(fraction=0.5),
            "key 'datasets.k562.fractions': must contain 0.5 for variant_effects",
        ),
        (
            lambda c: c["variant_effects"].update(
                methods=["standard", "dynamic_flip"], fig6_method="standard"
            ),
            "key 'variant_effects.methods': 'dynamic_flip' needs robustness.schemes.flip",
        ),
        (
            lambda c: c["variant_effects"].update(fig6_method="dynamic_evoaug"),
            "key 'variant_effects.fig6_method': 'dynamic_evoaug' is not in variant_effects.methods",
        ),
        (
            lambda c: c["variant_effects"].update(fig6_loci=["PKLR"]),
            "key 'variant_effects.fig6_loci': 'PKLR' is not in variant_effects.loci",
        ),
        (
            lambda c: c["variant_effects"].update(n_students=4),
            "key 'variant_effects.n_students': 4 is more than students.n (3)",
        ),
        (
            lambda c: c["variant_effects"].update(source="local"),
            "key 'variant_effects.local_dir': required with source local",
        ),
        (
            lambda c: c["variant_effects"]["reference"].update(source="download"),
            "key 'variant_effects.reference': source download needs kind genome, a manifest and a file",
        ),
        (
            lambda c: c["variant_effects"].update(sheet="{set}_{locus}"),
            "key 'variant_effects.sheet': only for an .xlsx file",
        ),
        (
            lambda c: c["variant_effects"]["reference"].update(source="local", path="hg19.fa"),
            "key 'variant_effects.reference.source': simulated loci need the simulated reference (simulate), not local",
        ),
        (
            lambda c: (
                c["variant_effects"].update(source="local", local_dir="cagi5"),
                c["variant_effects"]["reference"].update(source="download", manifest="m.tsv", file="hg19.fa"),
            ),
            "key 'variant_effects.reference.file': a downloaded genome must be a .gz FASTA",
        ),
    ],
)
def test_variant_effects_cross_field_errors(test_config, schema, edit, message):
    _assert_cross_field_error(test_config, schema, edit, message)


def _assert_cross_field_error(test_config, schema, edit, message):
    """The tiny config, valid, then ``edit``ed: the checks name the key in ``message``."""
    cfg = copy.deepcopy(test_config)
    validate_config(cfg, schema)
    edit(cfg)
    with pytest.raises(DeguInputError) as exc:
        _check(cfg, schema)
    assert message in str(exc.value)


def test_variant_effects_schema_names_the_key(test_config, schema):
    cfg = copy.deepcopy(test_config)
    cfg["variant_effects"]["stratify"] = {"kind": "both"}
    with pytest.raises(DeguInputError, match=r"variant_effects\.stratify\.kind"):
        validate_config(cfg, schema)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda c: c["atac"]["datasets"]["simatac"].update(source="local"),
            "key 'atac.datasets.simatac.replicates': required with source local",
        ),
        (
            lambda c: c["atac"]["datasets"]["simatac"].update(source="encode"),
            "key 'atac.datasets.simatac.genome_manifest': required with source encode",
        ),
        (
            lambda c: c["atac"]["datasets"]["simatac"].update(genome="hg38.fa"),
            "key 'atac.datasets.simatac.genome': not used with source simulate",
        ),
        (
            lambda c: c["atac"].update(crop=800),
            "key 'atac.datasets.simatac': crop 800 must lie between half the bin size and the bin size (384-768)",
        ),
        (
            lambda c: c["atac"]["model_params"].update(pool_sizes=[8, 8, 16]),
            "key 'atac.datasets.simatac': crop 512 is shorter than the product of the pool sizes [8, 8, 16] (1024)",
        ),
        (
            lambda c: (
                c["atac"].update(engine="wiggletools"),
                c["atac"]["datasets"]["simatac"].update(
                    source="local", replicates=["a.bw", "b.bigwig.gz"], genome="g.fa"
                ),
                c["atac"]["datasets"]["simatac"].pop("simulate"),
            ),
            "key 'atac.datasets.simatac.replicates': 'b.bigwig.gz' must end in .bw, .bigWig or .bigwig for WiggleTools",
        ),
    ],
)
def test_atac_cross_field_errors(test_config, schema, edit, message):
    _assert_cross_field_error(test_config, schema, edit, message)


def test_atac_schema_names_the_key(test_config, schema):
    cfg = copy.deepcopy(test_config)
    cfg["atac"]["datasets"]["simatac"]["tasks"] = ["A", "B"]
    with pytest.raises(DeguInputError, match=r"atac\.datasets\.simatac\.tasks"):
        validate_config(cfg, schema)


def test_atac_dataset_bins_override_only_what_they_name(test_config, schema):
    """A dataset's own `bins` get no schema defaults: what it does not name comes from atac.bins
    (the tiny config's 768-bp bins stay 768 when a dataset only moves its test chromosome)."""
    cfg = copy.deepcopy(test_config)
    cfg["atac"]["datasets"]["simatac"]["bins"] = {"test": ["chr2"]}
    _check(cfg, schema)
    assert cfg["atac"]["datasets"]["simatac"]["bins"] == {"test": ["chr2"]}
    assert cfg["atac"]["bins"]["size"] == 768
    # a partial atac.training keeps the paper's other settings
    cfg = copy.deepcopy(test_config)
    cfg["atac"]["training"] = {"max_epochs": 5}
    _check(cfg, schema)
    assert cfg["atac"]["training"] == {
        "learning_rate": 0.001,
        "batch_size": 100,
        "max_epochs": 5,
        "lr_decay_factor": 0.3,
        "lr_decay_patience": 5,
        "early_stopping_patience": 10,
        "precise_bn": 0,
    }
    cfg["atac"]["model_params"] = {"conv_filter": [8]}
    with pytest.raises(DeguInputError, match=r"atac\.model_params"):
        _check(cfg, schema)
