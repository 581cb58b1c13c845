"""A linear-chain CRF in PyTorch: log-likelihood (forward algorithm), Viterbi, and marginals.

Batch-first tensors; ``mask`` marks real positions and must be a prefix (right
padding), with the first position real in every sequence. IOB2 constraints
(no ``I-X`` after ``O``, after the start, or after another label) are fixed
impossible transitions, so decoded tags are always valid IOB2. Marginals come
from forward-backward and give each position's tag probabilities.

``decode`` is the prediction path: Viterbi and marginals together in numpy (the
per-step work on a few hundred numbers costs far less there than as torch ops).
Its Viterbi repeats ``viterbi``'s float32 arithmetic step for step, so the paths
are the same; its forward-backward runs in probability space in float64 with
each step rescaled to sum to one, which gives the marginals directly (the product
of the scaled forward and backward vectors, normalised) without ``log Z``.

Left out: higher-order CRFs; semi-Markov models.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

IMPOSSIBLE = -1e4


def iob2_forbidden(tags) -> tuple[torch.Tensor, torch.Tensor]:
    """(start[T], transitions[T, T]) masks of the moves IOB2 forbids."""
    n = len(tags)
    start = torch.zeros(n, dtype=torch.bool)
    trans = torch.zeros(n, n, dtype=torch.bool)
    for j, tag in enumerate(tags):
        if not tag.startswith("I-"):
            continue
        start[j] = True
        label = tag[2:]
        for i, prev in enumerate(tags):
            if prev[2:] != label or prev == "O":
                trans[i, j] = True
    return start, trans


class CRF(nn.Module):
    def __init__(self, tags):
        super().__init__()
        n = len(tags)
        self.transitions = nn.Parameter(torch.zeros(n, n))
        self.start = nn.Parameter(torch.zeros(n))
        self.end = nn.Parameter(torch.zeros(n))
        start_mask, trans_mask = iob2_forbidden(tags)
        self.register_buffer("start_mask", start_mask, persistent=False)
        self.register_buffer("trans_mask", trans_mask, persistent=False)

    def _scores(self):
        trans = self.transitions.masked_fill(self.trans_mask, IMPOSSIBLE)
        start = self.start.masked_fill(self.start_mask, IMPOSSIBLE)
        return start, trans, self.end

    def _alphas(self, emissions: torch.Tensor, mask: torch.Tensor) -> list[torch.Tensor]:
        start, trans, _ = self._scores()
        alpha = start + emissions[:, 0]
        alphas = [alpha]
        for t in range(1, emissions.shape[1]):
            nxt = torch.logsumexp(alpha.unsqueeze(2) + trans + emissions[:, t].unsqueeze(1), dim=1)
            alpha = torch.where(mask[:, t].unsqueeze(1), nxt, alpha)
            alphas.append(alpha)
        return alphas

    def log_partition(self, emissions, mask):
        return torch.logsumexp(self._alphas(emissions, mask)[-1] + self.end, dim=1)

    def gold_score(self, emissions, tags, mask):
        start, trans, end = self._scores()
        b, length = tags.shape
        mask_f = mask.to(emissions.dtype)
        emit = emissions.gather(2, tags.unsqueeze(2)).squeeze(2)
        score = start[tags[:, 0]] + (emit * mask_f).sum(1)
        if length > 1:
            moves = trans[tags[:, :-1], tags[:, 1:]]
            score = score + (moves * mask_f[:, 1:]).sum(1)
        last = mask.long().sum(1) - 1
        score = score + end[tags[torch.arange(b), last]]
        return score

    def neg_log_likelihood(self, emissions, tags, mask) -> torch.Tensor:
        """Mean negative log-likelihood of the gold tags over the batch."""
        return (self.log_partition(emissions, mask) - self.gold_score(emissions, tags, mask)).mean()

    def marginals(self, emissions, mask) -> torch.Tensor:
        """P(tag at position t) for every position: [B, L, T] (rows of padding are meaningless)."""
        start, trans, end = self._scores()
        alphas = self._alphas(emissions, mask)
        log_z = torch.logsumexp(alphas[-1] + end, dim=1)
        length = emissions.shape[1]
        beta = end.expand_as(alphas[-1])
        betas = [beta]
        for t in range(length - 2, -1, -1):
            prev = torch.logsumexp(trans + (emissions[:, t + 1] + beta).unsqueeze(1), dim=2)
            beta = torch.where(mask[:, t + 1].unsqueeze(1), prev, end.expand_as(prev))
            betas.append(beta)
        betas.reverse()
        alpha = torch.stack(alphas, 1)
        beta = torch.stack(betas, 1)
        return torch.exp(alpha + beta - log_z[:, None, None])

    def viterbi(self, emissions, mask) -> list[list[int]]:
        """The best tag sequence of each item, as lists of the real positions' tag ids."""
        start, trans, end = self._scores()
        score = start + emissions[:, 0]
        pointers = []
        for t in range(1, emissions.shape[1]):
            cand = score.unsqueeze(2) + trans
            best, arg = cand.max(dim=1)
            nxt = best + emissions[:, t]
            keep = mask[:, t].unsqueeze(1)
            score = torch.where(keep, nxt, score)
            pointers.append(torch.where(keep, arg, torch.arange(arg.shape[1]).expand_as(arg)))
        score = score + end
        lengths = mask.long().sum(1).tolist()
        last = score.argmax(1).tolist()
        ptr = torch.stack(pointers, 1).tolist() if pointers else []
        out = []
        for b, n in enumerate(lengths):
            tag = last[b]
            path = [tag]
            for t in range(n - 2, -1, -1):
                tag = ptr[b][t][tag]
                path.append(tag)
            path.reverse()
            out.append(path)
        return out

    def decode(self, emissions: np.ndarray, lengths) -> tuple[np.ndarray, np.ndarray]:
        """Best paths [B, L] and marginals [B, L, T] (float64) from float32 emissions [B, L, T].

        ``lengths`` gives each item's real positions (at least one); what lies past them is
        meaningless. Items are visited shortest first, so step ``t`` touches only the items
        still running (a suffix) and costs what their words cost, not what padding costs;
        every step writes into arrays made once (allocation dominates numpy work this small).
        """
        start, trans, end = (t.detach().float().cpu().numpy() for t in self._scores())
        batch, length, n_tags = emissions.shape
        lengths = np.asarray(lengths)
        order = np.argsort(lengths, kind="stable")
        em = np.ascontiguousarray(emissions[order].transpose(1, 0, 2))  # [L, B, T]
        lens = lengths[order]
        last = lens - 1
        # rows first[t]: are the items longer than t (their position t is real)
        first = np.searchsorted(lens, np.arange(length + 1), side="right")

        # Viterbi: the same float32 sums and maxima as ``viterbi``; pointers are recovered
        # on the way back from the kept scores (the same argmax over the same numbers)
        scores = np.zeros((length, batch, n_tags), dtype=np.float32)
        np.add(start, em[0], out=scores[0])
        moves_in = trans[:, None, :]  # [from, 1, to]
        cand = np.empty((n_tags, batch, n_tags), dtype=np.float32)
        for t in range(1, length):
            lo = first[t]
            np.add(scores[t - 1, lo:].T[:, :, None], moves_in, out=cand[:, lo:])
            np.maximum.reduce(cand[:, lo:], 0, out=scores[t, lo:])
            scores[t, lo:] += em[t, lo:]
        cur = (scores[last, np.arange(batch)] + end).argmax(1)
        paths = np.zeros((batch, length), dtype=np.intp)
        into = np.ascontiguousarray(trans.T)  # into[j]: the moves into tag j
        for t in range(length - 1, -1, -1):
            lo = first[t]
            paths[lo:, t] = cur[lo:]
            if t:
                cur[lo:] = (scores[t - 1, lo:] + into[cur[lo:]]).argmax(1)

        # forward-backward in probability space, rescaled every step
        e = em.astype(np.float64)
        e -= e.max(2, keepdims=True)
        np.exp(e, out=e)
        moves = np.exp(trans.astype(np.float64) - trans.max())  # forbidden moves are exactly 0
        moves_t = np.ascontiguousarray(moves.T)
        final = np.exp(end.astype(np.float64) - end.max())
        final /= final.sum()
        total = np.empty((batch, 1))
        alpha = np.ones((length, batch, n_tags))
        np.multiply(np.exp(start.astype(np.float64) - start.max()), e[0], out=alpha[0])
        alpha[0] /= alpha[0].sum(1, keepdims=True)
        for t in range(1, length):
            lo = first[t]
            a = alpha[t, lo:]
            np.matmul(alpha[t - 1, lo:], moves, out=a)
            a *= e[t, lo:]
            a /= np.sum(a, 1, keepdims=True, out=total[lo:])
        beta = np.ones((length, batch, n_tags))
        beta[length - 1, first[length - 1]:] = final
        step = np.empty((batch, n_tags))
        for t in range(length - 2, -1, -1):
            lo, ending = first[t + 1], first[t]
            b = beta[t, lo:]
            np.multiply(e[t + 1, lo:], beta[t + 1, lo:], out=step[lo:])
            np.matmul(step[lo:], moves_t, out=b)
            b /= np.sum(b, 1, keepdims=True, out=total[lo:])
            beta[t, ending:lo] = final  # items whose last position is t
        probs = alpha * beta
        probs /= probs.sum(2, keepdims=True)
        inverse = np.empty_like(order)
        inverse[order] = np.arange(batch)
        return paths[inverse], probs.transpose(1, 0, 2)[inverse]
