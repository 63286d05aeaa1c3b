"""The pipeline that chains the stages: the Snakefile and its profiles (package data, so an
installed gan-bench runs anywhere) and `gan-bench run`, which starts Snakemake on them."""
