"""The fast navec prediction path gives the results of a plain one written here from the rules.

``_reference_predict`` below is the straightforward implementation: per-word
tensors, the character CNN over every padded position, a log-space
forward-backward and Viterbi in torch. It shares no window code with the model:
a sentence that fits the window is run whole; a longer one is cut by
``_reference_plan`` (windows of ``window`` words, each next one starting
``stride`` words before the last one ended), each word's emission rows are averaged
by ``_reference_merge`` with weight 1 + its distance from the nearest cut edge, and
the CRF decodes the whole sentence once. ``_rule_shape`` spells out the word-shape
rule (script, case, digits, punctuation) without the model's regexes.
The model is a fixed random one with weights scaled up so its tags and marginals
vary; its padding rows stay zero, as in a trained model.
"""


import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
pytest.importorskip("navec")

from ner.models import Prediction  # noqa: E402
from ner.schema import load_schema  # noqa: E402
from ner.models.features import CACHE_VECTORS, MAX_CHARS, VectorCache, word_shape  # noqa: E402
from ner.models.navec import NavecModel, NavecNet  # noqa: E402
from tests.conftest import SEED  # noqa: E402

IMPOSSIBLE = -1e4


CYRILLIC = set("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")
LATIN = set("abcdefghijklmnopqrstuvwxyz")


def _rule_shape(word):
    """The shape id by its rule: letters (Russian or basic Latin, found in the lowercased word) give
    1 + 4 * script (0 Cyrillic, 1 Latin, 2 both) + case (0 lower, 1 Title, 2 UPPER, 3 mixed)
    + 12 if any digit; no such letters: 25 all digits, 26 some digits, else by the first character
    27 sentence punctuation, 28 quotes and brackets, 29 dashes, 30 anything else."""
    low = word.lower()
    cyr, lat = any(c in CYRILLIC for c in low), any(c in LATIN for c in low)
    digit = any(c.isdigit() for c in word)
    if cyr or lat:
        script = {(True, False): 0, (False, True): 1, (True, True): 2}[cyr, lat]
        rest = word[1:]
        if word.islower():
            case = 0
        elif word[0].isupper() and (rest == "" or rest.islower()):
            case = 1
        elif word.isupper():
            case = 2
        else:
            case = 3
        return 1 + 4 * script + case + (12 if digit else 0)
    if word and all(c.isdigit() for c in word):
        return 25
    if digit:
        return 26
    for shape, kind in ((27, ",.;:!?…"), (28, "«»\"'“”„()[]{}"), (29, "-–—")):
        if word[:1] and word[0] in kind:
            return shape
    return 30


# worked out by hand from the rule above, one line per id reached
SHAPES = [
    ("москва", 1), ("Москва", 2), ("МОСКВА", 3), ("мОСКВА", 4), ("bert", 5), ("Bert", 6), ("BERT", 7),
    ("PyTorch", 8), ("ruбert", 9), ("Ruбert", 10), ("RUБERT", 11), ("ruBERTа", 12), ("в2", 13), ("Вася2", 14), ("В2", 15), ("вАся2", 16),
    ("1-й", 13), ("gpt3", 17), ("Gpt3", 18), ("GPT-3", 19), ("x²", 17), ("yaLM100b", 20), ("ру2b", 21), ("Ру2b", 22), ("РУ2B", 23), ("ёж9Z", 24),
    ("2018", 25), ("²", 25), ("3.14", 26), ("٣", 25), (",", 27), ("…", 27), ("«", 28), ("(", 28),
    ("—", 29), ("-", 29), ("😀", 30), ("", 30), ("Ω", 30), ("Σς", 30), ("A1b", 18),
]


def test_rule_shape_matches_the_worked_examples():
    assert [_rule_shape(w) for w, _ in SHAPES] == [s for _, s in SHAPES]


def _reference_tensors(featurizer, batch):
    length = max(len(ws) for ws in batch)
    n = min(MAX_CHARS, max(len(w) for ws in batch for w in ws))
    word_ids = torch.full((len(batch), length), featurizer.vocab.pad_id, dtype=torch.long)
    shape_ids = torch.zeros((len(batch), length), dtype=torch.long)
    char_ids = torch.zeros((len(batch), length, n), dtype=torch.long)
    mask = torch.zeros((len(batch), length), dtype=torch.bool)
    for b, words in enumerate(batch):
        lowered = [w.lower() for w in words]
        ids = [featurizer.vocab.get(w, featurizer.vocab.get(w.replace("ё", "е"), featurizer.vocab.unk_id))
               for w in lowered]
        word_ids[b, : len(words)] = torch.tensor(ids)
        shape_ids[b, : len(words)] = torch.tensor([_rule_shape(w) for w in words])
        for i, w in enumerate(words):
            char_ids[b, i, : min(n, len(w))] = torch.tensor([featurizer.char_ids.get(c, 1) for c in w[:n]])
        mask[b, : len(words)] = True
    return word_ids, shape_ids, char_ids, mask


def _reference_emissions(module, word_ids, shape_ids, char_ids):
    m, lstm, out = module.words, module.encoder.lstm, module.head.out
    b, length, n = char_ids.shape
    flat = char_ids.reshape(b * length, n)
    chars = torch.relu(m.char_cnn(m.chars(flat).transpose(1, 2)))
    chars = chars.masked_fill((flat == 0).unsqueeze(1), 0.0).max(dim=2).values.reshape(b, length, -1)
    pieces = m.pq_indexes[word_ids].long() + m.pq_offsets
    words = m.pq_codes[pieces].reshape(*word_ids.shape, m.word_dim)
    x = torch.cat([words, m.shape(shape_ids), chars], dim=2)
    lengths = (shape_ids != 0).sum(1)
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    h, _ = lstm(packed)
    h, _ = torch.nn.utils.rnn.pad_packed_sequence(h, batch_first=True, total_length=length)
    return out(h).float()


def _reference_crf(crf, emissions, mask, dtype=torch.float64):
    """Viterbi in float32 (as the model computes it) and log-space forward-backward in ``dtype``.

    The float32 forward-backward the model first had drifts by up to ~1e-3 on long
    windows (log alpha grows into the thousands); the fast path is exact to ~1e-12,
    so its reference is the same algorithm in float64.
    """
    trans32 = crf.transitions.masked_fill(crf.trans_mask, IMPOSSIBLE)
    start32 = crf.start.masked_fill(crf.start_mask, IMPOSSIBLE)
    length = emissions.shape[1]
    score, pointers = start32 + emissions[:, 0], []
    for t in range(1, length):
        keep = mask[:, t].unsqueeze(1)
        best, arg = (score.unsqueeze(2) + trans32).max(dim=1)
        score = torch.where(keep, best + emissions[:, t], score)
        pointers.append(torch.where(keep, arg, torch.arange(arg.shape[1]).expand_as(arg)))
    end32 = crf.end
    # Marginals: the training CRF's own forward-backward (checked against brute force in test_crf), in dtype.
    probs = crf.marginals(emissions.to(dtype), mask)
    last = (score + end32).argmax(1).tolist()
    out = []
    for b, n in enumerate(mask.long().sum(1).tolist()):
        path = [last[b]]
        for t in range(n - 2, -1, -1):
            path.append(pointers[t][b, path[-1]].item())
        path.reverse()
        out.append([(tag, probs[b, t, tag].item()) for t, tag in enumerate(path)])
    return out, probs.numpy()


def _reference_plan(n, window, stride):
    """Unit-cost windows: ``window`` words each, the next starting ``stride`` words before the end."""
    if n <= window:
        return [(0, n)]
    plan, start = [], 0
    while True:
        end = min(start + window, n)
        plan.append((start, end))
        if end == n:
            return plan
        start = end - stride


def _reference_merge(n, plan, rows):
    """Each word's rows averaged over its windows, weight 1 + distance to the window's nearest cut edge."""
    merged = []
    for i in range(n):
        total, weight = None, 0.0
        for (a, b), r in zip(plan, rows):
            if not a <= i < b:
                continue
            cuts = ([i - a] if a > 0 else []) + ([b - 1 - i] if b < n else [])
            w = 1.0 + min(cuts, default=0)
            row = [w * float(x) for x in r[i - a]]
            total = row if total is None else [t + x for t, x in zip(total, row)]
            weight += w
        merged.append([t / weight for t in total])
    return merged


def _reference_emissions_of(net, pieces, batch_size):
    out = []
    with torch.inference_mode():
        for i in range(0, len(pieces), batch_size):
            chunk = pieces[i : i + batch_size]
            word_ids, shape_ids, char_ids, mask = _reference_tensors(net.featurizer, chunk)
            em = _reference_emissions(net.module, word_ids, shape_ids, char_ids)
            out += [em[b, : len(words)] for b, words in enumerate(chunk)]
    return out


def _reference_run(net, batch, batch_size=64):
    """``(tags, chosen marginals, marginals [n, K])`` per word list: the plain path."""
    out = []
    for words in batch:
        if not words:
            out.append(((), (), np.zeros((0, len(net.tags)))))
            continue
        plan = _reference_plan(len(words), net.window, net.stride)
        rows = _reference_emissions_of(net, [tuple(words[a:b]) for a, b in plan], batch_size)
        if len(plan) == 1:
            emissions = rows[0]
        else:
            emissions = torch.tensor(_reference_merge(len(words), plan, [r.tolist() for r in rows]),
                                     dtype=torch.float64).float()
        mask = torch.ones((1, len(words)), dtype=torch.bool)
        with torch.inference_mode():
            path, marginals = _reference_crf(net.module.crf, emissions.unsqueeze(0), mask)
        out.append((tuple(net.tags[t] for t, _ in path[0]), tuple(p for _, p in path[0]), marginals[0]))
    return out


def _reference_predict(net, batch, batch_size=64):
    return [Prediction(tags, scores) for tags, scores, _ in _reference_run(net, batch, batch_size)]


def _sentences():
    from ner.formats.conll import read_conll

    seed = [list(s.words) for doc in read_conll(SEED) for s in doc.sentences]
    hand = [
        ["Ёлка", "ёжик", "ЁЛКА", "Йошкар-Ола", "из-за", "BERT-а", "PyTorch'е", "GPT-3", "ruBERT"],
        ["я"],
        ["Сверхдлинноесловосколькихбукв", "a" * 40, "😀", "Ω", "\u00a0", "2023", "3.14", "«", "—", ","],
        ["Яндекс", "выложил", "YaLM", "100B", "в", "2022", "году", "."] * 3,
    ]
    long_doc = ["Обучение", "BERT", "на", "Alpaca", "от", "Stanford", "."] * 90  # 630 words: three windows
    return seed + hand + [long_doc] + seed[:5]  # repeats: the same words in several batches


@pytest.fixture(scope="module")
def net():
    schema = load_schema()
    sentences = _sentences()
    torch.manual_seed(7)
    net = NavecNet(schema.tags, NavecNet.chars_of([type("S", (), {"words": s}) for s in sentences[:-6]]),
                   {"hidden": 24, "char_filters": 16})
    with torch.no_grad():
        for name, p in net.module.named_parameters():
            if not name.startswith("encoder.lstm"):
                p.mul_(3.0)
        net.module.crf.transitions.normal_(0.0, 2.0)
        net.module.crf.start.normal_(0.0, 1.0)
        net.module.crf.end.normal_(0.0, 1.0)
        net.module.words.chars.weight[0].zero_()
        net.module.words.shape.weight[0].zero_()
    net.module.eval()
    return net


def test_word_shape_follows_the_rule():
    words = {w for s in _sentences() for w in s} | {w for w, _ in SHAPES} | {"Ё", "ёЖ", "Ⅻ", "ß"}
    assert {w: word_shape(w) for w in words} == {w: _rule_shape(w) for w in words}
    assert {word_shape(w) for w in words} == set(range(1, 31))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="аёЯЁbZ7²٣,.«—-😀Ω ", max_size=6))
def test_word_shape_follows_the_rule_on_random_words(word):
    assert word_shape(word) == _rule_shape(word)


@pytest.mark.parametrize("batch_size", [64, 7])
def test_fast_predict_equals_the_reference(net, batch_size):
    sentences = _sentences()
    expected = _reference_predict(net, sentences, batch_size=batch_size)
    got = net.predict(sentences, batch_size=batch_size)
    assert len(got) == len(expected)
    assert len({t for p in expected for t in p.tags}) > 5  # the fixed model is not trivial
    for g, e in zip(got, expected):
        assert g.tags == e.tags
        assert g.scores == pytest.approx(e.scores, abs=1e-5)


def test_feature_cache_does_not_change_results(net):
    sentences = _sentences()
    first = net.predict(sentences)
    again = net.predict(list(reversed(sentences)))[::-1]
    assert [p.tags for p in first] == [p.tags for p in again]
    for a, b in zip(first, again):
        assert a.scores == pytest.approx(b.scores, abs=1e-5)


def test_empty_sentences_and_empty_batch(net):
    assert net.predict([]) == []
    preds = net.predict([[], ["я"], []])
    assert preds[0] == Prediction((), ()) and preds[2] == Prediction((), ()) and len(preds[1].tags) == 1


def test_saved_directory_loads_and_predicts_the_same(net, tmp_path):
    net.save(tmp_path, "eq", load_schema().names)
    model = NavecModel.load(tmp_path, device="cpu")
    sentences = _sentences()[:20]
    expected = _reference_predict(net, sentences)
    for _ in range(2):  # the second time, word vectors come from the model's cache
        for a, b in zip(model.predict(sentences), expected):
            assert a.tags == b.tags
            assert a.scores == pytest.approx(b.scores, abs=1e-5)
    assert len(model.cache.rows) > 20


@pytest.mark.parametrize("capacity", [CACHE_VECTORS, 60, 5])
def test_word_vector_cache_gives_the_same_results(net, capacity):
    sentences = _sentences()
    expected = _reference_predict(net, sentences)
    cache = VectorCache(capacity)
    first = net.predict(sentences, cache=cache)
    assert len(cache.rows) <= capacity and (capacity < 100 or len(cache.rows) > 100)
    again = net.predict(list(reversed(sentences)), batch_size=5, cache=cache)[::-1]  # served from the cache
    for a, b, e in zip(first, again, expected):
        assert a.tags == b.tags == e.tags
        assert a.scores == pytest.approx(e.scores, abs=1e-5) and b.scores == pytest.approx(e.scores, abs=1e-5)


@pytest.fixture
def small_window(net):
    """The same network with a window of 5 words and a stride of 1: most sentences span several windows."""
    saved = net.window, net.stride
    net.window, net.stride = 5, 1
    yield net
    net.window, net.stride = saved


def _valid_iob2(tags):
    return all(not t.startswith("I-") or (i > 0 and tags[i - 1][2:] == t[2:] and tags[i - 1] != "O")
               for i, t in enumerate(tags))


@pytest.fixture(scope="module")
def contextual(net):
    """``net`` with its BiLSTM weights scaled up (a word's emissions depend on its window), O and
    entity continuations favoured: windows disagree near their edges, and entities span several words."""
    tags = list(net.tags)
    other = NavecNet(net.tags, net.chars, net.hp)
    other.module.load_state_dict(net.module.state_dict())
    with torch.no_grad():
        for name, p in other.module.named_parameters():
            if name.startswith("encoder.lstm"):
                p.mul_(3.0)
        other.module.head.out.bias[tags.index("O")] += 2.0
        for j, tag in enumerate(tags):
            if tag.startswith("I-"):
                other.module.crf.transitions[tags.index("B-" + tag[2:]), j] += 3.0
                other.module.crf.transitions[j, j] += 3.0
    other.module.eval()
    return other


@pytest.mark.parametrize("window,stride", [(3, 1), (5, 1), (4, 2), (6, 2)])
def test_windowed_predictions_are_valid_iob2(contextual, window, stride):
    """Defect 3: picking each word's tag from one window joined O from one window to I-X from the next
    (2-5 of these sentences on the code before the fix, for each of these windows)."""
    contextual.window, contextual.stride = window, stride
    preds = contextual.predict(_sentences())
    assert sum(t.startswith("I-") for p in preds for t in p.tags) > 50
    assert [p.tags for p in preds if not _valid_iob2(p.tags)] == []
    expected = _reference_predict(contextual, _sentences()[:15])
    assert [p.tags for p in preds[:15]] == [p.tags for p in expected]


def test_windowed_predictions_equal_the_plain_reference(small_window):
    sentences = _sentences()[:20]
    assert max(map(len, sentences)) > 5
    for g, e in zip(small_window.predict(sentences, batch_size=7), _reference_predict(small_window, sentences)):
        assert g.tags == e.tags
        assert g.scores == pytest.approx(e.scores, abs=1e-5)


def test_probabilities_are_the_reference_marginals(net, small_window):
    sentences = _sentences()[:20] + [[]]
    got = small_window.probabilities(sentences)
    for g, (tags, scores, marginals), words in zip(got, _reference_run(small_window, sentences), sentences):
        assert g.shape == (len(words), len(small_window.tags))
        assert np.allclose(g.sum(1), 1.0)
        assert np.allclose(g, marginals, atol=1e-6)
        chosen = [g[i, small_window.tags.index(t)] for i, t in enumerate(tags)]
        assert chosen == pytest.approx(scores, abs=1e-6)


def test_loaded_model_gives_tags_and_probabilities(net, tmp_path):
    net.save(tmp_path, "eq", load_schema().names)
    model = NavecModel.load(tmp_path, device="cpu")
    sentences = _sentences()[:6]
    assert model.tags == net.tags
    both = model.predict_with_probabilities(sentences)
    assert [p for p, _ in both] == model.predict(sentences)
    for (p, probs), q in zip(both, model.probabilities(sentences)):
        assert np.array_equal(probs, q)
        assert p.scores == pytest.approx([probs[i, model.tags.index(t)] for i, t in enumerate(p.tags)])


def _path_score(crf, emissions, path):
    """The CRF's score of one tag path over [n, K] emissions (the quantity Viterbi maximises)."""
    trans = crf.transitions.masked_fill(crf.trans_mask, IMPOSSIBLE).double()
    start = crf.start.masked_fill(crf.start_mask, IMPOSSIBLE).double()
    em = torch.as_tensor(np.asarray(emissions), dtype=torch.float64)
    total = start[path[0]] + em[0, path[0]] + crf.end.double()[path[-1]]
    for t in range(1, len(path)):
        total = total + trans[path[t - 1], path[t]] + em[t, path[t]]
    return total.item()


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 40), window=st.integers(2, 9), data=st.data())
def test_reference_plan_and_model_agree_on_every_length(net, n, window, data):
    """Random lengths, windows and strides (every boundary: a sentence of exactly one window, one word more).

    Repeated words give periodic emissions and exact ties between paths, which float noise
    (1e-7) breaks either way: the model's path must score what the reference's best path scores.
    """
    stride = data.draw(st.integers(0, window - 1))
    words = [data.draw(st.sampled_from(["BERT", "на", "ImageNet", ",", "Яндекс", "2022"])) for _ in range(n)]
    saved = net.window, net.stride
    net.window, net.stride = window, stride
    try:
        (got,), (probs,) = net.predict([words]), net.probabilities([words])
        plan = _reference_plan(n, window, stride)
        rows = _reference_emissions_of(net, [tuple(words[a:b]) for a, b in plan], 64)
        emissions = rows[0].numpy() if len(plan) == 1 else np.array(_reference_merge(n, plan, [r.tolist() for r in rows]))
        [(tags, _, marginals)] = _reference_run(net, [words])
    finally:
        net.window, net.stride = saved
    crf = net.module.crf
    with torch.no_grad():
        best = _path_score(crf, emissions, [net.tags.index(t) for t in tags])
        ours = _path_score(crf, emissions, [net.tags.index(t) for t in got.tags])
    assert ours == pytest.approx(best, abs=1e-3) and _valid_iob2(got.tags)
    assert np.allclose(probs, marginals, atol=1e-5)
    assert not math.isnan(sum(got.scores))
