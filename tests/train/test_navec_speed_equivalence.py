"""The fast navec prediction path gives the results of the straightforward one.

``_reference_predict`` below is the plain implementation the model shipped with
first (per-word tensors, the character CNN over every padded position, a
log-space forward-backward and Viterbi in torch), kept here only as the
reference. The model is a fixed random one with weights scaled up so its tags
and marginals vary; its padding rows stay zero, as in a trained model.
"""


import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("navec")

from ner.models import Prediction  # noqa: E402
from ner.schema import load_schema  # noqa: E402
from ner.models.windows import merge_windows, plan_windows  # noqa: E402
from ner.models.features import CACHE_VECTORS, MAX_CHARS, VectorCache, word_shape  # noqa: E402
from ner.models.navec import NavecModel, NavecNet  # noqa: E402
from tests.conftest import SEED  # noqa: E402

IMPOSSIBLE = -1e4


def _reference_shape(word):
    cyr = any("а" <= c <= "я" or c == "ё" for c in word.lower())
    lat = any("a" <= c <= "z" for c in word.lower())
    digits = any(c.isdigit() for c in word)
    if cyr or lat:
        script = 2 if cyr and lat else 1 if lat else 0
        if word.islower():
            case = 0
        elif word[0].isupper() and (len(word) == 1 or word[1:].islower()):
            case = 1
        elif word.isupper():
            case = 2
        else:
            case = 3
        return 1 + script * 4 + case + 12 * digits
    if word.isdigit():
        return 25
    if digits:
        return 26
    head = word[:1]
    if head and head in ",.;:!?…":
        return 27
    if head and head in "«»\"'“”„()[]{}":
        return 28
    if head and head in "-–—":
        return 29
    return 30


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
        shape_ids[b, : len(words)] = torch.tensor([_reference_shape(w) for w in words])
        for i, w in enumerate(words):
            char_ids[b, i, : min(n, len(w))] = torch.tensor([featurizer.char_ids.get(c, 1) for c in w[:n]])
        mask[b, : len(words)] = True
    return word_ids, shape_ids, char_ids, mask


def _reference_emissions(m, word_ids, shape_ids, char_ids):
    b, length, n = char_ids.shape
    flat = char_ids.reshape(b * length, n)
    chars = torch.relu(m.char_cnn(m.chars(flat).transpose(1, 2)))
    chars = chars.masked_fill((flat == 0).unsqueeze(1), 0.0).max(dim=2).values.reshape(b, length, -1)
    pieces = m.pq_indexes[word_ids].long() + m.pq_offsets
    words = m.pq_codes[pieces].reshape(*word_ids.shape, m.word_dim)
    x = torch.cat([words, m.shape(shape_ids), chars], dim=2)
    lengths = (shape_ids != 0).sum(1)
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    h, _ = m.lstm(packed)
    h, _ = torch.nn.utils.rnn.pad_packed_sequence(h, batch_first=True, total_length=length)
    return m.out(h).float()


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
    return out


def _reference_predict(net, batch, batch_size=64):
    pieces, plans = [], []
    for words in batch:
        plan = plan_windows([1] * len(words), net.window, net.stride)
        plans.append(plan)
        pieces += [tuple(words[a:b]) for a, b in plan]
    order = sorted(range(len(pieces)), key=lambda i: len(pieces[i]))
    results = [None] * len(pieces)
    with torch.inference_mode():
        for i in range(0, len(order), batch_size):
            chunk = order[i : i + batch_size]
            word_ids, shape_ids, char_ids, mask = _reference_tensors(net.featurizer, [pieces[j] for j in chunk])
            emissions = _reference_emissions(net.module, word_ids, shape_ids, char_ids)
            for j, out in zip(chunk, _reference_crf(net.module.crf, emissions, mask)):
                results[j] = [(net.tags[t], p) for t, p in out]
    preds, pos = [], 0
    for words, plan in zip(batch, plans):
        merged = merge_windows(len(words), plan, results[pos : pos + len(plan)])
        pos += len(plan)
        preds.append(Prediction(tuple(t for t, _ in merged), tuple(p for _, p in merged)))
    return preds


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
            if not name.startswith("lstm"):
                p.mul_(3.0)
        net.module.crf.transitions.normal_(0.0, 2.0)
        net.module.crf.start.normal_(0.0, 1.0)
        net.module.crf.end.normal_(0.0, 1.0)
        net.module.chars.weight[0].zero_()
        net.module.shape.weight[0].zero_()
    net.module.eval()
    return net


def test_word_shape_is_unchanged():
    words = {w for s in _sentences() for w in s} | {"", "Ё", "ёЖ", "x²", "²", "٣", "Ⅻ", "İ", "ǅ", "ß", "Σς", "A1b", "1-й"}
    assert all(word_shape(w) == _reference_shape(w) for w in words)
    assert len({word_shape(w) for w in words}) > 15


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
