"""Experiment (reverted with the switches it sets): bench_critic_unseen with a critic variant.

    python bench/critic_variants.py VARIANT [bench_critic_unseen flags]

VARIANT, comma-separated: base; gcv (isotonic calibration folds by original sentence); xfit (with gcv:
each sentence of the corpus scored by the calibration fold's model that never saw it); dedup (an untouched
place weighs 1/rounds, one negative per original candidate); crossfit:K with sym (K critics, each
sentence's rows left out of its scorer); pairs (a third of the retypes to the labels the corpus confuses,
commit cea8d7c); rw:N (retype drawn N times as often as each other corruption).
"""
import os, sys
from pathlib import Path
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT / "bench"))
from ner.quality.critic import model, corrupt
def _main():
    spec = sys.argv.pop(1)
    for part in filter(None, spec.split(",")):
        if part.startswith("crossfit:"):
            model.VARIANT["crossfit"] = int(part.split(":")[1])
        elif part == "dedup":
            model.VARIANT["dedup"] = True
        elif part == "sym":
            model.VARIANT["symmetric"] = True
        elif part == "gcv": model.VARIANT["groupcv"] = True
        elif part == "xfit": model.VARIANT["xfit"] = True
        elif part.startswith("rw:"): corrupt.RETYPE_WEIGHT[0] = int(part[3:])
        elif part == "pairs":
            corrupt.PAIRS[0] = True
        elif part != "base":
            raise SystemExit(f"unknown {part}")
    print("variant", spec, model.VARIANT, corrupt.PAIRS, flush=True)
    import bench_critic_unseen
    sys.exit(bench_critic_unseen.main())


if __name__ == '__main__':
    _main()
