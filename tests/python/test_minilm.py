"""models.minilm, models.random_transformers and the zoo's text model: the trained all-MiniLM-L6-v2 embeds real
e-mails exactly as sentence-transformers does; the random-weight BERT / DistilBERT / GPT-2 build from configs."""
import os

import pytest
import torch
import torch.nn as nn

pytest.importorskip("transformers")
from models import minilm, random_transformers, spam_assassin, zoo  # noqa: E402

needs_corpus = pytest.mark.skipif(not os.path.isdir(os.path.join(spam_assassin.corpus_dir(), "data")),
                                  reason=f"{spam_assassin.corpus_dir()} missing: run `bash .ci/fetch_data.sh`")


@pytest.fixture(scope="module")
def bert():
    return minilm.minilm_bert()


@pytest.fixture(scope="module")
def tokenizer():
    return minilm.minilm_tokenizer()


def _emails(n):
    return [m.text for m in spam_assassin.spam_assassin_messages("calibration")[:n]]


def test_trained_minilm_loads_offline(bert):
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert type(bert).__name__ == "BertModel" and not bert.training
    assert (bert.config.num_hidden_layers, bert.config.hidden_size) == (6, minilm.EMBEDDING_DIM)
    assert sum(isinstance(m, nn.Linear) for m in bert.encoder.modules()) == 36


@needs_corpus
def test_embeddings_equal_sentence_transformers(bert, tokenizer):
    st = pytest.importorskip("sentence_transformers")
    texts = _emails(6) + ["short", "a b"]               # long e-mails (truncated) and short texts (padded)
    reference = st.SentenceTransformer(minilm.minilm_dir(), device="cpu")
    for max_length in (reference.max_seq_length, 128):
        reference.max_seq_length = max_length
        expected = torch.from_numpy(reference.encode(texts, batch_size=len(texts)))
        with torch.no_grad():
            got = minilm.SentenceEmbedder(bert)(*spam_assassin.tokenize_batch(tokenizer, texts, max_length))
        assert got.shape == (len(texts), minilm.EMBEDDING_DIM)
        assert torch.allclose(got, expected, atol=1e-5, rtol=0), (got - expected).abs().max()
        assert torch.allclose(got.norm(dim=1), torch.ones(len(texts)), atol=1e-5)


@needs_corpus
def test_tokenized_batch_shapes_and_truncation(tokenizer):
    texts = _emails(4) + ["Hello world"]
    ids, mask = spam_assassin.tokenize_batch(tokenizer, texts, max_length=32)
    assert ids.shape == mask.shape == (5, 32) and ids.dtype == mask.dtype == torch.int64
    assert (mask[:4] == 1).all()                        # the e-mails are longer: truncated, no padding
    assert (ids[:, 0] == tokenizer.cls_token_id).all() and (ids[:4, -1] == tokenizer.sep_token_id).all()
    assert mask[4].tolist() == [1] * 4 + [0] * 28       # [CLS] hello world [SEP], then padding
    assert (ids[4, 4:] == tokenizer.pad_token_id).all()
    assert spam_assassin.tokenize_batch(tokenizer, texts)[0].shape == (5, 128)


def test_classifier_head_on_mean_pooling(bert):
    classifier = minilm.SentenceClassifier(bert, num_labels=2)
    ids = torch.tensor([[101, 7592, 2088, 102, 0, 0]])
    mask = torch.tensor([[1, 1, 1, 1, 0, 0]])
    with torch.no_grad():
        logits = classifier(ids, mask)
        tokens = bert(input_ids=ids, attention_mask=mask).last_hidden_state
    assert logits.shape == (1, 2)
    assert torch.allclose(logits, classifier.head(tokens[:, :4].mean(dim=1)), atol=1e-6)


def test_zoo_text_model():
    assert zoo.input_kind("minilm_l6") == "text" and zoo.input_kind("small_cnn") == "image"
    assert "minilm_l6" in zoo.TEXT_MODELS and "minilm_l6" not in zoo.MODELS
    with pytest.raises(ValueError, match="text model"):
        zoo.input_shape("minilm_l6")
    with pytest.raises(ValueError, match="do not script"):
        zoo.script("minilm_l6")
    assert isinstance(zoo.build("minilm_l6"), minilm.SentenceEmbedder)
    a, b = zoo.build("minilm_l6", num_classes=2, seed=1), zoo.build("minilm_l6", num_classes=2, seed=1)
    assert isinstance(a, minilm.SentenceClassifier) and not a.training
    assert torch.equal(a.head.weight, b.head.weight)    # the head is seeded


@pytest.mark.parametrize("build", [random_transformers.random_bert, random_transformers.random_distilbert,
                                   random_transformers.random_gpt2])
def test_random_transformers(build):
    torch.manual_seed(7)
    before = torch.get_rng_state()
    model = build()
    assert torch.equal(torch.get_rng_state(), before) and not model.training
    assert model.config.hidden_size == 64
    same = build()
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), same.parameters()))
    ids = torch.tensor([[101, 7592, 2088, 102, 0], [101, 2088, 102, 0, 0]])
    mask = (ids != 0).long()
    with torch.no_grad():
        emb = minilm.SentenceEmbedder(model)(ids, mask)
    assert emb.shape == (2, 64) and torch.isfinite(emb).all()
