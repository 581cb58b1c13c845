"""Validation: issue records, the repairs ``--fix`` may make, and the tag checker.

Every problem is an ``Issue`` (path, line, code, severity, message) and every
repair a ``Change`` (path, line, before, after, why). Readers append to a
``Report``; nothing here prints. The codes:

====  =======  ===========================================================
E100  error    file cannot be read
E101  error    binary file
E102  error    empty file (no tokens)
E103  error    bytes that no encoding explains
E110  error    token line with no tag
E111  error    tag of the wrong shape (``B_Model`` is repaired, ``X-Model`` is not)
E112  error    label outside the schema (closest label suggested)
E113  error    I- tag that does not continue an entity of its type
W101  warning  sentence breaks inferred at sentence-final punctuation
W102  warning  tag scheme converted to IOB2 (IOB1, BIOES, BILOU)
W103  warning  file not in UTF-8 (cp1251, koi8-r, UTF-16) decoded as such
W104  warning  mojibake repaired (UTF-8 once decoded as mac_roman/cp1252/latin-1)
W105  warning  whitespace inside a token
W106  warning  control characters in a token
W107  warning  Latin/Cyrillic look-alike letters in one word
W108  warning  a file mixes tag schemes
W109  warning  more than 4 columns (the last one is taken as the tag)
====  =======  ===========================================================
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .bio import parse_tag
from .schema import Schema


@dataclass(frozen=True, slots=True)
class Issue:
    path: str
    line: int
    code: str
    message: str
    fixable: bool = False  # an error that --fix repairs (the message says into what)

    @property
    def severity(self) -> str:
        return "error" if self.code.startswith("E") else "warning"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.severity} {self.code}: {self.message}"


@dataclass(frozen=True, slots=True)
class Change:
    path: str
    line: int
    before: str
    after: str
    why: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.before!r} -> {self.after!r} ({self.why})"


@dataclass
class Report:
    """What reading found: issues, the repairs made, and per-file facts."""

    issues: list[Issue] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    encodings: dict[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.code.startswith("E")]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.code.startswith("W")]

    def summary(self) -> str:
        counts = Counter(i.code for i in self.issues)
        by_code = ", ".join(f"{code} x{n}" for code, n in sorted(counts.items()))
        return (f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)"
                + (f" [{by_code}]" if by_code else ""))


class TagChecker:
    """Checks and repairs the tags of one file, sentence by sentence.

    ``check`` returns the sentence's tags in IOB2 with every unambiguous repair
    applied; a tag that cannot be repaired is returned as it was, with an error.
    Whether an ``I-`` that opens an entity is IOB1 (converted, one warning) or a
    broken IOB2 file (an error per tag) is decided when the file ends (``finish``).
    """

    def __init__(self, path: str, schema: Schema | None, report: Report):
        self.path = path
        self.schema = schema
        self.report = report
        self.iob1_opens: list[Issue] = []  # I-X after O: IOB1 or a broken IOB2 file
        self.b_after_o = 0                  # B-X after O: only IOB2 files do this
        self.bioes = 0
        self.bioes_broken = 0
        self._label_fix: dict[str, tuple[str | None, str | None]] = {}
        self.good: set[str] = set()         # tags seen valid
        self.good_b: set[str] = {"O"}       # O and the B- tags seen valid

    def _label(self, label: str) -> tuple[str | None, str | None]:
        """(repaired label or None, error message or None) for a label outside the schema."""
        if label in self._label_fix:
            return self._label_fix[label]
        names = self.schema.names
        same_case = [n for n in names if n.lower() == label.lower()]
        if len(same_case) == 1:
            result = (same_case[0], None)
        else:
            closest = self.schema.closest(label)
            hint = f"did you mean {closest!r}? " if closest else ""
            result = (None, f"label {label!r} is not in the schema ({', '.join(names)}); {hint}"
                            f"fix the tag or pass --labels with a schema that has it")
        self._label_fix[label] = result
        return result

    def _valid(self, tag: str) -> bool:
        """A tag that needs no repair: B-/I- of a schema label (any label without a schema)."""
        parsed = parse_tag(tag)
        return (parsed.prefix in ("B", "I") and not parsed.fixed and not parsed.problem
                and (self.schema is None or parsed.label in self.schema))

    def check(self, words, tags, line: int) -> list[str]:
        """The sentence's tags in IOB2, repaired where unambiguous; issues and changes reported."""
        good = self.good
        distinct = set(tags)
        if distinct <= self.good_b:  # only O and valid B- tags: valid IOB2 as it stands
            self.b_after_o += len(tags) - tags.count("O")
            return tags
        fast = True
        opened = 0
        prev = "O"
        for tag in tags:  # the common case: valid IOB2, checked in one cheap pass
            if tag != "O":
                if tag not in good:
                    if self._valid(tag):
                        good.add(tag)
                        if tag[0] == "B":
                            self.good_b.add(tag)
                    else:
                        fast = False
                        break
                if tag[0] == "I" and (prev == "O" or prev[2:] != tag[2:]):
                    fast = False
                    break
                if tag[0] == "B" and prev == "O":
                    opened += 1
            prev = tag
        if fast:
            self.b_after_o += opened
            return tags
        return self._check(words, tags, line)

    def _check(self, words, tags, line: int) -> list[str]:
        out = list(tags)
        issue = self.report.issues.append
        change = self.report.changes.append
        prev_prefix, prev_label = "O", ""
        for i, tag in enumerate(tags):
            lineno = line + i if line else 0
            if tag == "O":
                prev_prefix, prev_label = "O", ""
                continue
            if not tag:
                issue(Issue(self.path, lineno, "E110",
                            f"token {words[i]!r} has no tag; add one (O if it is outside any entity)"))
                prev_prefix, prev_label = "O", ""
                continue
            parsed = parse_tag(tag)
            if parsed.problem:
                issue(Issue(self.path, lineno, "E111",
                            f"tag {tag!r} has the wrong shape: {parsed.problem}; write B-LABEL, I-LABEL or O"))
                prev_prefix, prev_label = "O", ""
                continue
            prefix, label = parsed.prefix, parsed.label
            fixed = parsed.fixed or tag
            if parsed.fixed:
                issue(Issue(self.path, lineno, "E111",
                            f"tag {tag!r} has the wrong shape; --fix turns it into {parsed.fixed!r}", True))
                change(Change(self.path, lineno, tag, parsed.fixed, "tag shape"))
            if prefix == "O":
                out[i] = "O"
                prev_prefix, prev_label = "O", ""
                continue
            if self.schema is not None and label not in self.schema:
                repaired, problem = self._label(label)
                if problem:
                    issue(Issue(self.path, lineno, "E112", problem))
                    prev_prefix, prev_label = prefix, label
                    continue
                issue(Issue(self.path, lineno, "E112",
                            f"label {label!r} is not in the schema; --fix turns it into {repaired!r}", True))
                change(Change(self.path, lineno, fixed, f"{prefix}-{repaired}", "label spelling"))
                label = repaired
                fixed = f"{prefix}-{label}"
            continues = prev_label == label and prev_prefix != "O"
            if prefix in "SU":
                self.bioes += 1
                new = f"B-{label}"
            elif prefix in "EL":
                self.bioes += 1
                if not continues:
                    self.bioes_broken += 1
                new = f"I-{label}" if continues else f"B-{label}"
            elif prefix == "B":
                if prev_prefix == "O":
                    self.b_after_o += 1
                new = fixed
            else:  # I
                if continues:
                    new = fixed
                elif prev_prefix == "O":
                    new = f"B-{label}"
                    self.iob1_opens.append(Issue(
                        self.path, lineno, "E113",
                        f"{fixed} after {'O' if i else 'the sentence start'} (expected B-{label}); "
                        f"--fix turns it into B-{label}", True))
                else:
                    issue(Issue(self.path, lineno, "E113",
                                f"{fixed} after {prev_prefix}-{prev_label}: an I- tag must continue an "
                                f"entity of its own type; make it B-{label} or {prev_prefix}-{prev_label} "
                                f"by hand (ambiguous, not fixed)"))
                    new = fixed
            if new != fixed and (prefix in "SUEL" or prefix == "I"):
                change(Change(self.path, lineno, fixed, new, "scheme" if prefix in "SUEL" else "I- opens entity"))
            out[i] = new
            prev_prefix, prev_label = new[0], label
        return out

    def finish(self) -> None:
        """File-level verdicts: IOB1 or BIOES converted (one warning), mixed schemes, broken IOB2."""
        issue = self.report.issues.append
        if self.bioes:
            issue(Issue(self.path, 0, "W102",
                        f"BIOES/BILOU tags found ({self.bioes} S/E/U/L tags); converted to IOB2"))
        if self.iob1_opens and not self.b_after_o:
            issue(Issue(self.path, 0, "W102",
                        f"IOB1 tags found ({len(self.iob1_opens)} entities open with I-); converted to IOB2"))
        else:
            self.report.issues.extend(self.iob1_opens)
        if self.bioes and (self.bioes_broken or self.iob1_opens):
            issue(Issue(self.path, 0, "W108",
                        "the file mixes tag schemes (BIOES tags beside IOB tags); "
                        "check the converted entities, their boundaries may be wrong"))
