#!/usr/bin/env bash
# Installs what the cluster test needs (idempotent; quiet unless something fails):
# Slurm and munge from Debian (Slurm 22.05 on Debian 12) and Snakemake's SLURM executor
# plugin into the project's virtualenv (the `slurm` extra). Starts nothing: the test
# starts its own one-node cluster (.ci/slurm/cluster.py) and stops it again.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV_PYTHON=${VENV_PYTHON:-.venv/bin/python}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
run() { "$@" >"$log" 2>&1 || { cat "$log" >&2; echo "install.sh: failed: $*" >&2; exit 1; }; }

missing=()
for tool in munged slurmctld slurmd sbatch squeue scontrol scancel sinfo; do
    PATH="$PATH:/usr/sbin:/sbin" command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
    [ "$(id -u)" = 0 ] || { echo "install.sh: need root to apt-get install slurm-wlm munge" >&2; exit 1; }
    run apt-get update -qq
    # where systemd runs, Debian also starts its own munged: harmless, the test cluster has
    # its own key and socket (and no slurm.conf exists for Debian's slurmctld/slurmd)
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        slurm-wlm munge
fi
if ! "$VENV_PYTHON" -c 'import snakemake_executor_plugin_slurm' 2>/dev/null; then
    run "$VENV_PYTHON" -m pip install --quiet -c constraints.txt -e '.[slurm]'
fi
export PATH="$PATH:/usr/sbin:/sbin"
echo "install.sh: $(slurmctld -V), $(munged -V | awk '{print $1}')," \
     "snakemake-executor-plugin-slurm $("$VENV_PYTHON" -c 'from importlib.metadata import version; print(version("snakemake-executor-plugin-slurm"))')"
