# The pipeline ships inside the package (gan_bench/workflow/Snakefile), so that an installed
# gan-bench runs it from any folder; this file lets `snakemake` find it from the repo root:
#   snakemake --cores all --config study=ablations/default.yaml
include: "gan_bench/workflow/Snakefile"


rule repo_all:  # an included file sets no default target: the first rule here is it
    input:
        rules.all.input,
