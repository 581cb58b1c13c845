"""Corrections written back into CoNLL text at their lines: only the tag fields change."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from ner.bio import tags_spans, to_iob2
from ner.formats.retag import Retag, describe, retag_text

TAGS = ("O", "B-PER", "I-PER", "B-LOC")
token = st.text(alphabet="абвёйZ9-😀.", min_size=1, max_size=5)
word_line = st.tuples(token, st.sampled_from(["\t", " ", "  ", " \t"]), st.sampled_from(["", "-X- _ "]),
                      st.sampled_from(TAGS), st.sampled_from(["", " ", "\t"]), st.sampled_from(["\n", "\r\n"]))


def render(sentences, tags_of) -> str:
    """The reference: each word line written from its parts, ``tags_of(k)`` giving sentence k's tags."""
    out = []
    for k, (comment, words) in enumerate(sentences):
        if comment:
            out.append("# комментарий\n")
        for (tok, sep, middle, _, trail, end), tag in zip(words, tags_of(k)):
            out.append(f"{tok}{sep}{middle}{tag}{trail}{end}")
        out.append(words[-1][5])
    return "".join(out)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.lists(word_line, min_size=1, max_size=5)), min_size=1, max_size=5),
       st.sampled_from(["iob2", "iob1", "bioes", "bilou"]), st.data())
def test_only_the_tags_of_the_retagged_lines_change_in_the_files_own_scheme(sentences, scheme, data):
    old = [tuple(to_iob2([w[3] for w in words])) for _, words in sentences]
    new = [tuple(to_iob2([data.draw(st.sampled_from(TAGS)) for _ in words])) for _, words in sentences]
    chosen = data.draw(st.sets(st.integers(0, len(sentences) - 1)))
    text = render(sentences, lambda k: spelled(old[k], scheme))
    retags, line = [], 1
    for k, (comment, words) in enumerate(sentences):
        line += comment
        if k in chosen:
            retags.append(Retag("x.conll", line, tuple(w[0] for w in words), old[k], new[k], f"task {k}"))
        line += len(words) + 1
    out, changes, problems, _ = retag_text(text, retags, "x.conll")
    assert problems == []
    told = scheme if any(t != "O" for tags in old for t in tags) else "iob2"  # a file without names tells nothing
    assert out == render(sentences, lambda k: spelled(new[k], told) if k in chosen else spelled(old[k], scheme))
    assert len(changes) == sum(1 for k in chosen if old[k] != new[k])


def spelled(iob2, scheme):
    """Plain reference: IOB2 tags written in ``scheme``, name by name."""
    out = list(iob2)
    names = tags_spans(iob2)
    for n, (i, j, label) in enumerate(names):
        after_own = n > 0 and names[n - 1][1] == i and names[n - 1][2] == label
        if scheme == "iob1":
            out[i:j] = [f"{'B' if after_own else 'I'}-{label}"] + [f"I-{label}"] * (j - i - 1)
        elif scheme in ("bioes", "bilou") and j - i == 1:
            out[i] = f"{'S' if scheme == 'bioes' else 'U'}-{label}"
        elif scheme in ("bioes", "bilou"):
            out[j - 1] = f"{'E' if scheme == 'bioes' else 'L'}-{label}"
    return out


def test_corrections_reach_bioes_and_iob1_files_in_their_own_tags():
    bioes = "Яндекс\tS-ORG\nвыпустил\tO\nYandex\tB-ORG\nGPT\tE-ORG\n\n"
    fix = Retag("x.conll", 1, ("Яндекс", "выпустил", "Yandex", "GPT"), ("B-ORG", "O", "B-ORG", "I-ORG"),
                ("B-ORG", "O", "B-MOD", "I-MOD"), "task 1")
    out, changes, problems, _ = retag_text(bioes, [fix], "x.conll")
    assert problems == [] and out == "Яндекс\tS-ORG\nвыпустил\tO\nYandex\tB-MOD\nGPT\tE-MOD\n\n"
    iob1 = "Яндекс\tI-ORG\nСбер\tB-ORG\nи\tO\nВК\tI-ORG\n\n"
    fix = Retag("x.conll", 1, ("Яндекс", "Сбер", "и", "ВК"), ("B-ORG", "B-ORG", "O", "B-ORG"),
                ("B-ORG", "O", "O", "B-ORG"), "task 2")
    out, changes, problems, _ = retag_text(iob1, [fix], "x.conll")
    assert problems == [] and out == "Яндекс\tI-ORG\nСбер\tO\nи\tO\nВК\tI-ORG\n\n"
    assert changes == ["x.conll:2 (task 2): «Сбер» ORG removed"]


def test_a_sentence_whose_lines_changed_is_named_and_left_alone():
    text = "\ufeffИван\tB-PER\nв\tO\nМоскве\tB-ORG\n\nАнна\tO\n"
    moved = Retag("x.conll", 1, ("Иван", "в", "Москве"), ("B-PER", "O", "O"), ("B-PER", "O", "B-LOC"), "task 3")
    out, changes, problems, already = retag_text(text, [moved], "x.conll")
    assert out == text and changes == [] and already == []
    assert problems == ["x.conll:3 (task 3): line 3 holds 'Москве B-ORG', not 'Москве' tagged O; the file changed "
                        "since the review was pushed: edit it by hand («Москве» LOC added)"]
    # the correction the file holds already (applied before): said, and no problem (it was one before)
    done = text.replace("B-ORG", "B-LOC")
    out, changes, problems, already = retag_text(done, [moved], "x.conll")
    assert out == done and changes == [] and problems == []
    assert already == ["x.conll:3 (task 3): «Москве» LOC added"]
    # a word added by hand after the sentence: not the sentence the review saw, whatever its tags say
    grown = done.replace("Москве\tB-LOC\n", "Москве\tB-LOC\nи\tB-ORG\n")
    out, changes, problems, already = retag_text(grown, [moved], "x.conll")
    assert out == grown and changes == already == []
    assert problems == ["x.conll:3 (task 3): line 4 holds 'и\\tB-ORG' after the sentence's last word; the file "
                        "changed since the review was pushed: edit it by hand («Москве» LOC added)"]
    text = text.replace("B-ORG", "B-LOC")
    ok = Retag("x.conll", 1, ("Иван", "в", "Москве"), ("B-PER", "O", "B-LOC"), ("B-LOC", "O", "O"), "task 4")
    out, changes, problems, _ = retag_text(text, [ok], "x.conll")
    assert out == "\ufeffИван\tB-LOC\nв\tO\nМоскве\tO\n\nАнна\tO\n" and problems == []
    assert changes == ["x.conll:1-3 (task 4): «Иван» PER -> LOC; «Москве» LOC removed"]


def test_describe_names_boundary_changes():
    words = ("работает", "в", "Яндексе")
    assert describe(words, ("O", "B-ORG", "I-ORG"), ("O", "O", "B-ORG")) == "«в Яндексе» ORG removed; «Яндексе» ORG added"


def test_a_comment_after_a_bom_does_not_decide_the_scheme():
    text = "\ufeff# см. e.g U-Net\nИван\tB-PER\nПетров\tI-PER\nв\tO\nМоскве\tB-LOC\n\n"
    fix = Retag("x.conll", 2, ("Иван", "Петров", "в", "Москве"), ("B-PER", "I-PER", "O", "B-LOC"),
                ("B-PER", "I-PER", "O", "B-ORG"), "task 1")
    out, _, problems, _ = retag_text(text, [fix], "x.conll")
    assert problems == [] and out == text.replace("Москве\tB-LOC", "Москве\tB-ORG")


def test_only_the_lines_the_correction_changes_are_touched():
    # an IOB2 sentence in a file whose other sentence is BIOES stays IOB2, its other names as they were
    mixed = "Сбер\tS-ORG\n\nИван\tB-PER\nПетров\tI-PER\nв\tO\nМоскве\tB-LOC\nи\tO\nАнна\tB-PER\n\n"
    fix = Retag("x.conll", 3, ("Иван", "Петров", "в", "Москве", "и", "Анна"),
                ("B-PER", "I-PER", "O", "B-LOC", "O", "B-PER"), ("B-PER", "I-PER", "O", "B-ORG", "O", "B-PER"))
    out, changes, problems, _ = retag_text(mixed, [fix], "x.conll")
    assert problems == [] and out == mixed.replace("Москве\tB-LOC", "Москве\tB-ORG") and len(changes) == 1
    # tags the reader tolerates (B_PER, an I- opening) stay as written where the correction does not reach
    slips = "Иван\tB_PER\nв\tO\nАнна\tI-PER\nи\tO\nМосква\tB-LOC\n\n"
    fix = Retag("x.conll", 1, ("Иван", "в", "Анна", "и", "Москва"), ("B-PER", "O", "B-PER", "O", "B-LOC"),
                ("B-PER", "O", "B-PER", "O", "O"))
    out, _, problems, _ = retag_text(slips, [fix], "x.conll")
    assert problems == [] and out == slips.replace("Москва\tB-LOC", "Москва\tO")


def test_a_file_without_blank_lines_gets_its_corrections_where_ner_reads_its_sentences_end():
    """The bundled seed corpus has no blank lines (W101: ner infers the breaks at sentence-final punctuation); every
    correction to it was refused as "the file changed since the review was pushed" (the next sentence's first word
    stood after the last one)."""
    text = "Пробуем O\nAlpaca O\n. O\nУспех O\n. O\n"
    fix = Retag("x.conll", 1, ("Пробуем", "Alpaca", "."), ("O", "O", "O"), ("O", "B-Dataset", "O"), "task 1")
    out, changes, problems, _ = retag_text(text, [fix], "x.conll")
    assert problems == [] and changes == ["x.conll:2 (task 1): «Alpaca» Dataset added"]
    assert out == "Пробуем O\nAlpaca B-Dataset\n. O\nУспех O\n. O\n"
    # a word added by hand after it: ner now reads a longer sentence there, not the one the review saw
    grown = text.replace(". O\nУспех", ". O\nи O\nУспех")
    out, changes, problems, _ = retag_text(grown, [fix], "x.conll")
    assert out == grown and changes == [] and problems == [
        "x.conll:2 (task 1): line 4 holds 'и O' after the sentence's last word; the file changed since the review was "
        "pushed: edit it by hand («Alpaca» Dataset added)"]


def test_a_file_with_a_bom_and_a_docstart_line_is_read_as_the_corpus_reader_reads_it():
    """The corpus reader drops a BOM; read with it, '-DOCSTART-' was a word, its blank line a sentence break, and no
    break was inferred in the document (every correction to it refused again)."""
    text = "\ufeff-DOCSTART- -X- O O\n\nПробуем O\nAlpaca O\n. O\nУспех O\n. O\n"
    fix = Retag("x.conll", 3, ("Пробуем", "Alpaca", "."), ("O", "O", "O"), ("O", "B-Dataset", "O"), "task 1")
    out, changes, problems, _ = retag_text(text, [fix], "x.conll")
    assert problems == [] and out == text.replace("Alpaca O", "Alpaca B-Dataset")
