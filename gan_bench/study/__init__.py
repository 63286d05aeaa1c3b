"""Stage 1, plan: the trick registry, study files and their validation, designs (which
cells a study has), the cost model and the run plan the Snakefile follows. Torch-free, so
that every Snakemake start and every CLI check stays fast."""
