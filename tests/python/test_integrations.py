"""mercury.profile's handlers and integrations: TensorBoard scalars read back from the event files, and a
transformers Trainer run on a small BERT (built from a config, random weights) for a few real steps on the
SpamAssassin e-mails."""
import pytest
import torch

import mercury
from mercury import tools

needs_sim = pytest.mark.skipif(tools.find_tool("mercury-sim") is None, reason="mercury-sim is not built")


def _scalars(logdir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    events = EventAccumulator(str(logdir))
    events.Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


@needs_sim
def test_tensorboard_gets_every_window_per_layer_and_in_total(tmp_path):
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                                torch.nn.Linear(4 * 6 * 6, 3))
    handler = mercury.tensorboard_handler(str(tmp_path))
    with mercury.profile(model, schedule=mercury.schedule(wait=1, active=1, repeat=2), on_report=handler,
                         compare_exact=True, mode="reuse", sig_bits=6) as prof:
        for _ in range(4):
            model(torch.rand(2, 1, 8, 8).round())
            prof.step()
    scalars = _scalars(tmp_path)
    reports = prof.reports
    assert [r.steps for r in reports] == [[1], [3]]
    assert [step for step, _ in scalars["total/speedup"]] == [1, 3]
    assert scalars["total/speedup"][1][1] == pytest.approx(reports[1].totals["speedup"], rel=1e-6)
    assert scalars["hit_rate/0"][0][1] == pytest.approx(reports[0].layers[0]["hit_rate"], rel=1e-6)
    assert {"speedup/3", "energy_uj/3", "total/energy_ratio", "quality/top1_agreement"} <= set(scalars)


class _Emails(torch.utils.data.Dataset):
    def __init__(self, ids, mask, labels):
        self.ids, self.mask, self.labels = ids, mask, labels

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return {"input_ids": self.ids[i], "attention_mask": self.mask[i], "labels": self.labels[i]}


@needs_sim
def test_a_trainer_run_is_profiled_with_a_schedule(tmp_path):
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("accelerate")
    from mercury.integrations import MercuryCallback
    from mercury.study.text_inputs import training_tokens
    (ids, mask), labels = training_tokens("training", 12)
    config = transformers.BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                     intermediate_size=64, max_position_embeddings=128, num_labels=2)
    torch.manual_seed(0)
    model = transformers.BertForSequenceClassification(config)
    args = transformers.TrainingArguments(output_dir=str(tmp_path / "trainer"), per_device_train_batch_size=4,
                                          max_steps=3, learning_rate=1e-3, report_to=[], save_strategy="no",
                                          use_cpu=True, logging_strategy="no", disable_tqdm=True)
    callback = MercuryCallback(schedule=mercury.schedule(wait=1, active=2, repeat=1), mode="reuse", sig_bits=12,
                               on_report=mercury.tensorboard_handler(str(tmp_path / "tb")))
    trainer = transformers.Trainer(model=model, args=args, train_dataset=_Emails(ids, mask, labels),
                                   callbacks=[callback])
    trainer.train()
    assert "forward" not in model.__dict__ and callback.profile is None
    [report] = callback.reports
    assert report.steps == [1, 2] and report.training
    names = [r["name"] for r in report.layers if r["kind"] == "linear"]
    assert "bert.encoder.layer.0.attention.self.query" in names and "classifier" in names
    assert sum(r["kind"] == "matmul" for r in report.layers) == 4  # scores and values, 2 layers
    assert all(r["calls"] == 2 for r in report.layers if r["kind"] == "linear")
    assert report.totals["step_speedup"] > 0
    assert "total/speedup" in _scalars(tmp_path / "tb")
