"""PNG charts of a ``Stats`` report: entities per label, and span lengths per label.

matplotlib is imported inside ``plot_stats`` with the Agg backend (no display
needed), so importing this module costs nothing.

Left out: interactive charts.
"""

from __future__ import annotations

from pathlib import Path


def plot_stats(stats, out_dir: str | Path) -> list[Path]:
    """Write ``labels.png`` and ``lengths.png`` to ``out_dir``; returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    labels = sorted(stats.entities, key=lambda lab: -stats.entities[lab])
    written = []

    fig, ax = plt.subplots(figsize=(max(4, 0.8 * len(labels) + 2), 4))
    ax.bar(labels, [stats.entities[lab] for lab in labels], color="#4363d8")
    ax.set_title("Entities per label")
    ax.set_ylabel("entities")
    ax.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    written.append(out_dir / "labels.png")
    fig.savefig(written[-1], dpi=100)
    plt.close(fig)

    longest = max((max(c) for c in stats.lengths.values()), default=1)
    cap = min(longest, 10)  # spans longer than 10 tokens share the last bar
    xs = list(range(1, cap + 1))
    fig, ax = plt.subplots(figsize=(7, 4))
    bottom = [0] * len(xs)
    for label in labels:
        counts = stats.lengths[label]
        ys = [counts.get(x, 0) if x < cap else sum(v for k, v in counts.items() if k >= cap) for x in xs]
        ax.bar(xs, ys, bottom=bottom, label=label)
        bottom = [b + y for b, y in zip(bottom, ys)]
    ax.set_xticks(xs, [str(x) if x < cap or cap == longest else f"{x}+" for x in xs])
    ax.set_title("Span length (tokens)")
    ax.set_ylabel("entities")
    if labels:
        ax.legend(fontsize="small")
    fig.tight_layout()
    written.append(out_dir / "lengths.png")
    fig.savefig(written[-1], dpi=100)
    plt.close(fig)
    return written


__all__ = ["plot_stats"]
