"""Detokenization: the text of razdel tokens as a person most likely wrote it.

A CoNLL file keeps words, not the spaces between them; Label Studio shows a text. ``detokenize``
decides each gap (one space or none) from the two words around it and a little state: straight
quotes, backtick code spans and ``**``/``*``/``__``/``~~`` emphasis open and close in pairs; a URL
(``https`` ``:`` ``/`` ``/`` ...) runs without spaces; a markdown heading (``#`` at the start), a
table rule (``|---|:---:|``), a time (``10:02:33``), a number split in tokens (``2 . 5``), a file
name (``config . yaml``), a call (``from_pretrained (``), a flag (``--lr``), a mention (``@anna``)
and a model size (``Qwen`` ``2.5-7`` ``B-Instruct``) are written as one. A gap left without a space
must be one razdel splits by itself (razdel of the joined words gives the same words back), so a
joined text re-tokenizes into the words it came from.

On the team's written corpus (``corpora/src/``, 4,409 sentences) the text comes back exactly for 96.3%
of the sentences (57.2% before this module, sacremoses 55.5%; ``bench/bench_detok.py``).

Left out: spacing that is a matter of taste (``Qwen 2`` and ``Qwen2`` are both written); paragraph
breaks; the original's own whitespace where a source has it (use the source's text then).
"""

from __future__ import annotations

import re

_CLOSING = frozenset(".,:;!?)]}»…”") | {"...", "?!", "!?", "!!", "??"}
_OPENING = frozenset("([{«„“")
_QUOTES = frozenset("\"'")
_PAIRED = frozenset({"**", "*", "__", "~~", "_"})  # emphasis marks: open before a word, close after one
_ASCII_WORD = re.compile(r"[A-Za-z0-9_][\w.+-]*\Z", re.ASCII)
_IDENT = re.compile(r"[A-Za-z_][\w.]*\Z", re.ASCII)
_LOWER_START = re.compile(r"[a-z_]")
_RULE_CELL = re.compile(r"\||:?-{2,}:?|:\Z")
_SIZE = re.compile(r"[A-Za-z](?![A-Za-z])")  # 7 B, 4 o-mini, 8 x 7: a letter glued to a number
_CAMEL_END = re.compile(r"[a-z][A-Z]\Z|[A-Z]v\Z")  # ruT5, mT5, YOLOv8, LayoutLMv3
# Stems written together with their number (word2vec, bf16, rubert-tiny2, pymorphy2, Collection5, oasst1, Qwen2)
_GLUED_STEMS = frozenset({"word", "bf", "fp", "int", "tiny", "pymorphy", "collection", "oasst", "gsm", "mp", "qwen",
                          "iob", "smollm"})
_FILE = re.compile(r"(?:^|\.)(?:jsonl?|csv|txt|conll|py|md|ya?ml|parquet|pt|bin|gguf|safetensors)\Z")
_CAMEL = re.compile(r"[A-Z]\w*[a-z][A-Z]")  # OutOfMemoryError
_ABBREVIATIONS = frozenset({"см", "т", "е", "др", "пр", "напр", "ср", "им", "г", "гг", "рис", "табл", "стр"})
_TIME_PART = re.compile(r"\d{1,2}\Z")


def _url_words(words) -> set[int]:
    """Indices of the words inside a URL (after ``scheme`` ``:`` ``/`` ``/``, up to a non-ASCII word)."""
    inside, n = set(), len(words)
    for i in range(n - 3):
        if words[i + 1] == ":" and words[i + 2] == "/" and words[i + 3] == "/" and words[i].isascii():
            j = i + 1
            while j < n and words[j].isascii() and words[j] not in (")", "]", ">", ",", ";", '"', "|", "`") \
                    and not (words[j] in (".", ":", "!", "?") and (j + 1 == n or not words[j + 1].isascii())):
                inside.add(j)
                j += 1
    return inside


def _rule_runs(words) -> set[int]:
    """Indices of the words of a markdown table rule (``|---|:---:|``) written inside a line."""
    inside, i, n = set(), 0, len(words)
    while i < n:
        j = i
        while j < n and _RULE_CELL.fullmatch(words[j]):
            j += 1
        run = words[i:j]
        if "|" in run and any("--" in w for w in run) and j - i >= 3:
            inside.update(range(i, j))
        i = max(j, i + 1)
    return inside


def _glued(words, k: int, open_marks: dict) -> bool | None:
    """True: no space between ``words[k-1]`` and ``words[k]``; False: a space; None: no rule says."""
    prev, word = words[k - 1], words[k]
    before = words[k - 2] if k >= 2 else ""
    after = words[k + 1] if k + 1 < len(words) else ""
    if open_marks.get("`") and (prev == "<" or word == ">"):
        return True  # `<PHONE>`
    if prev == "[" and word == "]":
        return False  # a task box: - [ ]
    if word == "." and (after == "/" and prev not in ("~", "/") or _dotfile(prev, after)):
        return False  # в .env, через .to(device), -v ./models
    if word in _CLOSING and word not in _PAIRED or prev in _OPENING or word == "(" and prev == "]":
        return True  # also a link's ']('
    if word == "`" or prev == "`":  # a run of backticks is one mark (``` or `): glued inside, and to the code
        return prev == word or open_marks.get("`", False)  # it opens (after it) or closes (before it)
    if word in _PAIRED or prev in _PAIRED:
        if word in _PAIRED and prev in _PAIRED:
            return True
        if word in _PAIRED:
            return open_marks.get(word, False)
        return open_marks.get(prev, False)  # after an opening mark: glued
    if word == "=" or prev == "=":  # r=16, f(x=1), attn="sdpa", but df = pd.read_csv(...)
        value = after if word == "=" else word
        return open_marks.get("(", 0) > 0 or value[:1].isdigit() or value in ("True", "False", "None", "(", "[")
    if word in _QUOTES:
        if word == "'" and _apostrophe(prev, after) and not open_marks.get("'"):
            return True  # PyTorch'е
        return open_marks.get(word, False)
    if prev in _QUOTES:
        if prev == "'" and _apostrophe(before, word) and not open_marks.get("'"):
            return True
        return open_marks.get(prev, False)
    if word == "%":
        return not prev[-1:].isdigit()  # 71 %, as Russian typography writes it
    if prev == "#" and word == "#":
        return True
    if prev == "#":
        return word[:1].isalnum() and any(w != "#" for w in words[:k])  # '## Итоги' (a heading), '#ml-help', '#4812'
    if word == "@":
        return bool(_ASCII_WORD.match(prev)) and bool(after) and bool(_ASCII_WORD.match(after))
    if prev == "@":
        return True
    if prev == "." and before[-1:].isdigit() and word.isdigit():
        return True  # 2 . 5
    if prev == "." and (word == "/" or _ASCII_WORD.match(word) and not (k == 2 and before.isdigit())
                        and _name_after_dot(before, word)):
        return True  # config . yaml, llama . cpp, torch . cuda . OutOfMemoryError, в . env, ~/. cache
    if prev == ":" and _TIME_PART.match(before) and word.isdigit():
        return True  # 10:02
    if word == ":" and prev.isdigit() and after.isdigit():
        return True
    if prev == ":" and word == "/":
        return True
    if word == "(" and _IDENT.match(prev) and not (_FILE.search(prev) and (before == "." or "." in prev)) \
            and (after in (")", '"', "'") or "." in prev or "_" in prev or before in (".", "=")):
        return True  # from_pretrained("..."), OpenAI()
    if prev == "--" and _ASCII_WORD.match(word):
        return True  # --lr
    if prev in ("~", "×", "+", "$") and word[:1].isdigit() or prev == "~" and word == "/" or prev == word == "&":
        return True  # ~120 ГБ, ×3, +3, $2.50, ~/, &&
    if word == "+" and (after == "+" or prev == "+" or not after or not after[:1].isalnum()):
        return prev[-1:].isalnum() or prev == "+"
    if word == "/" or prev == "/":
        other = prev if word == "/" else word
        return other.isascii() and other[:1].isalnum()
    if prev[-1:].isdigit() and "," not in prev and _SIZE.match(word) and not (word.isupper() and after[:1].isdigit()):
        return True  # 7B, 4o-mini, 8x7B
    if prev.isascii() and prev.isalpha() and len(prev) == 1 and word[:1].isdigit() and (
            prev == "x" or not before[-1:].isdigit()):
        return True  # A100, F1, v0.2
    if prev[-1:].isascii() and prev[-1:].isalpha() and word[:1].isdigit():
        return _version_glued(prev, word, after)
    return None


def _version_glued(prev: str, word: str, after: str) -> bool:
    """Whether a name and the number after it are one word: 'rubert-tiny2', 'YOLOv8', 'Qwen2.5-7B', 'GSM8K'
    but 'Llama 3', 'Apache 2.0', 'RTX 4090'."""
    if prev.startswith("-"):
        return False  # a flag and its value: -p 8080
    stem = re.split(r"[-_]", prev)[-1]
    if len(stem) == 1 and "," not in word or _CAMEL_END.search(prev) or stem.lower() in _GLUED_STEMS:
        return True  # multilingual-e5, support_v3, mT5, DINOv2, int8
    if re.match(r"\d[\d.]*-", word):
        return True  # Qwen2.5-7, StarCoder2-15
    return prev.isupper() and (len(prev) <= 2 and word.isdigit() or len(after) == 1 and bool(_SIZE.fullmatch(after)))


def _name_after_dot(before: str, word: str) -> bool:
    """Whether ``before . word`` is one name (a file, a module path, a host), not a sentence end."""
    return before[-1:] in ("/", ")") or _dotfile(before, word) or before[-1:].isalnum() and bool(_FILE.fullmatch(word)) \
        or before[-1:].isascii() and before[-1:].isalnum() and bool(_LOWER_START.match(word) or _CAMEL.match(word))


def _dotfile(prev: str, after: str) -> bool:
    """A dot that starts a name after a Russian word: 'в .env', 'через .to(device)' (not 'см. issue')."""
    return prev[-1:].isalpha() and not prev[-1:].isascii() and prev.lower() not in _ABBREVIATIONS \
        and re.match(r"[a-z_][\w-]*\Z", after, re.ASCII) is not None and not _FILE.fullmatch(after)


def _apostrophe(prev: str, after: str) -> bool:
    """A Latin name and its Russian ending (PyTorch'е, Hugging Face'а), an English contraction (can't)."""
    return prev[-1:].isascii() and prev[-1:].isalpha() and (
        bool(re.match("[а-яё]", after)) or after in ("t", "s", "re", "ll", "ve", "d", "m"))


def _razdel_splits(left: str, right: str) -> bool:
    """Whether razdel splits ``left + right`` between the two (a space there would change nothing)."""
    from razdel import tokenize

    return any(t.start == len(left) for t in tokenize(left + right))


def detokenize(words) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The text of ``words`` as a person writes it, and each word's ``(start, end)`` in it.

    >>> detokenize(["Через", "2", ".", "5", "минуты", "файл", "некий", ".", "bin", "(", "v2", ")", "готов", "."])[0]
    'Через 2.5 минуты файл некий.bin (v2) готов.'
    >>> detokenize(["Он", "сказал", '"', "да", '"', ",", "и", "ушёл"])[0]
    'Он сказал "да", и ушёл'
    >>> detokenize(["#", "#", "Qwen", "2.5-7", "B-Instruct", ":", "https", ":", "/", "/", "qwen", ".", "ai"])[0]
    '## Qwen2.5-7B-Instruct: https://qwen.ai'
    """
    words = list(words)
    url, rule = _url_words(words), _rule_runs(words)
    parts, offsets, pos = [], [], 0
    open_marks: dict = {}
    for k, word in enumerate(words):
        if k:
            if k in url and k - 1 in url or k in rule and k - 1 in rule:
                glued = True
            else:
                glued = bool(_glued(words, k, open_marks))
            if glued and not _razdel_splits(words[k - 1][-12:], word[:12]):
                glued = False
            if not glued:
                parts.append(" ")
                pos += 1
        _track(open_marks, words, k)
        parts.append(word)
        offsets.append((pos, pos + len(word)))
        pos += len(word)
    return "".join(parts), tuple(offsets)


def _track(open_marks: dict, words, k: int) -> None:
    """Open or close the pair ``words[k]`` belongs to (a run of backticks counts once)."""
    word = words[k]
    if word == "`":
        if k == 0 or words[k - 1] != "`":
            open_marks["`"] = not open_marks.get("`", False)
    elif word in _PAIRED or word in _QUOTES:
        if word == "'" and 0 < k < len(words) - 1 and _apostrophe(words[k - 1], words[k + 1]) \
                and not open_marks.get("'"):
            return  # an apostrophe
        if word == "*" and k == 0 and words.count("*") % 2:
            return  # a list marker
        open_marks[word] = not open_marks.get(word, False)
    elif word in "([{":
        open_marks["("] = open_marks.get("(", 0) + 1
    elif word in ")]}":
        open_marks["("] = max(open_marks.get("(", 0) - 1, 0)
