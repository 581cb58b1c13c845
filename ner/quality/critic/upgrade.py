"""A critic saved by another version of ner: found, trained again in its place, and what that leaves undone.

``code_key()`` names the critic's training code: a critic saved by other code is trained again, not reused.
``saved(directory)`` tells a critic of this version's signals from one of others (its rows cannot be read with
these); ``carried`` keeps on the critic trained again the places reviewers checked and the projects whose verdicts
it lost (``OWED``), which every run names (``owed_line``) until ``ner critic --learn P`` learns them again
(``relearned``).

Left out: reading an old critic's rows with today's signals (they are other numbers; the queue's tasks are read
again in their sentences instead: ``review.read_again``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .model import INFO_FILE, LEARNED, Critic, same_signals

OWED = "not_carried"   # info: verdicts a critic of other signals held, until their projects are learned again


def code_key() -> str:
    """The critic's training code and scikit-learn's version as a short hash: a critic saved by other code is
    trained again rather than reused."""
    import sklearn

    from . import corrupt, cues, model, signals

    h = hashlib.sha256(sklearn.__version__.encode())
    for module in (corrupt, cues, model, signals):
        h.update(Path(module.__file__).read_bytes())
    return h.hexdigest()[:16]


def saved(directory: str | Path) -> tuple[Critic | None, dict | None]:
    """``(critic, stale)``: the critic saved in ``directory`` (None where there is none), or, where it was fitted by
    a version of ner with other signals (its rows cannot be read with these), None and its saved info."""
    directory = Path(directory)
    if not (directory / INFO_FILE).exists():
        return None, None
    try:
        info = json.loads((directory / INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        info = None                     # unreadable: ``load`` says so
    if isinstance(info, dict) and not same_signals(info):
        return None, info
    return Critic.load(directory), None


def stale_line(directory, info: dict) -> str:
    """What a run says when it trains again in place of a critic fitted with other signals (``saved``)."""
    from .reviewed import KEY

    verdicts, places = int(info.get("verdicts") or 0), len(info.get(KEY) or [])
    return (f"critic in {directory} was fitted by another version of ner (its signals differ from this one's): "
            "trained again" + (f"; its {verdicts} verdict(s) were read with those signals and are not carried over: "
                               + _learn_again(info.get(LEARNED)) if verdicts else "")
            + (f"; the {places} place(s) reviewers checked still stand" if places else ""))


def _learn_again(projects) -> str:
    if not projects:
        return "learn their projects again (ner critic FILES --learn P)"
    return "learn " + ", ".join(repr(p) for p in projects) + " again (ner critic FILES --learn P)"


def carried(critic: "Critic", old: "Critic | None", stale: dict | None, directory) -> str:
    """Keep on a critic trained again what ``old`` (a critic of these signals) or ``stale`` (the info of one of
    other signals) leaves it to do: the places reviewers checked and the projects whose verdicts it does not hold
    (``OWED``, until they are learned again: ``relearned``); the line a run prints ("" for none)."""
    from .reviewed import KEY

    if stale is not None:
        critic.info[KEY] = stale.get(KEY) or []
        if int(stale.get("verdicts") or 0) or stale.get(OWED):
            before = (stale.get(OWED) or {}).get("projects")
            critic.info[OWED] = {"projects": sorted(set(stale.get(LEARNED) or []) | set(before or []))
                                 if stale.get(LEARNED) or before else []}
        return stale_line(directory, stale)
    if old is not None:
        critic.info[LEARNED] = sorted(set(old.info.get(LEARNED) or []) | set(critic.info.get(LEARNED) or []))
        if old.info.get(OWED) is not None:
            critic.info[OWED] = old.info[OWED]
    return owed_line(critic)


def owed_line(critic: "Critic") -> str:
    """A reminder, on every run until they are learned again, of the verdicts an upgrade of ner left out."""
    owed = critic.info.get(OWED)
    if owed is None:
        return ""
    return ("verdicts learned by another version of ner are not in the critic (its signals changed): "
            + _learn_again(owed.get("projects")))


def relearned(critic: Critic, title: str) -> str:
    """Record that ``critic`` learned project ``title``; where it owed that project (``OWED``; one whose name an
    older critic did not record is owed by any project), the line the summary adds, else ""."""
    critic.info[LEARNED] = sorted(set(critic.info.get(LEARNED) or []) | {title})
    owed = critic.info.get(OWED)
    if owed is None or (owed.get("projects") and title not in owed["projects"]):
        return ""
    left = [p for p in owed.get("projects") or [] if p != title]
    if left:
        critic.info[OWED] = {"projects": left}
    else:
        del critic.info[OWED]
    return f"  {title!r} learned again after an upgrade of ner" + (f"; {owed_line(critic)}" if left else "")
