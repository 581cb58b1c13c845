"""An ensemble model: several model directories that tag together with their averaged per-word probabilities.

An ensemble directory holds ``ner_model.json`` with ``{"backbone": "ensemble", "members": [...]}``:
the member model directories, relative to the ensemble directory (``fold-1``) or absolute.
``load_model`` loads every member (any backbone, another ensemble included); the members
must share one tag set (their columns are put in the first member's order).

For each list of words the members' ``probabilities`` (CRF marginals, transformer
softmax rows; each [words, tags], windows already merged by the member) are averaged,
and the average is decoded once: the valid IOB2 sequence with the highest sum of
log averaged probabilities (``iob2_viterbi``: a Viterbi whose only transition scores are
IOB2's forbidden moves). Averaged marginals are no CRF's marginals, so picking each
word's argmax could join ``O`` to ``I-X``; the constrained decoding never does. Each
chosen tag's score is its averaged probability, as for a single navec model.

``write_ensemble(directory, members)`` writes the info file; ``ner train --folds K``
(``ner.train.folds``) trains K fold models into one such directory.

Left out: weighted members; averaging logits instead of probabilities (members of
different backbones have no common logit scale).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ..errors import UserError
from .base import MODEL_FILE, Prediction, read_model_info, write_model_info

BACKBONE = "ensemble"
FLOOR = 1e-12  # log(0) guard: a tag no member allows still loses to every allowed one


def iob2_allowed(tags: Sequence[str]):
    """``(start[K], moves[K, K])`` boolean arrays of what IOB2 allows: no ``I-X`` first or after a non-X tag."""
    import numpy as np

    n = len(tags)
    start = np.ones(n, dtype=bool)
    moves = np.ones((n, n), dtype=bool)
    for j, tag in enumerate(tags):
        if tag.startswith("I-"):
            start[j] = False
            for i, prev in enumerate(tags):
                moves[i, j] = prev != "O" and prev[2:] == tag[2:]
    return start, moves


def iob2_viterbi(log_probs, tags: Sequence[str]) -> list[int]:
    """The valid IOB2 tag ids maximising the sum of ``log_probs[t, tag]`` (a [T, K] array).

    Ties go to the lower tag id at each step (numpy's argmax), so the result is deterministic.
    """
    import numpy as np

    log_probs = np.asarray(log_probs, dtype=np.float64)
    length = len(log_probs)
    if length == 0:
        return []
    start, moves = iob2_allowed(tags)
    barrier = np.where(moves, 0.0, -np.inf)  # [from, to]
    score = np.where(start, log_probs[0], -np.inf)
    back = np.zeros((length, len(tags)), dtype=np.intp)
    for t in range(1, length):
        cand = score[:, None] + barrier
        back[t] = cand.argmax(0)
        score = cand[back[t], np.arange(len(tags))] + log_probs[t]
    path = [int(score.argmax())]
    for t in range(length - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    path.reverse()
    return path


def decode_average(probs, tags: Sequence[str]) -> Prediction:
    """Valid IOB2 tags from averaged probabilities ``[T, K]``, each with its averaged probability."""
    import numpy as np

    probs = np.asarray(probs, dtype=np.float64)
    path = iob2_viterbi(np.log(np.maximum(probs, FLOOR)), tags)
    return Prediction(tuple(tags[k] for k in path), tuple(float(probs[i, k]) for i, k in enumerate(path)))


class EnsembleModel:
    """Members tagging together (``ner.models.TokenModel``): averaged probabilities, one IOB2 decoding."""

    def __init__(self, members: Sequence, name: str = "ensemble", version: str | None = None):
        if not members:
            raise UserError(f"ensemble {name}: no members")
        first = members[0]
        self.members = list(members)
        self.tags = tuple(first.tags)
        self.labels = tuple(first.labels)
        for m in self.members[1:]:
            if set(m.tags) != set(self.tags):
                raise UserError(f"ensemble {name}: member {m.name} has tags {', '.join(m.tags)}, the first member "
                                f"{first.name} {', '.join(self.tags)}; an ensemble's members need one label set")
        self.columns = [[tuple(m.tags).index(t) for t in self.tags] for m in self.members]
        self.name = name
        self.version = version or f"{name}@" + "+".join(m.version.rsplit("@", 1)[-1] for m in self.members)

    @classmethod
    def load(cls, path, device=None) -> "EnsembleModel":
        from . import load_model

        path = Path(path)
        info = read_model_info(path)
        names = info.get("members")
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise UserError(f"{path}/{MODEL_FILE}: an ensemble needs \"members\": a list of model directories")
        members = []
        for name in names:
            member = Path(name) if Path(name).is_absolute() else path / name
            if not (member / MODEL_FILE).exists():
                raise UserError(f"{path}/{MODEL_FILE}: member {name} is not a model directory ({member}); "
                                f"restore it or remove it from \"members\"")
            members.append(load_model(member, device=device))
        return cls(members, info.get("name") or path.name)

    def probabilities(self, batch: Sequence[Sequence[str]]) -> list:
        """The members' probabilities averaged, float64 ``[words, len(self.tags)]`` per list of words."""
        import numpy as np

        batch = [list(words) for words in batch]
        total = [np.zeros((len(words), len(self.tags))) for words in batch]
        for member, columns in zip(self.members, self.columns):
            for acc, probs in zip(total, member.probabilities(batch), strict=True):
                acc += np.asarray(probs, dtype=np.float64)[:, columns]
        return [acc / len(self.members) for acc in total]

    def predict_with_probabilities(self, batch: Sequence[Sequence[str]]) -> list[tuple[Prediction, "object"]]:
        return [(decode_average(p, self.tags), p) for p in self.probabilities(batch)]

    def predict(self, batch: Sequence[Sequence[str]]) -> list[Prediction]:
        return [p for p, _ in self.predict_with_probabilities(batch)]


def write_ensemble(directory: str | Path, members: Sequence[str | Path], name: str = "") -> Path:
    """Write ``directory/ner_model.json`` naming ``members`` (paths inside ``directory`` are stored relative)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stored = []
    for m in members:
        m = Path(m)
        if not (m / MODEL_FILE).exists():
            raise UserError(f"{m}: not a model directory (no {MODEL_FILE}); an ensemble member must be one")
        try:
            stored.append(str(m.resolve().relative_to(directory.resolve())))
        except ValueError:
            stored.append(str(m.resolve()))
    labels = read_model_info(members[0]).get("labels", [])
    write_model_info(directory, {"backbone": BACKBONE, "name": name or directory.name, "labels": labels,
                                 "members": stored})
    return directory
