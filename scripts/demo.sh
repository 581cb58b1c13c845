#!/usr/bin/env bash
# The main job end to end on the bundled corpora, offline: validate and repair,
# report, split, export, train the navec model, evaluate it, tag text (a sentence,
# a markdown table, a chat turn), pre-annotate with the lexicon alone, and compare
# model and lexicon on the held-out split.
# Corpora: the user's seed (corpora/ml_ru_seed.conll, as handed over) and the team's
# written corpus (corpora/ml_ru_written.conll, ~33k tokens in chat, markdown, tutorial,
# news and abstract registers); see corpora/README.md. Lexicons: annotation/lexicons/.
# Everything is written under out/demo/ (gitignored); models/default is the trained model.
set -euo pipefail
cd "$(dirname "$0")/.."
NER=.venv/bin/ner
OUT=out/demo
rm -rf "$OUT" && mkdir -p "$OUT"

step() { printf '\n== %s\n' "$*"; }

step "1. validate the corpora as handed over (exit 1 would mean errors)"
$NER validate corpora/ml_ru_seed.conll corpora/ml_ru_written.conll

step "2. repair it: every change is listed"
$NER validate corpora/ml_ru_seed.conll --fix "$OUT/seed.conll"

step "3. corpus report"
$NER stats "$OUT/seed.conll" corpora/ml_ru_written.conll --plots "$OUT/plots"

step "4. seeded split by document, every label in every split"
$NER split "$OUT/seed.conll" corpora/ml_ru_written.conll --out "$OUT/split" --seed 13

step "5. exports: JSONL, CSV, Hugging Face dataset, spaCy DocBin"
$NER convert "$OUT/seed.conll" "$OUT/seed.jsonl"
$NER convert "$OUT/seed.conll" "$OUT/seed.csv"
$NER convert "$OUT/seed.conll" "$OUT/seed_hf" --to hf
$NER convert "$OUT/seed.conll" "$OUT/seed.spacy"

if [ -f ner/commands/train.py ]; then
  step "6. train the offline navec model (natasha's bundled embeddings, no downloads)"
  $NER train --backbone navec --train "$OUT/split/train.conll" --dev "$OUT/split/dev.conll" \
      --out models/default --epochs 25 --patience 5 --batch-size 16 --seed 13 \
      --lexicon-parts --o-bias 0.5 --lexicon-boost 4  # the lists' words as a feature, decode-time priors (README, "Names the model never saw")

  step "7. evaluate on the held-out split (strict seqeval, IOB2)"
  $NER evaluate models/default "$OUT/split/test.conll" --errors "$OUT/errors.txt"
fi

SAMPLES="$OUT/samples.txt"
cat > "$SAMPLES" <<'EOF_SAMPLES'
Яндекс выложил YaLM 100B в 2022 году, а OpenAI обучила GPT-4 на датасете Common Crawl.
| 1 | **LoRA** | дообучение адаптеров в PyTorch'е, см. [PEFT](https://huggingface.co/docs/peft) |
SP_1: короче, берём gpt-4o-mini-2024-07-18 от OpenAI и делаем RAG по базе, а DPO потом
EOF_SAMPLES

if [ -f ner/commands/tag.py ] && [ -d models/default ]; then
  step "8. tag a sentence, a markdown table row and a chat turn with the model"
  $NER tag --model models/default "$SAMPLES"
fi

if [ -f ner/commands/tag.py ] && $NER tag --help | grep -q -- "--lexicon"; then
  step "9. pre-annotate the same lines with the lexicon alone (no model)"
  $NER tag --lexicon "$SAMPLES"
fi

if [ -d models/default ]; then
  step "10. model, lexicon and both on the held-out split (strict F1 per label)"
  .venv/bin/python bench/bench_lexicon.py --test "$OUT/split/test.conll" --model models/default
fi
printf '\ndemo done: outputs in %s, model in models/default\n' "$OUT"
