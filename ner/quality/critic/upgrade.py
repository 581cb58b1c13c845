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
import shlex
from pathlib import Path
from typing import Iterable

from .model import INFO_FILE, LEARNED, Critic, same_signals

OWED = "not_carried"   # info: verdicts a critic of other signals held, until their projects are learned again
UNNAMED = "learned_unnamed"   # info: it holds verdicts of projects an older ner did not name


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


def unnamed(info: dict) -> bool:
    """Whether a critic's info holds verdicts of projects it did not name (learned by a version of ner that did not
    record them)."""
    return bool(info.get(UNNAMED)) or (LEARNED not in info and int(info.get("verdicts") or 0) > 0)


def stale_line(directory, info: dict, files: str = "", owed: dict | None = None) -> str:
    """What a run on ``files`` (``source_of``) says when it trains again in place of a critic fitted with other signals (``saved``):
    the verdicts lost, and every project to learn again (``owed``: its own and those an earlier upgrade left)."""
    from .reviewed import KEY

    verdicts, places = int(info.get("verdicts") or 0), len(info.get(KEY) or [])
    lost = f"; its {verdicts} verdict(s) were read with those signals and are not carried over" if verdicts else ""
    if owed:
        lost += (": " if verdicts else "; verdicts it lacked since an earlier upgrade are still not in it: ") + \
            _learn_again(owed, files)
    return (f"critic in {directory} was fitted by another version of ner (its signals differ from this one's): "
            "trained again" + lost + (f"; the {places} place(s) reviewers checked still stand" if places else ""))


def source_of(paths) -> str:
    """What a run read, as its command line gives it: the files, or ``--project T`` for a project's items."""
    paths = sorted(set(paths))
    files = [shlex.quote(p) for p in paths if not p.startswith("project:")]
    return " ".join(files or sorted({"--project " + shlex.quote(p[8:].rsplit("/", 1)[0]) for p in paths}))


def _learn_again(owed: dict, source: str = "") -> str:
    run, same = f"ner critic {source or 'FILES'} --learn", ", with this run's --work and fold settings"
    projects, older = owed.get("projects") or [], owed.get("unnamed")
    if not projects:
        return f"learn their projects again ({run} P{same}; this critic did not record which projects it learned)"
    named = (f"learn {projects[0]!r} again ({run} {shlex.quote(projects[0])}{same})" if len(projects) == 1 else
             "learn " + ", ".join(repr(p) for p in projects) + f" again ({run} P for each{same})")
    return named + (", and the projects it learned before ner recorded their names" if older else "")


def carried(critic: "Critic", old: "Critic | None", stale: dict | None, directory, files: str = "",
            learning: str | Iterable[str] | None = None) -> str:
    """Keep on a critic trained again what ``old`` (a critic of these signals) or ``stale`` (the info of one of
    other signals) leaves it to do: the places reviewers checked and the projects whose verdicts it does not hold
    (``OWED``, until they are learned again: ``relearned``); the line a run on ``files`` prints ("" for none)."""
    from .reviewed import KEY, merged

    if stale is not None:
        critic.info[KEY] = stale.get(KEY) or []
        before = stale.get(OWED) or {}
        projects = set(before.get("projects") or []) | set((stale.get(LEARNED) or []) if stale.get("verdicts") else [])
        if projects or unnamed(stale) or before.get("unnamed"):
            critic.info[OWED] = {"projects": sorted(projects), "unnamed": unnamed(stale) or bool(before.get("unnamed"))}
        return stale_line(directory, stale, files, critic.info.get(OWED))
    if old is not None:   # trained again on a changed corpus, or by changed code: what the old one knew stands
        critic.info[KEY] = merged(old.info.get(KEY), critic.info.get(KEY))
        if LEARNED in old.info or LEARNED in critic.info:
            critic.info[LEARNED] = sorted(set(old.info.get(LEARNED) or []) | set(critic.info.get(LEARNED) or []))
        if unnamed(old.info):
            critic.info[UNNAMED] = True
        if old.info.get(OWED) is not None:
            critic.info[OWED] = old.info[OWED]
    return owed_line(critic, files, learning)


def owed_line(critic: "Critic", files: str = "", learning: str | Iterable[str] | None = None) -> str:
    """A reminder, on every run until they are learned again, of the verdicts an upgrade of ner left out; none in
    a run that is learning one of them (``learning``: a project or several; its summary says so)."""
    owed = critic.info.get(OWED)
    titles = {learning} if isinstance(learning, str) else set(learning or ())
    if not owed or (titles and (titles & set(owed.get("projects") or []) or owed.get("unnamed"))):
        return ""
    return ("verdicts learned by another version of ner are not in the critic (its signals changed): "
            + _learn_again(owed, files))


def relearned(critic: Critic, title: str, held_before: int = 0) -> str:
    """Record that ``critic`` learned project ``title`` (it held ``held_before`` verdicts before); where it owed that
    project (``OWED``), or projects it could not name, the line the summary adds, else ""."""
    if LEARNED not in critic.info and held_before:
        critic.info[UNNAMED] = True          # verdicts of an older ner, whose projects it did not record
    critic.info[LEARNED] = sorted(set(critic.info.get(LEARNED) or []) | {title})
    owed = dict(critic.info.get(OWED) or {})
    projects = [p for p in owed.get("projects") or [] if p != title]
    if title in (owed.get("projects") or []):
        line = f"  {title!r} learned again after an upgrade of ner"
    elif owed.get("unnamed"):
        line = (f"  {title!r} learned; which projects the critic held before an upgrade of ner is not recorded, so "
                "it stops asking: learn each of them again")
        owed["unnamed"] = False
    else:
        return ""
    if projects or owed.get("unnamed"):
        critic.info[OWED] = {"projects": projects, "unnamed": bool(owed.get("unnamed"))}
        return line + f"; {owed_line(critic)}"
    del critic.info[OWED]
    return line
