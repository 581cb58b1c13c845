"""Windows, their merging, and sub-word label alignment on hand-made cases."""

import pytest

from ner.models.subwords import IGNORE, encode_words, first_pieces, piece_counts
from ner.models.windows import merge_windows, plan_windows


@pytest.mark.parametrize("costs,size,stride,expected", [
    ([], 4, 1, []),
    ([1], 4, 1, [(0, 1)]),
    ([1] * 4, 4, 1, [(0, 4)]),
    ([1] * 10, 4, 2, [(0, 4), (2, 6), (4, 8), (6, 10)]),
    ([1] * 7, 4, 0, [(0, 4), (4, 7)]),
    ([2, 2, 2, 2], 4, 2, [(0, 2), (1, 3), (2, 4)]),
    ([1, 9, 1], 4, 1, [(0, 1), (1, 2), (2, 3)]),  # an over-long word gets a window of its own
])
def test_plan_windows(costs, size, stride, expected):
    assert plan_windows(costs, size, stride) == expected


@pytest.mark.parametrize("n,size,stride", [(1000, 38, 8), (97, 10, 3), (50, 7, 6)])
def test_windows_cover_every_word_and_merge_back(n, size, stride):
    windows = plan_windows([1] * n, size, stride)
    assert windows[0][0] == 0 and windows[-1][1] == n
    for (a, b), (c, d) in zip(windows, windows[1:]):
        assert a < c <= b and b - c <= stride
    merged = merge_windows(n, windows, [[(i, k) for i in range(a, b)] for k, (a, b) in enumerate(windows)])
    assert [i for i, _ in merged] == list(range(n))  # no word lost, none duplicated


def test_merge_takes_the_most_central_window():
    windows = [(0, 6), (3, 9)]
    outputs = [["a"] * 6, ["b"] * 6]
    # words 3..5 are in both: 3 is 2 from a's right edge and 0 from b's left edge -> a;
    # 4 is 1 from both (a tie keeps the earlier window) -> a; 5 is 0 from a's edge -> b
    assert merge_windows(9, windows, outputs) == ["a", "a", "a", "a", "a", "b", "b", "b", "b"]


def test_merge_refuses_a_wrong_output_length():
    with pytest.raises(ValueError):
        merge_windows(3, [(0, 3)], [["x", "y"]])


@pytest.fixture(scope="module")
def tokenizer(tiny_bert_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_bert_dir)


def test_folding_tokenizer_is_aligned_by_word_ids(tokenizer):
    words = ["Ёлка", "йогурт", "BERT-а", "из-за", "PyTorch'е", "."]
    enc = encode_words(tokenizer, words, 100, [1, 2, 3, 4, 5, 6])
    pieces = tokenizer.convert_ids_to_tokens(enc.input_ids)
    # the tokenizer folds ё -> е and й -> и: pieces cannot be re-joined into the words
    assert "".join(p.lstrip("#") for p in pieces[1:-1]).startswith("елкаиогурт")
    assert enc.labels[0] == IGNORE and enc.labels[-1] == IGNORE
    assert [lab for lab in enc.labels if lab != IGNORE] == [1, 2, 3, 4, 5, 6]
    for word_index, pos in enumerate(first_pieces(enc.word_ids)):
        assert enc.word_ids[pos] == word_index and enc.labels[pos] == word_index + 1
    # "BERT-а" is several pieces (bert, -, а): one label, the others -100
    bert = [i for i, w in enumerate(enc.word_ids) if w == 2]
    assert len(bert) >= 3 and [enc.labels[i] for i in bert] == [3] + [IGNORE] * (len(bert) - 1)


def test_word_without_pieces_is_kept_as_unknown(tokenizer):
    words = ["модель", "\u200b", "BERT"]
    assert piece_counts(tokenizer, words)[1] == 0
    enc = encode_words(tokenizer, words, 100, [1, 2, 3])
    assert [lab for lab in enc.labels if lab != IGNORE] == [1, 2, 3]
    assert tokenizer.convert_ids_to_tokens(enc.input_ids)[first_pieces(enc.word_ids)[1]] == "[UNK]"


def test_over_long_word_keeps_its_first_piece(tokenizer):
    word = "-".join(["из"] * 10)  # one word of 19 pieces
    enc = encode_words(tokenizer, [word], 5, [7])
    assert len(enc.input_ids) == 7 and enc.labels == [IGNORE, 7, IGNORE, IGNORE, IGNORE, IGNORE, IGNORE]
