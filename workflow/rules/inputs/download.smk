# Input functions of rules/download.smk.


def owns_raw(name):
    """Whether the dataset fetches/simulates its own raw files (no raw_from)."""
    return "raw_from" not in DATASETS[name]


def datasets_with_source(source, assay=None):
    return [
        name
        for name, d in DATASETS.items()
        if d["source"] == source
        and owns_raw(name)
        and (assay is None or d["assay"] == assay)
    ]


def manifest_files():
    """Every file named in the manifests of the download datasets."""
    from degu.assays.download import read_manifest

    return sorted(
        {
            f
            for ds in datasets_with_source("download")
            for f in read_manifest(project_path(DATASETS[ds]["manifest"])).index
        }
    )


def archive_members():
    """{extracted file name: (dataset owning the raw dir, archive file, member)}."""
    out = {}
    for name, d in DATASETS.items():
        if "archive" in d:
            owner = d.get("raw_from", name)
            out[d["files"]["h5"]] = (
                owner,
                d["archive"]["file"],
                d["archive"]["member"],
            )
    return out
