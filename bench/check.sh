#!/usr/bin/env bash
# Times `splitbook check` on generated 1,000- and 10,000-cell notebooks and on
# a "billion laughs" YAML bomb, in a release build. Usage: bash bench/check.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
swift build -c release --product splitbook >/dev/null
bin=$(swift build -c release --show-bin-path)/splitbook
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 bench/gen_notebook.py chain 1000 "$work"
python3 bench/gen_notebook.py chain 10000 "$work"
{
  echo 'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'
  for i in 1 2 3 4 5 6 7 8 9; do
    printf 'a%d: &a%d [' "$i" "$i"; for _ in 1 2 3 4 5 6 7 8 9; do printf '*a%d, ' $((i - 1)); done; printf '*a%d]\n' $((i - 1))
  done
  echo 'cells: *a9'
} > "$work/lol.yaml"

echo "splitbook check, release build, $runs runs each"
m1=$(python3 bench/timeit.py "$runs" "check chain1000" -- "$bin" check "$work/chain1000.yaml" | tee /dev/stderr | awk '{print $NF}')
m10=$(python3 bench/timeit.py "$runs" "check chain10000" -- "$bin" check "$work/chain10000.yaml" | tee /dev/stderr | awk '{print $NF}')
python3 bench/timeit.py "$runs" "check billion-laughs expect-2" -- "$bin" check "$work/lol.yaml" >&2
python3 -c "print(f'ratio 10k/1k: {$m10 / $m1:.1f}x')"
