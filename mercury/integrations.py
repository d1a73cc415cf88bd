"""mercury.profile inside the training loops of other libraries.

MercuryCallback: a Hugging Face `transformers.TrainerCallback` that profiles a `Trainer` run. The profile opens when
training begins (on the model the Trainer trains, on its device), marks a step at every optimizer step (several
forwards under gradient accumulation make one step) and closes when training ends; `schedule` picks the recorded
steps and each finished window goes to `on_report` (mercury.tensorboard_handler(logdir), a function, ...). Any
other argument is mercury.profile's (settings, kinds, config, compare_exact, out, ...). The reports stay in
`callback.reports`. Evaluation run by the Trainer inside a recorded step is recorded with it.

    from transformers import Trainer
    callback = mercury.integrations.MercuryCallback(schedule=mercury.schedule(wait=9, active=1), mode="reuse",
                                                     on_report=mercury.tensorboard_handler("runs/mercury"))
    Trainer(model=model, args=args, train_dataset=data, callbacks=[callback]).train()
    print(callback.reports[-1].table())

(tests/python/test_integrations.py runs exactly this on a small BERT built from a config.) If training raises, the
Trainer calls no callback: call callback.close() to end the profile and restore the model.
"""
from typing import Callable, List, Optional

from transformers import TrainerCallback

from mercury.profiler import profile
from mercury.report import Report


class MercuryCallback(TrainerCallback):
    def __init__(self, schedule: Optional[Callable] = None, on_report: Optional[Callable[[Report], None]] = None,
                 **profile_arguments):
        self.schedule, self.on_report, self.arguments = schedule, on_report, profile_arguments
        self.profile: Optional[profile] = None
        self.reports: List[Report] = []

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        if model is None:
            raise ValueError("MercuryCallback: the Trainer passed no model to on_train_begin")
        self.profile = profile(model, schedule=self.schedule, on_report=self._report, **self.arguments)
        self.profile.__enter__()

    def _report(self, report: Report) -> None:
        self.reports.append(report)
        if self.on_report is not None:
            self.on_report(report)

    def on_step_end(self, args, state, control, **kwargs):
        if self.profile is not None:
            self.profile.step()

    def on_train_end(self, args, state, control, **kwargs):
        self.close()

    def close(self) -> None:
        """Ends the profile (the open window is reported) and restores the model."""
        if self.profile is not None:
            prof, self.profile = self.profile, None
            prof.__exit__(None, None, None)
