"""spaCy DocBin (``.spacy``): one ``Doc`` per sentence, entities as ``doc.ents``.

Docs are built on ``spacy.blank("ru")``'s vocab from the sentence's words, with
``spaces`` taken from the token offsets (a space after a word when the next
word does not touch it), so ``doc.text`` is the sentence text and every token
reads back exactly. Entities come from the IOB2 tags as token spans;
neighbouring entities of one type stay two (``B-X B-X``). ``user_data`` holds
the sentence ``id``, the ``document`` id and ``docstart``, so documents survive
CoNLL -> .spacy -> CoNLL. One Doc per sentence is also what ``spacy convert``
writes by default.

Reading a DocBin made elsewhere: without ``user_data`` all docs form one
document; a Doc with sentence boundaries is split at them, and whitespace
tokens (spaCy's way of keeping extra spaces) outside entities are skipped.

Left out: runs of several spaces between words (a Doc keeps one space per
word; the tokens, not the spacing, are what CoNLL holds).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator

from ..bio import spans_tags, tags_spans
from ..check import Report, TagChecker
from ..errors import UserError
from ..records import Document, Sentence
from ..schema import Schema
from .registry import checked_tags

_MARK = "ner.sentence"  # user_data key that says a Doc was written here


def _vocab():
    import spacy

    return spacy.blank("ru").vocab


def sentence_doc(vocab, sentence: Sentence, document: Document, index: int):
    """The spaCy Doc of one sentence; tags that spans cannot represent raise UserError."""
    from spacy.tokens import Doc, Span

    ranges = tags_spans(sentence.tags)
    valid = spans_tags(len(sentence), ranges)
    if valid != list(sentence.tags):
        k = next(k for k, (a, b) in enumerate(zip(valid, sentence.tags)) if a != b)
        tag, before = sentence.tags[k], sentence.tags[k - 1] if k else "O"
        where = f"{document.path}:{sentence.line + k}" if document.path and sentence.line else \
            f"sentence {sentence.id or index} of {document.id}, word {k + 1} ({sentence.words[k]!r})"
        fix = (f"make it B-{tag[2:]} or I-{before[2:]} by hand "
               f"(ner validate --fix cannot tell which)" if before != "O" else
               f"'ner validate --fix' turns it into B-{tag[2:]}")
        raise UserError(f"{where}: {tag} after {before} does not continue an entity of its type, and a DocBin "
                        f"holds only valid IOB2; {fix}")
    offsets = sentence.token_offsets
    spaces = [a[1] < b[0] for a, b in zip(offsets, offsets[1:])] + [False]
    doc = Doc(vocab, words=list(sentence.words), spaces=spaces)
    doc.ents = [Span(doc, i, j, label=label) for i, j, label in ranges]
    doc.user_data[_MARK] = True
    doc.user_data["id"] = sentence.id or f"{document.id}:{index}"
    doc.user_data["document"] = document.id
    doc.user_data["docstart"] = bool(document.meta.get("docstart"))
    return doc


def dump_spacy(documents: Iterable[Document], path: str | Path) -> int:
    """Write a DocBin with one Doc per sentence; returns the number of sentences."""
    from spacy.tokens import DocBin

    from srsly.msgpack import Packer

    vocab = _vocab()
    # DocBin.add packs each Doc's user_data with a fresh msgpack packer, which looks up
    # plugins every time; one packer for all of them writes the same bytes without that cost.
    doc_bin = DocBin(store_user_data=False)
    packer = Packer(use_bin_type=True)
    user_data = []
    count = 0
    for document in documents:
        for index, sentence in enumerate(document.sentences, 1):
            doc = sentence_doc(vocab, sentence, document, index)
            doc_bin.add(doc)
            user_data.append(packer.pack(doc.user_data))
            count += 1
    doc_bin.store_user_data = True
    doc_bin.user_data = user_data
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc_bin.to_disk(path)
    return count


def _doc_sentences(doc, where: str):
    """(words, tags, text, offsets) for each sentence of a Doc."""
    ours = doc.user_data.get(_MARK, False)
    bounds = [(0, len(doc))]
    if not ours and doc.has_annotation("SENT_START"):
        bounds = [(s.start, s.end) for s in doc.sents]
    tags = spans_tags(len(doc), [(e.start, e.end, e.label_) for e in doc.ents])
    for a, b in bounds:
        if tags[a].startswith("I-"):
            raise UserError(f"{where}: an entity crosses the sentence boundary at token {a}")
        keep = [i for i in range(a, b) if ours or not doc[i].is_space or tags[i] != "O"]
        if not keep:
            continue
        base = doc[keep[0]].idx
        text = doc.text[base:doc[keep[-1]].idx + len(doc[keep[-1]].text)]
        yield ([doc[i].text for i in keep], [tags[i] for i in keep], text,
               tuple((doc[i].idx - base, doc[i].idx - base + len(doc[i].text)) for i in keep))


def load_spacy(path: str | Path, *, schema: Schema | None = None,
               report: Report | None = None) -> Iterator[Document]:
    """The documents of a ``.spacy`` DocBin (see the module docstring)."""
    from spacy.tokens import DocBin

    report = report if report is not None else Report()
    path = str(path)
    try:
        doc_bin = DocBin().from_disk(path)
    except OSError as e:
        raise UserError(f"{path}: cannot read the file ({e.strerror or e}); check the path") from None
    except Exception as e:  # srsly/msgpack raise several kinds on a file that is not a DocBin
        raise UserError(f"{path}: not a spaCy DocBin ({type(e).__name__}); pass a .spacy file") from None
    from srsly.msgpack import Unpacker

    # As in dump_spacy: one unpacker for all user_data instead of a fresh one per Doc.
    packed, doc_bin.user_data = doc_bin.user_data, []
    unpacker = Unpacker(raw=False)
    stem = Path(path).stem
    checker = TagChecker(path, schema, report)
    current, docstart, sentences = None, False, []
    for index, doc in enumerate(doc_bin.get_docs(_vocab()), 1):
        if index <= len(packed) and packed[index - 1] is not None:
            unpacker.feed(packed[index - 1])
            doc.user_data.update(unpacker.unpack())
        for part, (words, tags, text, offsets) in enumerate(_doc_sentences(doc, f"{path}: doc {index}")):
            default_id = f"{stem}:{index}" + (f".{part + 1}" if part else "")
            sentence_id = str(doc.user_data.get("id", default_id)) if not part else default_id
            sentence = Sentence(tuple(words), tuple(checked_tags(checker, report, words, tags, 0)), 0,
                                sentence_id, text, offsets)
            doc_id = str(doc.user_data.get("document", stem))
            if doc_id != current and sentences:
                yield Document(current, tuple(sentences), path, {"docstart": docstart})
                sentences = []
            if not sentences:
                current = doc_id
                docstart = bool(doc.user_data.get("docstart", False))
            sentences.append(sentence)
    if sentences:
        yield Document(current, tuple(sentences), path, {"docstart": docstart})
    checker.finish()


__all__ = ["dump_spacy", "load_spacy", "sentence_doc"]
