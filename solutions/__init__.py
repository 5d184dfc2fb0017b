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
                                   transformer_decoder_step_by_step)
from solutions.transformer_sampling import transformer_scheduled_sampling_two_pass  # noqa: E402

__all__ += [
    "shift_right", "causal_mask", "causal_self_attention", "positional_encoding",
    "transformer_decoder_forward", "transformer_decoder_step_by_step",
    "transformer_decoder_kv_cache", "transformer_decoder_free_running",
    "transformer_scheduled_sampling_two_pass",
]
