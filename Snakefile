"""gan-bench pipeline: study file -> train and score each cell x seed -> aggregate -> report.

A train job scores its run in the same process: a separate score job spent ~7 s starting
Python, torch and torch-fidelity to do ~0.6 s of scoring (benchmarks/RESULTS.md).
`gan-bench score RUN_DIR` rescores a run by hand (e.g. with --extractor inception).

Rules only: gan_bench.pipeline decides which runs exist and where they land. Every job
records its wall time, CPU time and memory under results/<study>/benchmarks/ (Snakemake's
`benchmark:`), which benchmarks/study.py reads.

    snakemake --cores all --config study=ablations/default.yaml
"""

from pathlib import Path

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
        f"{OUT}/report.html",


rule train:
    input:
        evaluator=f"{OUT}/evaluator.json",  # the classifier is ready (and good) before training
    output:
        run=f"{OUT}/runs/{{cell}}/seed-{{seed}}/run.json",
        generator=f"{OUT}/runs/{{cell}}/seed-{{seed}}/generator.pt",
        samples=f"{OUT}/runs/{{cell}}/seed-{{seed}}/samples.png",
        scores=f"{OUT}/runs/{{cell}}/seed-{{seed}}/scores.json",
    params:
        study=STUDY,
        device=DEVICE,
        folder=lambda wildcards: PLAN.run_dir(wildcards.cell, wildcards.seed),
    log:
        f"{OUT}/logs/train/{{cell}}/seed-{{seed}}.log",
    benchmark:
        f"{OUT}/benchmarks/train/{{cell}}/seed-{{seed}}.tsv"
    threads: 1
    priority: lambda wildcards: PLAN.priority(wildcards.cell)  # dearest runs first
    resources:
        gpu=1 if DEVICE == "cuda" else 0,
    conda:
        "envs/gan-bench.yaml"
    shell:
        "gan-bench train {params.study} --cell {wildcards.cell} --seed {wildcards.seed}"
        " --out {params.folder} --device {params.device} --threads {threads} --no-progress"
        " --score > {log} 2>&1"


rule evaluator:
    output:
        f"{OUT}/evaluator.json",
    params:
        study=STUDY,
    log:
        f"{OUT}/logs/evaluator.log",
    benchmark:
        f"{OUT}/benchmarks/evaluator.tsv"
    threads: 2  # once per study; Snakemake caps it at --cores and keeps train jobs off them
    conda:
        "envs/gan-bench.yaml"
    shell:
        "gan-bench evaluator {params.study} --out {output} --threads {threads} > {log} 2>&1"


rule aggregate:
    input:
        PLAN.run_files("run.json"),
        PLAN.run_files("scores.json"),
    output:
        summary=f"{OUT}/summary.csv",
        design=f"{OUT}/design.json",
    params:
        study=STUDY,
    log:
        f"{OUT}/logs/aggregate.log",
    benchmark:
        f"{OUT}/benchmarks/aggregate.tsv"
    conda:
        "envs/gan-bench.yaml"
    shell:
        "gan-bench aggregate {params.study} > {log} 2>&1"


rule report:
    input:
        summary=f"{OUT}/summary.csv",
        design=f"{OUT}/design.json",
    output:
        html=f"{OUT}/report.html",
        tables=multiext(f"{OUT}/tables/ablation", ".md", ".tex", ".html"),
        effects=f"{OUT}/tables/effects.csv",
    params:
        study=STUDY,
        results=lambda wildcards, input: Path(input.summary).parent,
    log:
        f"{OUT}/logs/report.log",
    benchmark:
        f"{OUT}/benchmarks/report.tsv"
    conda:
        "envs/gan-bench.yaml"
    shell:
        "gan-bench report {params.results} --study {params.study} > {log} 2>&1"
