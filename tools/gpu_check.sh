#!/usr/bin/env bash
# The whole GPU check in one command, for the one call a GPU session makes (bench/README.md, "GPU check"):
#
#   bash tools/gpu_check.sh                 # on the GPU machine: device cuda; results and log into $OUT
#   bash tools/gpu_check.sh --device cpu    # the same steps on a machine without a GPU (a dry run)
#   bash tools/gpu_check.sh --device fakecuda   # the cuda paths on tests/fake_cupy, CuPy's rules on the host
#
# Steps, each with a time limit, the next one running whatever the last one did:
#   1. the machine: nvidia-smi, Python, NumPy, CuPy, PyTorch, the GPU the package sees;
#   2. the package tests with --device (not those that need the built site, Jupyter or jupytext);
#   3. every chapter, from the plain scripts of tools/chapters_to_scripts.py (made beforehand, where
#      jupytext is installed: the GPU machine has none), one PASS/FAIL line each;
#   4. bench/sweep.py --save (chapter 9's batch-size plot), then bench/bench.py --save, on the device.
# Then one summary line per step; the exit status is the number of failed steps. Nothing is installed.
# Files for $OUT (at most 8 come back): gpu_check.log, chapters.log, pytest.xml and the bench results,
# which are moved (not copied) out of bench/results/. Without $OUT they go to .gpu/out/.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD

DEVICE=cuda
while [ $# -gt 0 ]; do
  case $1 in
    --device) DEVICE=${2:?--device needs cpu or cuda}; shift 2 ;;
    --device=*) DEVICE=${1#--device=}; shift ;;
    *) echo "usage: bash tools/gpu_check.sh [--device cpu|cuda|fakecuda]" >&2; exit 2 ;;
  esac
done
case $DEVICE in cpu | cuda | fakecuda) ;; *) echo "--device must be cpu, cuda or fakecuda, got $DEVICE" >&2; exit 2 ;; esac

PYTHON=${PYTHON:-python3}
CHAPTERS=$ROOT/.gpu/chapters
if [ -z "${OUT:-}" ]; then OUT=$ROOT/.gpu/out; rm -rf "$OUT"; fi
mkdir -p "$OUT"
# Absolute: the chapter scripts move to book/ before importing the package.
export PYTHONPATH=$ROOT/src${PYTHONPATH:+:$PYTHONPATH}
PYTEST_DEVICE=$DEVICE
if [ "$DEVICE" = fakecuda ]; then  # everything runs as on a GPU, with the fake as the "cupy" it imports
  DEVICE=cuda PYTEST_DEVICE=fakecuda FAKE=1
  export PYTHONPATH=$ROOT/tests/fake_cupy:$PYTHONPATH
fi
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg PYTHONDONTWRITEBYTECODE=1
# On the GPU, one round of bench.py (the machine is not shared, and the whole check must fit one short
# device call); on the CPU dry run, --quick keeps both bench steps short.
if [ "$DEVICE" = cuda ] && [ -z "${FAKE:-}" ]; then BENCH_ARGS=(--rounds 1); SWEEP_ARGS=(); else
  BENCH_ARGS=(--quick); SWEEP_ARGS=(--quick); fi

SUMMARY=()
FAILED=0
step() {  # step NAME LIMIT_SECONDS COMMAND...: run it, time it, record PASS/FAIL
  local name=$1 limit=$2 start=$SECONDS status verdict
  shift 2
  echo
  echo "=== $name (limit ${limit}s) ==="
  if declare -F "$1" >/dev/null; then
    timeout -k 10 "$limit" bash -c "$*"  # a function of this script (exported below)
  else
    timeout -k 10 "$limit" "$@"
  fi
  status=$?
  if [ $status -eq 0 ]; then verdict=PASS; else
    verdict="FAIL (exit $status$([ $status -ge 124 ] && echo ', over its time limit'))"
    FAILED=$((FAILED + 1))
  fi
  SUMMARY+=("$(printf '%-32s %-40s %4ss' "$name" "$verdict" $((SECONDS - start)))")
  return $status
}

machine() {
  date -u '+%Y-%m-%d %H:%M:%S UTC'
  echo "chapters converted from commit: $(cat "$CHAPTERS/commit.txt" 2>/dev/null || echo 'unknown (no .gpu/chapters)')"
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  else
    echo "nvidia-smi: not on this machine"
  fi
  "$PYTHON" - "$DEVICE" <<'EOF'
import platform, sys
import numpy
print("python", platform.python_version(), sys.executable, "| numpy", numpy.__version__)
try:
    import torch
    print("torch", torch.__version__, "| torch sees CUDA:", torch.cuda.is_available())
except ImportError:
    print("torch: not installed")
import tinygrad_tutorial as tt
from tinygrad_tutorial import backend
print("tinygrad_tutorial from", tt.__file__)
if tt.cuda.is_available():
    import cupy
    name = cupy.cuda.runtime.getDeviceProperties(0)["name"]
    print("cupy", cupy.__version__, "| GPU 0:", name.decode() if isinstance(name, bytes) else name,
          "| CUDA runtime", cupy.cuda.runtime.runtimeGetVersion())
    print("a + b on cuda:", (tt.ones(3, device="cuda") + 1).cpu().tolist())
else:
    print("tinygrad_tutorial sees no GPU:", backend._cupy_or_reason()[1])
    sys.exit(1 if sys.argv[1] == "cuda" else 0)  # on a GPU machine the rest would test the CPU only
EOF
}

chapters() {  # one PASS/FAIL line per chapter; the output of all of them in chapters.log
  if ! ls "$CHAPTERS"/*.py >/dev/null 2>&1; then
    echo "no converted chapters in .gpu/chapters/: run 'python tools/chapters_to_scripts.py' where jupytext"
    echo "is installed, and name .gpu in the device tool's carry list"
    return 1
  fi
  local failed=0 script name start status limit
  : >"$OUT/chapters.log"
  for script in "$CHAPTERS"/*.py; do
    name=$(basename "$script" .py)
    limit=$((CHAPTERS_BUDGET - SECONDS))  # this step's own clock: the step runs in a fresh bash
    [ $limit -gt "$CHAPTER_LIMIT" ] && limit=$CHAPTER_LIMIT
    if [ $limit -le 0 ]; then
      printf 'FAIL  %-24s not run: the chapters used up their %ss\n' "$name" "$CHAPTERS_BUDGET"
      failed=$((failed + 1))
      continue
    fi
    start=$SECONDS
    timeout -k 10 "$limit" "$PYTHON" "$script" >"$OUT/.chapter" 2>&1
    status=$?
    { echo "##### $name (exit $status)"; cat "$OUT/.chapter"; } >>"$OUT/chapters.log"
    if [ $status -eq 0 ]; then
      printf 'PASS  %-24s %4ss\n' "$name" $((SECONDS - start))
    else
      printf 'FAIL  %-24s %4ss  (exit %s%s); its last lines:\n' "$name" $((SECONDS - start)) $status \
        "$([ $status -ge 124 ] && echo ', over its time limit')"
      tail -n 15 "$OUT/.chapter" | sed 's/^/      /'
      failed=$((failed + 1))
    fi
  done
  rm -f "$OUT/.chapter"
  [ $failed -eq 0 ]
}

collect_results() {  # move what this run saved in bench/results/ into $OUT
  local file
  for file in $(find bench/results -maxdepth 1 -newer "$OUT/.started" \( -name '*.json' -o -name '*.md' \)); do
    mv "$file" "$OUT/" && echo "result: $(basename "$file")"
  done
}

export -f machine chapters
export DEVICE PYTHON CHAPTERS OUT
# Time limits in seconds, about twice what each step is expected to take on an H100 (CuPy compiles each
# kernel on first use, and a fresh machine has no kernel cache), summing to 8.5 minutes.
export CHAPTER_LIMIT=${CHAPTER_LIMIT:-90} CHAPTERS_BUDGET=${CHAPTERS_BUDGET:-130}  # one chapter, all of them

main() {
  touch "$OUT/.started"
  step "machine" 30 machine
  step "pytest --device $PYTEST_DEVICE" 200 "$PYTHON" -m pytest -q -p no:cacheprovider -rfEs --device "$PYTEST_DEVICE" \
    --junitxml="$OUT/pytest.xml" tests  # --device leaves out what needs Jupyter or the built site
  step "chapters on $DEVICE" $((CHAPTERS_BUDGET + 20)) chapters
  step "sweep.py --device $DEVICE" 50 "$PYTHON" bench/sweep.py --device "$DEVICE" --save "${SWEEP_ARGS[@]}"
  step "bench.py --device $DEVICE" 80 "$PYTHON" bench/bench.py --device "$DEVICE" --save "${BENCH_ARGS[@]}"
  collect_results
  rm -f "$OUT/.started"
  echo
  echo "=== summary ($DEVICE, ${SECONDS}s) ==="
  printf '%s\n' "${SUMMARY[@]}"
  echo "files in $OUT: $(cd "$OUT" && ls | tr '\n' ' ')"
  return $FAILED
}

main 2>&1 | tee "$OUT/gpu_check.log"
exit "${PIPESTATUS[0]}"
