#!/usr/bin/env bash
# Defaults on small tables (issue 16, item 15): a dense-ae trained at the defaults on ADBench tables, scored by
# `latentlab detect` on each run's own test split (labels not used for training), before and after the
# step-count and output-activation defaults. "before" replays the old defaults explicitly: 20 epochs, sigmoid.
# usage: scripts/small-table-defaults.sh [SEEDS...]   (needs python3 with numpy, and ../shared/data/adbench)
set -euo pipefail
cd "$(dirname "$0")/.."
adbench=../shared/data/adbench
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
latentlab() { node --import tsx src/cli/bin.ts "$@"; }
seeds=("${@:-0 1 2}")
printf '%-12s %-9s %-7s %-6s %s\n' data scaling setting seed AUROC
for name in 4_breastw 18_Ionosphere; do
  python3 scripts/npz-to-csv.py "$adbench/$name.npz" "$out/$name.csv"
  for scaling in minmax standard; do
    for seed in ${seeds[*]}; do
      for setting in before after; do
        extra=()
        [ "$setting" = before ] && extra=(--epochs 20 --set outputActivation=sigmoid)
        run="$out/$name-$scaling-$seed-$setting"
        latentlab train --data "csv:$out/$name.csv" --label-column y --scaling "$scaling" --seed "$seed" \
          "${extra[@]}" --out "$run" >/dev/null 2>&1
        auroc=$(latentlab detect "$run" --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).evaluation.auroc.toFixed(4)))')
        printf '%-12s %-9s %-7s %-6s %s\n' "$name" "$scaling" "$setting" "$seed" "$auroc"
      done
    done
  done
done
