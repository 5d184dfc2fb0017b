"""Hidden reference solutions of the course's graded functions (instructors only).

Every graded function is importable from here: `from solutions import decoder_forward_teacher_forcing`.
Nothing a student receives imports this package; tests/test_leaks.py checks it.
"""
from solutions.cells import gru_step, lstm_step, rnn_step
from solutions.decoders import (decoder_forward_free_running, decoder_forward_scheduled_sampling,
                                decoder_forward_teacher_forcing)
from solutions.schedules import exponential_schedule, inverse_sigmoid_schedule, linear_schedule

__all__ = [
    "rnn_step", "lstm_step", "gru_step",
    "decoder_forward_teacher_forcing", "decoder_forward_free_running",
    "decoder_forward_scheduled_sampling",
    "linear_schedule", "exponential_schedule", "inverse_sigmoid_schedule",
]

# Notebook 06, teacher forcing in transformers.
from solutions.transformer import (causal_mask, causal_self_attention, positional_encoding,  # noqa: E402
                                   shift_right, transformer_decoder_forward,
                                   transformer_decoder_free_running, transformer_decoder_kv_cache,
                                   transformer_decoder_step, transformer_decoder_step_by_step)
from solutions.transformer_sampling import transformer_scheduled_sampling_two_pass  # noqa: E402

__all__ += [
    "shift_right", "causal_mask", "causal_self_attention", "positional_encoding",
    "transformer_decoder_forward", "transformer_decoder_step", "transformer_decoder_step_by_step",
    "transformer_decoder_kv_cache", "transformer_decoder_free_running",
    "transformer_scheduled_sampling_two_pass",
]

# Notebook 05, training with teacher forcing: backward passes and backpropagation through time.
from solutions.backprop import (gru_step_backward, gru_step_forward, lstm_step_backward,  # noqa: E402
                                lstm_step_forward, rnn_step_backward, rnn_step_forward)
from solutions.seq2seq import (decoder_backward_teacher_forcing,  # noqa: E402
                               decoder_forward_teacher_forcing_cache)
from solutions.training import masked_cross_entropy  # noqa: E402

__all__ += [
    "rnn_step_forward", "rnn_step_backward", "lstm_step_forward", "lstm_step_backward",
    "gru_step_forward", "gru_step_backward",
    "decoder_forward_teacher_forcing_cache", "decoder_backward_teacher_forcing",
    "masked_cross_entropy",
]

# Notebook 07, teacher forcing in language models: the causal-LM loss and generation.
from solutions.lm import causal_lm_loss, generate  # noqa: E402

__all__ += ["causal_lm_loss", "generate"]

# The exposure-bias experiment's causal test (tfcourse.exposure_bias calls it from its backend).
from solutions.exposure import recovery_curve  # noqa: E402

__all__ += ["recovery_curve"]
