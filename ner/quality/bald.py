"""BALD for ``ner select --measures bald``: what dropout draws of the model disagree on.

``text_information(model, candidates, seed)`` draws ``DRAWS`` tag distributions per word with the
network's dropout layers on (``LoadedModel.sampled_probabilities``) and scores each text by the
summed mutual information of the draws (``mutual_information``); ``select`` ranks it per word read.
Measured at full strength and not the default (docs/annotating.md).
"""

from __future__ import annotations

from ..errors import UserError

DRAWS = 8  # dropout draws of the bald measure


def check_draws(model) -> None:
    """A ``UserError`` unless ``model`` can draw with dropout on (what the bald measure needs)."""
    if not getattr(getattr(model, "net", None), "dropout_draws_work", False):
        raise UserError(f"{getattr(model, 'name', type(model).__name__)}: a {type(model).__name__} cannot draw "
                        "with dropout (the bald measure needs a trained navec BiLSTM or transformer model); "
                        "choose other --measures")


def mutual_information(draws) -> float:
    """BALD's score of one text (Houlsby et al. 2011; Siddhant & Lipton 2018 for NER): summed over its words,
    the entropy of the dropout draws' mean tag distribution minus the draws' mean entropy, what the draws
    disagree on rather than what each of them is unsure of (a tag the labels themselves leave open,
    LocOrg or Location, keeps every draw unsure and scores low). ``draws``: per draw, the text's
    sentences' ``[words, tags]`` arrays.

    >>> import numpy as np
    >>> round(mutual_information([[np.array([[1.0, 0.0]])], [np.array([[0.0, 1.0]])]]), 4)  # log 2
    0.6931
    >>> mutual_information([[np.array([[0.5, 0.5]])], [np.array([[0.5, 0.5]])]])
    0.0
    """
    import numpy as np

    rows = [np.concatenate([d for d in draw if len(d)]) for draw in draws if any(len(d) for d in draw)]
    if not rows:
        return 0.0
    stack = np.stack(rows)  # [draws, words, tags]

    def entropy(p):
        return -(p * np.log(np.clip(p, 1e-12, 1.0))).sum(-1)

    return float(np.clip(entropy(stack.mean(0)) - entropy(stack).mean(0), 0.0, None).sum())


def per_text(candidates, rows) -> list[list]:
    """``rows`` (one per non-empty sentence of the candidates, in order) cut into each candidate's own."""
    out, k = [], 0
    for c in candidates:
        m = sum(1 for words in c.sentences if words)
        out.append(rows[k:k + m])
        k += m
    return out


def text_information(model, candidates, seed: int, chunk: int = 1024) -> list[float]:
    """``mutual_information`` of each candidate's sentences over ``DRAWS`` dropout draws; each chunk of
    sentences is drawn with its own seed, so no two reuse one random stream."""
    flat = [words for c in candidates for words in c.sentences if words]
    draws: list = []
    for i in range(0, len(flat), chunk):
        part = model.sampled_probabilities(flat[i:i + chunk], DRAWS, seed + i)
        draws = part if not draws else [a + b for a, b in zip(draws, part)]
    texts = [per_text(candidates, draw) for draw in draws]  # [draw][text][sentence]
    return [mutual_information([draw[t] for draw in texts]) for t in range(len(candidates))]
