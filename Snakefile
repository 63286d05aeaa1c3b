"""gan-bench pipeline: study file -> train each cell x seed -> aggregate (summary.csv).

Rules only: gan_bench.pipeline decides which runs exist and where they land.
    snakemake --cores all --config study=ablations/default.yaml
"""

from snakemake.utils import validate

from gan_bench import pipeline
from gan_bench.study import read_study_file


STUDY = config.get("study", "ablations/default.yaml")
DEVICE = config.get("device", "auto")
PLAN = pipeline.plan(STUDY)  # schema, registry and dataset checks; names the key and file
validate(read_study_file(STUDY), "ablations/schema.yaml", set_default=False)
OUT = PLAN.results_dir


wildcard_constraints:
    cell=r"[A-Za-z0-9_.\-]+",
    seed=r"\d+",


rule all:
    input:
        f"{OUT}/summary.csv",


rule train:
    output:
        run=f"{OUT}/runs/{{cell}}/seed-{{seed}}/run.json",
        generator=f"{OUT}/runs/{{cell}}/seed-{{seed}}/generator.pt",
        samples=f"{OUT}/runs/{{cell}}/seed-{{seed}}/samples.png",
    params:
        study=STUDY,
        device=DEVICE,
        folder=lambda wildcards: PLAN.run_dir(wildcards.cell, wildcards.seed),
    log:
        f"{OUT}/logs/train/{{cell}}/seed-{{seed}}.log",
    threads: 1
    resources:
        gpu=1 if DEVICE == "cuda" else 0,
    conda:
        "envs/gan-bench.yaml"
    shell:
        "gan-bench train {params.study} --cell {wildcards.cell} --seed {wildcards.seed}"
        " --out {params.folder} --device {params.device} --threads {threads} --no-progress"
        " > {log} 2>&1"


rule aggregate:
    input:
        PLAN.run_files("run.json"),
    output:
        summary=f"{OUT}/summary.csv",
        design=f"{OUT}/design.json",
    params:
        study=STUDY,
    log:
        f"{OUT}/logs/aggregate.log",
    conda:
        "envs/gan-bench.yaml"
    shell:
        "gan-bench aggregate {params.study} > {log} 2>&1"
