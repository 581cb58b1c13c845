"""The model card (README.md in the model directory): data, labels, scores, and how it was trained.

Left out: anything not known at training time (test scores come from ``ner evaluate``).
"""

from __future__ import annotations


def format_card(config, labels, metrics: dict) -> str:
    dev = metrics["dev"]
    rows = [f"| {name} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {s['support']} |"
            for name, s in dev["labels"].items()]
    for avg in ("micro", "macro"):
        s = dev[avg]
        rows.append(f"| **{avg} avg** | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {s['support']} |")
    words = "navec embeddings (natasha, frozen) + character CNN" + (
        " + dictionary grammemes (pymorphy3)" if getattr(config, "morph", False) else "")
    backbone = {"navec": f"{words} + BiLSTM + CRF", "navec-cnn": f"{words} + word CNN + CRF"}.get(
        config.backbone, f"{config.model} fine-tuned for token classification"
        + (f" with LoRA adapters of rank {config.lora}, merged" if getattr(config, "lora", 0) else ""))
    return "\n".join([
        f"# {config.model_name}",
        "",
        f"Named-entity tagger for Russian text ({backbone}).",
        "",
        "## Data",
        f"- train: `{config.train}` ({metrics['train_sentences']} sentences)",
        f"- dev: `{config.dev or 'held out from train'}` ({metrics['dev_sentences']} sentences)"
        + (f"\n- labels renamed with `--map {config.map}` (other labels became O)" if config.map else ""),
        "",
        "## Labels",
        ", ".join(labels) + " (IOB2 tags)",
        "",
        "## Scores on dev (seqeval, strict IOB2)",
        "| label | precision | recall | F1 | support |",
        "|---|---|---|---|---|",
        *rows,
        "",
        "## Training",
        f"- best epoch {metrics['best_epoch']} of {len(metrics['history'])} run (max {config.epochs}, "
        f"early-stopping patience {config.patience}), seed {config.seed}, {metrics['train_seconds']} s",
        "- full configuration: `train_config.toml`; per-epoch log: `train.log`; scores: `metrics.json`",
        "",
        "## Use",
        "```",
        f"ner evaluate {config.out} corpus.conll",
        f"echo \"Текст для разметки.\" | ner tag --model {config.out}",
        "```",
        "",
    ])
